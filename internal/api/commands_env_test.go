package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// fakeSender is a connector that carries out commands (a WICS stand-in):
// its ValidateCommand refuses shipping methods it does not know, as a real
// connector refuses what its provider would.
type fakeSender struct {
	kinds []model.CommandKind
}

var _ provider.CommandSender = (*fakeSender)(nil)

func (s *fakeSender) Normalize(*model.InboxMessage) (model.Changes, error) {
	return model.Changes{}, nil
}
func (s *fakeSender) CommandKinds() []model.CommandKind { return s.kinds }
func (s *fakeSender) SendCommand(context.Context, provider.CommandEnv, *model.Command) (*provider.CommandAnswer, error) {
	panic("the API never sends a command itself")
}

func (s *fakeSender) ValidateCommand(cmd *model.Command) error {
	if cmd.Kind != model.CommandOrderCreate {
		return nil
	}
	var r model.OrderRequest
	if err := json.Unmarshal(cmd.Payload, &r); err != nil {
		return err
	}
	if r.ShippingMethod != "" && !slices.Contains([]string{"POSTNL", "DHL"}, r.ShippingMethod) {
		return provider.FieldErrors{{Field: "shipping_method", Message: "is not a shipping method of the warehouse (POSTNL, DHL)", Value: r.ShippingMethod}}
	}
	return nil
}

// plainConnector takes no commands (a courier).
type plainConnector struct{}

func (plainConnector) Normalize(*model.InboxMessage) (model.Changes, error) {
	return model.Changes{}, nil
}

// fakeConns is a ConnectionLookup: acme has wics (every kind), courier (no
// commands) and aa (orders only, no cancel); globex has its own wics.
type fakeConns map[[2]string]*connections.Conn

func testConns() fakeConns {
	all := []model.CommandKind{model.CommandOrderCreate, model.CommandOrderCancel, model.CommandProductUpsert,
		model.CommandInboundCreate, model.CommandInboundCancel}
	c := fakeConns{}
	for _, conn := range []*connections.Conn{
		{Workspace: "acme", ID: "wics", Provider: "wics", Connector: &fakeSender{kinds: all}},
		{Workspace: "acme", ID: "courier", Provider: "courier", Connector: plainConnector{}},
		{Workspace: "acme", ID: "aa", Provider: "activeants", Connector: &fakeSender{kinds: []model.CommandKind{model.CommandOrderCreate}}},
		{Workspace: "globex", ID: "wics", Provider: "wics", Connector: &fakeSender{kinds: all}},
	} {
		c[[2]string{conn.Workspace, conn.ID}] = conn
	}
	return c
}

func (c fakeConns) Lookup(ws, id string) (*connections.Conn, bool) {
	conn, ok := c[[2]string{ws, id}]
	return conn, ok
}

// fakeStatuses answers /connections from a fixed list.
type fakeStatuses struct {
	mu   sync.Mutex
	list []*model.ConnectionStatus
	// leak returns every workspace's connections, like a buggy source.
	leak bool
}

func (s *fakeStatuses) Connections(_ context.Context, ws string) ([]*model.ConnectionStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.ConnectionStatus
	for _, c := range s.list {
		if c.Workspace == ws || s.leak {
			out = append(out, c)
		}
	}
	return out, nil
}

// commandEnv is an API with a fake store, queue, connections and statuses.
type commandEnv struct {
	st       *fakeStore
	queue    *fakeQueue
	statuses *fakeStatuses
	h        http.Handler
}

func newCommandEnv(t *testing.T) *commandEnv {
	t.Helper()
	st := fixture()
	e := &commandEnv{st: st, queue: &fakeQueue{st: st}, statuses: &fakeStatuses{}}
	a, err := api.New(api.Config{
		Store:       st,
		Keys:        []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}},
		Commands:    e.queue,
		Connections: testConns(),
		Statuses:    e.statuses,
		Now:         func() time.Time { return t0 },
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	e.h = mux
	return e
}

// post sends a JSON body with an optional Idempotency-Key.
func (e *commandEnv) post(t *testing.T, path, key, idempotencyKey, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// nothingQueued asserts that no submission reached the queue.
func (e *commandEnv) nothingQueued(t *testing.T) {
	t.Helper()
	submits, enqueued := e.queue.counts()
	require.Zero(t, submits, "nothing is submitted")
	require.Zero(t, enqueued, "nothing is queued")
}

// fixtureBody reads a request of testdata and changes it with edit.
func fixtureBody(t *testing.T, name string, edit func(m map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	if edit == nil {
		return string(raw)
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	edit(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}

func locations(p problem) []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Location
	}
	return out
}

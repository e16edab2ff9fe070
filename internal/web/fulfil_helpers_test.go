package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

// fulBase is the fixtures' time.
var fulBase = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// fulEnv is a dashboard on a fresh SQLite store, with two workspaces
// (acme and globex) and a browser signed in to acme.
type fulEnv struct {
	t      *testing.T
	store  store.Store
	server *httptest.Server
	client *http.Client
}

var fulSeq atomic.Int64

func newFulEnv(t *testing.T, options ...func(*web.Config)) *fulEnv {
	t.Helper()
	s := sqlite.OpenTest(t)
	cfg := web.Config{
		Store: s,
		Keys:  []api.Key{{Workspace: "acme", Secret: "acme-key"}, {Workspace: "globex", Secret: "globex-key"}},
	}
	for _, o := range options {
		o(&cfg)
	}
	ui, err := web.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	c := web.SignedInClient(t, srv.URL, "acme-key")
	c.Timeout = 10 * time.Second
	return &fulEnv{t: t, store: s, server: srv, client: c}
}

// get fetches a dashboard path and returns the status and the body.
func (e *fulEnv) get(path string) (int, string) {
	e.t.Helper()
	return web.GetPage(e.t, e.client, e.server.URL+path)
}

// getOK fetches a page that must answer 200.
func (e *fulEnv) getOK(path string) string {
	e.t.Helper()
	code, body := e.get(path)
	require.Equal(e.t, http.StatusOK, code, "GET %s: %s", path, body)
	return body
}

// inTx runs fn in the pipeline's transaction, as a message being applied.
func (e *fulEnv) inTx(fn func(ctx context.Context, tx store.Tx) error) {
	e.t.Helper()
	n := web.InPipelineTx(e.t, e.store, 1, &model.InboxMessage{
		Workspace: "setup", Connection: "setup", Provider: "courier", Source: model.SourceWebhook, Topic: "setup",
		DedupKey: fmt.Sprintf("ful-%d", fulSeq.Add(1)), ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: fulBase,
	}, fn)
	require.Equal(e.t, 1, n)
}

// fulRowIDs returns the values of attr on the rows of the table with id table, in order.
func fulRowIDs(t *testing.T, body, table, attr string) []string {
	t.Helper()
	start := strings.Index(body, `<table id="`+table+`"`)
	require.NotEqual(t, -1, start, "table#%s is on the page", table)
	rest := body[start:]
	rest = rest[:strings.Index(rest, "</table>")]
	var ids []string
	for {
		i := strings.Index(rest, attr+`="`)
		if i < 0 {
			return ids
		}
		rest = rest[i+len(attr)+2:]
		ids = append(ids, rest[:strings.IndexByte(rest, '"')])
	}
}

func fulPtr[T any](v T) *T { return &v }

// fulHas checks that body holds each of wants, naming the first missing one
// without dumping the whole page.
func fulHas(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("the page lacks %q (%d bytes of page)", w, len(body))
		}
	}
}

// fulHasNot checks that body holds none of unwanted.
func fulHasNot(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Fatalf("the page holds %q", w)
		}
	}
}

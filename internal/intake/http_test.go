package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/registry"
)

// recordingInbox is an Inbox that keeps what it is given, or fails.
type recordingInbox struct {
	mu   sync.Mutex
	msgs []*model.InboxMessage
	keys map[string]int64
	err  error
}

func (r *recordingInbox) AppendInbox(_ context.Context, m *model.InboxMessage) (int64, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, false, r.err
	}
	if r.keys == nil {
		r.keys = map[string]int64{}
	}
	if id, ok := r.keys[m.DedupKey]; ok {
		return id, true, nil
	}
	r.msgs = append(r.msgs, m)
	id := int64(len(r.msgs))
	r.keys[m.DedupKey] = id
	return id, false, nil
}

func (r *recordingInbox) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func newReceiver(t testing.TB, inbox intake.Inbox) (*intake.HTTP, *int) {
	t.Helper()
	registry.RegisterAll()
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": "secret"}},
		{ID: "open", Provider: "courier"},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	committed := 0
	h, err := intake.NewHTTP(intake.HTTPConfig{Inbox: inbox, Connections: conns, MaxBodyBytes: 4096, Committed: func() { committed++ }})
	require.NoError(t, err)
	return h, &committed
}

func serve(h *intake.HTTP, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	h.Register(mux)
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

const goodQuery = "/hooks/acme/courier?order=ASK1&statuscode=take&statustime=20230719110649&status=PROCESSING"

func TestHTTPIntake(t *testing.T) {
	t.Parallel()
	key := map[string]string{"X-API-KEY": "secret"}
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		header     map[string]string
		storeErr   error
		wantStatus int
		wantStored int
	}{
		{"AcceptedMessageIsCommittedBeforeTheAnswer", http.MethodGet, goodQuery, "", key, nil, 200, 1},
		{"ConnectionWithoutKeyAcceptsAnyCaller", http.MethodGet, strings.Replace(goodQuery, "courier", "open", 1), "", nil, nil, 200, 1},
		{"StorageTroubleIs503SoTheProviderRetries", http.MethodGet, goodQuery, "", key, errors.New("disk full"), 503, 0},
		{"WrongKeyIs401", http.MethodGet, goodQuery, "", map[string]string{"X-API-KEY": "nope"}, nil, 401, 0},
		{"UnknownWorkspaceIs404", http.MethodGet, "/hooks/globex/courier?order=1", "", key, nil, 404, 0},
		{"MalformedJSONIs400", http.MethodPost, "/hooks/acme/courier", `{"order":`, map[string]string{"X-API-KEY": "secret", "Content-Type": "application/json"}, nil, 400, 0},
		{"BodyOverTheCapIs413", http.MethodPost, "/hooks/acme/courier", `{"order":"` + strings.Repeat("x", 5000) + `"}`, map[string]string{"X-API-KEY": "secret", "Content-Type": "application/json"}, nil, 413, 0},
		{"WrongMethodIs405", http.MethodDelete, goodQuery, "", key, nil, 405, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inbox := &recordingInbox{err: tt.storeErr}
			h, committed := newReceiver(t, inbox)
			rec := serve(h, tt.method, tt.target, tt.body, tt.header)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			require.Equal(t, tt.wantStored, inbox.count())
			require.Equal(t, tt.wantStored, *committed, "the pipeline is woken once per new message")
			if rec.Code != http.StatusOK {
				require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
				var p struct {
					Status int    `json:"status"`
					Title  string `json:"title"`
				}
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
				require.Equal(t, tt.wantStatus, p.Status)
			}
			if rec.Code == http.StatusServiceUnavailable {
				require.NotEmpty(t, rec.Header().Get("Retry-After"))
			}
		})
	}
}

func TestARetryIsAcknowledgedAsDuplicate(t *testing.T) {
	t.Parallel()
	inbox := &recordingInbox{}
	h, committed := newReceiver(t, inbox)
	key := map[string]string{"X-API-KEY": "secret"}
	first := serve(h, http.MethodGet, goodQuery, "", key)
	second := serve(h, http.MethodGet, goodQuery, "", key)
	require.Equal(t, 200, first.Code)
	require.Equal(t, 200, second.Code)
	require.JSONEq(t, `{"status":"accepted","id":1}`, first.Body.String())
	require.JSONEq(t, `{"status":"duplicate","id":1}`, second.Body.String())
	require.Equal(t, 1, inbox.count())
	require.Equal(t, 1, *committed)
	m := inbox.msgs[0]
	require.Equal(t, model.SourceWebhook, m.Source)
	require.Equal(t, "courier", m.Provider)
	require.NotContains(t, strings.ToLower(string(m.Body)+strings.Join(mapValues(m.Meta), "")), "secret", "credentials are never stored")
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// FuzzHTTPIntake throws arbitrary requests at the receiver: it must never
// panic, never answer 5xx while storage works, and store a message only
// when it answers 200.
func FuzzHTTPIntake(f *testing.F) {
	f.Add("GET", "order=ASK1&statuscode=take&statustime=20230719110649", "", "")
	f.Add("POST", "", `{"order":"ASK132456798","statuscode":"take","statustime":"20230719110649"}`, "application/json")
	f.Add("POST", "", `order=ASK1&statuscode=take&statustime=20230719110649`, "application/x-www-form-urlencoded")
	f.Add("POST", "", `<order/>`, "application/xml")
	inbox := &recordingInbox{}
	h, _ := newReceiver(f, inbox)
	f.Fuzz(func(t *testing.T, method, query, body, contentType string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			method = "POST"
		}
		before := inbox.count()
		mux := http.NewServeMux()
		h.Register(mux)
		req := httptest.NewRequest(method, "/hooks/acme/courier", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("X-API-KEY", "secret")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 500, rec.Body.String())
		if rec.Code != http.StatusOK {
			require.Equal(t, before, inbox.count(), "a refused request stores nothing")
		} else {
			require.Contains(t, rec.Body.String(), `"status"`)
		}
	})
}

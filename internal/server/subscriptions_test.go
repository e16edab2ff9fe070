package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
)

// wicsHooks is a Service Layer that keeps one login's subscriptions and
// lists nothing else.
type wicsHooks struct {
	mu   sync.Mutex
	urls map[string]string // url -> topic
}

func (h *wicsHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/webhook":
		data := []map[string]any{}
		if r.URL.Query().Get("page") == "1" {
			i := 0
			for u, tp := range h.urls {
				i++
				data = append(data, map[string]any{"id": i, "topic": tp, "url": u})
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 200, "message": "List of Webhooks", "success": true, "data": data})
	case r.Method == http.MethodPost && r.URL.Path == "/api/webhook":
		var b struct{ Topic, URL string }
		_ = json.NewDecoder(r.Body).Decode(&b)
		h.urls[b.URL] = b.Topic
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"code":200,"message":"Webhook registered","success":true,"data":["1"]}`))
	default: // the reconciliation's lists: empty
		_, _ = w.Write([]byte(`{"code":200,"message":"List of 0","success":true,"data":[]}`))
	}
}

func (h *wicsHooks) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for u, tp := range h.urls {
		out = append(out, tp+" "+u)
	}
	sort.Strings(out)
	return out
}

func TestAWICSConnectionsSubscriptionsAreMadeToMatchAtStart(t *testing.T) {
	t.Parallel()
	hooks := &wicsHooks{urls: map[string]string{}}
	wics := httptest.NewServer(hooks)
	t.Cleanup(wics.Close)
	dir := t.TempDir()
	raw := fmt.Sprintf(`
http: { listen: "127.0.0.1:0", public_url: "https://hub.example.com" }
database: %q
secrets_key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
workspaces:
  - id: acme
    api_keys: ["acme_api_key_0123456789"]
    connections:
      - { id: wics, provider: wics, base_url: %q, api_key: "key", api_secret: "secret", topics: [stock, orderstatus] }
`, "sqlite:"+filepath.Join(dir, "hub.db"), wics.URL)
	cfg, err := config.Parse([]byte(raw), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })

	want := []string{
		"ORDERSTATUS https://hub.example.com/hooks/acme/wics/orderstatus",
		"STOCK https://hub.example.com/hooks/acme/wics/stock",
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for len(hooks.list()) < len(want) {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("subscriptions at WICS: %v", hooks.list())
		}
	}
	require.Equal(t, want, hooks.list())
	require.NotNil(t, srv.Subscriptions)
}

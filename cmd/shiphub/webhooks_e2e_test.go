package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// merchantSecret signs the deliveries of the crash test's endpoint.
const merchantSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// merchant is a webhook receiver that verifies signatures, deduplicates by
// webhook-id as Standard Webhooks receivers should, and answers 500 until
// it is told to be healthy.
type merchant struct {
	*httptest.Server
	healthy  atomic.Bool
	requests atomic.Int64
	mu       sync.Mutex
	ids      map[string]bool
	counts   map[string]int // accepted requests per webhook-id
	bad      atomic.Int64
}

func newMerchant(t *testing.T) *merchant {
	m := &merchant{ids: map[string]bool{}, counts: map[string]int{}}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(merchantSecret, "whsec_"))
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(body)))
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			m.bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !m.healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		m.mu.Lock()
		m.ids[id] = true
		m.counts[id]++
		m.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(m.Close)
	return m
}

// duplicates lists the webhook-ids accepted more than once.
func (m *merchant) duplicates() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, n := range m.counts {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

func (m *merchant) distinct() map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]bool, len(m.ids))
	for k := range m.ids {
		out[k] = true
	}
	return out
}

// feedIDs pages through acme's whole event feed.
func feedIDs(t *testing.T, h *hub) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	after := int64(0)
	for {
		var page struct {
			Data      []struct{ ID int64 } `json:"data"`
			NextAfter int64                `json:"next_after"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/events?limit=500&after=%d", after), &page))
		for _, e := range page.Data {
			ids[fmt.Sprintf("evt_%d", e.ID)] = true
		}
		if len(page.Data) == 0 {
			return ids
		}
		after = page.NextAfter
	}
}

// TestCrashLosesNoWebhookDelivery kills the hub with SIGKILL while webhook
// deliveries are pending (the merchant is down and they are retrying).
// After a restart every feed event reaches the merchant at least once,
// correctly signed: the receiver counts distinct webhook-ids.
func TestCrashLosesNoWebhookDelivery(t *testing.T) {
	t.Parallel()
	m := newMerchant(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: "sqlite:%s"
log: { level: warn }
outbound:
  allow_private_networks: true
  retry_schedule: ["0s", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms", "100ms"]
  timeout: 500ms
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: courier, provider: courier, inbound_api_key: "${COURIER_KEY}" }
    endpoints:
      - { url: %q, events: ["shipment.*"], secret: %q }
`, filepath.Join(dir, "hub.db"), m.URL, merchantSecret)
	cfgPath := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	h := startHub(t, cfgPath)

	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 60 {
		msg := crashMessage{order: fmt.Sprintf("WH%05d", i), code: "take", statustime: base.Add(time.Duration(i) * time.Minute).Format("20060102150405")}
		status, body := do(t, http.MethodGet, h.URL+"/hooks/acme/courier?"+msg.query(), courierHeader, "")
		require.Equal(t, http.StatusOK, status, "%s", body)
	}
	eventually(t, 30*time.Second, "deliveries being attempted", func() bool { return m.requests.Load() >= 100 })
	// Each message is a new shipment: created, event_added, status_changed.
	// Wait for the pipeline to have written all of them before the crash.
	var want map[string]bool
	eventually(t, 30*time.Second, "the whole feed", func() bool { want = feedIDs(t, h); return len(want) >= 3*60 })
	require.Len(t, want, 3*60)
	h.kill(t)
	require.Empty(t, m.distinct(), "nothing was accepted before the crash")

	m.healthy.Store(true)
	h = startHub(t, cfgPath)
	eventually(t, 60*time.Second, "every event delivered after the restart", func() bool { return len(m.distinct()) >= len(want) })
	require.Equal(t, want, m.distinct(), "exactly the feed's events, each at least once")
	require.Zero(t, m.bad.Load(), "every request carried a valid signature")

	var failed struct {
		Data []any `json:"data"`
	}
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/deliveries?status=failed", &failed))
	require.Empty(t, failed.Data)
}

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/postgres"
)

// TestTwoInstancesOnePostgres runs two hub processes on one PostgreSQL
// database behind a client that spreads load over both and fails over to
// the survivor, kills one with SIGKILL mid-way, and checks that every
// acknowledged message is applied exactly once.
func TestTwoInstancesOnePostgres(t *testing.T) {
	t.Parallel()
	database := postgres.TestDatabase(t)
	cfgPath := writeConfig(t, t.TempDir(), database)
	hubs := []*hub{startHub(t, cfgPath), startHub(t, cfgPath)}
	var dead atomic.Bool // hubs[0] was killed

	const senders = 16
	codes := []string{"take", "DEPOT_OUT"}
	base := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	var (
		mu    sync.Mutex
		sent  []crashMessage // acknowledged, or retried on the survivor below
		retry []crashMessage
		acked atomic.Int64
		wg    sync.WaitGroup
	)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; seq < 300; seq++ {
				m := crashMessage{
					order:      fmt.Sprintf("ASK%02d%07d", s, seq/2),
					code:       codes[seq%2],
					statustime: base.Add(time.Duration(seq) * time.Minute).Format("20060102150405"),
				}
				h := hubs[(s+seq)%2]
				if dead.Load() {
					h = hubs[1]
				}
				req, _ := http.NewRequest(http.MethodGet, h.URL+"/hooks/acme/courier?"+m.query(), nil)
				req.Header.Set("X-API-KEY", courierKey)
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					sent = append(sent, m)
					acked.Add(1)
				} else {
					retry = append(retry, m) // no answer: the provider tries again later
				}
				mu.Unlock()
			}
		}()
	}
	eventually(t, 60*time.Second, "1000 acknowledged messages", func() bool { return acked.Load() >= 1000 })
	hubs[0].kill(t)
	dead.Store(true)
	wg.Wait()
	t.Logf("acknowledged %d messages over two instances, %d to retry after one was killed", len(sent), len(retry))

	survivor := hubs[1]
	for _, m := range retry {
		status, body := do(t, http.MethodGet, survivor.URL+"/hooks/acme/courier?"+m.query(), courierHeader, "")
		require.Equal(t, http.StatusOK, status, "%s", body)
	}
	want := expectedCodes(append(sent, retry...))
	require.Equal(t, want, waitApplied(t, survivor, want, 90*time.Second), "every acknowledged message applied exactly once")
}

// TestTwoInstancesDeliverEachEventOnce runs two hub processes on one
// PostgreSQL database with a merchant endpoint, spreads inbound load over
// both, and checks that both delivery workers together send every event
// exactly once: claims are exclusive, so no event goes out from two
// instances.
func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	m := newMerchant(t)
	m.healthy.Store(true)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
outbound:
  allow_private_networks: true
  retry_schedule: ["0s", "100ms", "200ms", "400ms"]
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: courier, provider: courier, inbound_api_key: "${COURIER_KEY}" }
    endpoints:
      - { url: %q, events: ["*"], secret: %q }
`, postgres.TestDatabase(t), m.URL, merchantSecret)
	cfgPath := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	hubs := []*hub{startHub(t, cfgPath), startHub(t, cfgPath)}

	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	failures := make(chan error, 8*40)
	for s := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				msg := crashMessage{order: fmt.Sprintf("MI%02d%04d", s, i/2), code: []string{"take", "DELIVERED"}[i%2],
					statustime: base.Add(time.Duration(i) * time.Minute).Format("20060102150405")}
				status, body, err := tryDo(http.MethodGet, hubs[i%2].URL+"/hooks/acme/courier?"+msg.query(), courierHeader, "")
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("message %s: status %d: %s", msg.order, status, body)
				}
				if err != nil {
					failures <- err
				}
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		require.NoError(t, err, "every message is acknowledged")
	}
	// Every message is one event; once all are applied the feed is final.
	sent := map[string][]string{}
	for s := range 8 {
		for i := 0; i < 20; i++ {
			sent[fmt.Sprintf("MI%02d%04d", s, i)] = []string{"DELIVERED", "take"}
		}
	}
	require.Equal(t, sent, waitApplied(t, hubs[1], sent, 60*time.Second))
	feed := feedIDs(t, hubs[0])
	eventually(t, 60*time.Second, "every event delivered", func() bool { return len(m.distinct()) >= len(feed) })
	require.Equal(t, feed, m.distinct(), "every event of the feed reached the merchant")
	require.Empty(t, m.duplicates(), "no event was sent twice")
	require.Zero(t, m.bad.Load())
}

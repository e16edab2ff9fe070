package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

// The Active Ants login of the end-to-end tests.
const (
	aaUser     = "shop-e2e"
	aaPassword = "aa-e2e-pass-0123"
)

// aaSim is an Active Ants simulator served over real HTTP in the test
// process, behind a gate that counts raw paths and can hold one path's
// requests, so that a test can kill the hub at a chosen moment of a sync.
type aaSim struct {
	*activeantssim.Sim
	URL string

	mu    sync.Mutex
	paths map[string]int // "METHOD /raw/path" → requests
	hold  string         // "METHOD /path" to hold; "" for none
	held  chan struct{}  // closed when a held request arrived
	free  chan struct{}  // closed to answer the held requests with 503
}

// startAASim builds and serves a simulator; cfg's login is set.
func startAASim(t *testing.T, cfg activeantssim.Config) *aaSim {
	t.Helper()
	cfg.Username, cfg.Password = aaUser, aaPassword
	sim, err := activeantssim.New(cfg)
	require.NoError(t, err)
	s := &aaSim{Sim: sim, paths: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// ServeHTTP counts the request, holds it when its path is held, and hands
// it to the simulator otherwise.
func (s *aaSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + strings.ToLower(r.URL.Path)
	s.mu.Lock()
	s.paths[key]++
	hold := s.hold != "" && key == s.hold
	held, free := s.held, s.free
	s.mu.Unlock()
	if hold {
		select {
		case <-held:
		default:
			close(held)
		}
		<-free
		http.Error(w, "held", http.StatusServiceUnavailable)
		return
	}
	s.Sim.ServeHTTP(w, r)
}

// holdPath makes every request "METHOD /path" wait, unanswered by the
// simulator, until release; it returns a channel closed when the first
// arrives.
func (s *aaSim) holdPath(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold, s.held, s.free = key, make(chan struct{}), make(chan struct{})
	return s.held
}

// release answers the held requests with 503 (the simulator never sees
// them) and stops holding.
func (s *aaSim) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free != nil {
		close(s.free)
	}
	s.hold, s.free = "", nil
}

// count is how many requests "METHOD /raw/path" arrived.
func (s *aaSim) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[key]
}

// aaConfig is the hub's configuration: workspace acme with the Active Ants
// connection "aa" against base, with extra settings (YAML flow pairs).
func aaConfig(t *testing.T, dir, database, base, password, extra string) string {
	t.Helper()
	if extra != "" {
		extra = ", " + extra
	}
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: aa, provider: activeants, base_url: %q, username: %q, password: %q%s }
`, database, base, aaUser, password, extra)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// aaFast are the settings of a connection to a simulator whose warehouse
// runs 360 times faster: a sync every 1s of real time, stock too, and
// track-trace every 61 warehouse minutes (10.2s): an hour and a margin,
// so that the simulator's own "too soon" count, on its clock, does not
// depend on a request's latency.
const aaFast = `speed: 360, sync_interval: 1m, stock_interval: 1m, track_trace_interval: 61m, settings_refresh: 1h`

// hubShipments lists the acme workspace's shipments of the aa connection,
// by provider_ref, failing on a doubled one.
func hubShipments(t *testing.T, h *hub) map[string]model.Shipment {
	t.Helper()
	out := map[string]model.Shipment{}
	for _, s := range listAll(t, h) {
		if s.Connection != "aa" {
			continue
		}
		_, dup := out[s.ProviderRef]
		require.False(t, dup, "shipment %s is listed twice", s.ProviderRef)
		out[s.ProviderRef] = s
	}
	return out
}

// requireEachShipmentOnceAndMarked checks the hub against the simulator:
// every shipment of the warehouse is in the hub once, and marked synced at
// the warehouse exactly once.
func requireEachShipmentOnceAndMarked(t *testing.T, h *hub, sim *aaSim) map[string]model.Shipment {
	t.Helper()
	want := sim.Shipments()
	require.NotEmpty(t, want)
	var got map[string]model.Shipment
	// A hub killed holds the connection's lease for its TTL (15s): the
	// next one waits that long.
	eventually(t, 45*time.Second, "every shipment in the hub and marked", func() bool {
		got = hubShipments(t, h)
		_, unsynced := sim.ShipmentCounts()
		return len(got) == len(want) && unsynced == 0
	})
	for _, w := range sim.Shipments() {
		s, ok := got[fmt.Sprint(w.ID)]
		require.True(t, ok, "shipment %d is in the hub", w.ID)
		require.Equal(t, w.ExternalOrderNumber, s.OrderReference)
		require.Contains(t, w.PackageNumbers, s.TrackingNumber, "the first collo's package number")
		require.True(t, w.Synced, "shipment %d is marked synced", w.ID)
		require.Equal(t, 1, w.Syncs, "shipment %d is marked once", w.ID)
	}
	return got
}

// steady checks cond on every tick for d and fails the first time it does
// not hold: how a test shows that something does not happen.
func steady(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		require.True(t, cond(), what)
		<-tick.C
	}
}

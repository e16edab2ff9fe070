package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ownCluster is a throwaway PostgreSQL cluster that one test creates,
// restarts and drops; never the machine's main cluster.
type ownCluster struct {
	version, name string
	port          int
}

// newOwnCluster creates and starts a cluster on a free port with trust
// authentication on loopback (Debian's pg_createcluster), and drops it when
// the test ends. It skips when the tools are missing or the test is not
// root, except under CI, where it fails.
func newOwnCluster(t *testing.T) *ownCluster {
	t.Helper()
	requireRoot(t, "a PostgreSQL cluster of the test's own")
	if _, err := exec.LookPath("pg_createcluster"); err != nil {
		skipOrFail(t, "pg_createcluster is not installed: %v", err)
	}
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		skipOrFail(t, "no PostgreSQL server under /usr/lib/postgresql")
	}
	sort.Slice(initdbs, func(i, j int) bool { return versionOf(initdbs[i]) > versionOf(initdbs[j]) })
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	c := &ownCluster{version: strconv.Itoa(versionOf(initdbs[0])), name: "shiphub_" + hex.EncodeToString(raw[:]), port: freePort(t)}
	out, err := exec.Command("pg_createcluster", c.version, c.name, "-p", strconv.Itoa(c.port),
		"-o", "fsync=off", "--", "--auth=trust").CombinedOutput()
	t.Cleanup(func() {
		if out, err := exec.Command("pg_dropcluster", "--stop", c.version, c.name).CombinedOutput(); err != nil {
			t.Errorf("dropping cluster %s: %v: %s", c.name, err, out)
		}
	})
	require.NoError(t, err, "creating cluster %s: %s", c.name, out)
	c.ctl(t, "start")
	return c
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// freePort returns a TCP port nothing listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the cluster's postgres database.
func (c *ownCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", c.port)
}

// ctl runs pg_ctlcluster with action (start, stop, restart) and its options.
func (c *ownCluster) ctl(t *testing.T, action string, opts ...string) {
	t.Helper()
	// Never through systemd: the cluster is the test's, not the machine's.
	args := append([]string{"--skip-systemctl-redirect", c.version, c.name, action}, opts...)
	out, err := exec.Command("pg_ctlcluster", args...).CombinedOutput()
	require.NoError(t, err, "pg_ctlcluster %v: %s", args, out)
}

// withEndpoint adds a merchant endpoint at url, signed with merchantSecret
// and retried quickly, to the configuration at path.
func withEndpoint(t *testing.T, path, url string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	cfg := strings.Replace(string(raw), "    connections:\n      - { id: courier, provider: courier, inbound_api_key",
		fmt.Sprintf("    endpoints:\n      - { url: %q, events: [\"*\"], secret: %q }\n    connections:\n      - { id: courier, provider: courier, inbound_api_key", url, merchantSecret), 1)
	cfg = strings.Replace(cfg, "log: { level: warn }\n", "log: { level: warn }\noutbound: { allow_private_networks: true, retry_schedule: [\"0s\", \"100ms\", \"200ms\", \"500ms\", \"1s\", \"2s\", \"5s\", \"5s\", \"5s\", \"5s\"] }\n", 1)
	require.NotEqual(t, string(raw), cfg)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// TestPostgresRestartUnderLoad stops, starts and restarts the hub's
// PostgreSQL while providers keep sending. While the database is down the
// hub answers 503 with Retry-After (and /readyz says so); it reconnects by
// itself when the database is back; once the providers have retried what was
// refused, every acknowledged message is applied exactly once, and the feed
// has one shipment.created per shipment.
func TestPostgresRestartUnderLoad(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates a PostgreSQL cluster")
	}
	pg := newOwnCluster(t)
	m := newMerchant(t)
	m.healthy.Store(true)
	h := startHub(t, withEndpoint(t, writeConfig(t, t.TempDir(), pg.URL()), m.URL))
	load := newFaultLoad("PGR")

	// Eight providers at a steady 500 messages a second in all: load
	// enough to have commits in flight at every fault, little enough for a
	// shared test machine.
	stop := make(chan struct{})
	pace := time.NewTicker(2 * time.Millisecond)
	defer pace.Stop()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-pace.C:
				}
				load.send(h, load.next())
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	counts := func() (acked, refused int) {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.acked), load.refusedCount
	}
	ackedSince := func(n int, what string) {
		a0, _ := counts()
		eventually(t, 60*time.Second, what, func() bool { a, _ := counts(); return a >= a0+n })
	}
	ackedSince(100, "100 acknowledged messages before the fault")

	// Down: refused with 503 and Retry-After until it is back.
	pg.ctl(t, "stop", "-m", "fast")
	_, r0 := counts()
	eventually(t, 30*time.Second, "503 answers while PostgreSQL is down", func() bool { _, r := counts(); return r >= r0+20 })
	status, _ := do(t, http.MethodGet, h.URL+"/readyz", nil, "")
	require.Equal(t, http.StatusServiceUnavailable, status, "not ready while the database is down")
	status, body := do(t, http.MethodGet, h.URL+"/api/v1/shipments?limit=1", map[string]string{"Authorization": "Bearer " + acmeKey}, "")
	require.Equal(t, http.StatusServiceUnavailable, status, "the merchant API says so too: %s", body)
	pg.ctl(t, "start")
	ackedSince(100, "acknowledgements again after PostgreSQL is back")
	eventually(t, 30*time.Second, "ready again", func() bool {
		status, _ := do(t, http.MethodGet, h.URL+"/readyz", nil, "")
		return status == http.StatusOK
	})

	// A restart in one step, and one that aborts sessions like a crash.
	pg.ctl(t, "restart", "-m", "fast")
	ackedSince(100, "acknowledgements after a restart")
	pg.ctl(t, "restart", "-m", "immediate")
	ackedSince(100, "acknowledgements after an immediate restart")
	close(stop)
	wg.Wait()

	load.retryRefused(t, h, 60*time.Second)
	load.requireRetryAfter(t)
	load.mu.Lock()
	unexpected := load.unexpected
	load.mu.Unlock()
	require.Empty(t, unexpected, "every answer was 200 or 503 with a problem body")

	want := load.expected()
	a, r := counts()
	t.Logf("%d acknowledged (%d shipments), %d refused with 503 and retried", a, len(want), r)
	require.Equal(t, want, waitApplied(t, h, want, 120*time.Second), "every acknowledged message applied exactly once")

	created := map[int64]int{}
	after := int64(0)
	for {
		var page struct {
			Data []struct {
				Type      string `json:"type"`
				SubjectID int64  `json:"subject_id"`
			} `json:"data"`
			NextAfter int64 `json:"next_after"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/events?limit=500&after=%d", after), &page))
		if len(page.Data) == 0 {
			break
		}
		for _, e := range page.Data {
			if e.Type == "shipment.created" {
				created[e.SubjectID]++
			}
		}
		after = page.NextAfter
	}
	require.Len(t, created, len(want), "one shipment.created per shipment in the feed")
	for id, n := range created {
		require.Equal(t, 1, n, "shipment %d created once in the feed", id)
	}

	// The merchant got every event of the feed (a delivery whose outcome
	// could not be recorded during the outage is sent again, with the same
	// webhook-id, which receivers deduplicate), each correctly signed with
	// the endpoint secret the hub keeps sealed.
	feed := feedIDs(t, h)
	eventually(t, 120*time.Second, "every feed event delivered", func() bool { return len(m.distinct()) >= len(feed) })
	require.Equal(t, feed, m.distinct(), "the merchant got exactly the feed's events")
	require.Zero(t, m.bad.Load(), "every delivery correctly signed")
	if os.Getenv("SHIPHUB_FAULT_LOGS") != "" {
		t.Logf("hub log:\n%s", h.out.String())
	}
	if t.Failed() {
		out, _ := os.ReadFile(fmt.Sprintf("/var/log/postgresql/postgresql-%s-%s.log", pg.version, pg.name))
		t.Logf("postgres log:\n%s", out)
	}
}

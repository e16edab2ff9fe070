package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// The rate limits end to end: the real binary sends merchants' commands to
// the WICS simulator in this process, whose counters (Limits) say what
// arrived in every sliding minute. The simulator runs limSpeed times as
// fast as the wall clock and the hub's connections are given rate_window
// 60s/limSpeed, so both agree what a minute is and WICS's blocks of 1, 5
// and 15 minutes shrink alike.

// limSpeed compresses a minute into six seconds: fast enough for a burst
// of 1,000 commands in well under a minute of wall time (147 a window is
// about 25 a second), slow enough that the budget's margin of 2 % of a
// window (120 ms of wall time) covers the jitter of a loaded machine.
const limSpeed = 10

// limWindow is the hub's rate_window for limSpeed.
var limWindow = time.Duration(float64(time.Minute) / limSpeed)

// limConn is one wics connection of a limits test's configuration.
type limConn struct {
	workspace, id string
	key, secret   string
	// extra is more of the connection's settings in YAML flow style,
	// e.g. `reconcile: true`.
	extra string
}

// startLimSim starts a WICS simulator with the logins of conns, at speed
// (limSpeed when 0), and returns it and its base URL.
func startLimSim(t *testing.T, speed float64, cfg wicssim.ServerConfig, conns ...limConn) (*wicssim.Server, string) {
	t.Helper()
	if speed == 0 {
		speed = limSpeed
	}
	seen := map[string]bool{}
	for _, c := range conns {
		if !seen[c.key] {
			cfg.Users = append(cfg.Users, wicssim.User{Key: c.key, Secret: c.secret})
			seen[c.key] = true
		}
	}
	cfg.Speed = speed
	sim, err := wicssim.NewServer(cfg)
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim, base
}

// writeLimConfig writes a hub configuration with the connections conns,
// grouped into their workspaces, all against the simulator at base, with
// rate_window window. Every workspace's API key is acmeKey's form with its
// id (limKey). extra is appended at the top level (a commands: section).
func writeLimConfig(t *testing.T, dir, database, base string, window time.Duration, extra string, conns ...limConn) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
%s
workspaces:
`, database, extra)
	var order []string
	byWS := map[string][]limConn{}
	for _, c := range conns {
		if byWS[c.workspace] == nil {
			order = append(order, c.workspace)
		}
		byWS[c.workspace] = append(byWS[c.workspace], c)
	}
	for _, ws := range order {
		fmt.Fprintf(&b, "  - id: %s\n    api_keys: [%q]\n    connections:\n", ws, limKey(ws))
		for _, c := range byWS[ws] {
			settings := fmt.Sprintf("id: %s, provider: wics, base_url: %q, api_key: %q, api_secret: %q, rate_window: %q, manage_subscriptions: false",
				c.id, base, c.key, c.secret, window.String())
			if !strings.Contains(c.extra, "reconcile:") {
				settings += ", reconcile: false"
			}
			if c.extra != "" {
				settings += ", " + c.extra
			}
			fmt.Fprintf(&b, "      - { %s }\n", settings)
		}
	}
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// limKey is the merchant API key of a limits test's workspace.
func limKey(workspace string) string {
	if workspace == "acme" {
		return acmeKey
	}
	return workspace + "_api_key_0123456789"
}

// limOrder is the body of POST /api/v1/orders for one order of a seeded
// item of the simulator.
func limOrder(connection, reference string) string {
	b, _ := json.Marshal(map[string]any{
		"connection": connection,
		"reference":  reference,
		"lines":      []map[string]any{{"sku": "16080", "quantity": 1}},
		"delivery_address": map[string]any{
			"first_name": "Hans", "last_name": "de Groot", "street": "Concordiaweg", "house_number": "157",
			"postcode": "4206BK", "city": "Gorinchem", "country": "NL", "email": "info@wics.nl",
		},
		"delivery_date": time.Now().AddDate(0, 0, 2).Format(time.DateOnly),
	})
	return string(b)
}

// postOrders posts n orders prefix-0 … prefix-(n-1) to connection of
// workspace, from workers goroutines at once, and returns their command
// ids by reference. Every answer must be 202.
func postOrders(t *testing.T, h *hub, workspace, connection, prefix string, n, workers int) map[string]int64 {
	t.Helper()
	var (
		mu   sync.Mutex
		ids  = map[string]int64{}
		errs []error
		wg   sync.WaitGroup
		next = make(chan int)
	)
	header := map[string]string{"Authorization": "Bearer " + limKey(workspace), "Content-Type": "application/json"}
	for range workers {
		wg.Go(func() {
			for i := range next {
				ref := fmt.Sprintf("%s-%d", prefix, i)
				status, body, err := tryDo(http.MethodPost, h.URL+"/api/v1/orders", header, limOrder(connection, ref))
				var oc struct {
					Command model.Command `json:"command"`
				}
				if err == nil && status != http.StatusAccepted {
					err = fmt.Errorf("POST order %s: status %d: %s", ref, status, body)
				}
				if err == nil {
					err = json.Unmarshal(body, &oc)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ids[ref] = oc.Command.ID
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	require.Empty(t, errs, "every order is accepted")
	require.Len(t, ids, n)
	return ids
}

// commandCounts counts workspace's commands by status.
func commandCounts(t *testing.T, h *hub, workspace string) map[model.CommandStatus]int {
	t.Helper()
	counts := map[model.CommandStatus]int{}
	for _, st := range model.CommandStatuses {
		cursor := ""
		for {
			var p page[model.Command]
			path := "/api/v1/commands?limit=200&status=" + string(st)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			require.Equal(t, http.StatusOK, apiGet(t, h, limKey(workspace), path, &p), path)
			counts[st] += len(p.Data)
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
	}
	return counts
}

// waitSucceeded waits until n commands have succeeded, counted by the
// hubs' shiphub_command_attempts_total (cheap to read while the hubs
// work), and then confirms through GET /commands of the workspaces that n
// succeeded and none is dead.
func waitSucceeded(t *testing.T, hubs []*hub, workspaces []string, n int, timeout time.Duration) {
	t.Helper()
	h := hubs[0]
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0.0
		for _, x := range hubs {
			v, _ := metricSum(t, x, "shiphub_command_attempts_total", `outcome="succeeded"`)
			done += v
		}
		dead := 0.0
		for _, x := range hubs {
			v, _ := metricSum(t, x, "shiphub_command_attempts_total", `outcome="dead"`)
			dead += v
		}
		require.Zero(t, dead, "no command dies")
		if int(done) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %d commands to succeed; %v succeeded, by status %v", timeout, n, done, commandCounts(t, h, workspaces[0]))
		}
		<-tick.C
	}
	counts := map[model.CommandStatus]int{}
	for _, ws := range workspaces {
		for st, c := range commandCounts(t, h, ws) {
			counts[st] += c
		}
	}
	require.GreaterOrEqual(t, counts[model.CommandSucceeded], n, "by status: %v", counts)
	require.Zero(t, counts[model.CommandDead], "by status: %v", counts)
}

// metricSum reads the hub's /metrics and sums the series of name whose
// labels contain every one of labels (`key="value"`).
func metricSum(t *testing.T, h *hub, name string, labels ...string) (float64, bool) {
	t.Helper()
	status, body := do(t, http.MethodGet, h.URL+"/metrics", nil, "")
	require.Equal(t, http.StatusOK, status)
	sum, found := 0.0, false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(series, l)
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		require.NoError(t, err, line)
		sum, found = sum+v, true
	}
	return sum, found
}

// connectionsOf reads GET /api/v1/connections of workspace.
func connectionsOf(t *testing.T, h *hub, workspace string) map[string]*model.ConnectionStatus {
	t.Helper()
	var list struct {
		Data []*model.ConnectionStatus `json:"data"`
	}
	require.Equal(t, http.StatusOK, apiGet(t, h, limKey(workspace), "/api/v1/connections", &list))
	out := map[string]*model.ConnectionStatus{}
	for _, c := range list.Data {
		out[c.ID] = c
	}
	return out
}

// requireWithinLimits checks the simulator's counters of key: at most 150
// requests arrived in any sliding minute, none was refused and the login
// was never blocked.
func requireWithinLimits(t *testing.T, sim *wicssim.Server, key string) wicssim.UserStats {
	t.Helper()
	st := sim.Limits(key)
	require.LessOrEqual(t, st.MaxPerMinute, wicssim.DefaultPerMinute, "requests arrived in a sliding minute: %+v", st)
	require.LessOrEqual(t, st.MaxServedPerMinute, wicssim.DefaultPerMinute)
	require.Zero(t, st.Refused, "no request refused: %+v", st)
	require.Empty(t, st.Blocks, "the login was never blocked")
	return st
}

// TestLimitsBurstOf1000Commands posts 1,000 orders at once: every command
// succeeds, every order is at the simulator once, and the simulator never
// saw more than 150 requests in a sliding minute, refused none and blocked
// no one.
func TestLimitsBurstOf1000Commands(t *testing.T) {
	t.Parallel()
	conn := limConn{workspace: "acme", id: "wics", key: "burst-key", secret: "burst-secret-0123"}
	sim, base := startLimSim(t, 0, wicssim.ServerConfig{ProgressStep: -1}, conn)
	dir := t.TempDir()
	h := startHub(t, writeLimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, limWindow, "", conn))

	const n = 1000
	start := time.Now()
	ids := postOrders(t, h, "acme", "wics", "BURST", n, 32)
	posted := time.Since(start)
	waitSucceeded(t, []*hub{h}, []string{"acme"}, n, 3*time.Minute)
	took := time.Since(start)

	for ref := range ids {
		require.Equal(t, 1, sim.OrderCount(ref), "order %s at the simulator once", ref)
	}
	st := requireWithinLimits(t, sim, conn.key)
	require.GreaterOrEqual(t, st.Served, int64(n), "one request an order at least")
	simMinutes := took.Minutes() * limSpeed
	t.Logf("%d orders posted in %s, all sent in %s (%.1f simulated minutes): %d requests, at most %d in a sliding minute, %.0f commands a simulated minute",
		n, posted.Round(time.Millisecond), took.Round(time.Millisecond), simMinutes, st.Served, st.MaxPerMinute, n/simMinutes)
}

// arrivals records when each request reached the simulator (wall time),
// in front of it, so that a test can tell what the hub sent when.
type arrivals struct {
	next http.Handler
	mu   sync.Mutex
	at   []arrival
}

type arrival struct {
	at     time.Time
	method string
	path   string
	query  string
	status int
	// reference is an order's reference, of a POST /api/order.
	reference string
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var ref string
	if r.Method == http.MethodPost && r.URL.Path == "/api/order" {
		body, _ := io.ReadAll(r.Body)
		var o struct {
			Reference string `json:"reference"`
		}
		_ = json.Unmarshal(body, &o)
		ref = o.Reference
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	a.next.ServeHTTP(rec, r)
	a.mu.Lock()
	a.at = append(a.at, arrival{at: at, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, status: rec.status, reference: ref})
	a.mu.Unlock()
}

func (a *arrivals) list() []arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]arrival(nil), a.at...)
}

// startRecordedSim is startLimSim behind arrivals.
func startRecordedSim(t *testing.T, speed float64, cfg wicssim.ServerConfig, conns ...limConn) (*wicssim.Server, *arrivals, string) {
	t.Helper()
	sim, _ := startLimSim(t, speed, cfg, conns...)
	rec := &arrivals{next: sim}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return sim, rec, srv.URL
}

// TestLimitsBlockedLoginBacksOff blocks the hub's login at the simulator,
// as another system on the same login would, while merchants' orders
// wait: the hub meets the block once, shows it in GET /connections and
// its metrics, sends nothing more until the block its request extended
// has ended, and then sends every order.
func TestLimitsBlockedLoginBacksOff(t *testing.T) {
	t.Parallel()
	const speed = 20 // five minutes in 15 s
	window := time.Minute / speed
	conn := limConn{workspace: "acme", id: "wics", key: "blocked-key", secret: "blocked-secret-0123"}
	sim, rec, base := startRecordedSim(t, speed, wicssim.ServerConfig{ProgressStep: -1}, conn)
	dir := t.TempDir()
	h := startHub(t, writeLimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, window, "", conn))
	eventually(t, 10*time.Second, "the first health check", func() bool {
		return connectionsOf(t, h, "acme")["wics"].Health.Status == "healthy"
	})

	sim.Block(conn.key, 1)
	blockedAt := time.Now()
	const n = 20
	ids := postOrders(t, h, "acme", "wics", "BLOCKED", n, 4)

	// The hub meets the block and shows it.
	var cs *model.ConnectionStatus
	eventually(t, 10*time.Second, "blocked_until in GET /connections", func() bool {
		cs = connectionsOf(t, h, "acme")["wics"]
		return cs.Budget != nil && cs.Budget.BlockedUntil != nil
	})
	require.True(t, cs.Budget.BlockedUntil.After(time.Now()), "the block lies ahead: %v", cs.Budget.BlockedUntil)
	require.Positive(t, cs.Budget.Violations)
	until, ok := metricSum(t, h, "shiphub_rate_blocked_until_seconds")
	require.True(t, ok, "the metric is served")
	require.InDelta(t, float64(cs.Budget.BlockedUntil.UnixMilli())/1000, until, 1, "the metric is the block's end")

	waitSucceeded(t, []*hub{h}, []string{"acme"}, n, 2*time.Minute)
	for ref := range ids {
		require.Equal(t, 1, sim.OrderCount(ref), "order %s at the simulator once", ref)
	}

	st := sim.Limits(conn.key)
	t.Logf("simulator: %d requests, %d refused, blocks %+v", st.Requests, st.Refused, st.Blocks)
	// The hub's first request meets the block (it cannot know of it) and,
	// as the document says, extends it to the second level; after that it
	// sends nothing until that block has ended.
	require.EqualValues(t, 1, st.Refused, "one request met the block, none was sent during it after: %+v", st.Blocks)
	require.Len(t, st.Blocks, 2, "the hook's block and the one the first refused request extended it to")
	require.Equal(t, 2, st.Blocks[1].Level)
	var refused time.Time
	for _, a := range rec.list() {
		switch {
		case a.status == http.StatusTooManyRequests:
			refused = a.at
		case !refused.IsZero():
			require.GreaterOrEqual(t, a.at.Sub(refused), 5*window,
				"the next request (%s %s) comes after the second level's five minutes", a.method, a.path)
			t.Logf("refused at %s after the block; the next request %s later (%.1f simulated minutes)",
				refused.Sub(blockedAt).Round(time.Millisecond), a.at.Sub(refused).Round(time.Millisecond), a.at.Sub(refused).Minutes()*speed)
			refused = time.Time{}
		}
	}
}

// TestLimitsHubEscalatesOnItsOwn429s answers the hub's order requests 429
// three times running, without naming a level: the hub backs off by the
// document's escalation, one, five and fifteen (compressed) minutes, shows
// each level in GET /connections and its metrics, and then sends the order.
func TestLimitsHubEscalatesOnItsOwn429s(t *testing.T) {
	t.Parallel()
	const speed = 60 // a minute in a second
	window := time.Minute / speed
	conn := limConn{workspace: "acme", id: "wics", key: "escalate-key", secret: "escalate-secret-0123"}
	sim, rec, base := startRecordedSim(t, speed, wicssim.ServerConfig{ProgressStep: -1}, conn)
	dir := t.TempDir()
	h := startHub(t, writeLimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, window,
		`commands: { poll_interval: 50ms }`, conn))
	eventually(t, 10*time.Second, "the first health check", func() bool {
		return connectionsOf(t, h, "acme")["wics"].Health.Status == "healthy"
	})
	sim.InjectFault(wicssim.Fault{Path: "/api/order", Status: http.StatusTooManyRequests, Times: 3})
	ids := postOrders(t, h, "acme", "wics", "ESCALATE", 1, 1)

	// Each level shows while it lasts.
	seen := map[int]bool{}
	eventually(t, 40*time.Second, "the order sent after three blocks", func() bool {
		if b := connectionsOf(t, h, "acme")["wics"].Budget; b != nil && b.BlockedUntil != nil {
			seen[b.Violations] = true
		}
		return sim.OrderCount("ESCALATE-0") == 1
	})
	waitSucceeded(t, []*hub{h}, []string{"acme"}, 1, 10*time.Second)
	require.Len(t, ids, 1)
	require.Equal(t, map[int]bool{1: true, 2: true, 3: true}, seen, "GET /connections showed every level")
	blocks, ok := metricSum(t, h, "shiphub_rate_blocks_total")
	require.True(t, ok)
	require.Equal(t, 3.0, blocks, "three blocks counted")

	var refused []time.Time
	var sent time.Time
	for _, a := range rec.list() {
		if !strings.HasPrefix(a.path, "/api/order") {
			continue
		}
		if a.status == http.StatusTooManyRequests {
			refused = append(refused, a.at)
		} else if len(refused) == 3 && sent.IsZero() {
			sent = a.at
		}
	}
	require.Len(t, refused, 3)
	require.False(t, sent.IsZero(), "the order was sent after the third refusal")
	gaps := []time.Duration{refused[1].Sub(refused[0]), refused[2].Sub(refused[1]), sent.Sub(refused[2])}
	for i, want := range []time.Duration{window, 5 * window, 15 * window} {
		require.GreaterOrEqual(t, gaps[i], want, "block %d lasts its level's length", i+1)
		require.Less(t, gaps[i], want+5*time.Second, "block %d is not much longer than its level", i+1)
	}
	t.Logf("waits after the three 429s: %v (a minute is %s)", gaps, window)
}

// TestLimitsCommandsGoBeforeReconciliation starts a hub on a warehouse of
// 10,000 orders it does not know, so that its first reconciliation lists
// them all at background priority, and posts orders meanwhile: each
// command is sent within a few of the budget's intervals, while the
// listing goes on around them. (The queue polls every 100 ms here: River
// is not told of a job inserted in a transaction, so a new command waits
// up to commands.poll_interval before a worker takes it.)
func TestLimitsCommandsGoBeforeReconciliation(t *testing.T) {
	t.Parallel()
	const speed = 5 // a minute in 12 s: the listing's 101 pages take about 8 s
	window := time.Minute / speed
	conn := limConn{workspace: "acme", id: "wics", key: "urgent-key", secret: "urgent-secret-0123", extra: "reconcile: true"}
	sim, rec, base := startRecordedSim(t, speed, wicssim.ServerConfig{ProgressStep: -1}, conn)
	sim.SeedOrders(10000, "SEEDED")
	dir := t.TempDir()
	h := startHub(t, writeLimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, window, `commands: { poll_interval: 100ms }`, conn))

	listings := func() int {
		n := 0
		for _, a := range rec.list() {
			if a.method == http.MethodGet && a.path == "/api/order" && strings.Contains(a.query, "page=") {
				n++
			}
		}
		return n
	}
	eventually(t, 20*time.Second, "the reconciliation listing the orders", func() bool { return listings() >= 5 })

	const n = 20
	posted := map[string]time.Time{}
	header := map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "application/json"}
	tick := time.NewTicker(window / 40) // one order every 1.5 simulated seconds
	defer tick.Stop()
	for i := range n {
		ref := fmt.Sprintf("URGENT-%d", i)
		status, body := do(t, http.MethodPost, h.URL+"/api/v1/orders", header, limOrder("wics", ref))
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		posted[ref] = time.Now()
		<-tick.C
	}
	waitSucceeded(t, []*hub{h}, []string{"acme"}, n, time.Minute)
	// The listing takes about 20 s on a quiet machine; the deadline is a
	// bound for a loaded CI machine, not a measure (the assertions below
	// are about order).
	eventually(t, 3*time.Minute, "the listing done", func() bool { return listings() >= 101 })

	var lastOrder, lastListing time.Time
	var worst time.Duration
	for _, a := range rec.list() {
		if t0, ok := posted[a.reference]; ok {
			worst = max(worst, a.at.Sub(t0))
			lastOrder = a.at
		}
		if a.method == http.MethodGet && a.path == "/api/order" && strings.Contains(a.query, "page=") {
			lastListing = a.at
		}
	}
	require.True(t, lastListing.After(lastOrder), "the listing went on after the last command: commands did not wait for it")
	iv := window / wicssim.DefaultPerMinute
	require.Less(t, worst, 10*iv+500*time.Millisecond, "a command waits a few intervals at most, not for the listing")
	requireWithinLimits(t, sim, conn.key)
	t.Logf("%d commands during a listing of %d pages: worst latency from POST to WICS %s (the budget's interval is %s); the listing ended %s after the last command",
		n, listings(), worst.Round(time.Millisecond), iv.Round(time.Millisecond), lastListing.Sub(lastOrder).Round(time.Millisecond))
}

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// The helpers of the end-to-end tests of issue 11: the real binary against
// the WICS simulator's Service Layer, both on loopback.

// simSpeed compresses the simulator's time: a simulated minute passes in
// 100ms, so an order's step (2 simulated minutes) takes 200ms and its whole
// life, created to shipped, about two seconds.
const simSpeed = 600

// simWindow is the hub's rate_window for a simulator at simSpeed: WICS's
// minute as the simulator counts it.
const simWindow = time.Minute / simSpeed

// startWICSSim starts a WICS simulator on loopback with the test
// connection's login (wicsKey, wicsSecret) and returns it and its base URL.
// edit may change the configuration before it starts.
func startWICSSim(t *testing.T, edit func(*wicssim.ServerConfig)) (*wicssim.Server, string) {
	t.Helper()
	cfg := wicssim.ServerConfig{
		Users: []wicssim.User{{Key: wicsKey, Secret: wicsSecret}, {Key: foreignKey, Secret: foreignSecret}},
		Speed: simSpeed,
	}
	if edit != nil {
		edit(&cfg)
	}
	sim, err := wicssim.NewServer(cfg)
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim, base
}

// A second login at the simulator: someone else's subscriptions.
const (
	foreignKey    = "someone-else"
	foreignSecret = "someone-else-secret"
)

// freeAddr is a loopback address with a port free now, for a hub that is
// restarted on the same address (its subscriptions point at it).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// simHubOptions are the parts of a hub configuration the tests vary.
type simHubOptions struct {
	// Listen is http.listen; default 127.0.0.1:0.
	Listen string
	// Topics are the wics connection's topics; default all nine.
	Topics []string
	// Reconcile turns reconciliation on; ReconcileInterval is its interval.
	Reconcile         bool
	ReconcileInterval time.Duration
	// NoSubscriptions leaves the subscriptions alone.
	NoSubscriptions bool
	// Commands is the YAML of the commands section; default short retries.
	Commands string
}

// writeSimConfig writes a hub configuration whose workspace acme has one
// WICS connection, "wics", at the simulator's base URL.
func writeSimConfig(t *testing.T, dir, database, simURL string, o simHubOptions) string {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Commands == "" {
		o.Commands = `{ retry_schedule: ["200ms", "500ms", "1s"], poll_interval: "50ms", attempt_timeout: "5s", rescue_after: "10s" }`
	}
	extra := fmt.Sprintf("reconcile: %t, manage_subscriptions: %t, rate_window: %q", o.Reconcile, !o.NoSubscriptions, simWindow.String())
	if o.ReconcileInterval > 0 {
		extra += fmt.Sprintf(", reconcile_interval: %q", o.ReconcileInterval.String())
	}
	if o.Topics != nil {
		extra += ", topics: [" + strings.Join(o.Topics, ", ") + "]"
	}
	cfg := fmt.Sprintf(`
http: { listen: %q }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
commands: %s
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: wics, provider: wics, base_url: %q, api_key: %q, api_secret: %q, %s }
`, o.Listen, database, o.Commands, simURL, wicsKey, wicsSecret, extra)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// startSimHub starts a simulator and a hub on SQLite connected to it.
func startSimHub(t *testing.T, o simHubOptions, edit func(*wicssim.ServerConfig)) (*hub, *wicssim.Server) {
	t.Helper()
	sim, base := startWICSSim(t, edit)
	dir := t.TempDir()
	h := startHub(t, writeSimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, o))
	return h, sim
}

// apiPost posts a JSON body to the merchant API with the acme key and the
// extra headers.
func apiPost(t *testing.T, h *hub, path, body string, header map[string]string) (int, []byte) {
	t.Helper()
	hd := map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "application/json"}
	for k, v := range header {
		hd[k] = v
	}
	return do(t, http.MethodPost, h.URL+path, hd, body)
}

// orderCommand is the answer of POST /orders and /orders/{id}/cancel.
type orderCommand struct {
	Order   model.Order   `json:"order"`
	Command model.Command `json:"command"`
}

// orderJSON is a valid order of the connection "wics" for the seeded items
// (the document's 16080 and 16082), delivered tomorrow.
func orderJSON(reference string, skus ...string) string {
	if len(skus) == 0 {
		skus = []string{"16080"}
	}
	lines := make([]map[string]any, len(skus))
	for i, s := range skus {
		lines[i] = map[string]any{"sku": s, "quantity": 1}
	}
	return mustJSON(map[string]any{
		"connection": "wics", "reference": reference, "lines": lines,
		"delivery_date": time.Now().AddDate(0, 0, 1).Format(time.DateOnly),
		"delivery_address": map[string]any{"first_name": "Hans", "last_name": "de Groot", "street": "Concordiaweg",
			"house_number": "157", "postcode": "4206BK", "city": "Gorinchem", "country": "NL", "email": "info@wics.nl"},
		"note": "end-to-end",
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// postOrder posts an order and requires 202.
func postOrder(t *testing.T, h *hub, body string, header map[string]string) orderCommand {
	t.Helper()
	status, reply := apiPost(t, h, "/api/v1/orders", body, header)
	require.Equal(t, http.StatusAccepted, status, "%s", reply)
	var oc orderCommand
	require.NoError(t, json.Unmarshal(reply, &oc), "%s", reply)
	return oc
}

// getOrder reads an order by id.
func getOrder(t *testing.T, h *hub, id int64) model.Order {
	t.Helper()
	var o model.Order
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/orders/%d", id), &o))
	return o
}

// getCommand reads a command by id.
func getCommand(t *testing.T, h *hub, id int64) model.Command {
	t.Helper()
	var c model.Command
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/commands/%d", id), &c))
	return c
}

// waitCommand waits until a command has one of the statuses, and returns it.
func waitCommand(t *testing.T, h *hub, id int64, timeout time.Duration, want ...model.CommandStatus) model.Command {
	t.Helper()
	var c model.Command
	eventually(t, timeout, fmt.Sprintf("command %d %v", id, want), func() bool {
		c = getCommand(t, h, id)
		for _, w := range want {
			if c.Status == w {
				return true
			}
		}
		return false
	})
	return c
}

// waitOrder waits until an order satisfies cond, and returns it.
func waitOrder(t *testing.T, h *hub, id int64, timeout time.Duration, what string, cond func(model.Order) bool) model.Order {
	t.Helper()
	var o model.Order
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if o = getOrder(t, h, id); cond(o) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; the order is %s", timeout, what, mustJSON(o))
		}
		<-tick.C
	}
}

// listCommands reads GET /commands with a query.
func listCommands(t *testing.T, h *hub, query string) []model.Command {
	t.Helper()
	return listAllOf[model.Command](t, h, "/api/v1/commands"+query)
}

// metricValue reads one series of /metrics; 0 when it is absent.
func metricValue(t *testing.T, h *hub, series string) float64 {
	t.Helper()
	status, body := do(t, http.MethodGet, h.URL+"/metrics", nil, "")
	require.Equal(t, http.StatusOK, status)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			require.NoError(t, err, line)
			return f
		}
	}
	return 0
}

// hubSubscriptions are the test login's subscriptions at the simulator.
func hubSubscriptions(sim *wicssim.Server) []wicssim.Subscription {
	return slices.DeleteFunc(sim.Subscriptions(), func(s wicssim.Subscription) bool { return s.User != wicsKey })
}

// waitSubscribed waits until the test login has n subscriptions at the
// simulator, so that no webhook of a new order is lost to a subscription
// made after it.
func waitSubscribed(t *testing.T, sim *wicssim.Server, n int) {
	t.Helper()
	eventually(t, 15*time.Second, fmt.Sprintf("%d subscriptions", n), func() bool {
		return len(hubSubscriptions(sim)) == n
	})
}

// metricLines is every line of /metrics that starts with the name.
func metricLines(t *testing.T, h *hub, name string) string {
	t.Helper()
	status, body := do(t, http.MethodGet, h.URL+"/metrics", nil, "")
	require.Equal(t, http.StatusOK, status)
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

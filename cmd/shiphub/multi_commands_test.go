package main

import (
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// TestLimitsTwoConnectionsOneLoginShareTheBudget gives two workspaces a
// wics connection each with the same login and posts a burst of orders to
// both at once: WICS counts the login's requests together, and so does
// the hub's budget, so the simulator never sees more than 150 in a sliding
// minute.
func TestLimitsTwoConnectionsOneLoginShareTheBudget(t *testing.T) {
	t.Parallel()
	a := limConn{workspace: "acme", id: "wics", key: "shared-key", secret: "shared-secret-0123"}
	b := limConn{workspace: "beta", id: "warehouse", key: "shared-key", secret: "shared-secret-0123"}
	sim, base := startLimSim(t, 0, wicssim.ServerConfig{ProgressStep: -1}, a, b)
	dir := t.TempDir()
	h := startHub(t, writeLimConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), base, limWindow, "", a, b))

	const n = 300 // per connection: twice the minute's limit together
	start := time.Now()
	var (
		wg         sync.WaitGroup
		idsA, idsB map[string]int64
	)
	// postOrders fails the test from its goroutine; t.Failed says so.
	wg.Go(func() { idsA = postOrders(t, h, a.workspace, a.id, "SHARED-A", n, 16) })
	wg.Go(func() { idsB = postOrders(t, h, b.workspace, b.id, "SHARED-B", n, 16) })
	wg.Wait()
	require.False(t, t.Failed(), "every order is accepted")
	waitSucceeded(t, []*hub{h}, []string{a.workspace, b.workspace}, 2*n, 2*time.Minute)
	took := time.Since(start)
	for _, ws := range []string{a.workspace, b.workspace} {
		require.Equal(t, n, commandCounts(t, h, ws)[model.CommandSucceeded], ws)
	}
	for ref := range maps.Keys(idsA) {
		require.Equal(t, 1, sim.OrderCount(ref), ref)
	}
	for ref := range maps.Keys(idsB) {
		require.Equal(t, 1, sim.OrderCount(ref), ref)
	}
	st := requireWithinLimits(t, sim, a.key)
	// Both connections show the one budget.
	ca, cb := connectionsOf(t, h, a.workspace)[a.id], connectionsOf(t, h, b.workspace)[b.id]
	require.NotNil(t, ca.Budget)
	require.NotNil(t, cb.Budget)
	require.Equal(t, ca.Budget.DayLeft, cb.Budget.DayLeft, "one day's budget")
	require.LessOrEqual(t, ca.Budget.DayLeft, wicssim.DefaultPerDay-2*n)
	t.Logf("%d orders over two connections of one login in %s (%.1f simulated minutes): %d requests, at most %d in a sliding minute",
		2*n, took.Round(time.Millisecond), took.Minutes()*limSpeed, st.Served, st.MaxPerMinute)
}

// TestLimitsTwoInstancesOnPostgresSendEveryCommandOnce runs two hub
// processes on one PostgreSQL database and posts orders through both at
// once: every order reaches the simulator exactly once, whichever instance
// worked its command, and the two together keep to the login's limits,
// because the budget is the database's.
func TestLimitsTwoInstancesOnPostgresSendEveryCommandOnce(t *testing.T) {
	t.Parallel()
	database := postgres.TestDatabase(t) // skips without PostgreSQL unless CI is set
	conn := limConn{workspace: "acme", id: "wics", key: "multi-key", secret: "multi-secret-0123"}
	sim, base := startLimSim(t, 0, wicssim.ServerConfig{ProgressStep: -1}, conn)
	cfg := writeLimConfig(t, t.TempDir(), database, base, limWindow, `commands: { poll_interval: 100ms }`, conn)
	hubs := []*hub{startHub(t, cfg), startHub(t, cfg)}

	const n = 300 // per instance
	start := time.Now()
	var (
		wg  sync.WaitGroup
		ids = make([]map[string]int64, len(hubs))
	)
	for i, h := range hubs {
		wg.Go(func() { ids[i] = postOrders(t, h, "acme", "wics", []string{"MULTI-A", "MULTI-B"}[i], n, 16) })
	}
	wg.Wait()
	require.False(t, t.Failed(), "every order is accepted") // postOrders fails the test from its goroutine
	waitSucceeded(t, hubs, []string{"acme"}, 2*n, 3*time.Minute)
	took := time.Since(start)

	for _, m := range ids {
		require.Len(t, m, n)
		for ref := range m {
			require.Equal(t, 1, sim.OrderCount(ref), "order %s at the simulator once", ref)
		}
	}
	require.Equal(t, 2*n, sim.Orders())
	st := requireWithinLimits(t, sim, conn.key)
	per := make([]float64, len(hubs))
	for i, h := range hubs {
		per[i], _ = metricSum(t, h, "shiphub_command_attempts_total", `outcome="succeeded"`)
	}
	require.Equal(t, float64(2*n), per[0]+per[1], "every command succeeded once over both instances")
	t.Logf("%d orders through two instances in %s (%.1f simulated minutes): instance commands %v, %d requests, at most %d in a sliding minute",
		2*n, took.Round(time.Millisecond), took.Minutes()*limSpeed, per, st.Served, st.MaxPerMinute)
}

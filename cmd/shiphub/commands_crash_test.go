package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// TestWICSKillBetweenSendingAndRecording kills the hub (SIGKILL) while its
// command's create has taken effect at WICS but its answer has not come
// back, restarts it on the same database, and shows that the command is
// taken up again (River rescues the job after commands.rescue_after), that
// it succeeds, and that WICS still holds exactly one order of the
// reference: the retry looked the order up instead of creating it again.
// It runs on both stores: River's driver is riversqlite on one and
// riverdatabasesql on the other.
func TestWICSKillBetweenSendingAndRecording(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		database func(t *testing.T, dir string) string
	}{
		{"SQLite", func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "hub.db") }},
		{"PostgreSQL", func(t *testing.T, _ string) string { return postgres.TestDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			killBetweenSendingAndRecording(t, dir, tc.database(t, dir))
		})
	}
}

func killBetweenSendingAndRecording(t *testing.T, dir, database string) {
	// A simulator that keeps both orders of a reference, so that a second
	// create would show.
	sim, base := startWICSSim(t, func(c *wicssim.ServerConfig) { c.UniqueReferences = false })
	cfg := writeSimConfig(t, dir, database, base, simHubOptions{
		Listen: freeAddr(t), // the subscriptions point at it across the restart
		// An attempt may run 2s; a job whose worker died is taken for stuck
		// after 4s.
		Commands: `{ retry_schedule: ["200ms", "500ms", "1s"], poll_interval: "50ms", attempt_timeout: "2s", rescue_after: "4s" }`,
	})
	h := startHub(t, cfg)
	waitSubscribed(t, sim, len(wicsTopics))

	const ref = "E2E-CRASH-1"
	sim.InjectFault(wicssim.Fault{Method: "POST", Path: "/api/order", HoldAnswer: true, Delay: time.Minute})
	oc := postOrder(t, h, orderJSON(ref), nil)
	eventually(t, 10*time.Second, "the create carried out at WICS", func() bool { return sim.OrderCount(ref) == 1 })
	c := getCommand(t, h, oc.Command.ID)
	require.Equal(t, model.CommandRunning, c.Status, "the hub is waiting for WICS's answer")
	require.Equal(t, 1, c.Attempts)
	h.kill(t)
	killedAt := time.Now()

	h = startHub(t, cfg)
	c = waitCommand(t, h, oc.Command.ID, 60*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	require.GreaterOrEqual(t, c.Attempts, 2, "the rescued job is a second attempt")
	require.Equal(t, 1, sim.OrderCount(ref), "exactly one order at WICS")
	t.Logf("the command succeeded %s after the kill, in %d attempts", time.Since(killedAt).Round(10*time.Millisecond), c.Attempts)

	// The order carries on as if nothing had happened.
	o := waitOrder(t, h, oc.Order.ID, 30*time.Second, ref+" shipped", func(o model.Order) bool {
		return o.Status == model.OrderShipped && len(o.ShipmentIDs) == 1
	})
	require.NotEmpty(t, o.ProviderRef)
	require.Equal(t, string(model.CommandSucceeded), o.LastCommand.Status)
	require.Equal(t, 1, sim.OrderCount(ref))
}

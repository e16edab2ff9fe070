package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/provider/wics"
)

// TestDemoServiceLayerConnectionValidates: the demo's wics-sl connection
// passes the configuration's validation, with its minute compressed as the
// simulator's is, reconciliation and subscriptions on, every topic.
func TestDemoServiceLayerConnectionValidates(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	sl, err := startDemoServiceLayer(100*time.Millisecond, newDemoWICS())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sl.Close()) })
	cfg := &config.Config{
		SecretsKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		Workspaces: []config.Workspace{{ID: "demo", APIKeys: []string{"demo_0123456789abcdef"}, Connections: []config.Connection{sl.connection()}}},
	}
	cfg.SetDefaults()
	require.NoError(t, cfg.Validate())
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	conn, ok := conns.Lookup("demo", demoSLConnection)
	require.True(t, ok)
	c, ok := conn.Connector.(*wics.Connector)
	require.True(t, ok, "got %T", conn.Connector)
	s := c.Settings()
	require.Equal(t, time.Minute/demoSLSpeed, s.RateWindow)
	require.Equal(t, 150, s.RatePerMinute)
	require.True(t, s.Reconciles())
	require.True(t, s.ManagesSubscriptions())
	require.Len(t, s.Topics, 9)
	require.Zero(t, sl.subscriptions(), "none before the hub makes them")
}

func TestSumSeriesAddsTheConnectionsSamples(t *testing.T) {
	t.Parallel()
	const text = `# HELP shiphub_reconcile_found_total Reconciled provider state.
# TYPE shiphub_reconcile_found_total counter
shiphub_reconcile_found_total{connection="wics-sl",kind="order"} 2
shiphub_reconcile_found_total{connection="wics-sl",kind="stock"} 12
shiphub_reconcile_found_total{connection="wics",kind="order"} 7
shiphub_reconcile_found_total_other{connection="wics-sl"} 100
shiphub_reconcile_found_total{connection="wics-sl",kind="receipt"} not-a-number
`
	for _, c := range []struct {
		name, label string
		want        int
	}{
		{"OneConnection", `connection="wics-sl"`, 14},
		{"AnotherConnection", `connection="wics"`, 7},
		{"NoSuchConnection", `connection="aa"`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, sumSeries(text, "shiphub_reconcile_found_total", c.label))
		})
	}
}

func FuzzSumSeries(f *testing.F) {
	f.Add("shiphub_x{connection=\"a\"} 1\nshiphub_x{connection=\"a\"} 2.5\n")
	f.Add("shiphub_x{connection=\"a\"} NaN\nshiphub_x{} +Inf\nshiphub_x{connection=\"a\"}")
	f.Fuzz(func(t *testing.T, text string) {
		_ = sumSeries(text, "shiphub_x", `connection="a"`)
	})
}

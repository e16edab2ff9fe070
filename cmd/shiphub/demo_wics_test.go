package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/provider/wics"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// TestDemoWICSConnectionValidates: the demo's wics connection passes the
// configuration's validation and builds a WICS connector that takes the
// simulator's literal Basic header and refuses another secret.
func TestDemoWICSConnectionValidates(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	d := newDemoWICS()
	cfg := &config.Config{
		SecretsKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		Workspaces: []config.Workspace{{ID: "demo", APIKeys: []string{"demo_0123456789abcdef"}, Connections: []config.Connection{d.connection("http://127.0.0.1:1")}}},
	}
	cfg.SetDefaults()
	require.NoError(t, cfg.Validate())
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	conn, ok := conns.Lookup("demo", "wics")
	require.True(t, ok)
	c, ok := conn.Connector.(*wics.Connector)
	require.True(t, ok, "the demo's wics connection is a WICS connector, got %T", conn.Connector)
	require.Len(t, c.Settings().Topics, 9, "every topic")

	r := httptest.NewRequest(http.MethodPost, "/hooks/demo/wics/stock", nil)
	r.Header.Set("Authorization", "Basic "+d.key+":"+d.secret)
	require.NoError(t, c.Authenticate(r))
	r.Header.Set("Authorization", "Basic "+d.key+":other")
	require.ErrorIs(t, c.Authenticate(r), provider.ErrUnauthorized)

	_, err = d.sim("http://127.0.0.1:1", -1, 1)
	require.NoError(t, err, "the simulator's config validates")
}

// TestWICSSummaryNamesEveryTopic: the progress line counts each topic.
func TestWICSSummaryNamesEveryTopic(t *testing.T) {
	t.Parallel()
	st := wicssim.Stats{Topics: map[string]wicssim.TopicStats{}}
	st.Sent, st.Acked, st.Orders = 4, 3, 1
	st.Topics[wicssim.TopicStock] = wicssim.TopicStats{Acked: 2}
	st.Topics[wicssim.TopicRMA] = wicssim.TopicStats{Acked: 1}
	got := wicsSummary(st)
	require.True(t, strings.HasPrefix(got, "wics sent 4 acked 3 retried 0 gave up 0, orders done 1 (acked: shipment 0, receipt 0, stock 2,"), got)
	require.True(t, strings.HasSuffix(got, "rma 1)"), got)
	for _, topic := range wicssim.Topics() {
		require.Contains(t, got, topic+" ")
	}
}

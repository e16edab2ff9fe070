package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/provider/wics"
)

// TestExampleConfigBuildsItsConnections: shiphub.example.yaml, with its
// variables set, passes the configuration's validation and every
// provider's own (internal/config's test checks only the generic part):
// its wics connection has the document's limits and the defaults the
// README names, and its commands section spells out the defaults.
func TestExampleConfigBuildsItsConnections(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	raw, err := os.ReadFile("../../shiphub.example.yaml")
	require.NoError(t, err)
	vars := map[string]string{"ACME_KEY": "acme-key-0123456789", "COURIER_KEY": "c", "WINKELSTRAAT_KEY": "w",
		"WICS_API_KEY": "wics-key", "WICS_API_SECRET": "wics-secret",
		"SHIPHUB_SECRETS_KEY": "c2hpcGh1Yi1lMmUtc2VjcmV0cy1rZXktMzItYnl0ZXM="}
	cfg, err := config.Parse(raw, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	require.NoError(t, err)
	conns, err := connections.Build(cfg)
	require.NoError(t, err, "every connection of the example validates")
	require.Equal(t, "https://hub.example.com", cfg.HTTP.PublicURL)

	conn, ok := conns.Lookup("acme", "wics")
	require.True(t, ok)
	c, ok := conn.Connector.(*wics.Connector)
	require.True(t, ok, "got %T", conn.Connector)
	s := c.Settings()
	require.Equal(t, "https://servicelayer.wics.nl", s.BaseURL)
	require.Equal(t, "wics-key", s.APIKey)
	require.Equal(t, wics.DefaultRatePerMinute, s.RatePerMinute)
	require.Equal(t, wics.DefaultRatePerDay, s.RatePerDay)
	require.Equal(t, wics.DefaultReconcileInterval, s.ReconcileInterval)
	require.Equal(t, time.Minute, s.RateWindow)
	require.Len(t, s.Topics, 9)
	require.True(t, s.Reconciles())
	require.True(t, s.ManagesSubscriptions())

	var defaults config.Commands
	defaults.SetDefaults()
	require.Equal(t, defaults, cfg.Commands, "the example spells out the commands defaults")
}

package activeants_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/provider/registry"
)

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	var s activeants.Settings
	require.NoError(t, yaml.Unmarshal([]byte("base_url: https://shopapi.activeants.nl\nusername: u\npassword: p\n"), &s))
	s.SetDefaults()
	require.NoError(t, s.Validate())
	require.Equal(t, 5*time.Minute, s.SyncInterval)
	require.Equal(t, time.Hour, s.StockInterval)
	require.Equal(t, time.Hour, s.TrackTraceInterval)
	require.Equal(t, 24*time.Hour, s.SettingsRefresh)
	require.Equal(t, 1.0, s.Speed)
	require.Equal(t, time.Hour, s.Real(s.TrackTraceInterval), "against Active Ants an hour is an hour")
	s.Speed = 360
	require.Equal(t, 10*time.Second, s.Real(s.TrackTraceInterval), "a simulator's hour at speed 360 is ten seconds")
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	ok := func() activeants.Settings {
		s := activeants.Settings{BaseURL: activeants.TestURL, Username: "shop", Password: "s3cret-pass"}
		s.SetDefaults()
		return s
	}
	for _, tc := range []struct {
		name   string
		change func(*activeants.Settings)
		want   string
	}{
		{"NoBaseURL", func(s *activeants.Settings) { s.BaseURL = "" }, "base_url: is required"},
		{"BaseURLWithPath", func(s *activeants.Settings) { s.BaseURL = "https://shopapi.activeants.nl/v2" }, "base_url: must be"},
		{"BaseURLWithCredentials", func(s *activeants.Settings) { s.BaseURL = "https://u:s3cret-pass@shopapi.activeants.nl" }, "base_url: must be"},
		{"NoUsername", func(s *activeants.Settings) { s.Username = "" }, "username: is required"},
		{"NoPassword", func(s *activeants.Settings) { s.Password = "" }, "password: is required"},
		{"TrackTraceMoreThanHourly", func(s *activeants.Settings) { s.TrackTraceInterval = 30 * time.Minute }, "track_trace_interval: must be from 1h0m0s"},
		{"SyncTooOften", func(s *activeants.Settings) { s.SyncInterval = time.Second }, "sync_interval"},
		{"StockTooOften", func(s *activeants.Settings) { s.StockInterval = time.Second }, "stock_interval"},
		{"SettingsRefreshTooLong", func(s *activeants.Settings) { s.SettingsRefresh = 30 * 24 * time.Hour }, "settings_refresh"},
		{"SpeedBelowOne", func(s *activeants.Settings) { s.Speed = 0.5 }, "speed: must be from 1 to 3600"},
		{"SpeedTooHigh", func(s *activeants.Settings) { s.Speed = 10000 }, "speed: must be from 1 to 3600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ok()
			tc.change(&s)
			err := s.Validate()
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "s3cret-pass", "the password never appears in an error")
		})
	}
	s := ok()
	require.NoError(t, s.Validate())
}

func TestTheConnectionIsBuiltFromShiphubYAML(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "aa", Provider: "activeants", Settings: map[string]any{
			"base_url": activeants.TestURL, "username": "shop", "password": "pw", "sync_interval": "2m", "track_trace_interval": "2h",
		}},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	c, ok := conns.Lookup("acme", "aa")
	require.True(t, ok)
	conn := c.Connector.(*activeants.Connector)
	require.Equal(t, 2*time.Minute, conn.Settings().SyncInterval)
	require.Equal(t, 2*time.Hour, conn.Settings().TrackTraceInterval)
	var _ provider.Puller = conn
	var _ provider.HealthChecker = conn

	cfg.Workspaces[0].Connections[0].Settings["track_trace_interval"] = "10m"
	_, err = connections.Build(cfg)
	require.ErrorContains(t, err, "track_trace_interval")
	cfg.Workspaces[0].Connections[0].Settings["track_trace_interval"] = "1h"
	cfg.Workspaces[0].Connections[0].Settings["api_key"] = "x"
	_, err = connections.Build(cfg)
	require.ErrorContains(t, err, "api_key", "unknown keys are refused")
}

package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestExampleConfigLoads(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../shiphub.example.yaml")
	require.NoError(t, err)
	cfg, err := config.Parse(raw, env(map[string]string{"ACME_KEY": "acme-key-0123456789", "COURIER_KEY": "c", "WINKELSTRAAT_KEY": "w",
		"WICS_API_KEY": "wics-key", "WICS_API_SECRET": "wics-secret",
		"SHIPHUB_SECRETS_KEY": "c2hpcGh1Yi1lMmUtc2VjcmV0cy1rZXktMzItYnl0ZXM="}))
	require.NoError(t, err)
	_, err = cfg.Keyring()
	require.NoError(t, err, "the example configures secrets_key")
	require.Equal(t, "127.0.0.1:8080", cfg.HTTP.Listen)
	require.Equal(t, "sqlite:./shiphub-data/hub.db", cfg.Database)
	require.Len(t, cfg.Workspaces, 1)
	require.Equal(t, []string{"acme-key-0123456789"}, cfg.Workspaces[0].APIKeys)
	require.Equal(t, "courier", cfg.Workspaces[0].Connections[0].Provider)
	require.Equal(t, "c", cfg.Workspaces[0].Connections[0].Settings["inbound_api_key"])
	require.Equal(t, config.DefaultRetrySchedule, cfg.Outbound.RetrySchedule)
	var defaults config.Retention
	defaults.SetDefaults()
	require.Equal(t, defaults.Policy(), cfg.Retention.Policy(), "the example spells out the default retention")
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(""), env(nil))
	require.NoError(t, err)
	require.Equal(t, config.DefaultListen, cfg.HTTP.Listen)
	require.Equal(t, config.DefaultDatabase, cfg.Database)
	require.Equal(t, int64(config.DefaultMaxBodyBytes), cfg.Intake.MaxBodyBytes)
}

func TestErrorsNameTheOffendingKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string
	}{
		{"MissingVariable", `database: "${NOPE}"`, nil, "database: environment variable NOPE is not set"},
		{"UnknownTopLevelKey", "htp: {listen: x}", nil, "field htp not found"},
		{"BadDatabase", `database: "mysql://x"`, nil, "database: must start with sqlite: or postgres://"},
		{"BadWorkspaceID", "workspaces: [{id: 'Acme Corp'}]", nil, "workspaces[0].id: must be"},
		{"ShortAPIKey", "workspaces: [{id: acme, api_keys: [short]}]", nil, "workspaces[0].api_keys[0]: must be at least 16 characters"},
		{"SharedAPIKey", "workspaces: [{id: a, api_keys: [k123456789012345]}, {id: b, api_keys: [k123456789012345]}]", nil, `workspaces[1].api_keys[0]: the same key is used by workspace "a"`},
		{"DuplicateConnection", "workspaces: [{id: a, connections: [{id: c, provider: courier}, {id: c, provider: courier}]}]", nil, `workspaces[0].connections[1].id: duplicate connection "c"`},
		{"MissingProvider", "workspaces: [{id: a, connections: [{id: c}]}]", nil, "workspaces[0].connections[0].provider: is required"},
		{"BadRetrySchedule", "outbound: {retry_schedule: [5 minutes]}", nil, "outbound.retry_schedule[0]"},
		{"BadLogLevel", "log: {level: loud}", nil, "log.level"},
		{"RelativePublicURL", "http: {public_url: hub.example.com}", nil, "http.public_url: must be an absolute http or https URL"},
		{"PublicURLWithQuery", "http: {public_url: 'https://hub.example.com/?x=1'}", nil, "http.public_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(tt.yaml), env(tt.env))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestExpandOnlyTouchesBracedVariables(t *testing.T) {
	t.Parallel()
	out, err := config.Expand([]byte(`a: "${A}" b: "$B" c: "pa$$word"`), env(map[string]string{"A": "x"}))
	require.NoError(t, err)
	require.Equal(t, `a: "x" b: "$B" c: "pa$$word"`, string(out))
}

func TestDecodeSettingsRefusesUnknownKeys(t *testing.T) {
	t.Parallel()
	cn := config.Connection{ID: "c", Provider: "courier", Settings: map[string]any{"inbound_api_key": "k", "tymezone": "x"}}
	var s struct {
		InboundAPIKey string `yaml:"inbound_api_key"`
	}
	err := cn.DecodeSettings(&s)
	require.Error(t, err)
	require.Contains(t, err.Error(), "tymezone")
}

func TestExpandedValuesKeepTheirTypeAndQuoting(t *testing.T) {
	t.Parallel()
	yaml := "smtp:\n  port: ${PORT}\n  host: ${HOST}\nworkspaces: [{id: a, api_keys: [\"${KEY}\"]}]"
	cfg, err := config.Parse([]byte(yaml), env(map[string]string{"PORT": "587", "HOST": "mail: #x", "KEY": "0123456789012345"}))
	require.NoError(t, err)
	require.Equal(t, 587, cfg.SMTP.Port)
	require.Equal(t, "mail: #x", cfg.SMTP.Host)
	require.Equal(t, "0123456789012345", cfg.Workspaces[0].APIKeys[0])
}

package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
)

func TestOutboundSettingsAreDefaultedAndValidated(t *testing.T) {
	t.Parallel()
	env := func(string) (string, bool) { return "", false }
	cfg, err := config.Parse([]byte(`
workspaces:
  - id: acme
    endpoints:
      - { url: "https://shop.example/hooks", events: ["shipment.*"], headers: { X-Token: abc } }
`), env)
	require.NoError(t, err)
	d := cfg.DeliverConfig()
	require.Equal(t, 15*time.Second, d.Timeout)
	require.Equal(t, 5*24*time.Hour, d.DisableAfter)
	require.Equal(t, time.Hour, d.AlertInterval)
	require.Equal(t, []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}, d.RetrySchedule)
	require.Equal(t, 24*time.Hour, cfg.SecretGraceDuration())
	_, alerts := cfg.MailConfig()
	require.False(t, alerts)

	for _, c := range []struct{ name, yaml, want string }{
		{"UnknownEventType", `workspaces: [{id: a, endpoints: [{url: "https://x.example/", events: ["parcel.*"]}]}]`, "workspaces[0].endpoints[0]: events[0]: unknown event type"},
		{"PrivateTarget", `workspaces: [{id: a, endpoints: [{url: "http://127.0.0.1:9/", events: ["*"]}]}]`, "allow_private_networks"},
		{"BadSecret", `workspaces: [{id: a, endpoints: [{url: "https://x.example/", events: ["*"], secret: "abc"}]}]`, "secret: must start with whsec_"},
		{"DuplicateURL", `workspaces: [{id: a, endpoints: [{url: "https://x.example/", events: ["*"]}, {url: "https://x.example/", events: ["*"]}]}]`, "configured twice"},
		{"BadTimeout", `outbound: {timeout: "soon"}`, "outbound.timeout"},
		{"AlertsWithoutSender", `smtp: {host: mail.example, alert_to: ["ops@x.example"]}`, "smtp: from is required"},
		{"BadTLS", `smtp: {host: mail.example, from: "hub@x.example", alert_to: ["ops@x.example"], tls: maybe}`, "smtp: tls must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), env)
			require.ErrorContains(t, err, c.want)
		})
	}
	cfg, err = config.Parse([]byte(`
outbound: { allow_private_networks: true, retry_schedule: ["0s", "10ms"], timeout: 2s }
smtp: { host: 127.0.0.1, port: 2525, from: "hub@x.example", alert_to: ["ops@x.example"], tls: none }
workspaces: [{id: a, endpoints: [{url: "http://127.0.0.1:9/", events: ["*"]}]}]
`), env)
	require.NoError(t, err)
	mc, alerts := cfg.MailConfig()
	require.True(t, alerts)
	require.Equal(t, 2525, mc.Port)
	require.Equal(t, []time.Duration{0, 10 * time.Millisecond}, cfg.DeliverConfig().RetrySchedule)
}

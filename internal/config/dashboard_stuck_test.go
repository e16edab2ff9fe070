package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
)

func TestStuckAfterTakesDefaultsAndOverrides(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	cases := []struct {
		name     string
		yaml     string
		want     map[model.Status]time.Duration
		interval time.Duration
	}{
		{"unset takes the documented defaults", ``, config.DefaultStuckAfter, 10 * time.Minute},
		{"a status named overrides its default; 0 turns it off; the rest keep theirs",
			"dashboard:\n  stuck_after:\n    in_transit: 72h\n    pending: 0s\n  stuck_scan_interval: 1m\n",
			map[model.Status]time.Duration{
				model.StatusPending: 0, model.StatusInfoReceived: 5 * day, model.StatusInTransit: 3 * day,
				model.StatusOutForDelivery: 2 * day, model.StatusAvailableForPickup: 7 * day, model.StatusFailedAttempt: 3 * day,
				model.StatusException: 3 * day, model.StatusUnknown: 5 * day,
			}, time.Minute},
		{"a final status may be given 0", "dashboard:\n  stuck_after:\n    delivered: 0s\n",
			func() map[model.Status]time.Duration {
				m := map[model.Status]time.Duration{model.StatusDelivered: 0}
				for s, d := range config.DefaultStuckAfter {
					m[s] = d
				}
				return m
			}(), 10 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(c.yaml), env(nil))
			require.NoError(t, err)
			require.Equal(t, c.want, cfg.Dashboard.StuckAfter)
			require.Equal(t, c.interval, cfg.Dashboard.StuckScanInterval)
		})
	}
}

func TestStuckAfterErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"a status that does not exist", "dashboard:\n  stuck_after:\n    lost: 24h\n", `dashboard.stuck_after: "lost" is not a shipment status`},
		{"a final status", "dashboard:\n  stuck_after:\n    delivered: 24h\n", "dashboard.stuck_after.delivered: a shipment cannot be stuck in a final status"},
		{"a negative duration", "dashboard:\n  stuck_after:\n    in_transit: -1h\n", "dashboard.stuck_after.in_transit -1h0m0s: must not be negative"},
		{"a scan interval under a second", "dashboard:\n  stuck_scan_interval: 10ms\n", "dashboard.stuck_scan_interval 10ms: must be at least 1s"},
		{"a duration that does not parse", "dashboard:\n  stuck_after:\n    in_transit: a week\n", "decoding YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), env(nil))
			require.ErrorContains(t, err, c.want)
		})
	}
}

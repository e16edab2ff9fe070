package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
)

func TestCommandsSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want config.Commands
	}{
		{"unset takes the documented defaults", ``, config.Commands{
			RetrySchedule: []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour},
			Workers:       4, AttemptTimeout: 2 * time.Minute, PollInterval: 200 * time.Millisecond, RescueAfter: 10 * time.Minute,
		}},
		{"every field is set on its own", "commands:\n  retry_schedule: [1s, 30s]\n  workers: 16\n  attempt_timeout: 10m\n  poll_interval: 250ms\n", config.Commands{
			RetrySchedule: []time.Duration{time.Second, 30 * time.Second}, Workers: 16, AttemptTimeout: 10 * time.Minute,
			PollInterval: 250 * time.Millisecond, RescueAfter: 20 * time.Minute,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(c.yaml), env(nil))
			require.NoError(t, err)
			require.Equal(t, c.want, cfg.Commands)
		})
	}
}

func TestCommandsErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"a negative wait", "commands:\n  retry_schedule: [10s, -1m]\n", "commands.retry_schedule[1]: must be positive"},
		{"too many workers", "commands:\n  workers: 5000\n", "commands.workers: must be between 1 and 1000"},
		{"a tiny attempt timeout", "commands:\n  attempt_timeout: 1ms\n", "commands.attempt_timeout: must be at least 1s"},
		{"a tiny poll interval", "commands:\n  poll_interval: 1ms\n", "commands.poll_interval: must be at least 10ms"},
		{"a rescue sooner than two attempts", "commands:\n  attempt_timeout: 10m\n  rescue_after: 15m\n", "commands.rescue_after: must be at least twice"},
		{"a wait that does not parse", "commands:\n  retry_schedule: [soon]\n", "decoding YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), env(nil))
			require.ErrorContains(t, err, c.want)
		})
	}
}

package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/store"
)

func TestRetentionPolicy(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	defaults := map[store.RetentionTable]time.Duration{
		store.RetainDeliveries: 30 * day, store.RetainFeed: 30 * day, store.RetainInbox: 90 * day,
		store.RetainIntakeErrors: 30 * day, store.RetainTrackers: 30 * day, store.RetainStockMutations: 90 * day, store.RetainCommands: 90 * day,
	}
	cases := []struct {
		name     string
		yaml     string
		want     map[store.RetentionTable]time.Duration
		interval time.Duration
		batch    int
	}{
		{"unset takes the documented defaults; shipments are kept", ``, defaults, 10 * time.Minute, 500},
		{"each table is set on its own", "retention:\n  feed: 168h\n  shipments: 8760h\n  interval: 1m\n  batch_size: 50\n",
			map[store.RetentionTable]time.Duration{
				store.RetainDeliveries: 30 * day, store.RetainFeed: 7 * day, store.RetainInbox: 90 * day,
				store.RetainIntakeErrors: 30 * day, store.RetainTrackers: 30 * day, store.RetainShipments: 365 * day,
				store.RetainStockMutations: 90 * day, store.RetainCommands: 90 * day,
			}, time.Minute, 50},
		{"0 and negative keep a table forever", "retention:\n  inbox: 0s\n  deliveries: -1h\n",
			map[store.RetentionTable]time.Duration{store.RetainFeed: 30 * day, store.RetainIntakeErrors: 30 * day, store.RetainTrackers: 30 * day,
				store.RetainStockMutations: 90 * day, store.RetainCommands: 90 * day},
			10 * time.Minute, 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(c.yaml), env(nil))
			require.NoError(t, err)
			require.Equal(t, c.want, cfg.Retention.Policy())
			require.Equal(t, c.interval, cfg.Retention.Interval)
			require.Equal(t, c.batch, cfg.Retention.BatchSize)
		})
	}
}

func TestRetentionErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"a negative interval", "retention:\n  interval: -1m\n", "retention.interval: must be positive"},
		{"a batch too large", "retention:\n  batch_size: 100000\n", "retention.batch_size: must be 1 to 10000"},
		{"a negative batch", "retention:\n  batch_size: -5\n", "retention.batch_size: must be 1 to 10000"},
		{"a duration that does not parse", "retention:\n  feed: a month\n", "decoding YAML"},
		{"an unknown table", "retention:\n  events: 1h\n", "field events not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), env(nil))
			require.ErrorContains(t, err, c.want)
		})
	}
}

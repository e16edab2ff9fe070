package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// Retention is how long finished rows are kept before the retention service
// deletes them, per table. A duration of 0 or less keeps that table's rows
// forever; an unset one takes its default. Nothing still pending, retrying,
// failed or dead-lettered is ever deleted, whatever the setting.
type Retention struct {
	// Deliveries keeps delivered webhook deliveries, with their attempt log,
	// this long after delivery; default 720h (30 days).
	Deliveries *time.Duration `yaml:"deliveries"`
	// Feed keeps event feed entries this long after they were written,
	// once all their deliveries are delivered; default 720h. An entry
	// embeds the shipment, with the recipient's name and address, so this
	// is also how long that personal data is kept in the feed.
	Feed *time.Duration `yaml:"feed"`
	// Inbox keeps processed raw inbox messages this long after they were
	// received; default 2160h (90 days). reprocess rebuilds from the
	// messages still kept (see the README).
	Inbox *time.Duration `yaml:"inbox"`
	// IntakeErrors keeps refused inbound messages this long; default 720h.
	IntakeErrors *time.Duration `yaml:"intake_errors"`
	// Trackers keeps done and expired trackers this long after their last
	// change; default 720h.
	Trackers *time.Duration `yaml:"trackers"`
	// Shipments keeps delivered, returned and cancelled shipments, with
	// their events, this long after their last change; default 0 (forever:
	// they are the merchant's record).
	Shipments *time.Duration `yaml:"shipments"`
	// StockMutations keeps stock mutations this long after they were
	// recorded; default 2160h (90 days, as long as the inbox keeps the
	// messages they came from).
	StockMutations *time.Duration `yaml:"stock_mutations"`
	// Commands keeps succeeded and dead commands, with their
	// Idempotency-Keys, this long after their last change; default 2160h
	// (90 days). A key sent again after that is a new request.
	Commands *time.Duration `yaml:"commands"`
	// Interval is how often the retention service runs; default 10m.
	Interval time.Duration `yaml:"interval"`
	// BatchSize is how many rows one delete statement removes at most, so
	// no transaction holds the database for long; default 500.
	BatchSize int `yaml:"batch_size"`
}

// Retention defaults.
const (
	DefaultRetentionDeliveries   = 30 * 24 * time.Hour
	DefaultRetentionFeed         = 30 * 24 * time.Hour
	DefaultRetentionInbox        = 90 * 24 * time.Hour
	DefaultRetentionIntakeErrors = 30 * 24 * time.Hour
	DefaultRetentionTrackers     = 30 * 24 * time.Hour
	DefaultRetentionShipments    = time.Duration(0)
	// DefaultRetentionStockMutations is as long as the inbox is kept.
	DefaultRetentionStockMutations = 90 * 24 * time.Hour
	DefaultRetentionCommands       = 90 * 24 * time.Hour
	DefaultRetentionInterval       = 10 * time.Minute
	DefaultRetentionBatchSize      = 500
)

// KeepFor is a retention setting of d, for configurations built in code.
func KeepFor(d time.Duration) *time.Duration { return &d }

// fields pairs each table with its setting and default.
func (r *Retention) fields() []struct {
	key   string
	table store.RetentionTable
	value **time.Duration
	def   time.Duration
} {
	return []struct {
		key   string
		table store.RetentionTable
		value **time.Duration
		def   time.Duration
	}{
		{"deliveries", store.RetainDeliveries, &r.Deliveries, DefaultRetentionDeliveries},
		{"feed", store.RetainFeed, &r.Feed, DefaultRetentionFeed},
		{"inbox", store.RetainInbox, &r.Inbox, DefaultRetentionInbox},
		{"intake_errors", store.RetainIntakeErrors, &r.IntakeErrors, DefaultRetentionIntakeErrors},
		{"trackers", store.RetainTrackers, &r.Trackers, DefaultRetentionTrackers},
		{"shipments", store.RetainShipments, &r.Shipments, DefaultRetentionShipments},
		{"stock_mutations", store.RetainStockMutations, &r.StockMutations, DefaultRetentionStockMutations},
		{"commands", store.RetainCommands, &r.Commands, DefaultRetentionCommands},
	}
}

// SetDefaults fills in every unset retention setting with its default.
func (r *Retention) SetDefaults() {
	for _, f := range r.fields() {
		if *f.value == nil {
			*f.value = KeepFor(f.def)
		}
	}
	if r.Interval == 0 {
		r.Interval = DefaultRetentionInterval
	}
	if r.BatchSize == 0 {
		r.BatchSize = DefaultRetentionBatchSize
	}
}

// Validate checks the retention settings; its errors name the key.
func (r *Retention) Validate() error {
	var errs []error
	if r.Interval <= 0 {
		errs = append(errs, errors.New("retention.interval: must be positive"))
	}
	if r.BatchSize < 1 || r.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("retention.batch_size: must be 1 to 10000 (got %d)", r.BatchSize))
	}
	return errors.Join(errs...)
}

// Policy is how long each table keeps its finished rows, for the tables
// that are pruned at all (a setting of 0 or less keeps them forever and is
// left out). Call it after SetDefaults.
func (r *Retention) Policy() map[store.RetentionTable]time.Duration {
	out := map[store.RetentionTable]time.Duration{}
	for _, f := range r.fields() {
		if v := *f.value; v != nil && *v > 0 {
			out[f.table] = *v
		}
	}
	return out
}

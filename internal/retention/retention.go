// Package retention deletes what the hub no longer needs to keep: delivered
// webhook deliveries, old feed entries, the processed raw inbox, intake
// errors, finished trackers and (when configured) finished shipments. It
// runs on one instance at a time, under a lease, every interval, and deletes
// in small batches so it never holds the database for long. What a rule may
// delete is the store's business (store.Retention): nothing pending,
// retrying, failed or dead-lettered is ever deleted.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// LeaseName is the lease the retention service runs under.
const LeaseName = "retention"

// Store is what the retention service needs from the database.
type Store interface {
	store.Retention
	store.Coordination
}

// Config configures the retention service.
type Config struct {
	// Store is the database.
	Store Store
	// Policy is how long each table keeps its finished rows; a table that
	// is missing (or has a duration of 0 or less) is never pruned.
	Policy map[store.RetentionTable]time.Duration
	// Interval is the time between two runs; default 10m.
	Interval time.Duration
	// BatchSize is the most rows one delete removes; default 500.
	BatchSize int
	// OpTimeout bounds one batch; default 30s.
	OpTimeout time.Duration
	// Holder names this instance as a lease holder (coord.NewInstanceID).
	Holder string
	// LeaseTTL is how long the lease lasts without renewal; default 30s.
	LeaseTTL time.Duration
	// Metrics counts deleted rows (RetentionDeleted) and recovered panics;
	// nil counts nothing.
	Metrics *metrics.Metrics
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock the cutoffs are computed from; default time.Now.
	Now func() time.Time
}

// Service runs the retention policy. Build it with New.
type Service struct {
	cfg Config
	// log carries component=retention; base is without it, for
	// recovery.Report, which adds its own.
	log, base *slog.Logger
	loop      coord.Periodic
}

// New checks cfg, fills in its defaults and builds a service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("retention: a store is required")
	}
	for table := range cfg.Policy {
		if !knownTable(table) {
			return nil, fmt.Errorf("retention: unknown table %q", table)
		}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Minute
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 30 * time.Second
	}
	if cfg.Holder == "" {
		cfg.Holder = coord.NewInstanceID()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log.With("component", "retention"), base: log}, nil
}

func knownTable(t store.RetentionTable) bool {
	for _, k := range store.RetentionTables {
		if k == t {
			return true
		}
	}
	return false
}

// Start runs the policy every interval, on whichever instance holds the
// lease, until Stop. With an empty policy it does nothing.
func (s *Service) Start(ctx context.Context) {
	if len(s.Policy()) == 0 {
		return
	}
	lease := &coord.Singleton{Leases: s.cfg.Store, Name: LeaseName, Holder: s.cfg.Holder, TTL: s.cfg.LeaseTTL, Logger: s.log}
	s.loop.Start(ctx, lease, s.cfg.Interval, func(ctx context.Context) { _, _ = s.RunOnce(ctx) })
}

// Stop ends the service and waits for a batch in progress, or for ctx.
func (s *Service) Stop(ctx context.Context) error {
	return s.loop.Stop(ctx, "retention")
}

// Policy is the tables pruned and how long each keeps its rows.
func (s *Service) Policy() map[store.RetentionTable]time.Duration {
	out := map[store.RetentionTable]time.Duration{}
	for t, d := range s.cfg.Policy {
		if d > 0 {
			out[t] = d
		}
	}
	return out
}

// RunOnce prunes every table of the policy, batch by batch, until nothing
// older than its cutoff is left, and returns the rows deleted by table. A
// table that fails (or panics) is logged and left for the next run; the
// others are still pruned. The error joins every table's failure.
func (s *Service) RunOnce(ctx context.Context) (map[string]int64, error) {
	deleted := map[string]int64{}
	policy := s.Policy()
	var errs []error
	for _, table := range store.RetentionTables {
		keep, ok := policy[table]
		if !ok {
			continue
		}
		err := recovery.Do(func() error { return s.prune(ctx, table, s.cfg.Now().Add(-keep), deleted) })
		if err != nil {
			if ctx.Err() != nil {
				return deleted, ctx.Err()
			}
			recovery.Report(s.cfg.Metrics, s.base, "retention", err, "table", string(table))
			s.log.Warn("pruning failed; the next run tries again", "table", string(table), "error", err)
			errs = append(errs, fmt.Errorf("pruning %s: %w", table, err))
		}
	}
	if len(deleted) > 0 {
		attrs := make([]any, 0, 2*len(deleted))
		for t, n := range deleted {
			attrs = append(attrs, t, n)
		}
		s.log.Info("pruned rows past their retention", attrs...)
		errs = append(errs, s.reclaim(ctx, deleted))
	}
	return deleted, errors.Join(errs...)
}

// reclaim lets the database reuse the space of the tables rows were
// deleted from (PostgreSQL: VACUUM), one table at a time, each with a
// timeout of its own.
func (s *Service) reclaim(ctx context.Context, deleted map[string]int64) error {
	tables := make([]string, 0, len(deleted))
	for t := range deleted {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	var errs []error
	for _, t := range tables {
		err := recovery.Do(func() error {
			rctx, cancel := context.WithTimeout(ctx, 4*s.cfg.OpTimeout)
			defer cancel()
			return s.cfg.Store.ReclaimSpace(rctx, []string{t})
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			recovery.Report(s.cfg.Metrics, s.base, "retention", err, "table", t)
			s.log.Warn("reclaiming space failed; the next run tries again", "table", t, "error", err)
			errs = append(errs, fmt.Errorf("reclaiming the space of %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// prune deletes table's rows older than before, one batch per call of the
// store, each with a timeout of its own.
func (s *Service) prune(ctx context.Context, table store.RetentionTable, before time.Time, deleted map[string]int64) error {
	var cursor store.PruneCursor
	for {
		bctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
		res, err := s.cfg.Store.Prune(bctx, table, before, cursor, s.cfg.BatchSize)
		cancel()
		for t, n := range res.Deleted {
			deleted[t] += n
			if s.cfg.Metrics != nil && n > 0 {
				s.cfg.Metrics.RetentionDeleted.WithLabelValues(t).Add(float64(n))
			}
		}
		if err != nil {
			return err
		}
		if res.Done {
			return nil
		}
		cursor = res.Next
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

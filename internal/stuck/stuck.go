// Package stuck finds shipments that have had no update for too long
// (dashboard.stuck_after, per status) and adds a shipment.stuck feed event
// for each, once per episode: the shipment's next update ends the episode.
// It runs on one instance at a time, under a lease, every interval, and
// marks in small batches so it never holds the database for long.
package stuck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// LeaseName is the lease the stuck scan runs under.
const LeaseName = "stuck-scan"

// Store is what the scan needs from the database.
type Store interface {
	store.Stuck
	store.Coordination
}

// Config configures the scan.
type Config struct {
	// Store is the database.
	Store Store
	// Workspaces are the workspaces scanned.
	Workspaces []string
	// After is how long a shipment may stay in each status without an
	// update; a status that is missing, or has 0, is not scanned.
	After map[model.Status]time.Duration
	// Interval is the time between two scans; default 10m.
	Interval time.Duration
	// BatchSize is the most shipments one transaction marks; default 200.
	BatchSize int
	// OpTimeout bounds one batch; default 30s.
	OpTimeout time.Duration
	// Holder names this instance as a lease holder (coord.NewInstanceID).
	Holder string
	// LeaseTTL is how long the lease lasts without renewal; default 30s.
	LeaseTTL time.Duration
	// Notify, when set, is called after a batch marked shipments: their
	// webhook deliveries are queued (the delivery worker's wake-up).
	Notify func()
	// Metrics counts recovered panics; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock the cutoffs are computed from; default time.Now.
	Now func() time.Time
}

// Service runs the scan. Build it with New.
type Service struct {
	cfg       Config
	log, base *slog.Logger
	loop      coord.Periodic
}

// New checks cfg, fills in its defaults and builds a service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("stuck: a store is required")
	}
	for s, d := range cfg.After {
		if !s.Valid() {
			return nil, fmt.Errorf("stuck: %q is not a shipment status", s)
		}
		if d < 0 {
			return nil, fmt.Errorf("stuck: the duration of %s is negative", s)
		}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Minute
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
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
	return &Service{cfg: cfg, log: log.With("component", "stuck"), base: log}, nil
}

// statuses are the statuses scanned, in model.Statuses order, with their
// durations; final statuses are never stuck.
func (s *Service) statuses() []model.Status {
	var out []model.Status
	for _, st := range model.Statuses {
		if s.cfg.After[st] > 0 && !final(st) {
			out = append(out, st)
		}
	}
	return out
}

func final(st model.Status) bool {
	for _, f := range store.StuckFinal {
		if st == f {
			return true
		}
	}
	return false
}

// Start scans every interval, on whichever instance holds the lease, until
// Stop. With no workspace or no status to scan it does nothing.
func (s *Service) Start(ctx context.Context) {
	if len(s.cfg.Workspaces) == 0 || len(s.statuses()) == 0 {
		return
	}
	lease := &coord.Singleton{Leases: s.cfg.Store, Name: LeaseName, Holder: s.cfg.Holder, TTL: s.cfg.LeaseTTL, Logger: s.log, Metrics: s.cfg.Metrics}
	s.loop.Start(ctx, lease, s.cfg.Interval, func(ctx context.Context) { _, _ = s.RunOnce(ctx) })
}

// Stop ends the service and waits for a batch in progress, or for ctx.
func (s *Service) Stop(ctx context.Context) error {
	return s.loop.Stop(ctx, "the stuck scan")
}

// RunOnce scans every workspace and status once, batch by batch, until no
// stuck shipment is left unmarked, and returns how many it marked. A
// workspace and status that fails (or panics) is logged and left for the
// next run; the others are still scanned. The error joins every failure.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	total := 0
	var errs []error
	for _, ws := range s.cfg.Workspaces {
		for _, st := range s.statuses() {
			n := 0
			err := recovery.Do(func() error {
				var err error
				n, err = s.scan(ctx, ws, st, now)
				return err
			})
			total += n
			if n > 0 {
				s.log.Info("shipments stuck", "workspace", ws, "status", string(st), "count", n)
			}
			if err != nil {
				if ctx.Err() != nil {
					return total, ctx.Err()
				}
				recovery.Report(s.cfg.Metrics, s.base, "stuck", err, "workspace", ws)
				s.log.Warn("stuck scan failed; the next run tries again", "workspace", ws, "status", string(st), "error", err)
				errs = append(errs, fmt.Errorf("scanning %s shipments of %q: %w", st, ws, err))
			}
		}
	}
	return total, errors.Join(errs...)
}

// scan marks one workspace's stuck shipments of one status, in batches.
func (s *Service) scan(ctx context.Context, ws string, st model.Status, now time.Time) (int, error) {
	n := 0
	for {
		bctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
		marked, err := s.cfg.Store.MarkStuck(bctx, store.StuckScan{
			Workspace: ws, Status: st, Before: now.Add(-s.cfg.After[st]), Now: now, Limit: s.cfg.BatchSize,
		})
		cancel()
		if err != nil {
			return n, err
		}
		n += len(marked)
		if len(marked) > 0 && s.cfg.Notify != nil {
			s.cfg.Notify()
		}
		if len(marked) < s.cfg.BatchSize {
			return n, nil
		}
	}
}

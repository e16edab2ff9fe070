// Package insights keeps the dashboard's insights current: it computes the
// aggregates of package store's Insights port per workspace in the
// background and holds the latest snapshot, so the insights page answers
// from memory instead of aggregating a million events per view.
package insights

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// The windows of the aggregates.
const (
	// EventsWindow is the window of events per hour: 48 hours, the
	// current one included.
	EventsWindow = 48 * time.Hour
	// StatusWindow is the window of statuses per day: 14 days, today
	// included.
	StatusWindow = 14 * 24 * time.Hour
	// CarrierWindow is the window of the carrier aggregates: 30 days.
	CarrierWindow = 30 * 24 * time.Hour
)

// Snapshot is one workspace's insights at one time.
type Snapshot struct {
	Workspace string
	// AsOf is when the aggregation started.
	AsOf time.Time
	// HoursSince, DaysSince and CarriersSince start the windows.
	HoursSince, DaysSince, CarriersSince time.Time
	// CarriersAsOf is when the carrier aggregates (transit times and
	// rates) were computed: they read a month of shipments and are
	// computed again every CarrierInterval only (every time while they
	// find no shipment).
	CarriersAsOf time.Time

	EventsPerHour  []store.HourCount
	StatusesPerDay []store.DayStatusCount
	Transit        []store.CarrierTransit
	Rates          []store.CarrierRate

	// Took is how long each aggregation took, by name.
	Took map[string]time.Duration
	// Failed names the aggregations that failed this time; their figures
	// are those of the previous snapshot, or none.
	Failed []string
}

// Config builds a Service.
type Config struct {
	// Store answers the aggregates.
	Store store.Insights
	// Workspaces are the ones Refresh computes. The background loop of
	// Start computes, among every workspace, only those whose insights
	// were asked for within KeepFresh.
	Workspaces []string
	// KeepFresh is how long after a workspace's insights were last asked
	// for (Snapshot) the background keeps computing them; default 15m.
	// The aggregates read weeks of events (seconds of database time at a
	// million events), so nobody's workspace is computed while nobody
	// looks: not at start, not on an instance nobody's dashboard uses.
	KeepFresh time.Duration
	// Logger receives durations and failures; nil means slog.Default().
	Logger *slog.Logger
	// Interval is how often the snapshots are computed again; default 1m.
	Interval time.Duration
	// CarrierInterval is how often the carrier aggregates, which read a
	// month of shipments and their documents, are computed again; default
	// 10m (at 100,000 shipments they take seconds on PostgreSQL).
	CarrierInterval time.Duration
	// Timeout bounds each aggregation; default 30s.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service keeps the snapshots. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	mu        sync.RWMutex
	snapshots map[string]*Snapshot
	// computing serialises the computation of each workspace, so a page
	// that asks during a background run waits for it rather than
	// aggregating a second time.
	computing sync.Map // workspace → *sync.Mutex

	// life ends on Stop: the background loop and first computations run
	// in it, not in the context of the request that asked first.
	life     context.Context
	endLife  context.CancelFunc
	inflight map[string]*flight // under mu
	// asked is when each workspace's insights were last asked for; under mu.
	asked map[string]time.Time

	stop chan struct{}
	done chan struct{}
}

// flight is a first computation of a workspace's snapshot.
type flight struct {
	done chan struct{}
	snap *Snapshot
}

// ErrPending means the workspace's first snapshot is still being computed.
var ErrPending = errors.New("the insights are being computed")

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("insights: a store is required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.CarrierInterval <= 0 {
		cfg.CarrierInterval = 10 * time.Minute
	}
	if cfg.CarrierInterval < cfg.Interval {
		cfg.CarrierInterval = cfg.Interval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.KeepFresh <= 0 {
		cfg.KeepFresh = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	life, end := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: log, snapshots: map[string]*Snapshot{}, life: life, endLife: end, inflight: map[string]*flight{}, asked: map[string]time.Time{}}, nil
}

// Start computes again, every Interval until Stop, the snapshots of the
// workspaces whose insights were asked for within KeepFresh.
func (s *Service) Start(ctx context.Context) {
	if s.stop != nil {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	s.stop, s.done = stop, done
	ctx, cancel := context.WithCancel(s.life)
	go func() {
		<-stop
		cancel()
	}()
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, ws := range s.viewed() {
				if ctx.Err() != nil {
					return
				}
				s.compute(ctx, ws)
			}
		}
	}()
}

// Stop ends the background computation and waits for it; first
// computations still running are cancelled.
func (s *Service) Stop(ctx context.Context) error {
	s.endLife()
	if s.stop == nil {
		return nil
	}
	close(s.stop)
	select {
	case <-s.done:
		s.stop = nil
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the insights: %w", ctx.Err())
	}
}

// Refresh computes the snapshot of every configured workspace once.
func (s *Service) Refresh(ctx context.Context) {
	for _, ws := range s.cfg.Workspaces {
		if ctx.Err() != nil {
			return
		}
		s.compute(ctx, ws)
	}
}

// Snapshot returns the workspace's latest snapshot. When it has none
// yet, it starts computing it (in the background: a request that gives up
// does not cancel it) and waits until ctx is done; then the error is
// ErrPending, and a later call finds the snapshot.
func (s *Service) Snapshot(ctx context.Context, workspace string) (*Snapshot, error) {
	s.mu.Lock()
	s.asked[workspace] = s.cfg.Now()
	s.mu.Unlock()
	if snap := s.cached(workspace); snap != nil {
		return snap, nil
	}
	s.mu.Lock()
	f := s.inflight[workspace]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.inflight[workspace] = f
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.inflight, workspace)
				s.mu.Unlock()
				close(f.done)
			}()
			f.snap = s.compute(s.life, workspace)
		}()
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		if f.snap == nil || s.life.Err() != nil {
			return nil, fmt.Errorf("computing the insights of %s: the service stopped", workspace)
		}
		return f.snap, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("insights of %s: %w (%w)", workspace, ErrPending, ctx.Err())
	}
}

// viewed lists the workspaces whose insights were asked for within
// KeepFresh, and forgets the others' snapshots: they would be stale when
// next asked for, and are computed anew then.
func (s *Service) viewed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var out []string
	for ws, at := range s.asked {
		if now.Sub(at) <= s.cfg.KeepFresh {
			out = append(out, ws)
			continue
		}
		delete(s.asked, ws)
		delete(s.snapshots, ws)
	}
	slices.Sort(out)
	return out
}

func (s *Service) cached(workspace string) *Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.snapshots[workspace]
}

// compute aggregates one workspace and keeps the result. An aggregation
// that fails keeps the previous snapshot's figures for it.
func (s *Service) compute(ctx context.Context, workspace string) *Snapshot {
	m, _ := s.computing.LoadOrStore(workspace, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	prev := s.cached(workspace)
	now := s.cfg.Now().UTC()
	if prev != nil && now.Sub(prev.AsOf) < s.cfg.Interval/2 {
		// Computed while this call waited for the lock.
		return prev
	}
	if prev == nil {
		prev = &Snapshot{}
	}
	snap := &Snapshot{
		Workspace:     workspace,
		AsOf:          now,
		HoursSince:    now.Truncate(time.Hour).Add(-EventsWindow + time.Hour),
		DaysSince:     now.Truncate(24 * time.Hour).Add(-StatusWindow + 24*time.Hour),
		CarriersSince: now.Add(-CarrierWindow),
		CarriersAsOf:  now,
		Took:          map[string]time.Duration{},
	}
	run := func(name string, fn func(ctx context.Context) error, keep func()) {
		c, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		start := time.Now()
		err := fn(c)
		took := time.Since(start)
		snap.Took[name] = took
		if err != nil {
			keep()
			snap.Failed = append(snap.Failed, name)
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("insights aggregation failed", "workspace", workspace, "aggregate", name, "duration", took, "error", err)
			}
			return
		}
		s.log.Debug("insights aggregation", "workspace", workspace, "aggregate", name, "duration", took)
	}
	st := s.cfg.Store
	run("events_per_hour", func(c context.Context) (err error) {
		snap.EventsPerHour, err = st.EventsPerHour(c, workspace, snap.HoursSince)
		return err
	}, func() { snap.EventsPerHour = prev.EventsPerHour })
	run("statuses_per_day", func(c context.Context) (err error) {
		snap.StatusesPerDay, err = st.StatusesPerDay(c, workspace, snap.DaysSince)
		return err
	}, func() { snap.StatusesPerDay = prev.StatusesPerDay })
	// The carrier aggregates are kept for CarrierInterval, unless they
	// found nothing: then they are cheap, and the first shipments should
	// show within a minute (the demo's do).
	if !prev.CarriersAsOf.IsZero() && len(prev.Rates) > 0 && now.Sub(prev.CarriersAsOf) < s.cfg.CarrierInterval {
		snap.CarriersSince, snap.CarriersAsOf = prev.CarriersSince, prev.CarriersAsOf
		snap.Transit, snap.Rates = prev.Transit, prev.Rates
	} else {
		run("transit_times", func(c context.Context) (err error) {
			snap.Transit, err = st.TransitTimes(c, workspace, snap.CarriersSince)
			return err
		}, func() { snap.Transit, snap.CarriersAsOf = prev.Transit, prev.CarriersAsOf })
		run("carrier_rates", func(c context.Context) (err error) {
			snap.Rates, err = st.CarrierRates(c, workspace, snap.CarriersSince)
			return err
		}, func() { snap.Rates, snap.CarriersAsOf = prev.Rates, prev.CarriersAsOf })
	}
	var total time.Duration
	for _, d := range snap.Took {
		total += d
	}
	level := slog.LevelDebug
	if total > time.Second {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "insights computed", "workspace", workspace, "duration", total, "failed", len(snap.Failed))
	if ctx.Err() == nil {
		s.mu.Lock()
		s.snapshots[workspace] = snap
		s.mu.Unlock()
	}
	return snap
}

package poll

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// ComponentPoller is the component label of a panic recovered in one poll.
const ComponentPoller = "poller"

// PollerConfig configures a Poller of items of type T (trackers, for GCL).
type PollerConfig[T any] struct {
	// Name names the poller's lease, e.g. "poll/acme/gcl": one instance at a
	// time runs it.
	Name string
	// Coord is the shared database the lease lives in.
	Coord store.Coordination
	// Holder is this instance's id (coord.NewInstanceID).
	Holder string
	// Budget is spent on every poll; the poller never polls without a unit.
	Budget *Budget
	// Due lists up to limit items due at now, most useful first.
	Due func(ctx context.Context, now time.Time, limit int) ([]T, error)
	// Poll polls one item and records its next due time, so that Due no
	// longer lists it. Its context ends when the poller stops or loses its
	// lease.
	Poll func(ctx context.Context, item T)
	// Backoff records a poll that panicked as a failed one, so that Due no
	// longer lists the item until its backoff has passed: a provider answer
	// that makes Poll panic must not make it panic again at once, forever.
	Backoff func(ctx context.Context, item T, err error)
	// Concurrency is how many polls run at once, so that a slow answer does
	// not hold the others up; default 4.
	Concurrency int
	// Idle is how often Due is asked again when nothing was due; default 1s.
	// Wake asks at once.
	Idle time.Duration
	// LeaseTTL is how long the lease outlives a dead instance; default 15s.
	LeaseTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger is the structured logger; default slog.Default(). It should
	// carry the connection's attributes (workspace, connection, provider).
	Logger *slog.Logger
	// Metrics counts recovered panics; nil counts nothing.
	Metrics *metrics.Metrics
}

// Validate checks the configuration.
func (c *PollerConfig[T]) Validate() error {
	var errs []error
	if c.Name == "" || c.Holder == "" || c.Coord == nil {
		errs = append(errs, errors.New("poller: Name, Holder and Coord are required"))
	}
	if c.Budget == nil || c.Due == nil || c.Poll == nil || c.Backoff == nil {
		errs = append(errs, errors.New("poller: Budget, Due, Poll and Backoff are required"))
	}
	if c.Concurrency < 0 || c.Concurrency > 256 {
		errs = append(errs, errors.New("poller: Concurrency out of range 0..256"))
	}
	return errors.Join(errs...)
}

// Poller polls due items within a budget, the most useful first, on one
// instance at a time. When the budget runs short, the items left over stay
// due; the next round asks Due again, so a parcel that became urgent
// meanwhile goes ahead of them.
type Poller[T any] struct {
	cfg    PollerConfig[T]
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// NewPoller builds a poller; Start runs it.
func NewPoller[T any](cfg PollerConfig[T]) (*Poller[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.Idle <= 0 {
		cfg.Idle = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Poller[T]{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Wake makes the poller look for due items now (a tracker was added). It
// never blocks.
func (p *Poller[T]) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Start runs the poller until Stop or ctx ends.
func (p *Poller[T]) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	s := &coord.Singleton{Leases: p.cfg.Coord, Name: p.cfg.Name, Holder: p.cfg.Holder, TTL: p.cfg.LeaseTTL, Logger: p.cfg.Logger, Metrics: p.cfg.Metrics}
	go func() {
		defer close(p.done)
		s.Run(ctx, p.run)
	}()
}

// Stop ends the poller and waits for the polls in flight, or ctx.
func (p *Poller[T]) Stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pollOne polls one item. A panic in it is recovered, logged with the
// poller's connection, counted, and the item is backed off like a failed
// poll; the process and the other polls carry on.
func (p *Poller[T]) pollOne(ctx context.Context, it T) {
	err := recovery.Do(func() error { p.cfg.Poll(ctx, it); return nil })
	if err == nil {
		return
	}
	recovery.Report(p.cfg.Metrics, p.cfg.Logger, ComponentPoller, err, "poller", p.cfg.Name)
	if berr := recovery.Do(func() error { p.cfg.Backoff(ctx, it, err); return nil }); berr != nil {
		recovery.Report(p.cfg.Metrics, p.cfg.Logger, ComponentPoller, berr, "poller", p.cfg.Name, "during", "backoff")
	}
}

// run polls while the lease is held.
func (p *Poller[T]) run(ctx context.Context) {
	for ctx.Err() == nil {
		wait, err := p.round(ctx)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Warn("polling round failed", "poller", p.cfg.Name, "error", err)
			wait = p.cfg.Idle
		}
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// round polls one batch of due items and says how long to wait before the
// next: 0 when more may be due, Idle when nothing was, until the window
// opens again when the budget ran out.
func (p *Poller[T]) round(ctx context.Context) (time.Duration, error) {
	batch := p.cfg.Concurrency * 4
	items, err := p.cfg.Due(ctx, p.cfg.Now(), batch)
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		return p.cfg.Idle, nil
	}
	var (
		wg      sync.WaitGroup
		sem     = make(chan struct{}, p.cfg.Concurrency)
		wait    time.Duration
		roundEr error
	)
	for _, it := range items {
		ok, retryAt, err := p.cfg.Budget.Take(ctx)
		if err != nil {
			roundEr = err
			break
		}
		if !ok {
			wait = max(time.Until(retryAt), 10*time.Millisecond)
			p.cfg.Logger.Debug("request budget exhausted; polls wait", "poller", p.cfg.Name, "until", retryAt)
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			p.pollOne(ctx, it)
		})
	}
	wg.Wait()
	if roundEr != nil {
		return 0, roundEr
	}
	if wait == 0 && len(items) < batch {
		// Everything due was polled; look again when the idle time passes
		// or a tracker is added.
		return p.cfg.Idle, nil
	}
	return wait, nil
}

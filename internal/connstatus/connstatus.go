// Package connstatus keeps what GET /api/v1/connections shows of every
// configured connection: the last result of its connector's health check
// (run at start and periodically, within the connection's rate budget at
// background priority), when its newest inbox message arrived, its last
// intake error and, for rate-limited providers, what is left of its budget.
//
// Health results live in memory: each hub instance checks for itself, and
// a restart shows unknown until the first round, which runs at start.
package connstatus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// Defaults of Options.
const (
	DefaultInterval = 5 * time.Minute
	DefaultTimeout  = 30 * time.Second
)

// Store is what the tracker reads: the inbox's activity and the intake
// errors (store.Store has both).
type Store interface {
	store.Activity
	ListIntakeErrors(ctx context.Context, f store.IntakeErrorFilter) ([]*model.IntakeError, error)
}

// Connections lists the configured connections (*connections.Set).
type Connections interface {
	All() []*connections.Conn
}

// Options configure a Tracker.
type Options struct {
	// Connections are the configured connections; required.
	Connections Connections
	// Store reads last messages and intake errors; required.
	Store Store
	// Limiters gives the rate limiter of a connection, which its health
	// check waits on (at background priority, whatever the connector
	// asks). Nil, or a nil limiter, means unlimited.
	Limiters func(workspace, connection string) provider.Limiter
	// Budgets reads a rate budget's status by its key, for connectors that
	// are provider.RateLimited (the budget registry's Status). Nil: no
	// budget is shown.
	Budgets func(ctx context.Context, key string) (provider.BudgetStatus, error)
	// Interval is the time between two rounds of health checks; default
	// DefaultInterval (5 minutes). A round also runs at Start.
	Interval time.Duration
	// Timeout bounds one health check; default DefaultTimeout (30s).
	Timeout time.Duration
	// Now is the clock of checked_at; default time.Now.
	Now func() time.Time
	// After waits between rounds; default time.After. Tests pass a
	// channel they control.
	After func(time.Duration) <-chan time.Time
	// Logger receives failed checks; default slog.Default().
	Logger *slog.Logger
}

// Validate checks the options' invariants.
func (o Options) Validate() error {
	var errs []error
	if o.Connections == nil {
		errs = append(errs, errors.New("connstatus: connections are required"))
	}
	if o.Store == nil {
		errs = append(errs, errors.New("connstatus: a store is required"))
	}
	if o.Interval < 0 || o.Timeout < 0 {
		errs = append(errs, errors.New("connstatus: interval and timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Tracker runs the health checks and answers GET /api/v1/connections. It
// is safe for concurrent use.
type Tracker struct {
	opts Options

	mu     sync.Mutex
	health map[[2]string]model.ConnectionHealth

	// stop ends the loop Start began; done is closed when it has.
	stop chan struct{}
	done chan struct{}
}

// New builds a tracker; Start runs its checks.
func New(o Options) (*Tracker, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Tracker{opts: o, health: map[[2]string]model.ConnectionHealth{}}, nil
}

// Start runs a round of health checks now and then every Interval, until
// Stop. It returns at once.
func (t *Tracker) Start(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stop != nil {
		return
	}
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func(stop <-chan struct{}, done chan<- struct{}) {
		defer close(done)
		defer cancel()
		go func() {
			<-stop
			cancel() // a check in flight ends with the tracker
		}()
		for {
			t.CheckAll(ctx)
			select {
			case <-stop:
				return
			case <-t.opts.After(t.opts.Interval):
			}
		}
	}(t.stop, t.done)
}

// Stop ends the checks and waits for a round in flight, or for ctx.
func (t *Tracker) Stop(ctx context.Context) error {
	t.mu.Lock()
	stop, done := t.stop, t.done
	t.stop, t.done = nil, nil
	t.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the connection health checks: %w", ctx.Err())
	}
}

// CheckAll runs the health check of every connection whose connector has
// one, concurrently, and records the results.
func (t *Tracker) CheckAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range t.opts.Connections.All() {
		hc, ok := c.Connector.(provider.HealthChecker)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.check(ctx, c, hc)
		}()
	}
	wg.Wait()
}

func (t *Tracker) check(parent context.Context, c *connections.Conn, hc provider.HealthChecker) {
	ctx, cancel := context.WithTimeout(parent, t.opts.Timeout)
	defer cancel()
	var l provider.Limiter = unlimited{}
	if t.opts.Limiters != nil {
		if got := t.opts.Limiters(c.Workspace, c.ID); got != nil {
			l = got
		}
	}
	err := hc.CheckHealth(ctx, background{l})
	log := t.opts.Logger.With(slog.String("workspace", c.Workspace), slog.String("connection", c.ID), slog.String("provider", c.Provider))
	switch {
	case errors.Is(err, provider.ErrBudgetExhausted):
		// The budget is spent on urgent work or blocked: that says nothing
		// of the login, so the last result stands.
		log.Debug("connection health check skipped: no budget left", slog.Any("error", err))
		return
	case parent.Err() != nil:
		return // stopping: the check was cut short, not answered
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("no answer within %s: %w", t.opts.Timeout, err)
	}
	now := t.opts.Now().UTC()
	h := model.ConnectionHealth{Status: model.HealthHealthy, CheckedAt: &now}
	if err != nil {
		h.Status, h.Reason = model.HealthUnhealthy, err.Error()
		log.Warn("connection health check failed", slog.Any("error", err))
	}
	t.mu.Lock()
	t.health[[2]string{c.Workspace, c.ID}] = h
	t.mu.Unlock()
}

// Connections lists every configured connection of the workspace, in
// configuration order, with its health, last message, last error and
// budget.
func (t *Tracker) Connections(ctx context.Context, workspace string) ([]*model.ConnectionStatus, error) {
	var (
		conns []*connections.Conn
		names []string
	)
	for _, c := range t.opts.Connections.All() {
		if c.Workspace == workspace {
			conns, names = append(conns, c), append(names, c.ID)
		}
	}
	out := make([]*model.ConnectionStatus, 0, len(conns))
	if len(conns) == 0 {
		return out, nil
	}
	last, err := t.opts.Store.LastInboxMessages(ctx, workspace, names)
	if err != nil {
		return nil, fmt.Errorf("reading the connections' last messages: %w", err)
	}
	for _, c := range conns {
		s := &model.ConnectionStatus{ID: c.ID, Workspace: c.Workspace, Provider: c.Provider,
			Health: model.ConnectionHealth{Status: model.HealthUnknown}}
		t.mu.Lock()
		if h, ok := t.health[[2]string{c.Workspace, c.ID}]; ok {
			s.Health = h
		}
		t.mu.Unlock()
		if at, ok := last[c.ID]; ok {
			s.LastMessageAt = &at
		}
		errs, err := t.opts.Store.ListIntakeErrors(ctx, store.IntakeErrorFilter{Workspace: workspace, Connection: c.ID, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("reading the last intake error of %s/%s: %w", workspace, c.ID, err)
		}
		if len(errs) > 0 {
			s.LastError = &model.ConnectionError{Reason: errs[0].Reason, At: errs[0].ReceivedAt}
		}
		if b, err := t.budget(ctx, c); err != nil {
			return nil, err
		} else if b != nil {
			s.Budget = b
		}
		out = append(out, s)
	}
	return out, nil
}

// budget reads the connection's rate budget, for rate-limited connectors.
func (t *Tracker) budget(ctx context.Context, c *connections.Conn) (*model.ConnectionBudget, error) {
	rl, ok := c.Connector.(provider.RateLimited)
	if !ok || t.opts.Budgets == nil {
		return nil, nil
	}
	rb := rl.RateBudget()
	bs, err := t.opts.Budgets(ctx, rb.Key)
	if err != nil {
		return nil, fmt.Errorf("reading the rate budget of %s/%s: %w", c.Workspace, c.ID, err)
	}
	b := &model.ConnectionBudget{PerMinute: bs.PerMinute, PerDay: bs.PerDay, MinuteLeft: bs.MinuteLeft,
		DayLeft: bs.DayLeft, Violations: bs.Violations}
	if b.PerMinute == 0 && b.PerDay == 0 {
		b.PerMinute, b.PerDay = rb.PerMinute, rb.PerDay
	}
	if !bs.BlockedUntil.IsZero() && bs.BlockedUntil.After(t.opts.Now()) {
		until := bs.BlockedUntil.UTC()
		b.BlockedUntil = &until
	}
	return b, nil
}

// background makes every wait of a health check a background one: a check
// takes only what urgent work (commands) leaves of the budget.
type background struct{ l provider.Limiter }

func (b background) Wait(ctx context.Context, _ provider.Priority) error {
	return b.l.Wait(ctx, provider.PriorityBackground)
}

func (b background) Blocked(ctx context.Context) (time.Time, error) { return b.l.Blocked(ctx) }

// unlimited is the limiter of a connection without a budget.
type unlimited struct{}

func (unlimited) Wait(ctx context.Context, _ provider.Priority) error { return ctx.Err() }
func (unlimited) Blocked(context.Context) (time.Time, error)          { return time.Time{}, nil }

var (
	_ provider.Limiter = background{}
	_ provider.Limiter = unlimited{}
)

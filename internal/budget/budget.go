// Package budget keeps the providers' rate budgets, keyed by credential:
// every connection that logs in with the same API user, in every hub
// instance on one database, spends from one budget (WICS counts 150 requests
// a minute and 20,000 a day per user, and blocks a user who sends more).
//
// # How the sliding minute holds
//
// The budget does not count windows: it paces. Its shared row
// (store.RateBudgets) holds next_slot, the earliest start the next request
// may be given; each take hands out max(next_slot, now) and moves next_slot
// on by one interval, 60 s / PerMinute stretched by paceMargin, in one
// atomic statement. So any two granted starts are at least one interval
// apart, in every instance, and PerMinute+1 starts span at least
// PerMinute intervals = 60 s × paceMargin (61.2 s for 2 %). A waiter that
// wakes more than lateTolerance after its slot gives it up and takes a new
// one, so real starts lie in [slot, slot+lateTolerance] and any
// PerMinute+1 of them still span 60.95 s: more than a minute, with 0.95 s
// left for network jitter and the clock difference between instances. The
// price is that a burst is spread out (one request every 408 ms for WICS)
// instead of sent at once; the throughput is the limit's (147 a minute).
//
// The day is a fixed window (the provider's calendar day,
// provider.RateBudget.Day, UTC by default) counted in the same row. Background work may use BackgroundShare of it,
// so urgent work (merchants' commands) always finds some left.
//
// # Blocks
//
// When the provider blocks anyway (429 or its block message), Blocked
// records the block in the shared row with the provider's escalation, and
// every waiter, in every instance, waits until it ends: sending during a
// block is what makes the provider escalate. A wait longer than MaxWait
// returns a *provider.RetryAfterError, so the command worker reschedules
// instead of holding a worker.
//
// Caveats: a waiter checks the row for a block after it wakes, so a block
// recorded by another instance in the moment between that check and the
// request is not seen (the request may then meet the block, and escalate
// it once). Clocks of instances sharing a database must agree within the
// margin (NTP does that easily).
package budget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

const (
	// paceMargin stretches the interval between starts, so that jitter
	// can never squeeze PerMinute+1 requests into a minute at the provider.
	paceMargin = 1.02
	// lateTolerance is how late after its slot a waiter may still start;
	// later, it takes a new slot (see the package comment).
	lateTolerance = 250 * time.Millisecond
	// localYield is how long background waits before looking again when
	// urgent work of this instance is waiting on the same budget.
	localYield = 50 * time.Millisecond
)

// Defaults of Options.
const (
	DefaultMaxWait         = 2 * time.Second
	DefaultBackgroundShare = 0.8
	DefaultQuiet           = 15 * time.Minute
)

// Options configure a Registry.
type Options struct {
	// Store is the shared state of the budgets (required).
	Store store.RateBudgets
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then;
	// default a timer. Tests give a fake clock's.
	Sleep func(ctx context.Context, d time.Duration) error
	// Metrics, when set, receives shiphub_rate_budget_remaining (with the
	// budget's key as its connection label), shiphub_rate_blocked_until_seconds
	// and shiphub_rate_blocks_total.
	Metrics *metrics.Metrics
	// Logger logs blocks; default slog.Default().
	Logger *slog.Logger
	// MaxWait is the longest Wait blocks before it answers with a
	// *provider.RetryAfterError instead (also bounded by ctx's deadline);
	// default 2 s.
	MaxWait time.Duration
	// BackgroundShare is the part of a day's budget background work may
	// use (0 < share ≤ 1); default 0.8.
	BackgroundShare float64
	// Quiet is how long after a block ended the escalation starts over at
	// its first level; default 15 minutes.
	Quiet time.Duration
	// Day is the time zone whose midnight starts a day's budget when the
	// budget names none (provider.RateBudget.Day); default UTC.
	Day *time.Location
}

// Validate checks the options after defaults.
func (o Options) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("budget: a store is required"))
	}
	if o.MaxWait < 0 {
		errs = append(errs, errors.New("budget: max wait must not be negative"))
	}
	if o.BackgroundShare < 0 || o.BackgroundShare > 1 {
		errs = append(errs, fmt.Errorf("budget: background share %v is not within (0, 1]", o.BackgroundShare))
	}
	if o.Quiet < 0 {
		errs = append(errs, errors.New("budget: quiet period must not be negative"))
	}
	return errors.Join(errs...)
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if !ctxtime.Sleep(ctx, d) {
				return ctx.Err()
			}
			return nil
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.BackgroundShare == 0 {
		o.BackgroundShare = DefaultBackgroundShare
	}
	if o.Quiet == 0 {
		o.Quiet = DefaultQuiet
	}
	if o.Day == nil {
		o.Day = time.UTC
	}
}

// Registry hands out the limiters of the rate budgets, one per key: every
// connection with the same credential gets the same one.
type Registry struct {
	opts Options

	mu       sync.Mutex
	limiters map[string]*limiter
}

// New returns a registry.
func New(o Options) (*Registry, error) {
	o.defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Registry{opts: o, limiters: map[string]*limiter{}}, nil
}

// Key is a budget key for a provider's API user: the provider's name and a
// hash of the user, so that neither the login nor, above all, any secret
// appears in metrics, logs or the database.
func Key(providerName, user string) string {
	sum := sha256.Sum256([]byte(providerName + "\x00" + user))
	return providerName + ":" + hex.EncodeToString(sum[:8])
}

// Limiter returns the limiter of rb.Key. Connections that share a key but
// were configured with different limits share the strictest of them. A
// budget without a key or without limits is unlimited.
func (r *Registry) Limiter(rb provider.RateBudget) provider.Limiter {
	if r == nil || rb.Key == "" || (rb.PerMinute <= 0 && rb.PerDay <= 0) {
		return Unlimited
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[rb.Key]
	if !ok {
		l = &limiter{r: r, rb: rb}
		r.limiters[rb.Key] = l
		return l
	}
	l.mu.Lock()
	l.rb.PerMinute = stricter(l.rb.PerMinute, rb.PerMinute)
	l.rb.PerDay = stricter(l.rb.PerDay, rb.PerDay)
	if len(rb.Escalation) > 0 && (len(l.rb.Escalation) == 0 || rb.Escalation[len(rb.Escalation)-1] > l.rb.Escalation[len(l.rb.Escalation)-1]) {
		l.rb.Escalation = rb.Escalation
	}
	if l.rb.Day == nil {
		l.rb.Day = rb.Day
	}
	l.mu.Unlock()
	return l
}

// ForConnector returns the limiter of a connector's budget, or Unlimited
// when the connector is not provider.RateLimited (or the registry is nil),
// so callers can always wait on what they are given.
func (r *Registry) ForConnector(c provider.Connector) provider.Limiter {
	rl, ok := c.(provider.RateLimited)
	if r == nil || !ok {
		return Unlimited
	}
	return r.Limiter(rl.RateBudget())
}

// Status says what the budget of key has left. Its limits are those of the
// limiter handed out for key in this instance (zero when none was: see
// StatusFor, which hands it out first).
func (r *Registry) Status(ctx context.Context, key string) (provider.BudgetStatus, error) {
	if r == nil {
		return provider.BudgetStatus{Key: key}, nil
	}
	r.mu.Lock()
	l := r.limiters[key]
	r.mu.Unlock()
	var rb provider.RateBudget
	if l != nil {
		rb = l.budget()
	}
	rb.Key = key
	st, err := r.opts.Store.RateBudgetState(ctx, key)
	if err != nil {
		return provider.BudgetStatus{}, fmt.Errorf("reading the status of rate budget %q: %w", key, err)
	}
	return r.status(rb, st, r.opts.Now()), nil
}

// StatusFor is Status for a connector's budget, for GET /connections: ok
// is false (and nothing is read) when the connector has no rate budget.
func (r *Registry) StatusFor(ctx context.Context, c provider.Connector) (st provider.BudgetStatus, ok bool, err error) {
	rl, isLimited := c.(provider.RateLimited)
	if r == nil || !isLimited {
		return provider.BudgetStatus{}, false, nil
	}
	rb := rl.RateBudget()
	if r.Limiter(rb) == Unlimited {
		return provider.BudgetStatus{}, false, nil
	}
	st, err = r.Status(ctx, rb.Key)
	return st, err == nil, err
}

// status derives what is left from the shared row.
func (r *Registry) status(rb provider.RateBudget, st store.RateState, now time.Time) provider.BudgetStatus {
	bs := provider.BudgetStatus{Key: rb.Key, PerMinute: rb.PerMinute, PerDay: rb.PerDay}
	if st.BlockedUntil.After(now) {
		bs.BlockedUntil = st.BlockedUntil
	}
	if st.Violations > 0 && now.Before(st.BlockedUntil.Add(quiet(rb, r.opts.Quiet))) {
		bs.Violations = st.Violations
	}
	dayLeft := math.MaxInt
	if rb.PerDay > 0 {
		used := st.DayUsed
		if st.DayStart.Before(r.dayStart(rb, now)) {
			used = 0
		}
		dayLeft = max(rb.PerDay-used, 0)
		bs.DayLeft = dayLeft
	}
	if rb.PerMinute > 0 {
		start := now
		for _, t := range []time.Time{st.NextSlot, st.BlockedUntil} {
			if t.After(start) {
				start = t
			}
		}
		end := now.Add(window(rb))
		if start.Before(end) {
			bs.MinuteLeft = min(1+int((end.Sub(start)-1)/interval(rb)), rb.PerMinute, dayLeft)
		}
	}
	return bs
}

// dayZone is the zone of rb's day.
func (r *Registry) dayZone(rb provider.RateBudget) *time.Location {
	if rb.Day != nil {
		return rb.Day
	}
	return r.opts.Day
}

// dayStart is the start of the day window of rb that now is in.
func (r *Registry) dayStart(rb provider.RateBudget, now time.Time) time.Time {
	loc := r.dayZone(rb)
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// window is the length of rb's minute (RateBudget.Window).
func window(rb provider.RateBudget) time.Duration {
	if rb.Window > 0 {
		return rb.Window
	}
	return time.Minute
}

// interval is the pacing interval of a minute's limit.
func interval(rb provider.RateBudget) time.Duration {
	if rb.PerMinute <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(float64(window(rb)) * paceMargin / float64(rb.PerMinute)))
}

// quiet is the quiet period after which rb's escalation starts over,
// shrunk with a compressed minute like the blocks themselves.
func quiet(rb provider.RateBudget, q time.Duration) time.Duration {
	return time.Duration(float64(q) * float64(window(rb)) / float64(time.Minute))
}

// tolerance is how late after its slot a waiter may still start:
// lateTolerance for a real minute, shrunk with a compressed one.
func tolerance(rb provider.RateBudget) time.Duration {
	return time.Duration(float64(lateTolerance) * float64(window(rb)) / float64(time.Minute))
}

func stricter(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	default:
		return min(a, b)
	}
}

// Unlimited is a limiter that never waits: for connectors whose provider
// sets no limit.
var Unlimited provider.Limiter = unlimited{}

type unlimited struct{}

func (unlimited) Wait(ctx context.Context, _ provider.Priority) error { return ctx.Err() }

func (unlimited) Blocked(context.Context) (time.Time, error) { return time.Time{}, nil }

// limiter is one key's budget in this instance.
type limiter struct {
	r *Registry

	mu sync.Mutex
	rb provider.RateBudget

	// urgent counts this instance's urgent waiters: background work
	// yields to them before it asks the database.
	urgent atomic.Int64
}

var (
	_ provider.Limiter      = (*limiter)(nil)
	_ provider.LevelBlocker = (*limiter)(nil)
)

func (l *limiter) budget() provider.RateBudget {
	l.mu.Lock()
	defer l.mu.Unlock()
	rb := l.rb
	rb.Escalation = append([]time.Duration(nil), rb.Escalation...)
	return rb
}

// exhausted is the error of a wait that would be too long.
func exhausted(after time.Duration, why string, until time.Time) error {
	return &provider.RetryAfterError{
		After: after,
		Err:   fmt.Errorf("%w: %s until %s", provider.ErrBudgetExhausted, why, until.UTC().Format(time.RFC3339Nano)),
	}
}

// Wait blocks until one request may start at priority p (see the package
// comment), at most MaxWait or until ctx's deadline.
func (l *limiter) Wait(ctx context.Context, p provider.Priority) error {
	urgent := p == provider.PriorityUrgent
	if urgent {
		l.urgent.Add(1)
		defer l.urgent.Add(-1)
	}
	o := &l.r.opts
	rb := l.budget()
	iv := interval(rb)
	start := o.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := o.Now()
		maxWait := o.MaxWait - now.Sub(start)
		if dl, ok := ctx.Deadline(); ok {
			maxWait = min(maxWait, dl.Sub(now))
		}
		maxWait = max(maxWait, 0)

		if !urgent && l.urgent.Load() > 0 {
			if err := l.pause(ctx, now, now.Add(max(iv, localYield)), maxWait, "urgent work is waiting"); err != nil {
				return err
			}
			continue
		}

		day := l.r.dayStart(rb, now)
		dayLimit := rb.PerDay
		if !urgent && dayLimit > 0 {
			dayLimit = max(int(float64(dayLimit)*o.BackgroundShare), 1)
		}
		g, err := o.Store.TakeRateSlot(ctx, store.RateTake{
			Key: rb.Key, Now: now, Interval: iv, Day: day, DayLimit: dayLimit,
			MaxWait: maxWait, Urgent: urgent,
		})
		if err != nil {
			return fmt.Errorf("waiting on rate budget %s: %w", rb.Key, err)
		}
		if !g.Granted {
			if err := l.refused(ctx, rb, g.State, now, day, dayLimit, urgent, maxWait, iv); err != nil {
				return err
			}
			continue
		}
		l.observe(rb, g.State, now)
		if !g.Slot.After(now) {
			return nil
		}
		if err := o.Sleep(ctx, g.Slot.Sub(now)); err != nil {
			return err
		}
		woke := o.Now()
		if woke.After(g.Slot.Add(tolerance(rb))) {
			// Too late for the slot: starting now could put this
			// request too close to the ones after it.
			continue
		}
		// A block may have been recorded while this waiter slept.
		st, err := o.Store.RateBudgetState(ctx, rb.Key)
		if err != nil {
			return fmt.Errorf("waiting on rate budget %s: %w", rb.Key, err)
		}
		if st.BlockedUntil.After(woke) {
			continue
		}
		return nil
	}
}

// refused decides what a refused take means: wait a little and try again,
// or tell the caller to come back later.
func (l *limiter) refused(ctx context.Context, rb provider.RateBudget, st store.RateState, now, day time.Time, dayLimit int, urgent bool, maxWait, iv time.Duration) error {
	switch {
	case st.BlockedUntil.After(now):
		if urgent {
			l.demand(ctx, st.Key, st.BlockedUntil.Add(iv))
		}
		return l.pause(ctx, now, st.BlockedUntil, maxWait, "blocked by the provider")
	case dayLimit > 0 && !st.DayStart.Before(day) && st.DayUsed >= dayLimit:
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, l.r.dayZone(rb))
		why := "the day's budget is spent"
		if !urgent {
			why = "background work's share of the day's budget is spent"
		}
		return exhausted(next.Sub(now), why, next)
	case st.NextSlot.After(now.Add(maxWait)):
		if urgent {
			l.demand(ctx, st.Key, st.NextSlot.Add(iv))
		}
		return exhausted(st.NextSlot.Sub(now), "the minute's budget is taken", st.NextSlot)
	case !urgent:
		// Background takes only a free moment: none queued, none wanted.
		until := st.UrgentUntil
		if st.NextSlot.After(until) {
			until = st.NextSlot
		}
		if !until.After(now) {
			until = now.Add(max(iv, localYield))
		}
		return l.pause(ctx, now, until, maxWait, "urgent work goes first")
	default:
		// The row changed between the take and its reading: try again.
		return nil
	}
}

// pause sleeps until until if that is within maxWait, and otherwise returns
// the RetryAfterError that sends the caller away until then.
func (l *limiter) pause(ctx context.Context, now, until time.Time, maxWait time.Duration, why string) error {
	d := until.Sub(now)
	if d > maxWait {
		return exhausted(d, why, until)
	}
	return l.r.opts.Sleep(ctx, d)
}

// demand notes that urgent work wants the budget until until. It is
// advice to background work, so an error only costs priority: it is logged.
func (l *limiter) demand(ctx context.Context, key string, until time.Time) {
	if err := l.r.opts.Store.NoteRateDemand(ctx, key, until); err != nil && ctx.Err() == nil {
		l.r.opts.Logger.Warn("noting urgent demand on a rate budget", "budget", key, "error", err)
	}
}

// Blocked records a block by the provider and returns when it ends.
func (l *limiter) Blocked(ctx context.Context) (time.Time, error) { return l.BlockedAt(ctx, 0) }

// BlockedAt records a block at the level the provider stated (0: it did
// not, and the block escalates by one level) and returns when it ends.
func (l *limiter) BlockedAt(ctx context.Context, level int) (time.Time, error) {
	o := &l.r.opts
	rb := l.budget()
	now := o.Now()
	st, err := o.Store.BlockRateBudget(ctx, store.RateBlock{Key: rb.Key, Now: now, Escalation: rb.Escalation, Quiet: quiet(rb, o.Quiet), Level: level})
	if err != nil {
		return time.Time{}, fmt.Errorf("recording a block of rate budget %s: %w", rb.Key, err)
	}
	o.Logger.Warn("provider blocked the credential for exceeding its rate limit",
		"budget", rb.Key, "blocked_until", st.BlockedUntil, "level", st.Violations)
	if m := o.Metrics; m != nil {
		m.RateBlocks.WithLabelValues(rb.Key).Inc()
	}
	l.observe(rb, st, now)
	return st.BlockedUntil, nil
}

// observe sets the budget's gauges.
func (l *limiter) observe(rb provider.RateBudget, st store.RateState, now time.Time) {
	m := l.r.opts.Metrics
	if m == nil {
		return
	}
	bs := l.r.status(rb, st, now)
	if rb.PerMinute > 0 {
		m.RateBudgetRemaining.WithLabelValues(rb.Key, "minute").Set(float64(bs.MinuteLeft))
	}
	if rb.PerDay > 0 {
		m.RateBudgetRemaining.WithLabelValues(rb.Key, "day").Set(float64(bs.DayLeft))
	}
	until := 0.0
	if !bs.BlockedUntil.IsZero() {
		until = float64(bs.BlockedUntil.UnixMilli()) / 1000
	}
	m.RateBlockedUntil.WithLabelValues(rb.Key).Set(until)
}

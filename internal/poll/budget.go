package poll

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/store"
)

// ErrBudgetExhausted means a budget window is used up; Budget.Wait returns
// it wrapped in a *ExhaustedError that says when the next window opens.
var ErrBudgetExhausted = errors.New("request budget exhausted")

// ExhaustedError says until when a budget is used up.
type ExhaustedError struct{ Until time.Time }

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrBudgetExhausted, e.Until.UTC().Format(time.RFC3339))
}

func (e *ExhaustedError) Unwrap() error { return ErrBudgetExhausted }

// Budget is a provider's request limit for one connection: at most PerSecond
// requests in any second and PerDay in a UTC day. The counts live in the
// shared database (store.Coordination.TakeBudget), so every hub instance
// spends from the same budget. Within the instance, requests are also paced
// evenly (1/PerSecond apart, with a small margin), so a provider counting by
// arrival in any one-second window never sees more than PerSecond, even
// though the database counts fixed windows.
type Budget struct {
	// Coord is the shared database.
	Coord store.Coordination
	// Key names the budget, e.g. "gcl/acme/gcl".
	Key string
	// PerSecond and PerDay are the limits; 0 means no such limit.
	PerSecond int
	PerDay    int
	// Now is the clock of the pacing; default time.Now.
	Now func() time.Time
	// Remaining, when set, is told what is left of a window ("second" or
	// "day") after every take: exactly when Coord can count it (see
	// BudgetCounter), and 0 when a window refused.
	Remaining func(window string, left int)

	mu   sync.Mutex
	next time.Time
}

// paceMargin stretches the pacing interval, so jitter in the network cannot
// squeeze PerSecond+1 requests into one second at the provider.
const paceMargin = 1.02

// Take takes one unit of every limit, then waits for its turn in the pace.
// granted=false, with the time the exhausted window ends, means the request
// must not be made. A unit taken from the second's window is lost when the
// day's is exhausted; that wastes nothing the provider counts.
func (b *Budget) Take(ctx context.Context) (granted bool, retryAt time.Time, err error) {
	if b.PerSecond > 0 {
		ok, next, err := b.take(ctx, "second", b.Key+"/s", time.Second, b.PerSecond)
		if err != nil || !ok {
			return false, next, err
		}
	}
	if b.PerDay > 0 {
		ok, next, err := b.take(ctx, "day", b.Key+"/d", 24*time.Hour, b.PerDay)
		if err != nil || !ok {
			return false, next, err
		}
	}
	// Pace last, so the request leaves right after its turn comes, whatever
	// the database took to count it.
	if err := b.pace(ctx); err != nil {
		return false, time.Time{}, err
	}
	return true, time.Time{}, nil
}

// BudgetCounter is a store.Coordination that also says how many units a
// window has left after a take (the SQL stores do), so the rate budget can
// be watched (shiphub_rate_budget_remaining).
type BudgetCounter interface {
	TakeBudgetLeft(ctx context.Context, key string, window time.Duration, limit int) (granted bool, left int, next time.Time, err error)
}

// take takes one unit of one window and reports what is left of it.
func (b *Budget) take(ctx context.Context, name, key string, window time.Duration, limit int) (bool, time.Time, error) {
	if bc, ok := b.Coord.(BudgetCounter); ok {
		granted, left, next, err := bc.TakeBudgetLeft(ctx, key, window, limit)
		if err == nil && b.Remaining != nil {
			b.Remaining(name, left)
		}
		return granted, next, err
	}
	granted, next, err := b.Coord.TakeBudget(ctx, key, window, limit)
	if err == nil && !granted && b.Remaining != nil {
		b.Remaining(name, 0)
	}
	return granted, next, err
}

// Wait takes a unit, waiting out short exhaustion (the second's window);
// when the day's budget is gone it returns an *ExhaustedError. Retries of a
// failed request spend from the budget through it.
func (b *Budget) Wait(ctx context.Context) error {
	for {
		ok, retryAt, err := b.Take(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		wait := time.Until(retryAt)
		if wait > 2*time.Second {
			return &ExhaustedError{Until: retryAt}
		}
		if !ctxtime.Sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// pace waits until this instance's next request may start. A turn is
// granted by the clock at the moment it is taken, and the next one is an
// interval after that moment: a waiter that wakes late pushes the turns
// after it back, instead of leaving them on a schedule that would put them
// closer than the interval to it (and PerSecond+1 into one second).
func (b *Budget) pace(ctx context.Context) error {
	if b.PerSecond <= 0 {
		return ctx.Err()
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	interval := time.Duration(float64(time.Second) * paceMargin / float64(b.PerSecond))
	for {
		b.mu.Lock()
		t := now()
		if !t.Before(b.next) {
			b.next = t.Add(interval)
			b.mu.Unlock()
			return ctx.Err()
		}
		d := b.next.Sub(t)
		b.mu.Unlock()
		if !ctxtime.Sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

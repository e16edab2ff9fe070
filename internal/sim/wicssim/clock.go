package wicssim

import (
	"context"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// ScaledClock is simulated time that runs Speed times faster than the wall
// clock: with Speed 600 a simulated minute passes in 100ms. The server uses
// one clock for everything that waits or counts time (the limits' minute,
// day and blocks, the orders' progression and the webhook retries), so
// compressing it keeps them in proportion.
type ScaledClock struct {
	origin time.Time
	real   time.Time
	speed  float64
}

var _ Clock = (*ScaledClock)(nil)

// NewScaledClock starts a clock at the current wall time that runs speed
// times as fast; a speed of 0 or less means 1.
func NewScaledClock(speed float64) *ScaledClock {
	if speed <= 0 {
		speed = 1
	}
	now := time.Now()
	return &ScaledClock{origin: now, real: now, speed: speed}
}

// Now is the simulated time.
func (c *ScaledClock) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.real)) * c.speed))
}

// Sleep waits d of simulated time, that is d/Speed of wall time.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) bool {
	return ctxtime.Sleep(ctx, time.Duration(float64(d)/c.speed))
}

// Real converts a simulated duration to wall time, for tests that wait.
func (c *ScaledClock) Real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

// ManualClock is a clock that moves only when Advance or Set is called;
// sleepers wake when the time they wait for has been reached. Limit tests
// use it to place requests at exact instants.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Time
	ch chan struct{}
}

var _ Clock = (*ManualClock)(nil)

// NewManualClock starts a manual clock at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now is the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and wakes the sleepers that are due.
func (c *ManualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never backwards) and wakes the sleepers that are
// due.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// Sleepers is how many goroutines wait on the clock, so that a test can
// advance it once they are all parked.
func (c *ManualClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Sleep waits until the clock has been advanced by d or ctx ends.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	if d <= 0 {
		c.mu.Unlock()
		return ctx.Err() == nil
	}
	w := manualWaiter{at: c.now.Add(d), ch: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case <-w.ch:
		return true
	case <-ctx.Done():
		return false
	}
}

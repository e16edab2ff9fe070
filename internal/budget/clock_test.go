package budget_test

import (
	"context"
	"sync"
	"time"
)

// vclock is virtual time for tests with many goroutines: it moves only when
// every goroutine that joined it is asleep in Sleep, and then straight to
// the earliest wake-up. So time never passes while a participant works (a
// database statement takes no virtual time), a sleeper wakes exactly when
// it asked to, and a test of minutes runs in milliseconds.
type vclock struct {
	mu       sync.Mutex
	now      time.Time
	active   int
	sleepers []*sleeper
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
	done  bool
}

func newClock(start time.Time) *vclock { return &vclock{now: start} }

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Go runs fn as a participant.
func (c *vclock) Go(wg *sync.WaitGroup, fn func()) {
	c.mu.Lock()
	c.active++
	c.mu.Unlock()
	wg.Go(func() {
		defer func() {
			c.mu.Lock()
			c.active--
			c.advance()
			c.mu.Unlock()
		}()
		fn()
	})
}

// Advance moves the clock on by d, for a test's own steps (no participant
// may be running).
func (c *vclock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep is budget.Options.Sleep. A goroutine that did not join sleeps
// without taking part (the clock moves as if it were not there), so a
// single-goroutine test must join through Go.
func (c *vclock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.active--
	c.advance()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		if !s.done {
			s.done = true
			c.active++
			for i, o := range c.sleepers {
				if o == s {
					c.sleepers = append(c.sleepers[:i], c.sleepers[i+1:]...)
					break
				}
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// advance moves time to the earliest wake-up when nobody is active, and
// wakes every sleeper due then. c.mu is held.
func (c *vclock) advance() {
	if c.active > 0 || len(c.sleepers) == 0 {
		return
	}
	next := c.sleepers[0].until
	for _, s := range c.sleepers[1:] {
		if s.until.Before(next) {
			next = s.until
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.now) {
			kept = append(kept, s)
			continue
		}
		s.done = true
		c.active++
		close(s.wake)
	}
	c.sleepers = kept
}

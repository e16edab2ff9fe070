package coord

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// Periodic is a background job that runs on whichever instance holds its
// lease: once when it gets the lease, then again each interval after a run
// ends, from Start until Stop. The zero value is ready; a Periodic starts
// once (a Start after Stop does nothing).
type Periodic struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs job under lease in the background until ctx ends or Stop. It
// does nothing when the job was started before.
func (p *Periodic) Start(ctx context.Context, lease *Singleton, interval time.Duration, job func(ctx context.Context)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		lease.Run(ctx, func(ctx context.Context) {
			for {
				job(ctx)
				if !ctxtime.Sleep(ctx, interval) {
					return
				}
			}
		})
	}()
}

// Stop ends the job and waits for a run in progress, or for ctx; what
// names the job in the error ("the stuck scan"). A job never started
// stops at once.
func (p *Periodic) Stop(ctx context.Context, what string) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping %s: %w", what, ctx.Err())
	}
}

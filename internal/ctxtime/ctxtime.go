// Package ctxtime waits for time to pass unless a context ends first. It
// imports nothing of shiphub's, so simulators may use it too.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, and reports whether d passed. A d of zero
// or less does not wait: it reports whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

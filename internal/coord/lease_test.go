package coord_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestSingletonMovesOverWhenTheHolderStops runs two instances of the same
// work: only one works at a time, and when it stops the other takes over.
func TestSingletonMovesOverWhenTheHolderStops(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	var running, maxRunning atomic.Int32
	var ranA, ranB atomic.Bool
	work := func(flag *atomic.Bool) func(ctx context.Context) {
		return func(ctx context.Context) {
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			flag.Store(true)
			<-ctx.Done()
			running.Add(-1)
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	a := &coord.Singleton{Leases: st, Name: "job", Holder: "a", TTL: 300 * time.Millisecond}
	b := &coord.Singleton{Leases: st, Name: "job", Holder: "b", TTL: 300 * time.Millisecond}
	doneA := make(chan struct{})
	go func() { a.Run(ctxA, work(&ranA)); close(doneA) }()
	require.Eventually(t, ranA.Load, 5*time.Second, 5*time.Millisecond)
	go b.Run(ctxB, work(&ranB))
	time.Sleep(500 * time.Millisecond) // b keeps trying while a holds the lease
	require.False(t, ranB.Load(), "b must not work while a holds the lease")

	stopA()
	<-doneA
	require.Eventually(t, ranB.Load, 5*time.Second, 5*time.Millisecond, "b takes over")
	require.Equal(t, int32(1), maxRunning.Load(), "never two at once")
}

package coord_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// watchedLeases counts the lease requests that were refused, per holder, so
// a test can wait until an instance has tried and failed instead of
// sleeping.
type watchedLeases struct {
	store.Coordination
	refusedB atomic.Int64
}

func (w *watchedLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	got, err := w.Coordination.AcquireLease(ctx, name, holder, ttl)
	if err == nil && !got && holder == "b" {
		w.refusedB.Add(1)
	}
	return got, err
}

// TestSingletonMovesOverWhenTheHolderStops runs two instances of the same
// work: only one works at a time, and when it stops the other takes over.
func TestSingletonMovesOverWhenTheHolderStops(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	leases := &watchedLeases{Coordination: st}
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
	a := &coord.Singleton{Leases: leases, Name: "job", Holder: "a", TTL: 300 * time.Millisecond}
	b := &coord.Singleton{Leases: leases, Name: "job", Holder: "b", TTL: 300 * time.Millisecond}
	doneA := make(chan struct{})
	go func() { a.Run(ctxA, work(&ranA)); close(doneA) }()
	require.Eventually(t, ranA.Load, 5*time.Second, 5*time.Millisecond)
	go b.Run(ctxB, work(&ranB))
	// b is refused more than once, so its tries span a renewal of a's lease.
	require.Eventually(t, func() bool { return leases.refusedB.Load() >= 3 }, 5*time.Second, 5*time.Millisecond)
	require.False(t, ranB.Load(), "b must not work while a holds the lease")

	stopA()
	<-doneA
	require.Eventually(t, ranB.Load, 5*time.Second, 5*time.Millisecond, "b takes over")
	require.Equal(t, int32(1), maxRunning.Load(), "never two at once")
}

// TestAPanickingWorkIsRecoveredAndStartedAgain makes the work under a lease
// panic: Run survives it, counts it, gives the lease up so another instance
// may take the work over, and starts the work again after a backoff.
func TestAPanickingWorkIsRecoveredAndStartedAgain(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	m := metrics.New()
	var starts atomic.Int32
	released := make(chan bool, 1)
	work := func(ctx context.Context) {
		if starts.Add(1) == 1 {
			panic("a bug in the work")
		}
		<-ctx.Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &coord.Singleton{Leases: &releaseWatch{Coordination: st, released: released}, Name: "job", Holder: "a",
		TTL: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Metrics: m}
	done := make(chan struct{})
	go func() { s.Run(ctx, work); close(done) }()
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("the lease was not given up after the panic")
	}
	require.Eventually(t, func() bool { return starts.Load() == 2 }, 5*time.Second, 5*time.Millisecond, "the work starts again")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues(coord.ComponentLease)))
	cancel()
	<-done
}

// releaseWatch reports the first release of a lease.
type releaseWatch struct {
	store.Coordination
	released chan bool
}

func (r *releaseWatch) ReleaseLease(ctx context.Context, name, holder string) error {
	err := r.Coordination.ReleaseLease(ctx, name, holder)
	select {
	case r.released <- true:
	default:
	}
	return err
}

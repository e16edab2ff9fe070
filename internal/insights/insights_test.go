package insights

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store"
)

// fakeStore answers one hour count per call, numbered, and fails
// TransitTimes while failTransit is set.
type fakeStore struct {
	calls       atomic.Int64
	failTransit atomic.Bool
	mu          sync.Mutex
	since       map[string]time.Time
	// block, when set, holds EventsPerHour until it is closed or the
	// context ends.
	block chan struct{}
	// noRates makes CarrierRates find no shipment.
	noRates bool
}

func (f *fakeStore) seen(name string, since time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.since == nil {
		f.since = map[string]time.Time{}
	}
	f.since[name] = since
}

func (f *fakeStore) EventsPerHour(ctx context.Context, ws string, since time.Time) ([]store.HourCount, error) {
	f.seen("hours", since)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return []store.HourCount{{Connection: ws, Hour: since, Count: f.calls.Add(1)}}, nil
}

func (f *fakeStore) StatusesPerDay(_ context.Context, _ string, since time.Time) ([]store.DayStatusCount, error) {
	f.seen("days", since)
	return []store.DayStatusCount{{Day: since, Status: "delivered", Count: 1}}, nil
}

func (f *fakeStore) TransitTimes(_ context.Context, _ string, since time.Time) ([]store.CarrierTransit, error) {
	f.seen("carriers", since)
	if f.failTransit.Load() {
		return nil, errors.New("database is slow")
	}
	return []store.CarrierTransit{{Carrier: "bpost", Shipments: 1, P50: time.Hour, P90: time.Hour}}, nil
}

func (f *fakeStore) CarrierRates(context.Context, string, time.Time) ([]store.CarrierRate, error) {
	if f.noRates {
		return nil, nil
	}
	return []store.CarrierRate{{Carrier: "bpost", Shipments: 2}}, nil
}

// clock is a fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func TestSnapshot(t *testing.T) {
	t.Parallel()
	t.Run("TheFirstCallComputesAndLaterOnesAreCached", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{}, &clock{now: t0}
		s, err := New(Config{Store: st, Now: clk.Now})
		require.NoError(t, err)
		snap, err := s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		require.Equal(t, "acme", snap.Workspace)
		require.Equal(t, t0, snap.AsOf)
		require.Equal(t, int64(1), snap.EventsPerHour[0].Count)
		require.Len(t, snap.Took, 4, "every aggregation's duration")
		again, err := s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		require.Same(t, snap, again)
		require.Equal(t, int64(1), st.calls.Load())
	})
	t.Run("TheWindowsAreWholeHoursAndDays", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{}, &clock{now: t0}
		s, err := New(Config{Store: st, Now: clk.Now})
		require.NoError(t, err)
		snap, err := s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC), snap.HoursSince, "48 hours, the current one included")
		require.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), snap.DaysSince, "14 days, today included")
		require.Equal(t, t0.Add(-30*24*time.Hour), snap.CarriersSince)
		require.Equal(t, snap.HoursSince, st.since["hours"])
		require.Equal(t, snap.CarriersSince, st.since["carriers"])
	})
	t.Run("AFailedAggregationKeepsThePreviousFigures", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{}, &clock{now: t0}
		s, err := New(Config{Store: st, Now: clk.Now, Workspaces: []string{"acme"}, CarrierInterval: time.Minute})
		require.NoError(t, err)
		s.Refresh(context.Background())
		st.failTransit.Store(true)
		clk.Add(time.Minute)
		s.Refresh(context.Background())
		snap, err := s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		require.Equal(t, t0.Add(time.Minute), snap.AsOf)
		require.Equal(t, []string{"transit_times"}, snap.Failed)
		require.Len(t, snap.Transit, 1, "the previous transit times are kept")
		require.Equal(t, int64(2), snap.EventsPerHour[0].Count, "the others are new")
	})
	t.Run("TheCarrierAggregatesAreComputedLessOften", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{}, &clock{now: t0}
		s, err := New(Config{Store: st, Now: clk.Now, Workspaces: []string{"acme"}})
		require.NoError(t, err)
		s.Refresh(context.Background())
		clk.Add(time.Minute)
		s.Refresh(context.Background())
		snap := s.cached("acme")
		require.Equal(t, t0.Add(time.Minute), snap.AsOf)
		require.Equal(t, t0, snap.CarriersAsOf, "kept for ten minutes")
		require.Equal(t, t0.Add(-30*24*time.Hour), snap.CarriersSince)
		require.Len(t, snap.Rates, 1)
		require.NotContains(t, snap.Took, "carrier_rates")
		clk.Add(10 * time.Minute)
		s.Refresh(context.Background())
		snap = s.cached("acme")
		require.Equal(t, t0.Add(11*time.Minute), snap.CarriersAsOf, "computed again")
		require.Contains(t, snap.Took, "carrier_rates")
	})
	t.Run("EmptyCarrierAggregatesAreComputedEveryTime", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{noRates: true}, &clock{now: t0}
		s, err := New(Config{Store: st, Now: clk.Now, Workspaces: []string{"acme"}})
		require.NoError(t, err)
		s.Refresh(context.Background())
		clk.Add(time.Minute)
		s.Refresh(context.Background())
		require.Equal(t, t0.Add(time.Minute), s.cached("acme").CarriersAsOf)
	})
	t.Run("AFailedCarrierAggregateIsTriedAgainNextTime", func(t *testing.T) {
		t.Parallel()
		st, clk := &fakeStore{}, &clock{now: t0}
		st.failTransit.Store(true)
		s, err := New(Config{Store: st, Now: clk.Now, Workspaces: []string{"acme"}})
		require.NoError(t, err)
		s.Refresh(context.Background())
		require.True(t, s.cached("acme").CarriersAsOf.IsZero())
		st.failTransit.Store(false)
		clk.Add(time.Minute)
		s.Refresh(context.Background())
		require.Len(t, s.cached("acme").Transit, 1)
	})
	t.Run("StartKeepsOnlyTheAskedForWorkspacesFresh", func(t *testing.T) {
		t.Parallel()
		st := &fakeStore{}
		clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		s, err := New(Config{Store: st, Now: clk.Now, Workspaces: []string{"acme", "globex"}, Interval: time.Millisecond, KeepFresh: time.Hour})
		require.NoError(t, err)
		s.Start(context.Background())
		defer func() { require.NoError(t, s.Stop(context.Background())) }()
		_, err = s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		first := st.calls.Load()
		clk.Add(time.Second)
		// The background computes acme again (the clock moves past
		// Interval/2 after each computation), and never globex, which
		// nobody asked for.
		deadline := time.Now().Add(10 * time.Second)
		for seen := first; st.calls.Load() < first+6 && time.Now().Before(deadline); runtimeGosched() {
			if n := st.calls.Load(); n > seen {
				seen = n
				clk.Add(time.Second) // past Interval/2, well within KeepFresh
			}
		}
		require.GreaterOrEqual(t, st.calls.Load(), first+6, "acme computed again and again")
		require.NotNil(t, s.cached("acme"))
		require.Nil(t, s.cached("globex"), "a workspace nobody asked for is not computed")
	})
	t.Run("AWorkspaceNotAskedForWithinKeepFreshIsLeftAlone", func(t *testing.T) {
		t.Parallel()
		st := &fakeStore{}
		clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		s, err := New(Config{Store: st, Now: clk.Now, KeepFresh: 15 * time.Minute})
		require.NoError(t, err)
		_, err = s.Snapshot(context.Background(), "acme")
		require.NoError(t, err)
		require.Equal(t, []string{"acme"}, s.viewed())
		clk.Add(16 * time.Minute)
		require.Empty(t, s.viewed(), "not asked for in 16 minutes")
		require.Nil(t, s.cached("acme"), "its stale snapshot is dropped, to be computed anew when asked for")
	})
	t.Run("AFirstCallThatGivesUpLeavesTheComputationRunning", func(t *testing.T) {
		t.Parallel()
		st := &fakeStore{block: make(chan struct{})}
		s, err := New(Config{Store: st})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, err = s.Snapshot(ctx, "acme")
		require.ErrorIs(t, err, ErrPending)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		close(st.block)
		snap, err := s.Snapshot(context.Background(), "acme")
		require.NoError(t, err, "the same computation, finished")
		require.Equal(t, int64(1), snap.EventsPerHour[0].Count)
		require.Equal(t, int64(1), st.calls.Load())
	})
	t.Run("StopCancelsAFirstComputation", func(t *testing.T) {
		t.Parallel()
		st := &fakeStore{block: make(chan struct{})}
		s, err := New(Config{Store: st})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		_, err = s.Snapshot(ctx, "acme")
		require.ErrorIs(t, err, ErrPending)
		require.NoError(t, s.Stop(context.Background()))
		_, err = s.Snapshot(context.Background(), "acme")
		require.Error(t, err)
		require.Nil(t, s.cached("acme"), "nothing half-computed is kept")
	})
}

func runtimeGosched() { runtime.Gosched() }

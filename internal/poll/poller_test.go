package poll_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

func TestBudgetPacesRequestsWithinTheLimit(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	b := &poll.Budget{Coord: st, Key: "test/pace", PerSecond: 20}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var starts []time.Time
	for range 30 {
		require.NoError(t, b.Wait(ctx))
		starts = append(starts, time.Now())
	}
	require.GreaterOrEqual(t, starts[len(starts)-1].Sub(starts[0]), 29*50*time.Millisecond, "requests are spread evenly")
	for i := 20; i < len(starts); i++ {
		require.GreaterOrEqual(t, starts[i].Sub(starts[i-20]), time.Second, "never 21 in one second")
	}
}

func TestBudgetRefusesWhenTheDayIsUsedUp(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	b := &poll.Budget{Coord: st, Key: "test/day", PerSecond: 1000, PerDay: 3}
	ctx := context.Background()
	for range 3 {
		ok, _, err := b.Take(ctx)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, retryAt, err := b.Take(ctx)
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, time.Now().UTC().Truncate(24*time.Hour).Add(24*time.Hour), retryAt.UTC())
	require.ErrorIs(t, b.Wait(ctx), poll.ErrBudgetExhausted)

	// Another instance shares the same count.
	other := &poll.Budget{Coord: st, Key: "test/day", PerDay: 3}
	ok, _, err = other.Take(ctx)
	require.NoError(t, err)
	require.False(t, ok)
}

type item struct {
	name     string
	priority int
}

func TestPollerSpendsAShortBudgetOnTheMostUsefulFirst(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	var (
		mu     sync.Mutex
		due    = []item{{"transit-1", 2}, {"nf-1", 3}, {"ofd-1", 0}, {"transit-2", 2}, {"overdue-1", 1}, {"ofd-2", 0}, {"nf-2", 3}}
		polled []string
	)
	p, err := poll.NewPoller(poll.PollerConfig[item]{
		Name: "test/prio", Coord: st, Holder: "me",
		Budget: &poll.Budget{Coord: st, Key: "test/prio", PerSecond: 100, PerDay: 3},
		Due: func(_ context.Context, _ time.Time, limit int) ([]item, error) {
			mu.Lock()
			defer mu.Unlock()
			list := slices.Clone(due)
			slices.SortStableFunc(list, func(a, b item) int { return a.priority - b.priority })
			return list[:min(limit, len(list))], nil
		},
		Poll: func(_ context.Context, it item) {
			mu.Lock()
			defer mu.Unlock()
			polled = append(polled, it.name)
			due = slices.DeleteFunc(due, func(d item) bool { return d.name == it.name })
		},
		Concurrency: 1,
		Idle:        10 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(polled)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Give it the chance to overspend, which it must not take.
	time.Sleep(100 * time.Millisecond)
	cancel()
	require.NoError(t, p.Stop(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"ofd-1", "ofd-2", "overdue-1"}, polled)
}

package poll_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
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
	ctx := context.Background()
	const day = 24 * time.Hour
	// The day's window is fixed (UTC): a run that straddles midnight is
	// done again on a fresh key, so the test never depends on the hour.
	for attempt := range 2 {
		key := fmt.Sprintf("test/day/%d", attempt)
		start := time.Now().UTC().Truncate(day)
		b := &poll.Budget{Coord: st, Key: key, PerSecond: 1000, PerDay: 3}
		for range 3 {
			ok, _, err := b.Take(ctx)
			require.NoError(t, err)
			require.True(t, ok)
		}
		ok, retryAt, err := b.Take(ctx)
		require.NoError(t, err)
		waitErr := b.Wait(ctx)
		// Another instance shares the same count.
		other := &poll.Budget{Coord: st, Key: key, PerDay: 3}
		otherOK, _, otherErr := other.Take(ctx)
		require.NoError(t, otherErr)
		if !time.Now().UTC().Truncate(day).Equal(start) {
			continue // midnight passed during the takes
		}
		require.False(t, ok)
		require.Equal(t, start.Add(day), retryAt.UTC(), "refused until the next window opens")
		require.ErrorIs(t, waitErr, poll.ErrBudgetExhausted)
		require.False(t, otherOK)
		return
	}
	t.Fatal("midnight passed twice within the test")
}

type item struct {
	name     string
	priority int
}

// The SQL stores say what is left of a budget window.
var _ poll.BudgetCounter = (*sqlite.Store)(nil)

// countingCoord counts the budget a poller asks for, so a test can wait
// until the poller has been refused instead of sleeping.
type countingCoord struct {
	store.Coordination
	refused atomic.Int64
}

func (c *countingCoord) TakeBudget(ctx context.Context, key string, window time.Duration, limit int) (bool, time.Time, error) {
	ok, next, err := c.Coordination.TakeBudget(ctx, key, window, limit)
	if err == nil && !ok {
		c.refused.Add(1)
	}
	return ok, next, err
}

func TestPollerSpendsAShortBudgetOnTheMostUsefulFirst(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	coord := &countingCoord{Coordination: st}
	var (
		mu     sync.Mutex
		due    = []item{{"transit-1", 2}, {"nf-1", 3}, {"ofd-1", 0}, {"transit-2", 2}, {"overdue-1", 1}, {"ofd-2", 0}, {"nf-2", 3}}
		polled []string
	)
	p, err := poll.NewPoller(poll.PollerConfig[item]{
		Name: "test/prio", Coord: st, Holder: "me",
		Budget: &poll.Budget{Coord: coord, Key: "test/prio", PerSecond: 100, PerDay: 3},
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
		Backoff:     func(context.Context, item, error) {},
		Concurrency: 1,
		Idle:        10 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	// The poller asks for a fourth unit and is refused: from then on it
	// waits for the next day's window, so what it polled is final.
	require.Eventually(t, func() bool { return coord.refused.Load() > 0 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, p.Stop(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"ofd-1", "ofd-2", "overdue-1"}, polled)
}

// TestAPanickingPollIsRecoveredCountedAndBackedOff polls an item whose poll
// panics among good ones: the process stays up, the other items are
// polled, the panic is counted, and the bad item is backed off.
func TestAPanickingPollIsRecoveredCountedAndBackedOff(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	m := metrics.New()
	logs := &lockedBuffer{}
	var (
		mu       sync.Mutex
		due      = []string{"good-1", "bad", "good-2"}
		polled   []string
		backoffs = map[string]error{}
	)
	remove := func(name string) { due = slices.DeleteFunc(due, func(d string) bool { return d == name }) }
	p, err := poll.NewPoller(poll.PollerConfig[string]{
		Name: "test/panic", Coord: st, Holder: "me",
		Budget: &poll.Budget{Coord: st, Key: "test/panic", PerSecond: 1000},
		Due: func(context.Context, time.Time, int) ([]string, error) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(due), nil
		},
		Poll: func(_ context.Context, it string) {
			if it == "bad" {
				panic("an answer nobody foresaw: " + it)
			}
			mu.Lock()
			defer mu.Unlock()
			polled = append(polled, it)
			remove(it)
		},
		Backoff: func(_ context.Context, it string, err error) {
			mu.Lock()
			defer mu.Unlock()
			backoffs[it] = err
			remove(it) // no longer due until its backoff has passed
		},
		Concurrency: 2,
		Idle:        10 * time.Millisecond,
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)).With("workspace", "acme", "connection", "gcl"),
		Metrics:     m,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(due) == 0
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, p.Stop(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	require.ElementsMatch(t, []string{"good-1", "good-2"}, polled, "the other polls carry on")
	require.Len(t, backoffs, 1)
	require.ErrorIs(t, backoffs["bad"], recovery.ErrPanic, "the panicking item is backed off with its panic")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues(poll.ComponentPoller)))
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &rec), "one log line: %s", logs.String())
	require.Equal(t, "ERROR", rec["level"])
	require.Equal(t, "gcl", rec["connection"], "logged with its connection")
	require.Equal(t, "poller", rec["component"])
	require.Equal(t, "an answer nobody foresaw: bad", rec["panic"])
}

// lockedBuffer is a log sink polls may write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestBudgetReportsWhatIsLeft checks the rate budget gauge's source: after
// every take, each window says how many units it has left.
func TestBudgetReportsWhatIsLeft(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	var left []string
	firstDay := time.Now().UTC().Truncate(24 * time.Hour)
	b := &poll.Budget{Coord: st, Key: "test/left", PerSecond: 1000, PerDay: 3,
		Remaining: func(window string, n int) { left = append(left, fmt.Sprintf("%s=%d", window, n)) }}
	for range 4 {
		_, _, err := b.Take(context.Background())
		require.NoError(t, err)
	}
	// The second's window may roll over between takes, so only the day's
	// count is exact; the second's is below its limit.
	var day []string
	for _, l := range left {
		if strings.HasPrefix(l, "day=") {
			day = append(day, l)
		} else {
			var n int
			_, err := fmt.Sscanf(l, "second=%d", &n)
			require.NoError(t, err)
			require.Less(t, n, 1000)
		}
	}
	if time.Now().UTC().Truncate(24 * time.Hour).Equal(firstDay) {
		require.Equal(t, []string{"day=2", "day=1", "day=0", "day=0"}, day)
	} else {
		require.Len(t, day, 4, "the day's window rolled over during the takes; each still reports")
	}
}

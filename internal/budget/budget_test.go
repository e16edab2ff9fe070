package budget_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Amsterdam wherever the tests run

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/budget"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// start is the tests' virtual midnight-free morning.
var start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// wics is the budget of one WICS API user.
var wics = provider.RateBudget{
	Key:        budget.Key("wics", "api-user-1"),
	PerMinute:  150,
	PerDay:     20000,
	Escalation: []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute},
}

// backend opens the store handles of the hub instances of a test: one, or
// two on one PostgreSQL database.
type backend struct {
	name string
	open func(t *testing.T) []store.RateBudgets
}

var backends = []backend{
	{"SQLite", func(t *testing.T) []store.RateBudgets { return []store.RateBudgets{sqlite.OpenTest(t)} }},
	{"PostgreSQL", func(t *testing.T) []store.RateBudgets { return []store.RateBudgets{postgres.OpenTest(t)} }},
	{"TwoInstancesOnOnePostgreSQL", openTwoPostgres},
}

func openTwoPostgres(t *testing.T) []store.RateBudgets {
	url := postgres.TestDatabase(t)
	var out []store.RateBudgets
	for range 2 {
		s, err := postgres.New(t.Context(), postgres.Config{URL: url, MaxConns: 8, Secrets: secrets.NewRandomKeyring()})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		out = append(out, s)
	}
	return out
}

// registries makes one registry per store handle, all on clk.
func registries(t *testing.T, handles []store.RateBudgets, clk *vclock, tweak func(*budget.Options)) []*budget.Registry {
	t.Helper()
	var out []*budget.Registry
	for _, h := range handles {
		o := budget.Options{Store: h, Now: clk.Now, Sleep: clk.Sleep, Logger: slog.New(slog.DiscardHandler)}
		if tweak != nil {
			tweak(&o)
		}
		r, err := budget.New(o)
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// maxInSlidingMinute is the most starts in any 60 s (closed) window.
func maxInSlidingMinute(starts []time.Time) int {
	best, lo := 0, 0
	for hi := range starts {
		for starts[hi].Sub(starts[lo]) > time.Minute {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// The first rate-limit criterion: never more than 150 starts in any
// sliding minute, with many workers of both priorities in every instance,
// each reschedules when told to come back later, and "sends" for 200 ms.
func TestNeverMoreThanTheMinutesLimitInAnySlidingMinute(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(start)
			regs := registries(t, be.open(t), clk, nil)
			const total, workers = 600, 24
			var (
				mu     sync.Mutex
				starts []time.Time
				n      atomic.Int64
				wg     sync.WaitGroup
			)
			for w := range workers {
				prio := provider.PriorityUrgent
				if w%4 == 3 {
					prio = provider.PriorityBackground
				}
				l := regs[w%len(regs)].Limiter(wics)
				clk.Go(&wg, func() {
					for n.Load() < total {
						err := l.Wait(t.Context(), prio)
						if ra, ok := errors.AsType[*provider.RetryAfterError](err); ok {
							assert.ErrorIs(t, err, provider.ErrBudgetExhausted)
							assert.Positive(t, ra.After)
							assert.NoError(t, clk.Sleep(t.Context(), ra.After))
							continue
						}
						if !assert.NoError(t, err) {
							return
						}
						mu.Lock()
						starts = append(starts, clk.Now())
						mu.Unlock()
						n.Add(1)
						assert.NoError(t, clk.Sleep(t.Context(), 200*time.Millisecond))
					}
				})
			}
			wg.Wait()
			slices.SortFunc(starts, time.Time.Compare)
			require.GreaterOrEqual(t, len(starts), total)
			assert.LessOrEqual(t, maxInSlidingMinute(starts), wics.PerMinute)
			for i := 0; i+wics.PerMinute < len(starts); i++ {
				require.Greater(t, starts[i+wics.PerMinute].Sub(starts[i]), time.Minute,
					"starts %d and %d are a minute or less apart: %d starts in one sliding minute", i, i+wics.PerMinute, wics.PerMinute+1)
			}
			// And the budget is used, not wasted: at least 145 a minute.
			perMinute := float64(len(starts)-1) / starts[len(starts)-1].Sub(starts[0]).Minutes()
			assert.GreaterOrEqual(t, perMinute, 145.0)
			t.Logf("%d starts, at most %d in a sliding minute, %.1f a minute sustained", len(starts), maxInSlidingMinute(starts), perMinute)
		})
	}
}

// A waiter that wakes late (a loaded machine, a long GC pause) must not
// start right after the slot it missed: the starts after it were handed out
// an interval after that slot, not after the moment it really starts.
func TestWaitersThatWakeLateStillKeepTheSlidingMinute(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	// The process stalls for 5 s, half a minute in: every sleep of the
	// limiter that should end during the stall ends with it, at once.
	stallFrom, stallTo := start.Add(30*time.Second), start.Add(35*time.Second)
	regs := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, func(o *budget.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if end := clk.Now().Add(d); end.After(stallFrom) && end.Before(stallTo) {
				d = stallTo.Sub(clk.Now())
			}
			return clk.Sleep(ctx, d)
		}
	})
	l := regs[0].Limiter(wics)
	var (
		mu     sync.Mutex
		starts []time.Time
		wg     sync.WaitGroup
	)
	for range 8 {
		clk.Go(&wg, func() {
			for range 40 {
				for {
					err := l.Wait(t.Context(), provider.PriorityUrgent)
					if ra, ok := errors.AsType[*provider.RetryAfterError](err); ok {
						assert.NoError(t, clk.Sleep(t.Context(), ra.After))
						continue
					}
					require.NoError(t, err)
					break
				}
				mu.Lock()
				starts = append(starts, clk.Now())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(starts, time.Time.Compare)
	require.Len(t, starts, 320)
	assert.LessOrEqual(t, maxInSlidingMinute(starts), wics.PerMinute)
	for i := 0; i+wics.PerMinute < len(starts); i++ {
		require.Greater(t, starts[i+wics.PerMinute].Sub(starts[i]), time.Minute, "starts %d and %d", i, i+wics.PerMinute)
	}
	t.Logf("late wakers: at most %d in a sliding minute", maxInSlidingMinute(starts))
}

func TestUrgentWorkGoesBeforeBackground(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(start)
			regs := registries(t, be.open(t), clk, nil)
			type start struct {
				at   time.Time
				prio provider.Priority
			}
			var (
				mu     sync.Mutex
				starts []start
				wg     sync.WaitGroup
			)
			const perWorker = 25
			for w := range 8 {
				prio := provider.Priority(w % 2)
				l := regs[w%len(regs)].Limiter(wics)
				clk.Go(&wg, func() {
					for done := 0; done < perWorker; {
						err := l.Wait(t.Context(), prio)
						if ra, ok := errors.AsType[*provider.RetryAfterError](err); ok {
							assert.NoError(t, clk.Sleep(t.Context(), ra.After))
							continue
						}
						if !assert.NoError(t, err) {
							return
						}
						mu.Lock()
						starts = append(starts, start{clk.Now(), prio})
						mu.Unlock()
						done++
						assert.NoError(t, clk.Sleep(t.Context(), 100*time.Millisecond))
					}
				})
			}
			wg.Wait()
			slices.SortStableFunc(starts, func(a, b start) int { return a.at.Compare(b.at) })
			require.Len(t, starts, 8*perWorker)
			var early int
			for _, s := range starts[:4*perWorker] {
				if s.prio == provider.PriorityBackground {
					early++
				}
			}
			// Background may slip in before urgent work has asked (the
			// first moment), never once urgent work is queued.
			assert.LessOrEqual(t, early, len(regs), "background starts among the first %d", 4*perWorker)
			lastUrgent := 0
			for i, s := range starts {
				if s.prio == provider.PriorityUrgent {
					lastUrgent = i
				}
			}
			assert.Equal(t, 4*perWorker-1+early, lastUrgent, "every urgent start but the slipped-in ones comes before the background ones")
		})
	}
}

func TestBackgroundLeavesAShareOfTheDayToUrgentWork(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	reg := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, nil)[0]
	rb := provider.RateBudget{Key: budget.Key("wics", "small"), PerDay: 10}
	l := reg.Limiter(rb)
	var wg sync.WaitGroup
	clk.Go(&wg, func() {
		for i := range 8 {
			require.NoError(t, l.Wait(t.Context(), provider.PriorityBackground), "background take %d", i)
		}
		err := l.Wait(t.Context(), provider.PriorityBackground)
		ra, ok := errors.AsType[*provider.RetryAfterError](err)
		require.True(t, ok, "background may use 80 %% of the day: %v", err)
		assert.ErrorIs(t, err, provider.ErrBudgetExhausted)
		assert.Equal(t, 15*time.Hour, ra.After, "until the next day")
		for i := range 2 {
			require.NoError(t, l.Wait(t.Context(), provider.PriorityUrgent), "urgent take %d", i)
		}
		err = l.Wait(t.Context(), provider.PriorityUrgent)
		require.ErrorIs(t, err, provider.ErrBudgetExhausted, "the day is spent")

		require.NoError(t, clk.Sleep(t.Context(), 15*time.Hour))
		require.NoError(t, l.Wait(t.Context(), provider.PriorityBackground), "a new day")
	})
	wg.Wait()
	st, err := reg.Status(t.Context(), rb.Key)
	require.NoError(t, err)
	assert.Equal(t, 9, st.DayLeft)
}

// WICS's day is the Dutch calendar day (as its simulator counts it): the
// budget starts over at midnight in Amsterdam, not at midnight UTC.
func TestTheDayIsTheProvidersCalendarDay(t *testing.T) {
	t.Parallel()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	late := time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC) // 23:30 in Amsterdam
	clk := newClock(late)
	reg := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, nil)[0]
	rb := provider.RateBudget{Key: budget.Key("wics", "dutch"), PerDay: 2, Day: ams}
	l := reg.Limiter(rb)
	var wg sync.WaitGroup
	clk.Go(&wg, func() {
		for range 2 {
			require.NoError(t, l.Wait(t.Context(), provider.PriorityUrgent))
		}
		err := l.Wait(t.Context(), provider.PriorityUrgent)
		ra, ok := errors.AsType[*provider.RetryAfterError](err)
		require.True(t, ok, "the day is spent: %v", err)
		assert.Equal(t, 30*time.Minute, ra.After, "until midnight in Amsterdam")
		require.NoError(t, clk.Sleep(t.Context(), ra.After))
		require.NoError(t, l.Wait(t.Context(), provider.PriorityUrgent), "a new Dutch day, still the same UTC day")
	})
	wg.Wait()
}

func TestABlockHoldsEveryInstanceBackAndEscalates(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(start)
			handles := be.open(t)
			if len(handles) == 1 {
				handles = append(handles, handles[0]) // two instances on one store
			}
			m := metrics.New()
			regs := registries(t, handles, clk, func(o *budget.Options) { o.Metrics = m })
			a, b := regs[0].Limiter(wics), regs[1].Limiter(wics)
			var wg sync.WaitGroup
			clk.Go(&wg, func() {
				require.NoError(t, a.Wait(t.Context(), provider.PriorityUrgent))
				until, err := a.Blocked(t.Context())
				require.NoError(t, err)
				assert.Equal(t, start.Add(time.Minute), until)

				err = b.Wait(t.Context(), provider.PriorityUrgent)
				ra, ok := errors.AsType[*provider.RetryAfterError](err)
				require.True(t, ok, "the other instance is told to come back: %v", err)
				assert.ErrorIs(t, err, provider.ErrBudgetExhausted)
				assert.Equal(t, time.Minute, ra.After)

				st, err := regs[1].Status(t.Context(), wics.Key)
				require.NoError(t, err)
				assert.Equal(t, provider.BudgetStatus{Key: wics.Key, PerMinute: 150, PerDay: 20000,
					MinuteLeft: 0, DayLeft: 19999, BlockedUntil: start.Add(time.Minute), Violations: 1}, st)
				assert.Equal(t, float64(start.Add(time.Minute).Unix()), testutil.ToFloat64(m.RateBlockedUntil.WithLabelValues(wics.Key)))
				assert.Equal(t, 1.0, testutil.ToFloat64(m.RateBlocks.WithLabelValues(wics.Key)))

				// Blocked again (a request that was in flight): five more minutes.
				until, err = b.Blocked(t.Context())
				require.NoError(t, err)
				assert.Equal(t, start.Add(6*time.Minute), until)
				until, err = a.Blocked(t.Context())
				require.NoError(t, err)
				assert.Equal(t, start.Add(21*time.Minute), until)
				until, err = a.Blocked(t.Context())
				require.NoError(t, err)
				assert.Equal(t, start.Add(36*time.Minute), until, "fifteen minutes repeats")

				require.NoError(t, clk.Sleep(t.Context(), 36*time.Minute))
				require.NoError(t, b.Wait(t.Context(), provider.PriorityUrgent), "the block is over")
				st, err = regs[0].Status(t.Context(), wics.Key)
				require.NoError(t, err)
				assert.Equal(t, 3, st.Violations, "the level is kept for the quiet period")
				assert.True(t, st.BlockedUntil.IsZero())

				require.NoError(t, clk.Sleep(t.Context(), 15*time.Minute))
				until, err = b.Blocked(t.Context())
				require.NoError(t, err)
				assert.Equal(t, clk.Now().Add(time.Minute), until, "after fifteen quiet minutes it starts over")
			})
			wg.Wait()
		})
	}
}

// A waiter that already holds a slot when another instance records a block
// does not send during the block: it waits the block out (its MaxWait
// allows it here) and starts after it.
func TestAWaiterHoldingASlotWaitsOutABlockRecordedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(start)
			handles := be.open(t)
			if len(handles) == 1 {
				handles = append(handles, handles[0])
			}
			regs := registries(t, handles, clk, func(o *budget.Options) { o.MaxWait = 5 * time.Minute })
			slow := provider.RateBudget{Key: budget.Key("wics", "slow"), PerMinute: 2, Escalation: wics.Escalation}
			a, b := regs[0].Limiter(slow), regs[1].Limiter(slow)
			var wg sync.WaitGroup
			var startedAt time.Time
			clk.Go(&wg, func() {
				require.NoError(t, a.Wait(t.Context(), provider.PriorityUrgent))
				clk.Go(&wg, func() {
					require.NoError(t, a.Wait(t.Context(), provider.PriorityUrgent)) // its slot: +30.6 s
					startedAt = clk.Now()
				})
				require.NoError(t, clk.Sleep(t.Context(), 10*time.Second))
				_, err := b.Blocked(t.Context())
				require.NoError(t, err)
			})
			wg.Wait()
			assert.False(t, startedAt.Before(start.Add(70*time.Second)), "started at %s, during the block", startedAt.Sub(start))
		})
	}
}

func TestStatusSaysWhatIsLeft(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	m := metrics.New()
	regs := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, func(o *budget.Options) { o.Metrics = m })
	l := regs[0].Limiter(wics)
	var wg sync.WaitGroup
	clk.Go(&wg, func() {
		for range 3 {
			require.NoError(t, l.Wait(t.Context(), provider.PriorityUrgent))
		}
	})
	wg.Wait()
	st, err := regs[0].Status(t.Context(), wics.Key)
	require.NoError(t, err)
	// 3 taken 408 ms apart, the last one now; of the slots that start
	// within the coming minute, 147 are left.
	assert.Equal(t, provider.BudgetStatus{Key: wics.Key, PerMinute: 150, PerDay: 20000, MinuteLeft: 147, DayLeft: 19997}, st)
	assert.Equal(t, 19997.0, testutil.ToFloat64(m.RateBudgetRemaining.WithLabelValues(wics.Key, "day")))

	clk.Advance(time.Hour)
	st, err = regs[0].Status(t.Context(), wics.Key)
	require.NoError(t, err)
	assert.Equal(t, 148, st.MinuteLeft, "an idle minute")

	st, err = regs[0].Status(t.Context(), "wics:unknown")
	require.NoError(t, err)
	assert.Equal(t, provider.BudgetStatus{Key: "wics:unknown"}, st, "a key nobody uses has no limits")
}

func TestConnectionsWithOneCredentialShareOneBudget(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	reg := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, nil)[0]
	one := reg.ForConnector(limited{wics})
	strict := wics
	strict.PerMinute = 60
	two := reg.ForConnector(limited{strict})
	assert.Same(t, one, two, "one key, one limiter")
	st, err := reg.Status(t.Context(), wics.Key)
	require.NoError(t, err)
	assert.Equal(t, 60, st.PerMinute, "the strictest configured limit holds")

	bs, ok, err := reg.StatusFor(t.Context(), limited{wics})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, provider.BudgetStatus{Key: wics.Key, PerMinute: 60, PerDay: 20000, MinuteLeft: 59, DayLeft: 20000}, bs, "the 2 % margin fits 59 starts into a minute")
	_, ok, err = reg.StatusFor(t.Context(), unlimitedConn{})
	require.NoError(t, err)
	assert.False(t, ok, "a connector without a budget has no status")

	other := reg.ForConnector(limited{provider.RateBudget{Key: budget.Key("wics", "api-user-2"), PerMinute: 150}})
	assert.NotSame(t, one, other)

	for _, l := range []provider.Limiter{reg.ForConnector(unlimitedConn{}), (*budget.Registry)(nil).ForConnector(limited{wics}), reg.Limiter(provider.RateBudget{Key: "k"})} {
		assert.Equal(t, budget.Unlimited, l)
		assert.NoError(t, l.Wait(t.Context(), provider.PriorityBackground))
	}
}

func TestKeyHidesTheCredential(t *testing.T) {
	t.Parallel()
	k := budget.Key("wics", "secret-login")
	assert.NotContains(t, k, "secret-login")
	assert.Regexp(t, `^wics:[0-9a-f]{16}$`, k)
	assert.Equal(t, k, budget.Key("wics", "secret-login"))
	assert.NotEqual(t, k, budget.Key("wics", "secret-login2"))
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		o    budget.Options
		ok   bool
	}{
		{"DefaultsAreValid", budget.Options{Store: sqliteStub{}}, true},
		{"AStoreIsRequired", budget.Options{}, false},
		{"AShareAboveOneIsRefused", budget.Options{Store: sqliteStub{}, BackgroundShare: 1.5}, false},
		{"ANegativeMaxWaitIsRefused", budget.Options{Store: sqliteStub{}, MaxWait: -time.Second}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := budget.New(c.o)
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestWaitGivesUpWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	reg := registries(t, []store.RateBudgets{sqlite.OpenTest(t)}, clk, nil)[0]
	l := reg.Limiter(wics)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, l.Wait(ctx, provider.PriorityUrgent), context.Canceled)
}

func BenchmarkTake(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(b *testing.B) store.RateBudgets
	}{
		{"SQLite", func(b *testing.B) store.RateBudgets { return sqlite.OpenTest(b) }},
		{"PostgreSQL", func(b *testing.B) store.RateBudgets { return postgres.OpenTest(b) }},
	} {
		b.Run(be.name, func(b *testing.B) {
			reg, err := budget.New(budget.Options{Store: be.open(b)})
			require.NoError(b, err)
			// No minute limit: each take is one statement, never a wait.
			l := reg.Limiter(provider.RateBudget{Key: budget.Key("wics", "bench"), PerDay: 1 << 30})
			for b.Loop() {
				if err := l.Wait(b.Context(), provider.PriorityUrgent); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(be.name+"Contended", func(b *testing.B) {
			reg, err := budget.New(budget.Options{Store: be.open(b)})
			require.NoError(b, err)
			l := reg.Limiter(provider.RateBudget{Key: budget.Key("wics", "bench"), PerDay: 1 << 30})
			b.SetParallelism(4) // 4 waiters per core on one budget's row
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Wait(context.Background(), provider.PriorityUrgent); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

type limited struct{ rb provider.RateBudget }

func (limited) Normalize(*model.InboxMessage) (model.Changes, error) { return model.Changes{}, nil }
func (l limited) RateBudget() provider.RateBudget                    { return l.rb }

type unlimitedConn struct{}

func (unlimitedConn) Normalize(*model.InboxMessage) (model.Changes, error) {
	return model.Changes{}, nil
}

// sqliteStub is a store.RateBudgets that is never called.
type sqliteStub struct{ store.RateBudgets }

var (
	_ provider.RateLimited = limited{}
	_ provider.Connector   = unlimitedConn{}
)

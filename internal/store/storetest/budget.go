package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store"
)

// rateBudgetCases cover store.RateBudgets, the shared row of a provider's
// rate budget (package budget builds its pacing on them).
var rateBudgetCases = []conformanceCase{
	{"AnUntouchedRateBudgetReadsAsZero", testRateUntouched},
	{"ConcurrentRateTakesGetSlotsAnIntervalApart", testRateSlotsApart},
	{"ARateTakeIsRefusedWhenItsSlotIsFurtherThanItCanWait", testRateMaxWait},
	{"ARateBudgetGrantsItsDayLimitAndStartsOverNextDay", testRateDay},
	{"ABlockedRateBudgetGrantsNothingAndEscalates", testRateBlock},
	{"BackgroundRateTakesYieldToUrgentDemandAndQueuedWork", testRateBackground},
}

func rateBudgets(t *testing.T, s store.Store) store.RateBudgets {
	t.Helper()
	rb, ok := s.(store.RateBudgets)
	if !ok {
		t.Skip("the store keeps no rate budgets")
	}
	return rb
}

func testRateUntouched(t *testing.T, s store.Store) {
	st, err := rateBudgets(t, s).RateBudgetState(ctx(t), "wics:none")
	require.NoError(t, err)
	assert.Equal(t, store.RateState{Key: "wics:none"}, st)
}

func testRateSlotsApart(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	const n = 40
	iv := 408 * time.Millisecond
	var (
		mu    sync.Mutex
		slots []time.Time
		wg    sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			g, err := rb.TakeRateSlot(ctx(t), store.RateTake{Key: "wics:a", Now: base, Interval: iv, MaxWait: time.Hour, Urgent: true})
			if assert.NoError(t, err) && assert.True(t, g.Granted) {
				mu.Lock()
				slots = append(slots, g.Slot)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, slots, n)
	slices.SortFunc(slots, time.Time.Compare)
	for i, sl := range slots {
		assert.Equal(t, base.Add(time.Duration(i)*iv), sl, "slot %d", i)
	}
	st, err := rb.RateBudgetState(ctx(t), "wics:a")
	require.NoError(t, err)
	assert.Equal(t, base.Add(n*iv), st.NextSlot)
	assert.Equal(t, base.Add(n*iv), st.UrgentUntil, "urgent takes say how long they want the budget")
	// Later, an idle budget gives the present moment, not a past slot.
	later := base.Add(time.Hour)
	g, err := rb.TakeRateSlot(ctx(t), store.RateTake{Key: "wics:a", Now: later, Interval: iv})
	require.NoError(t, err)
	require.True(t, g.Granted)
	assert.Equal(t, later, g.Slot)
}

func testRateMaxWait(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	iv := time.Second
	take := store.RateTake{Key: "wics:w", Now: base, Interval: iv, MaxWait: 2 * time.Second, Urgent: true}
	for i := range 3 {
		g, err := rb.TakeRateSlot(ctx(t), take)
		require.NoError(t, err)
		require.True(t, g.Granted, "take %d", i)
	}
	g, err := rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	assert.False(t, g.Granted, "the fourth slot starts 3 s ahead, later than the 2 s the taker can wait")
	assert.Equal(t, base.Add(3*iv), g.State.NextSlot, "a refused take moves nothing")
}

func testRateDay(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	day := base.Truncate(24 * time.Hour)
	take := store.RateTake{Key: "wics:d", Now: base, Day: day, DayLimit: 3, Urgent: true}
	for i := range 3 {
		g, err := rb.TakeRateSlot(ctx(t), take)
		require.NoError(t, err)
		require.True(t, g.Granted, "take %d", i)
		assert.Equal(t, i+1, g.State.DayUsed)
	}
	g, err := rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	assert.False(t, g.Granted)
	assert.Equal(t, 3, g.State.DayUsed)
	assert.Equal(t, day, g.State.DayStart)

	// A larger share (urgent work's) still has room.
	take.DayLimit = 4
	g, err = rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	assert.True(t, g.Granted)

	take.Now, take.Day = base.Add(24*time.Hour), day.Add(24*time.Hour)
	g, err = rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	require.True(t, g.Granted, "a new day starts over")
	assert.Equal(t, 1, g.State.DayUsed)
	assert.Equal(t, day.Add(24*time.Hour), g.State.DayStart)
}

func testRateBlock(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	esc := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}
	block := func(at time.Time) store.RateState {
		t.Helper()
		st, err := rb.BlockRateBudget(ctx(t), store.RateBlock{Key: "wics:b", Now: at, Escalation: esc, Quiet: 15 * time.Minute})
		require.NoError(t, err)
		return st
	}
	st := block(base)
	assert.Equal(t, base.Add(time.Minute), st.BlockedUntil)
	assert.Equal(t, 1, st.Violations)

	take := store.RateTake{Key: "wics:b", Now: base.Add(30 * time.Second), MaxWait: time.Hour, Urgent: true}
	g, err := rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	assert.False(t, g.Granted, "nothing is granted during a block")
	assert.Equal(t, base.Add(time.Minute), g.State.BlockedUntil)

	// Blocked again during the block: the next level, added to its end.
	st = block(base.Add(30 * time.Second))
	assert.Equal(t, base.Add(6*time.Minute), st.BlockedUntil)
	assert.Equal(t, 2, st.Violations)
	st = block(base.Add(7 * time.Minute))
	assert.Equal(t, base.Add(22*time.Minute), st.BlockedUntil)
	assert.Equal(t, 3, st.Violations)
	st = block(base.Add(23 * time.Minute))
	assert.Equal(t, base.Add(38*time.Minute), st.BlockedUntil, "the last level repeats")
	assert.Equal(t, 3, st.Violations)

	take.Now = base.Add(38 * time.Minute)
	g, err = rb.TakeRateSlot(ctx(t), take)
	require.NoError(t, err)
	assert.True(t, g.Granted, "the block is over")

	// Quiet for 15 minutes after the block: the escalation starts over.
	st = block(base.Add(53 * time.Minute))
	assert.Equal(t, base.Add(54*time.Minute), st.BlockedUntil)
	assert.Equal(t, 1, st.Violations)
	got, err := rb.RateBudgetState(ctx(t), "wics:b")
	require.NoError(t, err)
	assert.Equal(t, st, got)
}

func testRateBackground(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	iv := time.Second
	bg := store.RateTake{Key: "wics:p", Now: base, Interval: iv, MaxWait: time.Hour, Horizon: iv}
	g, err := rb.TakeRateSlot(ctx(t), bg)
	require.NoError(t, err)
	require.True(t, g.Granted, "background work may take an idle budget")
	assert.True(t, g.State.UrgentUntil.IsZero(), "background takes note no demand")

	urgent := bg
	urgent.Urgent = true
	for range 3 {
		g, err := rb.TakeRateSlot(ctx(t), urgent)
		require.NoError(t, err)
		require.True(t, g.Granted)
	}
	g, err = rb.TakeRateSlot(ctx(t), bg)
	require.NoError(t, err)
	assert.False(t, g.Granted, "urgent slots are queued ahead")

	bg.Now = base.Add(4 * time.Second)
	g, err = rb.TakeRateSlot(ctx(t), bg)
	require.NoError(t, err)
	assert.True(t, g.Granted, "the queue is done")

	require.NoError(t, rb.NoteRateDemand(ctx(t), "wics:p", base.Add(time.Minute)))
	require.NoError(t, rb.NoteRateDemand(ctx(t), "wics:p", base.Add(time.Second)), "demand is only ever raised")
	bg.Now = base.Add(30 * time.Second)
	g, err = rb.TakeRateSlot(ctx(t), bg)
	require.NoError(t, err)
	assert.False(t, g.Granted, "urgent work said it comes back")
	assert.Equal(t, base.Add(time.Minute), g.State.UrgentUntil)
	urgent.Now = bg.Now
	g, err = rb.TakeRateSlot(ctx(t), urgent)
	require.NoError(t, err)
	assert.True(t, g.Granted, "urgent work itself is not held back by its demand")
}

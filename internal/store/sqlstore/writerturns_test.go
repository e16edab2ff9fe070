package sqlstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWriterTurns drives the writer-scheduling policy's inputs directly: a
// count of waiting appends that the test sets, and a clock that moves only
// when the policy pauses. No case sleeps.
func TestWriterTurns(t *testing.T) {
	t.Parallel()
	const forever = -1
	cases := []struct {
		name         string
		singleWriter bool
		// waiting appends, until the policy has paused drainAfter times
		// (forever: they never commit).
		waiting    int64
		drainAfter int
		cancelled  bool
		// yieldedInFull: the batch before yielded its whole length.
		yieldedInFull bool
		limit         int
		wantBatch     int
		wantPauses    int
		// wantInFull: the next batch takes its turn at once.
		wantInFull bool
	}{
		{name: "WithNoAppendsWaitingApplyTakesTheFullBatchAtOnce", singleWriter: true,
			limit: 32, wantBatch: 32},
		{name: "AppendsCommittedDuringTheYieldLeaveTheFullBatch", singleWriter: true, waiting: 3, drainAfter: 4,
			limit: 32, wantBatch: 32, wantPauses: 4},
		{name: "AppendsStillWaitingAfterTheYieldCapTheBatch", singleWriter: true, waiting: 3, drainAfter: forever,
			limit: 32, wantBatch: applyBatchUnderAppends, wantPauses: int(maxApplyYield / applyYieldPoll), wantInFull: true},
		{name: "ABatchSmallerThanTheCapIsKeptUnderAppends", singleWriter: true, waiting: 1, drainAfter: forever,
			limit: 5, wantBatch: 5, wantPauses: int(maxApplyYield / applyYieldPoll), wantInFull: true},
		{name: "AnEndedContextStopsTheYieldButNotTheCap", singleWriter: true, waiting: 2, drainAfter: forever, cancelled: true,
			limit: 32, wantBatch: applyBatchUnderAppends},
		{name: "AfterAWholeYieldTheNextBatchTakesItsTurnAtOnceStillCapped", singleWriter: true, waiting: 4, drainAfter: forever,
			yieldedInFull: true, limit: 32, wantBatch: applyBatchUnderAppends},
		{name: "AfterAWholeYieldAndNoAppendsTheFullBatch", singleWriter: true, yieldedInFull: true,
			limit: 32, wantBatch: 32},
		{name: "WithoutASingleWriterApplyWaitsButDoesNotCap", waiting: 5, drainAfter: forever,
			limit: 256, wantBatch: 256, wantPauses: int(maxApplyYield / applyYieldPoll), wantInFull: true},
		{name: "WithoutASingleWriterTheTurnAfterAWholeYieldIsAtOnce", waiting: 5, drainAfter: forever, yieldedInFull: true,
			limit: 256, wantBatch: 256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
			start, pauses := clock, 0
			var inFull atomic.Bool
			inFull.Store(c.yieldedInFull)
			p := writerTurns{
				singleWriter:  c.singleWriter,
				yieldedInFull: &inFull,
				appendsWaiting: func() int64 {
					if c.drainAfter != forever && pauses >= c.drainAfter {
						return 0
					}
					return c.waiting
				},
				now: func() time.Time { return clock },
				pause: func(d time.Duration) {
					require.Equal(t, applyYieldPoll, d)
					pauses++
					clock = clock.Add(d)
				},
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if c.cancelled {
				cancel()
			}
			require.Equal(t, c.wantBatch, p.applyBatch(ctx, c.limit), "batch")
			require.Equal(t, c.wantPauses, pauses, "pauses")
			require.LessOrEqual(t, clock.Sub(start), maxApplyYield, "the yield is bounded")
			require.Equal(t, c.wantInFull, inFull.Load(), "the next batch takes its turn at once")
		})
	}
}

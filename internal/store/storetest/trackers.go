package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

func tracker(ws, conn, number string) *model.Tracker {
	return &model.Tracker{Workspace: ws, Connection: conn, TrackingNumber: number, NextPollAt: ptr(base)}
}

func testTrackerCreateIsIdempotent(t *testing.T, s store.Store) {
	first := tracker("acme", "gcl", "EXMPL0001234TRCKNUM")
	first.Reference = "order-7"
	created, err := s.CreateTracker(ctx(t), first)
	require.NoError(t, err)
	require.True(t, created)
	require.NotZero(t, first.ID)
	require.Equal(t, model.TrackerActive, first.State)
	require.Equal(t, model.StatusPending, first.Status)
	require.Equal(t, "api", first.Origin)

	again := tracker("acme", "gcl", "EXMPL0001234TRCKNUM")
	again.Reference = "other"
	created, err = s.CreateTracker(ctx(t), again)
	require.NoError(t, err)
	require.False(t, created, "the same number twice is the same tracker")
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, "order-7", again.Reference, "the existing tracker is returned unchanged")

	// Another connection or workspace tracks the number separately.
	other := tracker("acme", "gcl2", "EXMPL0001234TRCKNUM")
	created, err = s.CreateTracker(ctx(t), other)
	require.NoError(t, err)
	require.True(t, created)
	require.NotEqual(t, first.ID, other.ID)

	got, err := s.GetTracker(ctx(t), "acme", first.ID)
	require.NoError(t, err)
	require.Equal(t, first.TrackingNumber, got.TrackingNumber)
	require.Equal(t, base, *got.NextPollAt)
	_, err = s.GetTracker(ctx(t), "globex", first.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "a tracker is invisible from another workspace")

	// Concurrent requests for one new number end with one tracker.
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[int64]int{}
	)
	for range 8 {
		wg.Go(func() {
			tr := tracker("acme", "gcl", "RACE-1")
			c, err := s.CreateTracker(ctx(t), tr)
			if err != nil {
				t.Errorf("creating: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				ids[tr.ID] += 100
			} else {
				ids[tr.ID]++
			}
		})
	}
	wg.Wait()
	require.Len(t, ids, 1)
	for _, n := range ids {
		require.Equal(t, 107, n, "one creation and seven finds")
	}
}

func testTrackerListAndDelete(t *testing.T, s store.Store) {
	var ids []int64
	for _, n := range []string{"A1", "A2", "A3"} {
		tr := tracker("acme", "gcl", n)
		_, err := s.CreateTracker(ctx(t), tr)
		require.NoError(t, err)
		ids = append(ids, tr.ID)
	}
	g := tracker("globex", "gcl", "G1")
	_, err := s.CreateTracker(ctx(t), g)
	require.NoError(t, err)

	list, err := s.ListTrackers(ctx(t), store.TrackerFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, ids[2], list[0].ID, "newest first")

	list, err = s.ListTrackers(ctx(t), store.TrackerFilter{Workspace: "acme", Limit: 2})
	require.NoError(t, err)
	require.Len(t, list, 2)
	list, err = s.ListTrackers(ctx(t), store.TrackerFilter{Workspace: "acme", BeforeID: list[1].ID})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, ids[0], list[0].ID)

	list, err = s.ListTrackers(ctx(t), store.TrackerFilter{Workspace: "acme", TrackingNumber: "A2"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, ids[1], list[0].ID)

	require.ErrorIs(t, s.DeleteTracker(ctx(t), "globex", ids[1]), store.ErrNotFound, "another workspace cannot delete it")
	require.NoError(t, s.DeleteTracker(ctx(t), "acme", ids[1]))
	require.ErrorIs(t, s.DeleteTracker(ctx(t), "acme", ids[1]), store.ErrNotFound)
	_, err = s.GetTracker(ctx(t), "acme", ids[1])
	require.ErrorIs(t, err, store.ErrNotFound)

	// A deleted number can be tracked anew.
	created, err := s.CreateTracker(ctx(t), tracker("acme", "gcl", "A2"))
	require.NoError(t, err)
	require.True(t, created)
}

func testTrackerScheduleRoundTrip(t *testing.T, s store.Store) {
	mk := func(number string, priority int, next time.Time) *model.Tracker {
		tr := tracker("acme", "gcl", number)
		_, err := s.CreateTracker(ctx(t), tr)
		require.NoError(t, err)
		tr.Priority, tr.NextPollAt = priority, ptr(next)
		require.NoError(t, s.SaveTrackerPoll(ctx(t), tr))
		return tr
	}
	transitOld := mk("T-old", 2, base.Add(-2*time.Hour))
	transitNew := mk("T-new", 2, base.Add(-time.Hour))
	urgent := mk("OFD", 0, base.Add(-time.Minute))
	notFound := mk("NF", 3, base.Add(-3*time.Hour))
	mk("LATER", 0, base.Add(time.Hour))
	resting := mk("DONE", 0, base)
	resting.NextPollAt, resting.State = nil, model.TrackerDone
	require.NoError(t, s.SaveTrackerPoll(ctx(t), resting))
	other := tracker("acme", "gcl2", "OTHER")
	_, err := s.CreateTracker(ctx(t), other)
	require.NoError(t, err)

	due, err := s.DueTrackers(ctx(t), "acme", "gcl", base, 10)
	require.NoError(t, err)
	var got []int64
	for _, tr := range due {
		got = append(got, tr.ID)
	}
	require.Equal(t, []int64{urgent.ID, transitOld.ID, transitNew.ID, notFound.ID}, got,
		"by priority, then longest overdue; not-yet-due, resting and other connections' trackers left out")
	due, err = s.DueTrackers(ctx(t), "acme", "gcl", base, 2)
	require.NoError(t, err)
	require.Len(t, due, 2)

	// Every schedule field round-trips.
	urgent.State = model.TrackerNotFound
	urgent.Status = model.StatusOutForDelivery
	urgent.ExpectedDelivery = "2026-03-14"
	urgent.LastPolledAt = ptr(base)
	urgent.LastChangeAt = ptr(base.Add(-time.Minute))
	urgent.NotFoundSince = ptr(base.Add(-time.Hour))
	urgent.Polls, urgent.Failures, urgent.LastError = 7, 2, "HTTP 503"
	require.NoError(t, s.SaveTrackerPoll(ctx(t), urgent))
	back, err := s.GetTracker(ctx(t), "acme", urgent.ID)
	require.NoError(t, err)
	require.Equal(t, urgent.State, back.State)
	require.Equal(t, urgent.Status, back.Status)
	require.Equal(t, urgent.ExpectedDelivery, back.ExpectedDelivery)
	require.Equal(t, *urgent.LastPolledAt, *back.LastPolledAt)
	require.Equal(t, *urgent.LastChangeAt, *back.LastChangeAt)
	require.Equal(t, *urgent.NotFoundSince, *back.NotFoundSince)
	require.Equal(t, *urgent.NextPollAt, *back.NextPollAt)
	require.Equal(t, int64(7), back.Polls)
	require.Equal(t, 2, back.Failures)
	require.Equal(t, "HTTP 503", back.LastError)

	require.NoError(t, s.DeleteTracker(ctx(t), "acme", urgent.ID))
	require.ErrorIs(t, s.SaveTrackerPoll(ctx(t), urgent), store.ErrNotFound, "a deleted tracker is not resurrected")
}

func testShipmentsUpdatedSince(t *testing.T, s store.Store) {
	a := shipment("acme", "ws", "S1")
	b := shipment("acme", "ws", "S2")
	c := shipment("acme", "ws", "S3")
	g := shipment("globex", "ws", "S4")
	b.UpdatedAt = base.Add(time.Minute)
	c.UpdatedAt = base.Add(time.Minute)
	insertShipments(t, s, a, b, c, g)

	all, err := s.ShipmentsUpdatedSince(ctx(t), "acme", time.Time{}, 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{a.ID, b.ID, c.ID}, shipmentIDs(all))
	require.Equal(t, "TN-S1", all[0].TrackingNumber)
	require.Equal(t, "bpost", all[0].Carrier)
	require.Equal(t, b.UpdatedAt, all[1].UpdatedAt)

	page, err := s.ShipmentsUpdatedSince(ctx(t), "acme", b.UpdatedAt, b.ID, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{c.ID}, shipmentIDs(page), "continues after the last one seen, same time included")
	page, err = s.ShipmentsUpdatedSince(ctx(t), "acme", time.Time{}, 0, 1)
	require.NoError(t, err)
	require.Equal(t, []int64{a.ID}, shipmentIDs(page))
}

func testTrackerDeletedStaysDeleted(t *testing.T, s store.Store) {
	rule := func(conn, number string) *model.Tracker {
		tr := tracker("acme", conn, number)
		tr.Origin, tr.OriginShipment = "rule", 42
		return tr
	}
	first := rule("gcl", "1ZDELETED")
	created, err := s.CreateTracker(ctx(t), first)
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, s.DeleteTracker(ctx(t), "acme", first.ID))

	// The carrier rule's next scan selects the shipment again.
	again := rule("gcl", "1ZDELETED")
	created, err = s.CreateTracker(ctx(t), again)
	require.ErrorIs(t, err, store.ErrTrackerDeleted, "a deleted tracker stays deleted for its number")
	require.False(t, created)
	list, err := s.ListTrackers(ctx(t), store.TrackerFilter{Workspace: "acme", TrackingNumber: "1ZDELETED"})
	require.NoError(t, err)
	require.Empty(t, list, "nothing was created")

	// The deletion is the connection's and the workspace's only.
	created, err = s.CreateTracker(ctx(t), rule("gcl2", "1ZDELETED"))
	require.NoError(t, err)
	require.True(t, created)
	other := tracker("globex", "gcl", "1ZDELETED")
	other.Origin = "rule"
	created, err = s.CreateTracker(ctx(t), other)
	require.NoError(t, err)
	require.True(t, created)

	// The API may track it again, and then a rule finds the existing tracker.
	api := tracker("acme", "gcl", "1ZDELETED")
	api.Origin = "api"
	created, err = s.CreateTracker(ctx(t), api)
	require.NoError(t, err)
	require.True(t, created, "created again through the API")
	byRule := rule("gcl", "1ZDELETED")
	created, err = s.CreateTracker(ctx(t), byRule)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, api.ID, byRule.ID)

	// Deleted a second time, it stays deleted again.
	require.NoError(t, s.DeleteTracker(ctx(t), "acme", api.ID))
	_, err = s.CreateTracker(ctx(t), rule("gcl", "1ZDELETED"))
	require.ErrorIs(t, err, store.ErrTrackerDeleted)
	require.ErrorIs(t, s.DeleteTracker(ctx(t), "acme", api.ID), store.ErrNotFound)
}

// budgetCounter is what a store offers that can say how much of a budget
// window is left (poll.BudgetCounter; both SQL stores do).
type budgetCounter interface {
	TakeBudgetLeft(ctx context.Context, key string, window time.Duration, limit int) (bool, int, time.Time, error)
}

func testBudgetLeft(t *testing.T, s store.Store) {
	bc, ok := s.(budgetCounter)
	if !ok {
		t.Skip("the store does not count what is left of a budget")
	}
	const limit = 3
	used := map[time.Time]int{} // per window, as each take reports it
	for i := range limit + 2 {
		granted, left, next, err := bc.TakeBudgetLeft(ctx(t), "gcl/left", time.Hour, limit)
		require.NoError(t, err)
		if used[next] < limit {
			used[next]++
			require.True(t, granted, "take %d", i)
		} else {
			require.False(t, granted, "take %d", i)
		}
		require.Equal(t, limit-used[next], left, "take %d: what the window has left", i)
	}
	granted, left, _, err := bc.TakeBudgetLeft(ctx(t), "gcl/left-other", time.Hour, limit)
	require.NoError(t, err)
	require.True(t, granted)
	require.Equal(t, limit-1, left, "another key has its own budget")
}

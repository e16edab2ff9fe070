// Package storetest is the conformance suite of store.Store: every storage
// adapter runs the same cases, so the pipeline, the intake and the API can
// rely on the contract rather than on one database's habits.
//
//	func TestConformance(t *testing.T) {
//		storetest.Exercise(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"github.com/stretchr/testify/assert"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// Exercise runs the conformance suite. open must return a new, empty store
// for each call and close it when the test it was given ends.
func Exercise(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := []conformanceCase{
		{"AppendedMessageReadsBackAsReceived", testAppendRoundTrip},
		{"DuplicateIsAcknowledgedWithTheFirstID", testAppendDedup},
		{"ConcurrentAppendsAreAllCommittedWithDistinctIDs", testConcurrentAppends},
		{"ConcurrentRetriesOfTheSameKeysStoreOneRowEach", testConcurrentDuplicates},
		{"AppendWithCancelledContextFails", testAppendCancelled},
		{"ProcessInboxHandsOutOldestFirstAndOnce", testProcessOrder},
		{"ConcurrentProcessorsNeverShareAMessage", testConcurrentProcessors},
		{"FailingApplyRollsBackItsWritesAndLeavesMessagesPending", testProcessRollback},
		{"AnApplyWhoseContextEndsCommitsNothing", testProcessCancelled},
		{"FailedMessageIsCountedAndNotHandedOutAgain", testProcessFailure},
		{"ShipmentRoundTripsThroughTx", testShipmentRoundTrip},
		{"EventsAreDeduplicatedAndListedInTimeOrder", testEvents},
		{"FeedIsOrderedAndIsolatedByWorkspace", testFeed},
		{"ListShipmentsFiltersAndPagesWithinAWorkspace", testListShipments},
		{"ResetCanonicalClearsOneWorkspaceKeepsIDsAndFeedAndMakesItsMessagesPending", testResetWorkspace},
		{"ResetCanonicalWithoutWorkspaceResetsEveryWorkspace", testResetAll},
		{"MissingRowsAreNotFound", testNotFound},
		{"FeedEventsCanBeAppendedOutsideThePipeline", testAppendFeedEvents},
		{"CloseFlushesAcceptedAppendsAndThenRefuses", testClose},
		{"ALeaseHasOneHolderUntilItExpiresOrIsReleased", testLeases},
		{"ConcurrentInstancesNeverShareALease", testLeaseRace},
		{"ABudgetGrantsExactlyItsLimitPerWindowUnderConcurrency", testBudget},
		{"ABudgetSaysWhatIsLeftOfItsWindow", testBudgetLeft},
		{"ATrackerIsCreatedOncePerConnectionAndNumber", testTrackerCreateIsIdempotent},
		{"TrackersListPageAndDeleteWithinAWorkspace", testTrackerListAndDelete},
		{"ADeletedTrackerStaysDeletedUnlessTheAPIAsksAgain", testTrackerDeletedStaysDeleted},
		{"DueTrackersComeMostUsefulFirstAndTheScheduleRoundTrips", testTrackerScheduleRoundTrip},
		{"ShipmentsUpdatedSincePagesInUpdateOrder", testShipmentsUpdatedSince},
		{"IntakeErrorsReadBackNewestFirstWithinAWorkspace", testIntakeErrors},
		{"AnIntakeErrorKeepsAtMostItsCapOfBytes", testIntakeErrorBodyIsCapped},
	}
	for _, c := range slices.Concat(cases, webhookCases, inboxCases, linkCases, retentionCases, orderCases, stockCases, inboundCases, returnCases, rateBudgetCases, rateLevelCases, commandCases, returnCommandCases, activityCases, cursorCases, shipmentFilterCases, stuckCases, sessionCases, deliveryLogCases, insightsCases) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open(t))
		})
	}
}

// conformanceCase is one case of the suite, run on a fresh store.
type conformanceCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// base is a fixed, microsecond-precise instant: stores keep microseconds.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func message(ws, conn, key string) *model.InboxMessage {
	return &model.InboxMessage{
		Workspace:   ws,
		Connection:  conn,
		Provider:    "courier",
		Source:      model.SourceWebhook,
		Topic:       "status",
		DedupKey:    key,
		ContentType: "application/json",
		Meta:        map[string]string{"x-version": "2"},
		Body:        []byte(`{"key":"` + key + `"}`),
		ReceivedAt:  base,
	}
}

func appendAll(t *testing.T, s store.Store, msgs ...*model.InboxMessage) []int64 {
	t.Helper()
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		id, dup, err := s.AppendInbox(ctx(t), m)
		require.NoError(t, err)
		require.False(t, dup, "message %q", m.DedupKey)
		ids[i] = id
	}
	return ids
}

// processAll applies every pending message with fn until none is left.
func processAll(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n, err := s.ProcessInbox(ctx(t), 50, fn)
		require.NoError(t, err)
		if n == 0 {
			st, err := s.InboxStats(ctx(t))
			require.NoError(t, err)
			if st.Pending == 0 {
				return
			}
			runtime.Gosched()
		}
	}
	t.Fatal("inbox not drained before the deadline")
}

func ids(msgs []*model.InboxMessage) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func shipmentIDs(list []*model.Shipment) []int64 {
	out := make([]int64, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func shipment(ws, conn, ref string, refs ...string) *model.Shipment {
	s := &model.Shipment{
		Workspace:   ws,
		Connection:  conn,
		Provider:    "courier",
		ProviderRef: ref,
		References:  []model.Reference{{Kind: model.RefOrder, Value: ref}},
		StatusPosition: model.StatusPosition{
			Status: model.StatusPending,
		},
		Carrier:        "bpost",
		TrackingNumber: "TN-" + ref,
		Currency:       "EUR",
		Items: []model.Item{
			{SKU: "SKU-1", Name: "Mug", Quantity: 2, UnitPrice: ptr(7.5)},
			{SKU: "SKU-2", Name: "Tea", Quantity: 1},
		},
		ShippingAddress: &model.Address{FirstName: "Ada", LastName: "Peeters", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"},
		OriginAddress:   &model.Address{Company: "Acme", Country: "NL"},
		CollectedAt:     ptr(base.Add(time.Hour)),
		Attributes:      map[string]string{"x-version": "2"},
		FactTimes:       map[string]time.Time{"carrier": base, "attributes.x-version": base.Add(time.Minute)},
		CreatedAt:       base,
		UpdatedAt:       base,
	}
	for _, r := range refs {
		s.References = append(s.References, model.Reference{Kind: model.RefBarcode, Value: r})
	}
	return s
}

// setupSeq names the messages that drive setup transactions.
var setupSeq atomic.Int64

// insertShipments stores shipments in one ProcessInbox transaction, driven
// by a message appended for the purpose.
func insertShipments(t *testing.T, s store.Store, ships ...*model.Shipment) {
	t.Helper()
	appendAll(t, s, message("setup", "setup", fmt.Sprintf("setup-%d", setupSeq.Add(1))))
	n, err := s.ProcessInbox(ctx(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, sh := range ships {
			if err := tx.InsertShipment(ctx, sh); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// inTx runs fn in a ProcessInbox transaction of its own.
func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	appendAll(t, s, message("setup", "setup", fmt.Sprintf("tx-%d", setupSeq.Add(1))))
	n, err := s.ProcessInbox(ctx(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return fn(ctx, tx)
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func testAppendRoundTrip(t *testing.T, s store.Store) {
	m := message("acme", "courier", "k1")
	m.Meta = map[string]string{"x-version": "2", "remote": "127.0.0.1"}
	m.Body = []byte{0, 1, 2, 0xff, '<', '>'}
	id, dup, err := s.AppendInbox(ctx(t), m)
	require.NoError(t, err)
	require.False(t, dup)
	require.Positive(t, id)

	got, err := s.GetInbox(ctx(t), id)
	require.NoError(t, err)
	want := *m
	want.ID = id
	require.Equal(t, &want, got)

	noMeta := message("acme", "courier", "k2")
	noMeta.Meta = nil
	noMeta.ReceivedAt = time.Time{}
	before := time.Now().Add(-time.Second)
	id2 := appendAll(t, s, noMeta)[0]
	got, err = s.GetInbox(ctx(t), id2)
	require.NoError(t, err)
	require.Nil(t, got.Meta)
	require.WithinRange(t, got.ReceivedAt, before, time.Now().Add(time.Second), "a zero ReceivedAt means now")
	require.Greater(t, id2, id)
}

func testAppendDedup(t *testing.T, s store.Store) {
	first := appendAll(t, s, message("acme", "courier", "same"))[0]

	cases := []struct {
		name     string
		msg      *model.InboxMessage
		wantDup  bool
		wantSame bool
	}{
		{"the same key again is a duplicate", message("acme", "courier", "same"), true, true},
		{"a retry with another body is still a duplicate", func() *model.InboxMessage {
			m := message("acme", "courier", "same")
			m.Body = []byte("other")
			return m
		}(), true, true},
		{"the same key in another connection is new", message("acme", "ws", "same"), false, false},
		{"the same key in another workspace is new", message("globex", "courier", "same"), false, false},
	}
	for _, c := range cases {
		id, dup, err := s.AppendInbox(ctx(t), c.msg)
		require.NoError(t, err, c.name)
		require.Equal(t, c.wantDup, dup, c.name)
		if c.wantSame {
			require.Equal(t, first, id, c.name)
		} else {
			require.NotEqual(t, first, id, c.name)
		}
	}
	got, err := s.GetInbox(ctx(t), first)
	require.NoError(t, err)
	require.Equal(t, message("acme", "courier", "same").Body, got.Body, "a duplicate does not overwrite the first message")

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 3, st.Total)
}

func testConcurrentAppends(t *testing.T, s store.Store) {
	const n = 500
	type result struct {
		id  int64
		dup bool
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, dup, err := s.AppendInbox(ctx(t), message("acme", "courier", fmt.Sprintf("k%d", i)))
			results[i] = result{id, dup, err}
		}()
	}
	wg.Wait()

	seen := map[int64]int{}
	for i, r := range results {
		require.NoError(t, r.err)
		require.False(t, r.dup)
		prev, ok := seen[r.id]
		require.False(t, ok, "messages %d and %d got the same id %d", prev, i, r.id)
		seen[r.id] = i
	}
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, n, st.Total)
	require.EqualValues(t, n, st.Pending)

	for i, r := range results[:20] {
		got, err := s.GetInbox(ctx(t), r.id)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("k%d", i), got.DedupKey, "the id answers the message that was appended")
	}
}

func testConcurrentDuplicates(t *testing.T, s store.Store) {
	const calls, keys = 200, 20
	type result struct {
		id  int64
		dup bool
		err error
	}
	results := make([]result, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, dup, err := s.AppendInbox(ctx(t), message("acme", "courier", fmt.Sprintf("k%d", i%keys)))
			results[i] = result{id, dup, err}
		}()
	}
	wg.Wait()

	idOf := map[int]int64{}
	fresh := map[int]int{}
	for i, r := range results {
		require.NoError(t, r.err)
		k := i % keys
		if id, ok := idOf[k]; ok {
			require.Equal(t, id, r.id, "every append of key %d answers the same id", k)
		}
		idOf[k] = r.id
		if !r.dup {
			fresh[k]++
		}
	}
	for k := range keys {
		require.Equal(t, 1, fresh[k], "exactly one append of key %d is not a duplicate", k)
	}
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, keys, st.Total)
}

func testAppendCancelled(t *testing.T, s store.Store) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := s.AppendInbox(c, message("acme", "courier", "k"))
	require.ErrorIs(t, err, context.Canceled)
}

func testProcessOrder(t *testing.T, s store.Store) {
	var msgs []*model.InboxMessage
	for i := range 10 {
		m := message("acme", "courier", fmt.Sprintf("k%d", i))
		m.ReceivedAt = base.Add(time.Duration(i) * time.Second)
		msgs = append(msgs, m)
	}
	want := appendAll(t, s, msgs...)

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 10, Pending: 10, OldestPending: base}, st)

	var got [][]int64
	for _, limit := range []int{4, 4, 4} {
		n, err := s.ProcessInbox(ctx(t), limit, func(_ context.Context, _ store.Tx, batch []*model.InboxMessage) error {
			got = append(got, ids(batch))
			require.Equal(t, "courier", batch[0].Connection)
			require.Equal(t, []byte(`{"key":"`+batch[0].DedupKey+`"}`), batch[0].Body)
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, len(got[len(got)-1]), n)
	}
	require.Equal(t, [][]int64{want[0:4], want[4:8], want[8:10]}, got)

	n, err := s.ProcessInbox(ctx(t), 4, func(context.Context, store.Tx, []*model.InboxMessage) error {
		t.Error("fn called with nothing pending")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n)

	st, err = s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 10}, st)
}

func testConcurrentProcessors(t *testing.T, s store.Store) {
	const n = 300
	var msgs []*model.InboxMessage
	for i := range n {
		msgs = append(msgs, message("acme", "courier", fmt.Sprintf("k%d", i)))
	}
	appendAll(t, s, msgs...)

	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(30 * time.Second)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				done := len(seen) == n
				mu.Unlock()
				if done {
					return
				}
				_, err := s.ProcessInbox(context.Background(), 7, func(_ context.Context, _ store.Tx, batch []*model.InboxMessage) error {
					mu.Lock()
					defer mu.Unlock()
					for _, m := range batch {
						if prev, ok := seen[m.ID]; ok {
							t.Errorf("message %d handed to processor %d and again to %d", m.ID, prev, w)
						}
						seen[m.ID] = w
					}
					return nil
				})
				if err != nil {
					t.Errorf("processor %d: %v", w, err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, n, "together the processors saw every message")
}

var errApply = errors.New("apply failed")

func testProcessRollback(t *testing.T, s store.Store) {
	id := appendAll(t, s, message("acme", "courier", "k"))[0]

	_, err := s.ProcessInbox(ctx(t), 10, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		require.Equal(t, []int64{id}, ids(msgs))
		require.NoError(t, tx.InsertShipment(ctx, shipment("acme", "courier", "S1")))
		require.NoError(t, tx.AppendFeed(ctx, &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 1, OccurredAt: base, Data: []byte(`{}`)}))
		require.NoError(t, tx.MarkProcessed(ctx, id, ""))
		return errApply
	})
	require.ErrorIs(t, err, errApply)

	requireNoShipmentsOrFeed(t, s, "acme")
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Pending, "the message stays pending")

	var again []int64
	n, err := s.ProcessInbox(ctx(t), 10, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
		again = ids(msgs)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []int64{id}, again, "the message is handed out again")
}

// requireNoShipmentsOrFeed fails when workspace has a shipment or a feed
// entry: what a rolled-back apply wrote must be gone.
func requireNoShipmentsOrFeed(t *testing.T, s store.Store, workspace string) {
	t.Helper()
	list, err := s.ListShipments(ctx(t), store.ShipmentFilter{Workspace: workspace})
	require.NoError(t, err)
	require.Empty(t, list, "no shipment is kept")
	feed, err := s.ListFeed(ctx(t), workspace, 0, 10)
	require.NoError(t, err)
	require.Empty(t, feed, "no feed entry is kept")
}

// testProcessCancelled: an apply transaction whose context ends while fn
// runs commits none of its writes, those made before the end included, even
// where the store runs the hot path's statements without the context's
// cancellation (Dialect.DetachInTx): the transaction itself obeys it.
func testProcessCancelled(t *testing.T, s store.Store) {
	id := appendAll(t, s, message("acme", "courier", "k"))[0]

	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	_, err := s.ProcessInbox(c, 10, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		require.Equal(t, []int64{id}, ids(msgs))
		require.NoError(t, tx.InsertShipment(ctx, shipment("acme", "courier", "S1")))
		require.NoError(t, tx.AppendFeed(ctx, &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 1, OccurredAt: base, Data: []byte(`{}`)}))
		cancel()
		// Whatever this write answers, the transaction must not commit.
		_ = tx.InsertShipment(ctx, shipment("acme", "courier", "S2"))
		return nil
	})
	require.Error(t, err, "an apply whose context ended does not succeed")

	requireNoShipmentsOrFeed(t, s, "acme")
	// The ended transaction's rollback may still be on its way (database/sql
	// rolls back from its own goroutine); until then PostgreSQL's processing
	// lock is held and a claim hands out nothing.
	var again []int64
	require.Eventually(t, func() bool {
		got, claimErr := inboxClaimIDs(ctx(t), s, 10)
		again = got
		return claimErr == nil && len(got) > 0
	}, 10*time.Second, 10*time.Millisecond, "the message is pending and handed out again")
	require.Equal(t, []int64{id}, again, "the message is pending and handed out again")
}

func testProcessFailure(t *testing.T, s store.Store) {
	bad := message("acme", "courier", "bad")
	bad.ReceivedAt = base
	good := message("acme", "courier", "good")
	good.ReceivedAt = base.Add(time.Minute)
	later := message("acme", "courier", "later")
	later.ReceivedAt = base.Add(2 * time.Minute)
	ids := appendAll(t, s, bad, good, later)

	n, err := s.ProcessInbox(ctx(t), 2, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		return tx.MarkProcessed(ctx, ids[0], "decoding courier status: unexpected EOF")
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 3, Pending: 1, Failed: 1, OldestPending: later.ReceivedAt}, st)

	var got []int64
	processAll(t, s, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
		for _, m := range msgs {
			got = append(got, m.ID)
		}
		return nil
	})
	require.Equal(t, []int64{ids[2]}, got, "the failed message is not handed out again")

	st, err = s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 3, Failed: 1}, st)
}

func testShipmentRoundTrip(t *testing.T, s store.Store) {
	sh := shipment("acme", "courier", "ORD-1", "BC-1")
	other := shipment("globex", "courier", "ORD-1")

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.InsertShipment(ctx, sh))
		require.Positive(t, sh.ID)
		require.NoError(t, tx.InsertShipment(ctx, other), "the same reference in another workspace is another shipment")
		require.NotEqual(t, sh.ID, other.ID)

		got, err := tx.ShipmentByRef(ctx, "acme", "courier", "ORD-1")
		require.NoError(t, err)
		require.Equal(t, sh, got)

		_, err = tx.ShipmentByRef(ctx, "acme", "ws", "ORD-1")
		require.ErrorIs(t, err, store.ErrNotFound, "the reference is per connection")
		_, err = tx.ShipmentByRef(ctx, "acme", "courier", "ORD-2")
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	})

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByRef(ctx, "acme", "courier", "ORD-1")
		require.NoError(t, err)
		require.Equal(t, sh.FactTimes, got.FactTimes, "the fields' statement times are stored with the shipment")
		got.FactTimes["tracking_number"] = base.Add(4 * time.Hour)
		got.StatusPosition = model.StatusPosition{Status: model.StatusOutForDelivery, Substatus: model.SubRescheduled, ActionRequired: true, At: base.Add(time.Hour), EventID: 42}
		got.References = append(got.References, model.Reference{Kind: model.RefTrackingNumber, Value: "TN-NEW"})
		got.Items = append(got.Items, model.Item{SKU: "SKU-3", Quantity: 0.5, RowTotal: ptr(1.25)})
		got.Attributes["late"] = "yes"
		got.DeliveredAt = ptr(base.Add(2 * time.Hour))
		got.UpdatedAt = base.Add(3 * time.Hour)
		require.NoError(t, tx.UpdateShipment(ctx, got))
		sh = got
		return nil
	})

	got, err := s.GetShipment(ctx(t), "acme", sh.ID)
	require.NoError(t, err)
	require.Equal(t, sh, got, "the update is stored whole")
	require.Empty(t, got.Events)

	appendAll(t, s, message("setup", "setup", "duplicate-insert"))
	_, err = s.ProcessInbox(ctx(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return tx.InsertShipment(ctx, shipment("acme", "courier", "ORD-1"))
	})
	require.Error(t, err, "a provider reference is unique within its connection")
}

func testEvents(t *testing.T, s store.Store) {
	sh := shipment("acme", "courier", "ORD-1")
	insertShipments(t, s, sh)

	ev := func(key string, status model.Status, at time.Time) *model.Event {
		return &model.Event{
			Status:       status,
			ProviderCode: "C-" + key,
			Labels:       map[string]string{"nl": "label " + key, "en": "label " + key},
			Location:     &model.Location{Text: "Antwerpen", Lat: ptr(51.2), Lon: ptr(4.4)},
			OccurredAt:   at,
			Source:       model.SourceWebhook,
			InboxID:      7,
			DedupKey:     key,
			RecordedAt:   base,
		}
	}
	late := ev("delivered", model.StatusDelivered, base.Add(3*time.Hour))
	early := ev("picked", model.StatusInTransit, base.Add(time.Hour))
	tieA := ev("tie-a", model.StatusOutForDelivery, base.Add(2*time.Hour))
	tieB := ev("tie-b", model.StatusOutForDelivery, base.Add(2*time.Hour))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, e := range []*model.Event{late, early, tieA, tieB} {
			inserted, err := tx.InsertEvent(ctx, sh.ID, e)
			require.NoError(t, err)
			require.True(t, inserted)
			require.Positive(t, e.ID)
		}
		again := ev("picked", model.StatusInTransit, base.Add(time.Hour))
		inserted, err := tx.InsertEvent(ctx, sh.ID, again)
		require.NoError(t, err)
		require.False(t, inserted, "the same dedup key is stored once")
		require.Zero(t, again.ID)

		sh.StatusPosition = late.Position()
		sh.UpdatedAt = base.Add(3 * time.Hour)
		return tx.UpdateShipment(ctx, sh)
	})

	got, err := s.GetShipment(ctx(t), "acme", sh.ID)
	require.NoError(t, err)
	require.Equal(t, []model.Event{*early, *tieA, *tieB, *late}, got.Events, "events by occurred_at, then id")
	require.Equal(t, late.ID, got.EventID, "the status's event id survives")
	require.Equal(t, model.StatusDelivered, got.Status)
	got.Events = nil
	require.Equal(t, sh, got)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		byRef, err := tx.ShipmentByRef(ctx, "acme", "courier", "ORD-1")
		require.NoError(t, err)
		require.Nil(t, byRef.Events, "ShipmentByRef leaves events out")
		require.Equal(t, sh, byRef)
		return nil
	})
}

func testFeed(t *testing.T, s store.Store) {
	var acme, globex []*model.FeedEvent
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range 5 {
			ws := "acme"
			if i%2 == 1 {
				ws = "globex"
			}
			e := &model.FeedEvent{Workspace: ws, Type: model.EventShipmentStatusChanged, SubjectID: int64(i + 1), OccurredAt: base.Add(time.Duration(i) * time.Second), Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}
			require.NoError(t, tx.AppendFeed(ctx, e))
			if ws == "acme" {
				acme = append(acme, e)
			} else {
				globex = append(globex, e)
			}
		}
		return nil
	})

	// Ids are assigned at commit, growing in the order of AppendFeed.
	var last int64
	for _, list := range [][]*model.FeedEvent{acme, globex} {
		got, err := s.ListFeed(ctx(t), list[0].Workspace, 0, 10)
		require.NoError(t, err)
		require.Len(t, got, len(list))
		for i := range got {
			require.Greater(t, got[i].ID, last)
			list[i].ID = got[i].ID
			if i+1 < len(got) {
				last = got[i].ID
			}
		}
		last = 0
	}
	require.Less(t, acme[0].ID, globex[0].ID, "the second entry appended gets the higher id")

	cases := []struct {
		name      string
		workspace string
		after     int64
		limit     int
		want      []*model.FeedEvent
	}{
		{"a workspace sees only its own entries, oldest first", "acme", 0, 10, acme},
		{"after skips what the consumer has seen", "acme", acme[0].ID, 10, acme[1:]},
		{"limit caps the page", "acme", 0, 2, acme[:2]},
		{"another workspace has its own feed", "globex", 0, 10, globex},
		{"a workspace without entries has an empty feed", "initech", 0, 10, []*model.FeedEvent{}},
		{"after the last entry nothing is left", "acme", acme[2].ID, 10, []*model.FeedEvent{}},
	}
	for _, c := range cases {
		got, err := s.ListFeed(ctx(t), c.workspace, c.after, c.limit)
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}

func testListShipments(t *testing.T, s store.Store) {
	s1 := shipment("acme", "courier", "ORD-1", "BC-1", "SHARED")
	s1.Status = model.StatusInTransit
	s2 := shipment("acme", "ws", "ORD-2", "SHARED")
	s2.Status = model.StatusDelivered
	s3 := shipment("acme", "courier", "ORD-3", "BC-3")
	s3.Status = model.StatusDelivered
	s4 := shipment("globex", "courier", "ORD-1", "BC-1", "SHARED")
	insertShipments(t, s, s1, s2, s3, s4)

	// A reference added by an update is searchable too.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		s3.References = append(s3.References, model.Reference{Kind: model.RefTrackingNumber, Value: "LATE-TN"})
		return tx.UpdateShipment(ctx, s3)
	})

	cases := []struct {
		name   string
		filter store.ShipmentFilter
		want   []*model.Shipment
	}{
		{"without filters every shipment of the workspace is listed newest first", store.ShipmentFilter{Workspace: "acme"}, []*model.Shipment{s3, s2, s1}},
		{"a barcode finds its shipment", store.ShipmentFilter{Workspace: "acme", Reference: "BC-1"}, []*model.Shipment{s1}},
		{"the provider reference finds its shipment", store.ShipmentFilter{Workspace: "acme", Reference: "ORD-2"}, []*model.Shipment{s2}},
		{"a reference shared by two shipments finds both", store.ShipmentFilter{Workspace: "acme", Reference: "SHARED"}, []*model.Shipment{s2, s1}},
		{"a reference added by an update is found", store.ShipmentFilter{Workspace: "acme", Reference: "LATE-TN"}, []*model.Shipment{s3}},
		{"an unknown reference finds nothing", store.ShipmentFilter{Workspace: "acme", Reference: "NOPE"}, []*model.Shipment{}},
		{"status filters", store.ShipmentFilter{Workspace: "acme", Status: model.StatusDelivered}, []*model.Shipment{s3, s2}},
		{"connection filters", store.ShipmentFilter{Workspace: "acme", Connection: "courier"}, []*model.Shipment{s3, s1}},
		{"filters combine", store.ShipmentFilter{Workspace: "acme", Connection: "courier", Status: model.StatusDelivered, Reference: "BC-3"}, []*model.Shipment{s3}},
		{"limit caps the page", store.ShipmentFilter{Workspace: "acme", Limit: 2}, []*model.Shipment{s3, s2}},
		{"before id continues the listing", store.ShipmentFilter{Workspace: "acme", BeforeID: s2.ID, Limit: 2}, []*model.Shipment{s1}},
		{"another workspace sees only its own shipment", store.ShipmentFilter{Workspace: "globex", Reference: "SHARED"}, []*model.Shipment{s4}},
		{"a workspace without shipments lists none", store.ShipmentFilter{Workspace: "initech"}, []*model.Shipment{}},
	}
	for _, c := range cases {
		got, err := s.ListShipments(ctx(t), c.filter)
		require.NoError(t, err, c.name)
		require.Equal(t, shipmentIDs(c.want), shipmentIDs(got), c.name)
		require.Equal(t, c.want, got, c.name)
	}

	counts, err := s.CountShipments(ctx(t), "acme")
	require.NoError(t, err)
	require.Equal(t, map[model.Status]int64{model.StatusInTransit: 1, model.StatusDelivered: 2}, counts, "counts by status, this workspace only")
}

// seedWorkspace gives a workspace one processed message, one shipment with an
// event and one feed entry.
func seedWorkspace(t *testing.T, s store.Store, ws string) {
	t.Helper()
	appendAll(t, s, message(ws, "courier", "k-"+ws))
	processAll(t, s, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		for _, m := range msgs {
			sh := shipment(m.Workspace, "courier", "ORD-"+m.Workspace)
			if err := tx.InsertShipment(ctx, sh); err != nil {
				return err
			}
			if _, err := tx.InsertEvent(ctx, sh.ID, &model.Event{Status: model.StatusInTransit, OccurredAt: base, DedupKey: "e1", InboxID: m.ID}); err != nil {
				return err
			}
			if err := tx.AppendFeed(ctx, &model.FeedEvent{Workspace: m.Workspace, Type: model.EventShipmentCreated, SubjectID: sh.ID, OccurredAt: base, Data: []byte(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func countCanonical(t *testing.T, s store.Store, ws string) (shipments, feed int) {
	t.Helper()
	list, err := s.ListShipments(ctx(t), store.ShipmentFilter{Workspace: ws})
	require.NoError(t, err)
	entries, err := s.ListFeed(ctx(t), ws, 0, 100)
	require.NoError(t, err)
	return len(list), len(entries)
}

func testResetWorkspace(t *testing.T, s store.Store) {
	seedWorkspace(t, s, "acme")
	seedWorkspace(t, s, "globex")
	feedBefore, err := s.ListFeed(ctx(t), "acme", 0, 100)
	require.NoError(t, err)
	before, err := s.ListShipments(ctx(t), store.ShipmentFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, before, 1)

	n, err := s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	reset, err := s.GetShipment(ctx(t), "acme", before[0].ID)
	require.NoError(t, err, "a shipment keeps its id through a reset")
	require.Equal(t, model.StatusPending, reset.Status)
	require.Empty(t, reset.Events, "its events are gone")
	require.Equal(t, before[0].ProviderRef, reset.ProviderRef)
	require.Equal(t, before[0].CreatedAt, reset.CreatedAt)
	_, feed := countCanonical(t, s, "acme")
	require.Equal(t, len(feedBefore), feed, "the feed records what merchants were told and is kept")
	other, err := s.ListShipments(ctx(t), store.ShipmentFilter{Workspace: "globex"})
	require.NoError(t, err)
	require.Len(t, other, 1)
	kept, err := s.GetShipment(ctx(t), "globex", other[0].ID)
	require.NoError(t, err)
	require.Len(t, kept.Events, 1, "another workspace keeps its events")

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Pending)

	var again []*model.InboxMessage
	processAll(t, s, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		again = append(again, msgs...)
		for _, m := range msgs {
			sh, err := tx.ShipmentByRef(ctx, m.Workspace, "courier", "ORD-"+m.Workspace)
			if err != nil {
				return fmt.Errorf("the reset kept the shipment: %w", err)
			}
			require.Equal(t, before[0].ID, sh.ID)
		}
		return nil
	})
	require.Len(t, again, 1)
	require.Equal(t, "acme", again[0].Workspace)
}

func testResetAll(t *testing.T, s store.Store) {
	seedWorkspace(t, s, "acme")
	seedWorkspace(t, s, "globex")
	// A failed message is reprocessed too: the fix may be a corrected mapping.
	appendAll(t, s, message("globex", "courier", "bad"))
	processAll(t, s, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		return tx.MarkProcessed(ctx, msgs[0].ID, "bad")
	})

	n, err := s.ResetCanonical(ctx(t), "")
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	for _, ws := range []string{"acme", "globex"} {
		counts, err := s.CountShipments(ctx(t), ws)
		require.NoError(t, err)
		require.Equal(t, map[model.Status]int64{model.StatusPending: 1}, counts, ws)
	}
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 3, Pending: 3, OldestPending: base}, st)
}

func testAppendFeedEvents(t *testing.T, s store.Store) {
	seedWorkspace(t, s, "acme")
	before, err := s.ListFeed(ctx(t), "acme", 0, 100)
	require.NoError(t, err)
	require.NoError(t, s.AppendFeedEvents(ctx(t), []*model.FeedEvent{
		{Workspace: "acme", Type: model.EventShipmentStatusChanged, SubjectID: 1, OccurredAt: base, Data: []byte(`{"n":1}`)},
		{Workspace: "acme", Type: model.EventShipmentStatusChanged, SubjectID: 2, OccurredAt: base, Data: []byte(`{"n":2}`)},
	}))
	after, err := s.ListFeed(ctx(t), "acme", before[len(before)-1].ID, 100)
	require.NoError(t, err)
	require.Len(t, after, 2)
	require.JSONEq(t, `{"n":1}`, string(after[0].Data))
	require.Less(t, after[0].ID, after[1].ID)
}

func testNotFound(t *testing.T, s store.Store) {
	sh := shipment("acme", "courier", "ORD-1")
	insertShipments(t, s, sh)

	_, err := s.GetShipment(ctx(t), "globex", sh.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another workspace's shipment")
	_, err = s.GetShipment(ctx(t), "acme", sh.ID+1000)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetInbox(ctx(t), 1_000_000)
	require.ErrorIs(t, err, store.ErrNotFound)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.ErrorIs(t, tx.MarkProcessed(ctx, 1_000_000, ""), store.ErrNotFound)
		other := *sh
		other.Workspace = "globex"
		require.ErrorIs(t, tx.UpdateShipment(ctx, &other), store.ErrNotFound, "a shipment is updated only in its own workspace")
		return nil
	})
	require.NoError(t, s.Ping(ctx(t)))
}

func testClose(t *testing.T, s store.Store) {
	const n = 200
	errs := make([]error, n)
	ids := make([]int64, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ids[i], _, errs[i] = s.AppendInbox(context.Background(), message("acme", "courier", fmt.Sprintf("k%d", i)))
		}()
	}
	close(start)
	// Close while appends are in flight: each must either be committed or
	// refused with ErrClosed, never lost to a closed database.
	require.NoError(t, s.Close())
	wg.Wait()

	committed := 0
	for i, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, store.ErrClosed, "append %d", i)
			continue
		}
		require.Positive(t, ids[i])
		committed++
	}
	t.Logf("%d of %d appends committed before close", committed, n)

	_, _, err := s.AppendInbox(ctx(t), message("acme", "courier", "after"))
	require.ErrorIs(t, err, store.ErrClosed)
	require.NoError(t, s.Close(), "closing twice is harmless")
}

func testLeases(t *testing.T, s store.Store) {
	c := ctx(t)
	got, err := s.AcquireLease(c, "poller", "a", time.Minute)
	require.NoError(t, err)
	require.True(t, got, "a free lease is taken")
	got, err = s.AcquireLease(c, "poller", "b", time.Minute)
	require.NoError(t, err)
	require.False(t, got, "a held lease is refused to another holder")
	got, err = s.AcquireLease(c, "poller", "a", time.Minute)
	require.NoError(t, err)
	require.True(t, got, "the holder renews")
	got, err = s.AcquireLease(c, "other", "b", time.Minute)
	require.NoError(t, err)
	require.True(t, got, "leases are independent by name")

	require.NoError(t, s.ReleaseLease(c, "poller", "b"), "releasing another's lease is a no-op")
	got, err = s.AcquireLease(c, "poller", "b", time.Minute)
	require.NoError(t, err)
	require.False(t, got)
	require.NoError(t, s.ReleaseLease(c, "poller", "a"))
	got, err = s.AcquireLease(c, "poller", "b", 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, got, "a released lease is free")

	// b stops renewing, as a dead instance would: a takes over after the ttl.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err = s.AcquireLease(c, "poller", "a", time.Minute)
		require.NoError(t, err)
		if got || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, got, "an expired lease moves over")
}

func testLeaseRace(t *testing.T, s store.Store) {
	const instances = 8
	var wg sync.WaitGroup
	var winners atomic.Int64
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.AcquireLease(ctx(t), "race", fmt.Sprintf("instance-%d", i), time.Minute)
			assert.NoError(t, err)
			if got {
				winners.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(1), winners.Load())
}

func testBudget(t *testing.T, s store.Store) {
	// The window is fixed (a UTC day), so the takers may straddle its end:
	// the checks below hold per window, as every take reports, and never
	// assume which window the wall clock is in.
	const limit, takers = 20, 60
	const day = 24 * time.Hour
	type take struct {
		ok   bool
		next time.Time
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		takes []take
	)
	before := time.Now()
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, n, err := s.TakeBudget(ctx(t), "gcl/day", day, limit)
			assert.NoError(t, err)
			mu.Lock()
			takes = append(takes, take{ok, n})
			mu.Unlock()
		}()
	}
	wg.Wait()
	after := time.Now()
	granted, refused := map[int64]int{}, map[int64]int{}
	for _, tk := range takes {
		require.Equal(t, tk.next, tk.next.Truncate(day), "a window ends on its boundary")
		require.True(t, tk.next.After(before) && !tk.next.Add(-day).After(after), "the window reported is the one taken from")
		if tk.ok {
			granted[tk.next.UnixMicro()]++
		} else {
			refused[tk.next.UnixMicro()]++
		}
	}
	require.Len(t, takes, takers)
	require.NotEmpty(t, refused, "more takers than the limit: some are refused")
	for w, n := range granted {
		require.LessOrEqual(t, n, limit, "never more than the limit in a window")
		if refused[w] > 0 {
			require.Equal(t, limit, n, "a window refuses only once exactly the limit is granted")
		}
	}
	for w := range refused {
		require.Equal(t, limit, granted[w], "a refusal says when the next window opens: the full window's end")
	}

	ok, _, err := s.TakeBudget(ctx(t), "gcl/second", time.Hour, 1)
	require.NoError(t, err)
	require.True(t, ok, "another key has its own budget")
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// retentionCases are the conformance cases of store.Retention.
var retentionCases = []conformanceCase{
	{"PruningDeliveriesKeepsPendingRetryingAndDeadLetters", testPruneDeliveries},
	{"PruningTheFeedKeepsEntriesWithUndeliveredDeliveries", testPruneFeed},
	{"PruningTheInboxKeepsPendingAndFailedMessages", testPruneInbox},
	{"PruningIntakeErrorsDeletesOnlyTheOldOnes", testPruneIntakeErrors},
	{"PruningTrackersKeepsThoseStillPolled", testPruneTrackers},
	{"PruningShipmentsKeepsUnfinishedOnesAndTakesTheirEvents", testPruneShipments},
	{"PruningStockMutationsDeletesThoseRecordedBeforeTheCutoff", testPruneStockMutations},
	{"PruningCommandsDeletesFinishedOnesWithTheirKeysAndKeepsThoseAtWork", testPruneCommands},
	{"AFailingSubjectsBacklogIsParkedBehindItsHeadsRetry", testClaimParksTheBacklog},
	{"SpaceIsReclaimedForPrunedTablesOnly", testReclaimSpace},
}

// pruneAll prunes table in batches of limit until the store reports it is
// done, and returns the rows deleted by table. Each call must make progress:
// a rule that keeps rows must still move its cursor past them.
func pruneAll(t *testing.T, s store.Store, table store.RetentionTable, before time.Time, limit int) map[string]int64 {
	t.Helper()
	total := map[string]int64{}
	var cursor store.PruneCursor
	for range 1000 {
		res, err := s.Prune(ctx(t), table, before, cursor, limit)
		require.NoError(t, err)
		for k, v := range res.Deleted {
			total[k] += v
		}
		if res.Done {
			return total
		}
		require.NotEqual(t, cursor, res.Next, "a batch that is not the last moves the cursor on")
		cursor = res.Next
	}
	t.Fatalf("pruning %s did not finish", table)
	return nil
}

func attempt(id, endpointID int64, status string, at time.Time) store.AttemptResult {
	r := store.AttemptResult{DeliveryID: id, EndpointID: endpointID, Status: status, Healthy: status == model.DeliverySucceeded,
		Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 1, StatusCode: 500, Error: "HTTP 500"}}
	if status == model.DeliverySucceeded {
		r.Attempt.StatusCode, r.Attempt.Error = 200, ""
	}
	if status == model.DeliveryPending {
		r.NextAttemptAt = at.Add(time.Hour)
	}
	return r
}

func testPruneDeliveries(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentCreated, 2},
		feedSpec{model.EventShipmentCreated, 3}, feedSpec{model.EventShipmentCreated, 4}, feedSpec{model.EventShipmentCreated, 5})
	ids := claimIDs(t, s, 10, time.Minute)
	require.Len(t, ids, 5)
	delivered, recent, retrying, dead, pending := ids[0], ids[1], ids[2], ids[3], ids[4]
	old := base.Add(-48 * time.Hour)
	_, err := s.RecordAttempts(ctx(t), []store.AttemptResult{
		attempt(delivered, ep.ID, model.DeliveryPending, old.Add(-time.Hour)), // a failure, then the success below
		attempt(retrying, ep.ID, model.DeliveryPending, old),
		attempt(dead, ep.ID, model.DeliveryFailed, old),
	})
	require.NoError(t, err)
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{
		attempt(delivered, ep.ID, model.DeliverySucceeded, old),
		attempt(recent, ep.ID, model.DeliverySucceeded, base),
	})
	require.NoError(t, err)

	require.Empty(t, pruneAll(t, s, store.RetainDeliveries, old, 1), "nothing was delivered before the cutoff (it is exclusive)")
	got := pruneAll(t, s, store.RetainDeliveries, old.Add(time.Second), 1)
	require.Equal(t, map[string]int64{"deliveries": 1, "delivery_attempts": 2}, got, "the old delivered delivery goes with its whole log")

	_, err = s.GetDelivery(ctx(t), "acme", delivered)
	require.ErrorIs(t, err, store.ErrNotFound)
	for name, id := range map[string]int64{"recent": recent, "retrying": retrying, "dead letter": dead, "pending": pending} {
		d, err := s.GetDelivery(ctx(t), "acme", id)
		require.NoError(t, err, "the %s delivery is kept", name)
		if name != "pending" {
			require.Len(t, d.Log, 1, "with its log")
		}
	}
	require.Equal(t, int64(1), pruneAll(t, s, store.RetainDeliveries, base.Add(time.Hour), 1)["deliveries"], "then the recent one is old enough too")
	for _, id := range []int64{retrying, dead, pending} {
		_, err := s.GetDelivery(ctx(t), "acme", id)
		require.NoError(t, err, "undelivered deliveries are never pruned")
	}
}

func testPruneFeed(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", model.EventShipmentCreated)
	events := emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentCreated, 2},
		feedSpec{model.EventShipmentCreated, 3}, feedSpec{model.EventShipmentStatusChanged, 4}, feedSpec{model.EventShipmentCreated, 5})
	emit(t, s, "globex", feedSpec{model.EventShipmentCreated, 9})
	ids := claimIDs(t, s, 10, time.Minute)
	require.Len(t, ids, 4, "the status_changed entry has no delivery")
	delivered, retrying, dead, pending := ids[0], ids[1], ids[2], ids[3]
	_, err := s.RecordAttempts(ctx(t), []store.AttemptResult{
		attempt(delivered, ep.ID, model.DeliverySucceeded, base),
		attempt(retrying, ep.ID, model.DeliveryPending, base),
		attempt(dead, ep.ID, model.DeliveryFailed, base),
	})
	require.NoError(t, err)
	_ = pending // claimed, never recorded: in flight

	written := time.Now()
	require.Empty(t, pruneAll(t, s, store.RetainFeed, written.Add(-time.Hour), 1), "entries written after the cutoff are kept")
	got := pruneAll(t, s, store.RetainFeed, written.Add(time.Hour), 1)
	require.Equal(t, map[string]int64{"feed": 3, "deliveries": 1, "delivery_attempts": 1}, got,
		"the delivered entry (with its delivery), the entry without deliveries and globex's")

	feed, err := s.ListFeed(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	var kept []int64
	for _, e := range feed {
		kept = append(kept, e.ID)
	}
	require.Equal(t, []int64{events[1].ID, events[2].ID, events[4].ID}, kept, "entries with a retrying, dead-lettered or in-flight delivery stay")
	for _, id := range []int64{retrying, dead, pending} {
		_, err := s.GetDelivery(ctx(t), "acme", id)
		require.NoError(t, err)
	}
	_, err = s.GetDelivery(ctx(t), "acme", delivered)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testPruneInbox(t *testing.T, s store.Store) {
	done := message("acme", "courier", "done")
	failed := message("acme", "courier", "failed")
	pending := message("acme", "courier", "pending")
	recent := message("acme", "courier", "recent")
	recent.ReceivedAt = base.Add(time.Hour)
	for i, id := range appendAll(t, s, done, failed, recent) {
		[]*model.InboxMessage{done, failed, recent}[i].ID = id
	}
	processAll(t, s, func(c context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		for _, m := range msgs {
			reason := ""
			if m.DedupKey == "failed" {
				reason = "no mapping for status X"
			}
			if err := tx.MarkProcessed(c, m.ID, reason); err != nil {
				return err
			}
		}
		return nil
	})
	pending.ID = appendAll(t, s, pending)[0] // received at base, like done and failed, but never processed

	require.Empty(t, pruneAll(t, s, store.RetainInbox, base, 1))
	got := pruneAll(t, s, store.RetainInbox, base.Add(time.Minute), 1)
	require.Equal(t, map[string]int64{"inbox": 1}, got, "only the processed message received before the cutoff")
	_, err := s.GetInbox(ctx(t), done.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, m := range []*model.InboxMessage{failed, pending, recent} {
		_, err := s.GetInbox(ctx(t), m.ID)
		require.NoError(t, err, "message %q is kept", m.DedupKey)
	}
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 3, Pending: 1, Failed: 1, OldestPending: base}, st)
}

func testPruneIntakeErrors(t *testing.T, s store.Store) {
	old := intakeError("acme", "courier", "old.json")
	newer := intakeError("acme", "courier", "new.json")
	newer.ReceivedAt = base.Add(time.Hour)
	other := intakeError("globex", "courier", "old.json")
	for _, e := range []*model.IntakeError{old, newer, other} {
		require.NoError(t, s.RecordIntakeError(ctx(t), e))
	}
	require.Equal(t, map[string]int64{"intake_errors": 2}, pruneAll(t, s, store.RetainIntakeErrors, base.Add(time.Minute), 1))
	list, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, newer.ID, list[0].ID)
}

func testPruneTrackers(t *testing.T, s store.Store) {
	byState := map[model.TrackerState]*model.Tracker{}
	for _, st := range []model.TrackerState{model.TrackerActive, model.TrackerNotFound, model.TrackerDone, model.TrackerExpired} {
		tr := tracker("acme", "gcl", "TN-"+string(st))
		_, err := s.CreateTracker(ctx(t), tr)
		require.NoError(t, err)
		tr.State = st
		if st == model.TrackerDone || st == model.TrackerExpired {
			tr.NextPollAt = nil
		}
		require.NoError(t, s.SaveTrackerPoll(ctx(t), tr))
		byState[st] = tr
	}
	require.Empty(t, pruneAll(t, s, store.RetainTrackers, time.Now().Add(-time.Hour), 1), "every tracker changed after the cutoff")
	require.Equal(t, map[string]int64{"trackers": 2}, pruneAll(t, s, store.RetainTrackers, time.Now().Add(time.Hour), 1))
	for st, tr := range byState {
		_, err := s.GetTracker(ctx(t), "acme", tr.ID)
		if st == model.TrackerDone || st == model.TrackerExpired {
			require.ErrorIs(t, err, store.ErrNotFound, "a %s tracker is pruned", st)
		} else {
			require.NoError(t, err, "an %s tracker is still polled and kept", st)
		}
	}
}

func testPruneShipments(t *testing.T, s store.Store) {
	delivered := shipment("acme", "courier", "DELIVERED", "BC-D")
	delivered.Status = model.StatusDelivered
	moving := shipment("acme", "courier", "MOVING")
	moving.Status = model.StatusInTransit
	late := shipment("acme", "courier", "LATE")
	late.Status, late.UpdatedAt = model.StatusCancelled, base.Add(time.Hour)
	insertShipments(t, s, delivered, moving, late)
	inTx(t, s, func(c context.Context, tx store.Tx) error {
		for _, sh := range []*model.Shipment{delivered, moving} {
			for _, key := range []string{"a", "b"} {
				if _, err := tx.InsertEvent(c, sh.ID, &model.Event{Status: sh.Status, ProviderCode: key, OccurredAt: base, Source: model.SourceWebhook, DedupKey: key}); err != nil {
					return err
				}
			}
		}
		return nil
	})

	got := pruneAll(t, s, store.RetainShipments, base.Add(time.Minute), 1)
	require.Equal(t, map[string]int64{"shipments": 1, "events": 2, "shipment_refs": 2}, got, "the delivered shipment with its events and references")
	_, err := s.GetShipment(ctx(t), "acme", delivered.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListShipments(ctx(t), store.ShipmentFilter{Workspace: "acme", Reference: "BC-D"})
	require.NoError(t, err)
	require.Empty(t, list, "its references are gone")
	m, err := s.GetShipment(ctx(t), "acme", moving.ID)
	require.NoError(t, err, "a shipment still on its way is kept")
	require.Len(t, m.Events, 2)
	_, err = s.GetShipment(ctx(t), "acme", late.ID)
	require.NoError(t, err, "a finished shipment changed after the cutoff is kept")
}

func testReclaimSpace(t *testing.T, s store.Store) {
	for _, e := range []*model.IntakeError{intakeError("acme", "courier", "a.json"), intakeError("acme", "courier", "b.json")} {
		require.NoError(t, s.RecordIntakeError(ctx(t), e))
	}
	require.Equal(t, map[string]int64{"intake_errors": 2}, pruneAll(t, s, store.RetainIntakeErrors, base.Add(time.Minute), 10))
	all := []string{"deliveries", "delivery_attempts", "feed", "inbox", "intake_errors", "trackers", "shipments", "events", "shipment_refs"}
	require.NoError(t, s.ReclaimSpace(ctx(t), all), "every table retention deletes from")
	require.NoError(t, s.ReclaimSpace(ctx(t), nil))
	err := s.ReclaimSpace(ctx(t), []string{"intake_errors", "endpoints; DROP TABLE inbox"})
	require.ErrorContains(t, err, "unknown table", "names are checked before any statement runs")
	_, err = s.GetInbox(ctx(t), 1)
	require.ErrorIs(t, err, store.ErrNotFound, "the inbox table is still there")
}

func testPruneStockMutations(t *testing.T, s store.Store) {
	old := mutation("acme", "wics", "MUG-1", -2, base)
	newer := mutation("acme", "wics", "MUG-1", 5, base)
	newer.CreatedAt = base.Add(time.Hour)
	otherWs := mutation("globex", "wics", "MUG-1", 1, base.Add(2*time.Hour))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, m := range []*model.StockMutation{old, newer, otherWs} {
			if _, err := tx.InsertStockMutation(ctx, m, fmt.Sprintf("m-%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	require.Equal(t, map[string]int64{"stock_mutations": 2}, pruneAll(t, s, store.RetainStockMutations, base.Add(time.Minute), 1),
		"the mutations recorded before the cutoff go, whatever their provider time and workspace")
	list, err := s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Equal(t, []int64{newer.ID}, mutationIDs(list))
}

func testPruneCommands(t *testing.T, s store.Store) {
	submit := func(ref, key string) int64 {
		res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", ref, key), nil)
		require.NoError(t, err)
		return res.Command.ID
	}
	finish := func(id int64, status model.CommandStatus) {
		_, err := s.StartCommand(ctx(t), id, base)
		require.NoError(t, err)
		out := store.CommandOutcome{Status: status, Now: base}
		if status == model.CommandFailed {
			out.NextAttemptAt = base.Add(time.Hour)
		}
		_, err = s.FinishCommand(ctx(t), id, out)
		require.NoError(t, err)
	}
	succeeded, dead, failed, queued := submit("WT-1", "key-1"), submit("WT-2", ""), submit("WT-3", ""), submit("WT-4", "")
	finish(succeeded, model.CommandSucceeded)
	finish(dead, model.CommandDead)
	finish(failed, model.CommandFailed)

	got := pruneAll(t, s, store.RetainCommands, base.Add(time.Minute), 1)
	require.Equal(t, map[string]int64{"commands": 2, "idempotency_keys": 1}, got, "finished commands go with their keys")
	for _, id := range []int64{succeeded, dead} {
		_, err := s.GetCommand(ctx(t), "acme", id)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	for _, id := range []int64{failed, queued} {
		_, err := s.GetCommand(ctx(t), "acme", id)
		require.NoError(t, err, "a command still at work is kept")
	}
	// The pruned key is free again: the same key is a new request.
	again, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-5", "key-1"), nil)
	require.NoError(t, err)
	require.False(t, again.Replayed)
}

package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var stuckCases = []conformanceCase{
	{"AShipmentIsMarkedStuckOncePerEpisodeWithOneFeedEventAndDelivery", testStuckOncePerEpisode},
	{"TheStuckScanTakesOneStatusOfOneWorkspaceOldestFirstInBatches", testStuckScanSelects},
	{"TheOverviewCountsByStatusAndWhatNeedsActionWithinAWorkspace", testOverviewCounts},
	{"TheOverviewsShipmentCountsFollowInsertsStatusChangesRebuildsAndRetention", testOverviewCountsFollowWrites},
}

// aged is a shipment in status, last updated at updated.
func aged(ws, ref string, status model.Status, updated time.Time) *model.Shipment {
	sh := shipment(ws, "courier", ref)
	sh.Status, sh.CreatedAt, sh.UpdatedAt = status, updated, updated
	return sh
}

func stuckFeed(t *testing.T, s store.Store, ws string) []*model.FeedEvent {
	t.Helper()
	all, err := s.ListFeed(ctx(t), ws, 0, 1000)
	require.NoError(t, err)
	var out []*model.FeedEvent
	for _, e := range all {
		if e.Type == model.EventShipmentStuck {
			out = append(out, e)
		}
	}
	return out
}

// testStuckOncePerEpisode checks that a quiet shipment is marked once, with
// one shipment.stuck event (delivered to an endpoint that subscribes), that
// a second scan leaves it alone, and that an update starts a new episode.
func testStuckOncePerEpisode(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", model.EventShipmentStuck)
	sh := aged("acme", "Q1", model.StatusInTransit, base)
	insertShipments(t, s, sh)
	scan := store.StuckScan{Workspace: "acme", Status: model.StatusInTransit, Before: base.Add(time.Hour), Now: base.Add(2 * time.Hour), Limit: 10}

	marked, err := s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Len(t, marked, 1)
	require.Equal(t, sh.ID, marked[0].ID)
	require.True(t, marked[0].UpdatedAt.Equal(base), "its last update: %s", marked[0].UpdatedAt)

	feed := stuckFeed(t, s, "acme")
	require.Len(t, feed, 1)
	require.Equal(t, sh.ID, feed[0].SubjectID)
	require.True(t, feed[0].OccurredAt.Equal(scan.Now))
	var data model.ShipmentStuck
	require.NoError(t, json.Unmarshal(feed[0].Data, &data))
	require.Equal(t, sh.ID, data.ShipmentID)
	require.Equal(t, model.StatusInTransit, data.Status)
	require.True(t, data.StuckSince.Equal(base), "stuck since its last update: %s", data.StuckSince)
	var doc model.Shipment
	require.NoError(t, json.Unmarshal(data.Shipment, &doc))
	require.Equal(t, "Q1", doc.ProviderRef)

	dels, err := s.ListDeliveries(ctx(t), store.DeliveryFilter{Workspace: "acme", EndpointID: ep.ID})
	require.NoError(t, err)
	require.Len(t, dels, 1, "the subscribed endpoint gets one delivery")
	require.Equal(t, feed[0].ID, dels[0].EventID)

	stuck, err := s.ListStuck(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Len(t, stuck, 1)
	require.Equal(t, sh.ID, stuck[0].ID)

	// The same episode: a later scan marks nothing.
	scan.Now = scan.Now.Add(time.Hour)
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Empty(t, marked)
	require.Len(t, stuckFeed(t, s, "acme"), 1)

	// An update ends the episode: no longer stuck, and not marked while fresh.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByID(ctx, "acme", sh.ID)
		if err != nil {
			return err
		}
		got.UpdatedAt = scan.Now.Add(time.Minute)
		return tx.UpdateShipment(ctx, got)
	})
	stuck, err = s.ListStuck(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Empty(t, stuck, "an update ends the episode")
	scan.Before, scan.Now = scan.Now, scan.Now.Add(2*time.Minute)
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Empty(t, marked, "updated after the cutoff")

	// A quiet stretch after the update: a new episode, a second event.
	scan.Before, scan.Now = scan.Now.Add(time.Hour), scan.Now.Add(2*time.Hour)
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Len(t, marked, 1)
	require.Len(t, stuckFeed(t, s, "acme"), 2)
	counts, err := s.CountOverview(ctx(t), "acme")
	require.NoError(t, err)
	require.EqualValues(t, 1, counts.Stuck)
}

// testStuckScanSelects checks what one scan takes: its workspace and status
// only, updated before the cutoff, oldest first, at most Limit; a final
// status is never stuck.
func testStuckScanSelects(t *testing.T, s store.Store) {
	old, older, oldest := aged("acme", "A", model.StatusInTransit, base.Add(-time.Hour)),
		aged("acme", "B", model.StatusInTransit, base.Add(-2*time.Hour)),
		aged("acme", "C", model.StatusInTransit, base.Add(-3*time.Hour))
	insertShipments(t, s, old, older, oldest,
		aged("acme", "fresh", model.StatusInTransit, base.Add(time.Hour)),
		aged("acme", "other-status", model.StatusException, base.Add(-3*time.Hour)),
		aged("acme", "done", model.StatusDelivered, base.Add(-3*time.Hour)),
		aged("globex", "G", model.StatusInTransit, base.Add(-3*time.Hour)))
	scan := store.StuckScan{Workspace: "acme", Status: model.StatusInTransit, Before: base, Now: base.Add(2 * time.Hour), Limit: 2}

	marked, err := s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Equal(t, []int64{oldest.ID, older.ID}, shipIDs(marked), "oldest update first, at most Limit")
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Equal(t, []int64{old.ID}, shipIDs(marked), "the next batch goes on where the first stopped")
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Empty(t, marked)

	scan.Status = model.StatusDelivered
	marked, err = s.MarkStuck(ctx(t), scan)
	require.NoError(t, err)
	require.Empty(t, marked, "a delivered shipment is never stuck")

	stuck, err := s.ListStuck(ctx(t), "acme", 0, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{oldest.ID, older.ID}, shipIDs(stuck), "newest shipment first, at most limit")
	require.True(t, stuck[1].UpdatedAt.Equal(older.UpdatedAt))
	stuck, err = s.ListStuck(ctx(t), "acme", older.ID, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{old.ID}, shipIDs(stuck), "continued before the last id")
	stuck, err = s.ListStuck(ctx(t), "globex", 0, 10)
	require.NoError(t, err)
	require.Empty(t, stuck, "another workspace's scan marked nothing here")
	require.Empty(t, stuckFeed(t, s, "globex"))
	require.Len(t, stuckFeed(t, s, "acme"), 3)
}

func shipIDs(ships []*model.Shipment) []int64 {
	out := make([]int64, len(ships))
	for i, sh := range ships {
		out[i] = sh.ID
	}
	return out
}

// testOverviewCounts checks the overview's counts and the action-required
// list, each within its workspace.
func testOverviewCounts(t *testing.T, s store.Store) {
	act1 := aged("acme", "X1", model.StatusException, base)
	act1.ActionRequired = true
	act1.Attributes = map[string]string{"note": `"action_required":true`}
	act2 := aged("acme", "X2", model.StatusFailedAttempt, base)
	act2.ActionRequired = true
	plain := aged("acme", "X3", model.StatusException, base)
	plain.Attributes = map[string]string{"action_required": "true"}
	other := aged("globex", "G1", model.StatusException, base)
	other.ActionRequired = true
	insertShipments(t, s, act1, act2, plain, aged("acme", "X4", model.StatusInTransit, base), other)
	require.NoError(t, s.RecordIntakeError(ctx(t), intakeError("acme", "courier", "bad.json")))
	require.NoError(t, s.RecordIntakeError(ctx(t), intakeError("globex", "courier", "bad.json")))

	c, err := s.CountOverview(ctx(t), "acme")
	require.NoError(t, err)
	require.Equal(t, map[model.Status]int64{model.StatusException: 2, model.StatusFailedAttempt: 1, model.StatusInTransit: 1}, c.Shipments)
	require.EqualValues(t, 2, c.ActionRequired, "a string that reads like the flag is not the flag")
	require.EqualValues(t, 1, c.IntakeErrors)
	require.Zero(t, c.Stuck)
	require.Zero(t, c.DeadDeliveries)
	require.Empty(t, c.Orders)
	require.Empty(t, c.Commands)

	list, err := s.ListActionRequired(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{act2.ID, act1.ID}, shipIDs(list), "newest first, this workspace only")

	// The flag follows the current status: an update that clears it clears the list.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByID(ctx, "acme", act2.ID)
		if err != nil {
			return err
		}
		got.Status, got.ActionRequired, got.UpdatedAt = model.StatusInTransit, false, base.Add(time.Hour)
		return tx.UpdateShipment(ctx, got)
	})
	list, err = s.ListActionRequired(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{act1.ID}, shipIDs(list))

	empty, err := s.CountOverview(ctx(t), "nobody")
	require.NoError(t, err)
	require.Empty(t, empty.Shipments)
	require.Zero(t, empty.ActionRequired)
}

// testOverviewCountsFollowWrites checks that the shipment counts the
// overview reads (kept apart from the shipments) agree with counting the
// shipments after every kind of write: inserts, status changes in one
// transaction (the pipeline's multi-row write), updates that keep the
// status, a rebuild's reset and retention's deletes.
func testOverviewCountsFollowWrites(t *testing.T, s store.Store) {
	agree := func(ws string, want map[model.Status]int64) {
		t.Helper()
		c, err := s.CountOverview(ctx(t), ws)
		require.NoError(t, err)
		require.Equal(t, want, c.Shipments)
		counted, err := s.CountShipments(ctx(t), ws)
		require.NoError(t, err)
		require.Equal(t, counted, c.Shipments, "the kept counts agree with counting")
	}
	var acme []*model.Shipment
	for i := range 6 {
		acme = append(acme, aged("acme", fmt.Sprintf("C%d", i), model.StatusInTransit, base))
	}
	insertShipments(t, s, acme...)
	insertShipments(t, s, aged("globex", "G", model.StatusInTransit, base))
	agree("acme", map[model.Status]int64{model.StatusInTransit: 6})
	agree("globex", map[model.Status]int64{model.StatusInTransit: 1})

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, status := range []model.Status{model.StatusDelivered, model.StatusDelivered, model.StatusException, model.StatusInTransit} {
			sh, err := tx.ShipmentByID(ctx, "acme", acme[i].ID)
			if err != nil {
				return err
			}
			sh.Status, sh.UpdatedAt = status, base.Add(time.Minute)
			if err := tx.UpdateShipment(ctx, sh); err != nil {
				return err
			}
			// A second change of the same shipment in the transaction.
			if i == 2 {
				sh.Status = model.StatusFailedAttempt
				if err := tx.UpdateShipment(ctx, sh); err != nil {
					return err
				}
			}
		}
		return nil
	})
	agree("acme", map[model.Status]int64{model.StatusInTransit: 3, model.StatusDelivered: 2, model.StatusFailedAttempt: 1})

	pruneAll(t, s, store.RetainShipments, base.Add(time.Hour), 1)
	agree("acme", map[model.Status]int64{model.StatusInTransit: 3, model.StatusFailedAttempt: 1})

	_, err := s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	agree("acme", map[model.Status]int64{model.StatusPending: 4})
	agree("globex", map[model.Status]int64{model.StatusInTransit: 1})
}

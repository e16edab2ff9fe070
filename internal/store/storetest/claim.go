package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// testClaimParksTheBacklog checks that the later deliveries of a subject
// whose head waits for a retry are due no earlier than that retry, so a
// failing endpoint's backlog drops out of the due range instead of being
// read by every claim, and that they follow the head in order once it is
// delivered.
func testClaimParksTheBacklog(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentEventAdded, 1},
		feedSpec{model.EventShipmentStatusChanged, 1}, feedSpec{model.EventShipmentCreated, 2})
	all := deliveries(t, s, store.DeliveryFilter{Workspace: "acme"})
	slices.SortFunc(all, func(a, b *model.Delivery) int { return int(a.ID - b.ID) })
	head, later, last, other := all[0].ID, all[1].ID, all[2].ID, all[3].ID
	created := *all[1].NextAttemptAt

	require.Equal(t, []int64{head, other}, claimIDs(t, s, 10, time.Minute))
	require.Empty(t, claimIDs(t, s, 10, time.Minute))
	d, err := s.GetDelivery(ctx(t), "acme", later)
	require.NoError(t, err)
	require.Equal(t, created, *d.NextAttemptAt, "a head in flight parks nothing: it may be delivered at once")

	retry := time.Now().Add(300 * time.Millisecond).Truncate(time.Microsecond).UTC()
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{
		{DeliveryID: head, EndpointID: ep.ID, Status: model.DeliveryPending, NextAttemptAt: retry,
			Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 503, Error: "HTTP 503"}},
		attempt(other, ep.ID, model.DeliverySucceeded, time.Now()),
	})
	require.NoError(t, err)
	require.Empty(t, claimIDs(t, s, 10, time.Minute), "the head waits for its retry and holds its subject")
	for _, id := range []int64{later, last} {
		d, err := s.GetDelivery(ctx(t), "acme", id)
		require.NoError(t, err)
		require.Equal(t, retry, *d.NextAttemptAt, "delivery %d is parked behind its head's retry", id)
	}
	at, ok, err := s.NextDeliveryDue(ctx(t))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, retry, at, "nothing is due before the head's retry")

	// At the retry the head goes first, and the rest follow it in order.
	var got []int64
	require.Eventually(t, func() bool { got = claimIDs(t, s, 10, time.Minute); return len(got) > 0 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []int64{head}, got)
	succeed(t, s, ep.ID, head)
	require.Equal(t, []int64{later}, claimIDs(t, s, 10, time.Minute))
	succeed(t, s, ep.ID, later)
	require.Equal(t, []int64{last}, claimIDs(t, s, 10, time.Minute))
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// deliveryLogCases are the conformance cases of store.DeliveryLog.
var deliveryLogCases = []conformanceCase{
	{"AnEndpointsDeliveriesAreListedByStatusNewestFirstAndPaged", testListEndpointDeliveries},
	{"DeliveryAttemptsAreListedNewestFirstWithinTheWorkspace", testListDeliveryAttempts},
}

func endpointDeliveryIDs(t *testing.T, s store.Store, f store.EndpointDeliveryFilter) []int64 {
	t.Helper()
	list, err := s.ListEndpointDeliveries(ctx(t), f)
	require.NoError(t, err)
	out := []int64{}
	for _, d := range list {
		require.Equal(t, f.EndpointID, d.EndpointID)
		require.Equal(t, f.Status, d.Status)
		require.Equal(t, f.Workspace, d.Workspace)
		out = append(out, d.ID)
	}
	return out
}

func testListEndpointDeliveries(t *testing.T, s store.Store) {
	busy := newEndpoint(t, s, "acme", "shipment.*")
	rare := newEndpoint(t, s, "acme", model.EventShipmentEDDChanged)
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentEDDChanged, 1},
		feedSpec{model.EventShipmentCreated, 2}, feedSpec{model.EventShipmentCreated, 3})
	pending := deliveries(t, s, store.DeliveryFilter{Workspace: "acme", EndpointID: busy.ID})
	require.Len(t, pending, 4)

	// Fail the newest of the busy endpoint's deliveries: it leaves the
	// pending list for the failed one.
	jobs, err := s.ClaimDeliveries(ctx(t), 10, time.Minute)
	require.NoError(t, err)
	var failed int64
	for _, j := range jobs {
		if j.Delivery.EndpointID == busy.ID && j.Delivery.Subject == "shipment/3" {
			failed = j.Delivery.ID
		}
	}
	require.NotZero(t, failed)
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{{DeliveryID: failed, EndpointID: busy.ID, Status: model.DeliveryFailed,
		Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 500, Error: "HTTP 500"}}})
	require.NoError(t, err)

	all := endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: busy.ID, Status: model.DeliveryPending, Limit: 10})
	require.Len(t, all, 3)
	require.Greater(t, all[0], all[1], "newest first")
	require.Greater(t, all[1], all[2])
	require.Equal(t, []int64{failed}, endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: busy.ID, Status: model.DeliveryFailed}))
	require.Len(t, endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: rare.ID, Status: model.DeliveryPending}), 1)
	require.Empty(t, endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "other", EndpointID: busy.ID, Status: model.DeliveryPending}),
		"another workspace sees nothing of the endpoint")

	// Paging continues after the last delivery of a page.
	first := endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: busy.ID, Status: model.DeliveryPending, Limit: 2})
	require.Equal(t, all[:2], first)
	last, err := s.GetDelivery(ctx(t), "acme", first[1])
	require.NoError(t, err)
	rest := endpointDeliveryIDs(t, s, store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: busy.ID, Status: model.DeliveryPending, Limit: 2,
		BeforeCreated: last.CreatedAt, BeforeID: last.ID})
	require.Equal(t, all[2:], rest)

	_, err = s.ListEndpointDeliveries(ctx(t), store.EndpointDeliveryFilter{Workspace: "acme", EndpointID: busy.ID})
	require.Error(t, err, "a status is required")
}

func testListDeliveryAttempts(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentCreated, 2})
	ids := claimIDs(t, s, 10, time.Minute)
	require.Len(t, ids, 2)
	at := time.Now()
	_, err := s.RecordAttempts(ctx(t), []store.AttemptResult{
		{DeliveryID: ids[0], EndpointID: ep.ID, Status: model.DeliveryPending, NextAttemptAt: at,
			Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 1.5, StatusCode: 503, Error: "HTTP 503", Response: "busy"}},
		{DeliveryID: ids[1], EndpointID: ep.ID, Status: model.DeliverySucceeded, Healthy: true,
			Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 2, StatusCode: 200, Response: "ok"}},
	})
	require.NoError(t, err)
	require.Len(t, claimIDs(t, s, 10, time.Minute), 1)
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{{DeliveryID: ids[0], EndpointID: ep.ID, Status: model.DeliverySucceeded, Healthy: true,
		Attempt: model.DeliveryAttempt{AttemptedAt: at.Add(time.Second), DurationMS: 3, StatusCode: 204}}})
	require.NoError(t, err)

	got, err := s.ListDeliveryAttempts(ctx(t), "acme", ids, 10)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Greater(t, got[0].ID, got[1].ID, "newest first")
	require.Greater(t, got[1].ID, got[2].ID)
	require.Equal(t, ids[0], got[0].DeliveryID)
	require.Equal(t, 204, got[0].StatusCode)
	require.InDelta(t, 3, got[0].DurationMS, 0.001)
	byCode := map[int]model.DeliveryAttempt{}
	for _, a := range got {
		byCode[a.StatusCode] = a
	}
	require.Equal(t, "busy", byCode[503].Response)
	require.Equal(t, "HTTP 503", byCode[503].Error)
	require.Equal(t, ids[1], byCode[200].DeliveryID)

	got, err = s.ListDeliveryAttempts(ctx(t), "acme", ids, 1)
	require.NoError(t, err)
	require.Len(t, got, 1, "the limit holds")
	got, err = s.ListDeliveryAttempts(ctx(t), "other", ids, 10)
	require.NoError(t, err)
	require.Empty(t, got, "another workspace's deliveries add nothing")
	got, err = s.ListDeliveryAttempts(ctx(t), "acme", nil, 10)
	require.NoError(t, err)
	require.Empty(t, got)
}

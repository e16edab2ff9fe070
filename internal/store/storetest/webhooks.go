package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// webhookCases are the conformance cases of store.Webhooks.
var webhookCases = []conformanceCase{
	{"FeedEntriesQueueOneDeliveryPerMatchingEndpointInTheSameTransaction", testQueueDeliveries},
	{"ClaimsHideDeliveriesAndKeepEachSubjectInOrder", testClaimOrder},
	{"ConcurrentClaimsNeverShareADelivery", testClaimRace},
	{"RecordedAttemptsAreLoggedAndDriveEndpointHealth", testRecordAttempts},
	{"DeadLettersAreRetriedSinglyAndRecoveredInBulk", testDeadLetters},
	{"EndpointsAreCreatedRotatedAndDeletedWithinAWorkspace", testEndpointCRUD},
	{"ConfiguredEndpointsSyncIdempotently", testSyncConfigEndpoints},
	{"AlertsAreClaimedAtMostOncePerInterval", testClaimAlert},
	{"DisabledEndpointsAreCountedAcrossWorkspacesUntilRecovered", testCountDisabledEndpoints},
	{"ClaimsSeeEndpointChangesMadeSinceTheLastClaim", testClaimSeesEndpointChanges},
}

// testClaimSeesEndpointChanges checks that a claim hands out the endpoint
// as stored now, however recently an earlier claim read it: a rotated
// secret, a changed URL and the failure RecordAttempts noted.
func testClaimSeesEndpointChanges(t *testing.T, s store.Store) {
	c := ctx(t)
	want := []*model.Endpoint{{URL: "https://acme.example/v1", Events: []string{"*"}, ConfigKey: "main", Secret: testSecret}}
	require.NoError(t, s.SyncConfigEndpoints(c, "acme", want))
	id := want[0].ID
	claimOne := func(subject int64) *store.DeliveryJob {
		t.Helper()
		emit(t, s, "acme", feedSpec{model.EventShipmentCreated, subject})
		jobs, err := s.ClaimDeliveries(c, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		require.Equal(t, id, jobs[0].Endpoint.ID)
		return jobs[0]
	}
	record := func(j *store.DeliveryJob, healthy bool) {
		t.Helper()
		r := store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: id, Status: model.DeliverySucceeded, Healthy: healthy,
			Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 200}}
		if !healthy {
			r.Status, r.Attempt.StatusCode = model.DeliveryFailed, 500
		}
		_, err := s.RecordAttempts(c, []store.AttemptResult{r})
		require.NoError(t, err)
	}

	j := claimOne(1)
	require.Equal(t, "https://acme.example/v1", j.Endpoint.URL)
	require.Equal(t, testSecret, j.Endpoint.Secret)
	require.Nil(t, j.Endpoint.FailingSince)
	record(j, false)

	j = claimOne(2)
	require.NotNil(t, j.Endpoint.FailingSince, "the failure recorded since the last claim")
	record(j, true)

	const rotated = "whsec_C2FtcGxlLXNlY3JldC1mb3ItdGVzdHMtb25seQ=="
	require.NoError(t, s.RotateEndpointSecret(c, "acme", id, rotated, time.Now().Add(time.Hour)))
	j = claimOne(3)
	require.Equal(t, rotated, j.Endpoint.Secret, "the rotated secret")
	require.Equal(t, testSecret, j.Endpoint.PreviousSecret)
	require.Nil(t, j.Endpoint.FailingSince, "the recovery recorded since the last claim")
	record(j, true)

	want[0].URL, want[0].Secret = "https://acme.example/v2", ""
	require.NoError(t, s.SyncConfigEndpoints(c, "acme", want))
	j = claimOne(4)
	require.Equal(t, "https://acme.example/v2", j.Endpoint.URL, "the configured URL as synced")
	require.Equal(t, rotated, j.Endpoint.Secret)
}

// testSecret is a valid whsec_ secret.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func newEndpoint(t *testing.T, s store.Store, ws string, events ...string) *model.Endpoint {
	t.Helper()
	e := &model.Endpoint{Workspace: ws, URL: "https://" + ws + ".example/hooks", Events: events, Secret: testSecret}
	require.NoError(t, s.CreateEndpoint(ctx(t), e))
	require.NotZero(t, e.ID)
	return e
}

type feedSpec struct {
	typ     string
	subject int64
}

var emitted atomic.Int64

// emit applies one inbox message whose transaction appends the given feed
// entries to ws's feed, and returns them with their ids.
func emit(t *testing.T, s store.Store, ws string, specs ...feedSpec) []*model.FeedEvent {
	t.Helper()
	appendAll(t, s, message(ws, "conn", fmt.Sprintf("emit-%d", emitted.Add(1))))
	var out []*model.FeedEvent
	processAll(t, s, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		for _, sp := range specs {
			e := &model.FeedEvent{Workspace: ws, Type: sp.typ, SubjectID: sp.subject, OccurredAt: base, Data: []byte(`{"n":1}`)}
			if err := tx.AppendFeed(ctx, e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out
}

func deliveries(t *testing.T, s store.Store, f store.DeliveryFilter) []*model.Delivery {
	t.Helper()
	f.Limit = 1000
	list, err := s.ListDeliveries(ctx(t), f)
	require.NoError(t, err)
	return list
}

func testQueueDeliveries(t *testing.T, s store.Store) {
	shipments := newEndpoint(t, s, "acme", "shipment.*")
	edd := newEndpoint(t, s, "acme", model.EventShipmentEDDChanged)
	all := newEndpoint(t, s, "acme", "*")
	off := newEndpoint(t, s, "acme", "*")
	ok, err := s.DisableEndpoint(ctx(t), off.ID, "test")
	require.NoError(t, err)
	require.True(t, ok)
	newEndpoint(t, s, "other", "*")

	// A command event goes to "*" like every offered type, and not to
	// shipment.* or the EDD endpoint.
	events := emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentEDDChanged, 7}, feedSpec{model.EventCommandFailed, 8})
	feed, err := s.ListFeed(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Len(t, feed, 3)
	require.Equal(t, feed[0].ID, events[0].ID, "AppendFeed's entries get their ids")
	require.Equal(t, feed[1].ID, events[1].ID)

	got := map[[2]int64]string{}
	for _, d := range deliveries(t, s, store.DeliveryFilter{Workspace: "acme"}) {
		got[[2]int64{d.EndpointID, d.EventID}] = d.Status
		require.Equal(t, model.Subject(d.EventType, map[int64]int64{events[0].ID: 1, events[1].ID: 7, events[2].ID: 8}[d.EventID]), d.Subject)
	}
	require.Equal(t, map[[2]int64]string{
		{shipments.ID, events[0].ID}: model.DeliveryPending,
		{shipments.ID, events[1].ID}: model.DeliveryPending,
		{edd.ID, events[1].ID}:       model.DeliveryPending,
		{all.ID, events[0].ID}:       model.DeliveryPending,
		{all.ID, events[1].ID}:       model.DeliveryPending,
		{all.ID, events[2].ID}:       model.DeliveryPending,
		{off.ID, events[0].ID}:       model.DeliveryFailed,
		{off.ID, events[1].ID}:       model.DeliveryFailed,
		{off.ID, events[2].ID}:       model.DeliveryFailed,
	}, got)
	require.Empty(t, deliveries(t, s, store.DeliveryFilter{Workspace: "other"}), "another workspace's endpoint gets nothing")

	// A failing apply writes neither the event nor its deliveries.
	appendAll(t, s, message("acme", "conn", "rollback"))
	_, err = s.ProcessInbox(ctx(t), 10, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		require.NoError(t, tx.AppendFeed(ctx, &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 2, Data: []byte(`{}`)}))
		return fmt.Errorf("apply failed")
	})
	require.Error(t, err)
	require.Len(t, deliveries(t, s, store.DeliveryFilter{Workspace: "acme"}), len(got), "still the nine above")
}

func claimIDs(t *testing.T, s store.Store, limit int, lease time.Duration) []int64 {
	t.Helper()
	jobs, err := s.ClaimDeliveries(ctx(t), limit, lease)
	require.NoError(t, err)
	ids := []int64{}
	for _, j := range jobs {
		require.NotNil(t, j.Endpoint)
		require.NotNil(t, j.Event)
		require.Equal(t, j.Delivery.EventID, j.Event.ID)
		require.Equal(t, testSecret, j.Endpoint.Secret)
		ids = append(ids, j.Delivery.ID)
	}
	slices.Sort(ids)
	return ids
}

func succeed(t *testing.T, s store.Store, endpointID int64, ids ...int64) {
	t.Helper()
	var rs []store.AttemptResult
	for _, id := range ids {
		rs = append(rs, store.AttemptResult{DeliveryID: id, EndpointID: endpointID, Status: model.DeliverySucceeded, Healthy: true,
			Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), DurationMS: 1.5, StatusCode: 200, Response: "ok"}})
	}
	_, err := s.RecordAttempts(ctx(t), rs)
	require.NoError(t, err)
}

func testClaimOrder(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentEventAdded, 1}, feedSpec{model.EventShipmentCreated, 2})
	emit(t, s, "acme", feedSpec{model.EventShipmentStatusChanged, 1})
	all := deliveries(t, s, store.DeliveryFilter{Workspace: "acme"})
	require.Len(t, all, 4)
	slices.SortFunc(all, func(a, b *model.Delivery) int { return int(a.ID - b.ID) })
	a1, a2, b1, a3 := all[0].ID, all[1].ID, all[2].ID, all[3].ID

	require.Equal(t, []int64{a1, b1}, claimIDs(t, s, 10, time.Minute), "only the first pending delivery of each subject is due")
	require.Empty(t, claimIDs(t, s, 10, time.Minute), "claimed deliveries are hidden, and later ones of their subjects wait")
	succeed(t, s, ep.ID, a1)
	require.Equal(t, []int64{a2}, claimIDs(t, s, 10, time.Minute), "the next of subject 1 once the first is delivered")

	// A retry scheduled in the future keeps holding its subject back.
	_, err := s.RecordAttempts(ctx(t), []store.AttemptResult{{DeliveryID: a2, EndpointID: ep.ID, Status: model.DeliveryPending,
		NextAttemptAt: time.Now().Add(time.Hour), Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 500, Error: "HTTP 500"}}})
	require.NoError(t, err)
	require.Empty(t, claimIDs(t, s, 10, time.Minute))
	_, ok, err := s.NextDeliveryDue(ctx(t))
	require.NoError(t, err)
	require.True(t, ok, "pending deliveries are known to be due")

	// An expired claim is handed out again (the sender crashed).
	succeed(t, s, ep.ID, b1)
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{{DeliveryID: a2, EndpointID: ep.ID, Status: model.DeliverySucceeded, Healthy: true,
		Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 204}}})
	require.NoError(t, err)
	require.Equal(t, []int64{a3}, claimIDs(t, s, 10, time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	var again []int64
	for len(again) == 0 && time.Now().Before(deadline) {
		again = claimIDs(t, s, 10, time.Minute)
	}
	require.Equal(t, []int64{a3}, again)
}

func testClaimRace(t *testing.T, s store.Store) {
	newEndpoint(t, s, "acme", "*")
	const n = 120
	specs := make([]feedSpec, n)
	for i := range specs {
		specs[i] = feedSpec{model.EventShipmentCreated, int64(i + 1)}
	}
	emit(t, s, "acme", specs...)
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				jobs, err := s.ClaimDeliveries(context.Background(), 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, j := range jobs {
					seen[j.Delivery.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, n, "every delivery claimed")
	for id, c := range seen {
		require.Equal(t, 1, c, "delivery %d claimed %d times", id, c)
	}
}

func testRecordAttempts(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentCreated, 2})
	ids := claimIDs(t, s, 10, time.Minute)
	require.Len(t, ids, 2)
	at := base.Add(time.Hour)
	fail := func(id int64, status string) store.AttemptResult {
		return store.AttemptResult{DeliveryID: id, EndpointID: ep.ID, Status: status, NextAttemptAt: at.Add(time.Minute),
			Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 12.5, StatusCode: 500, Error: "HTTP 500", Response: "boom"}}
	}
	health, err := s.RecordAttempts(ctx(t), []store.AttemptResult{fail(ids[0], model.DeliveryPending), fail(ids[1], model.DeliveryFailed)})
	require.NoError(t, err)
	require.Len(t, health, 1)
	require.True(t, health[0].StartedFailing)
	require.Equal(t, at, health[0].FailingSince)
	require.Equal(t, "acme", health[0].Workspace)
	require.Equal(t, ep.URL, health[0].URL)

	d, err := s.GetDelivery(ctx(t), "acme", ids[0])
	require.NoError(t, err)
	require.Equal(t, model.DeliveryPending, d.Status)
	require.Equal(t, 1, d.Attempts)
	require.Equal(t, 500, d.LastStatusCode)
	require.Equal(t, at.Add(time.Minute), *d.NextAttemptAt)
	require.Len(t, d.Log, 1)
	require.Equal(t, model.DeliveryAttempt{ID: d.Log[0].ID, DeliveryID: ids[0], AttemptedAt: at, DurationMS: 12.5, StatusCode: 500, Error: "HTTP 500", Response: "boom"}, d.Log[0])
	_, err = s.GetDelivery(ctx(t), "other", ids[0])
	require.ErrorIs(t, err, store.ErrNotFound)

	// A second failure is no new start; a success heals.
	health, err = s.RecordAttempts(ctx(t), []store.AttemptResult{fail(ids[0], model.DeliveryPending)})
	require.NoError(t, err)
	require.False(t, health[0].StartedFailing)
	require.Equal(t, at, health[0].FailingSince)
	got, err := s.GetEndpoint(ctx(t), "acme", ep.ID)
	require.NoError(t, err)
	require.Equal(t, at, *got.FailingSince)
	succeed(t, s, ep.ID, ids[0])
	got, err = s.GetEndpoint(ctx(t), "acme", ep.ID)
	require.NoError(t, err)
	require.Nil(t, got.FailingSince)
	d, err = s.GetDelivery(ctx(t), "acme", ids[0])
	require.NoError(t, err)
	require.Equal(t, model.DeliverySucceeded, d.Status)
	require.NotNil(t, d.DeliveredAt)
	require.Len(t, d.Log, 3)

	// A finished delivery is not changed by a late result.
	_, err = s.RecordAttempts(ctx(t), []store.AttemptResult{fail(ids[0], model.DeliveryPending)})
	require.NoError(t, err)
	d, err = s.GetDelivery(ctx(t), "acme", ids[0])
	require.NoError(t, err)
	require.Equal(t, model.DeliverySucceeded, d.Status)
	require.Len(t, d.Log, 3)
}

func testDeadLetters(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1}, feedSpec{model.EventShipmentCreated, 2}, feedSpec{model.EventShipmentCreated, 3})
	ids := claimIDs(t, s, 10, time.Minute)
	require.Len(t, ids, 3)
	_, err := s.RecordAttempts(ctx(t), []store.AttemptResult{{DeliveryID: ids[0], EndpointID: ep.ID, Status: model.DeliveryFailed,
		Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 500, Error: "HTTP 500"}}})
	require.NoError(t, err)
	require.Len(t, deliveries(t, s, store.DeliveryFilter{Workspace: "acme", Status: model.DeliveryFailed}), 1)

	require.NoError(t, s.RetryDelivery(ctx(t), "acme", ids[0]))
	d, err := s.GetDelivery(ctx(t), "acme", ids[0])
	require.NoError(t, err)
	require.Equal(t, model.DeliveryPending, d.Status)
	require.Zero(t, d.Attempts, "a retry starts a new round")
	require.ErrorIs(t, s.RetryDelivery(ctx(t), "acme", ids[0]), store.ErrConflict, "only dead letters are retried")
	require.ErrorIs(t, s.RetryDelivery(ctx(t), "other", ids[0]), store.ErrNotFound)

	// Disabling turns every pending delivery into a dead letter, and a
	// disabled endpoint's dead letters wait for its recovery.
	ok, err := s.DisableEndpoint(ctx(t), ep.ID, "answered 410")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.DisableEndpoint(ctx(t), ep.ID, "again")
	require.NoError(t, err)
	require.False(t, ok)
	failed := deliveries(t, s, store.DeliveryFilter{Workspace: "acme", Status: model.DeliveryFailed, EndpointID: ep.ID})
	require.Len(t, failed, 3)
	require.Contains(t, failed[0].LastError, "answered 410")
	require.ErrorIs(t, s.RetryDelivery(ctx(t), "acme", ids[0]), store.ErrConflict)
	got, err := s.GetEndpoint(ctx(t), "acme", ep.ID)
	require.NoError(t, err)
	require.NotNil(t, got.DisabledAt)
	require.Equal(t, "answered 410", got.DisabledReason)

	n, err := s.RecoverEndpoint(ctx(t), "acme", ep.ID, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "nothing created since then")
	n, err = s.RecoverEndpoint(ctx(t), "acme", ep.ID, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	got, err = s.GetEndpoint(ctx(t), "acme", ep.ID)
	require.NoError(t, err)
	require.Nil(t, got.DisabledAt)
	require.Len(t, claimIDs(t, s, 10, time.Minute), 3)
	_, err = s.RecoverEndpoint(ctx(t), "other", ep.ID, time.Time{})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testEndpointCRUD(t *testing.T, s store.Store) {
	e := &model.Endpoint{Workspace: "acme", URL: "https://shop.example/hooks", Events: []string{"shipment.*", "stock.changed"},
		Description: "the shop", Headers: map[string]string{"X-Shop": "1"}, Secret: testSecret}
	require.NoError(t, s.CreateEndpoint(ctx(t), e))
	got, err := s.GetEndpoint(ctx(t), "acme", e.ID)
	require.NoError(t, err)
	require.Equal(t, e.URL, got.URL)
	require.Equal(t, e.Events, got.Events)
	require.Equal(t, e.Headers, got.Headers)
	require.Equal(t, "the shop", got.Description)
	require.Equal(t, model.EndpointFromAPI, got.Source)
	require.Equal(t, []string{testSecret}, got.Secrets(time.Now()))
	_, err = s.GetEndpoint(ctx(t), "other", e.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListEndpoints(ctx(t), "other")
	require.NoError(t, err)
	require.Empty(t, list)

	newSecret := model.NewSecret()
	require.NoError(t, s.RotateEndpointSecret(ctx(t), "acme", e.ID, newSecret, time.Now().Add(time.Hour)))
	got, err = s.GetEndpoint(ctx(t), "acme", e.ID)
	require.NoError(t, err)
	require.Equal(t, []string{newSecret, testSecret}, got.Secrets(time.Now()), "both sign during the grace period")
	require.Equal(t, []string{newSecret}, got.Secrets(time.Now().Add(2*time.Hour)))
	require.ErrorIs(t, s.RotateEndpointSecret(ctx(t), "other", e.ID, newSecret, time.Now()), store.ErrNotFound)

	emit(t, s, "acme", feedSpec{model.EventShipmentCreated, 1})
	require.Len(t, deliveries(t, s, store.DeliveryFilter{Workspace: "acme"}), 1)
	require.ErrorIs(t, s.DeleteEndpoint(ctx(t), "other", e.ID), store.ErrNotFound)
	require.NoError(t, s.DeleteEndpoint(ctx(t), "acme", e.ID))
	require.Empty(t, deliveries(t, s, store.DeliveryFilter{Workspace: "acme"}), "deliveries go with their endpoint")
	require.ErrorIs(t, s.DeleteEndpoint(ctx(t), "acme", e.ID), store.ErrNotFound)
}

func testSyncConfigEndpoints(t *testing.T, s store.Store) {
	api := newEndpoint(t, s, "acme", "*")
	cfg := func() []*model.Endpoint {
		return []*model.Endpoint{
			{URL: "https://a.example/hooks", Events: []string{"shipment.*"}},
			{URL: "https://b.example/hooks", Events: []string{"*"}, Secret: testSecret, Headers: map[string]string{"X-A": "b"}},
		}
	}
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", cfg()))
	first, err := s.ListEndpoints(ctx(t), "acme")
	require.NoError(t, err)
	require.Len(t, first, 3)
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", cfg()))
	again, err := s.ListEndpoints(ctx(t), "acme")
	require.NoError(t, err)
	require.Equal(t, first, again, "syncing the same configuration changes nothing, generated secrets included")
	require.Equal(t, model.EndpointFromConfig, again[1].Source)
	require.Equal(t, testSecret, again[2].Secret)

	changed := cfg()[1:]
	changed[0].Events = []string{"stock.changed"}
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", changed))
	now, err := s.ListEndpoints(ctx(t), "acme")
	require.NoError(t, err)
	require.Len(t, now, 2, "a configured endpoint no longer listed is removed")
	require.Equal(t, api.ID, now[0].ID, "endpoints made through the API are left alone")
	require.Equal(t, first[2].ID, now[1].ID)
	require.Equal(t, []string{"stock.changed"}, now[1].Events)
}

func testClaimAlert(t *testing.T, s store.Store) {
	ep := newEndpoint(t, s, "acme", "*")
	ok, err := s.ClaimAlert(ctx(t), ep.ID, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.ClaimAlert(ctx(t), ep.ID, time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "one alert per endpoint per interval")
	ok, err = s.ClaimAlert(ctx(t), ep.ID, time.Nanosecond)
	require.NoError(t, err)
	require.True(t, ok, "after the interval another may go")
}

func testCountDisabledEndpoints(t *testing.T, s store.Store) {
	count := func() int64 {
		t.Helper()
		n, err := s.CountDisabledEndpoints(ctx(t))
		require.NoError(t, err)
		return n
	}
	require.Zero(t, count(), "an empty store has none")
	a := newEndpoint(t, s, "acme", "*")
	newEndpoint(t, s, "acme", "*")
	g := newEndpoint(t, s, "globex", "*")
	require.Zero(t, count(), "enabled endpoints are not counted")
	for _, e := range []*model.Endpoint{a, g} {
		ok, err := s.DisableEndpoint(ctx(t), e.ID, "test")
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.EqualValues(t, 2, count(), "every workspace's disabled endpoints count")
	_, err := s.RecoverEndpoint(ctx(t), "acme", a.ID, base)
	require.NoError(t, err)
	require.EqualValues(t, 1, count(), "a recovered endpoint no longer counts")
	require.NoError(t, s.DeleteEndpoint(ctx(t), "globex", g.ID))
	require.Zero(t, count(), "a deleted endpoint no longer counts")
}

// ClaimSeesAnotherInstancesEndpointChanges checks, on two stores of one
// database (two hub instances), that a claim by a sees the endpoint as b
// changed it since a's last claim: a cache of endpoints in a must notice
// changes it did not make.
func ClaimSeesAnotherInstancesEndpointChanges(t *testing.T, a, b store.Store) {
	c := ctx(t)
	e := newEndpoint(t, a, "acme", "*")
	claimOne := func(subject int64) *store.DeliveryJob {
		t.Helper()
		emit(t, a, "acme", feedSpec{model.EventShipmentCreated, subject})
		jobs, err := a.ClaimDeliveries(c, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		_, err = a.RecordAttempts(c, []store.AttemptResult{{DeliveryID: jobs[0].Delivery.ID, EndpointID: e.ID, Status: model.DeliverySucceeded, Healthy: true,
			Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), StatusCode: 200}}})
		require.NoError(t, err)
		return jobs[0]
	}
	require.Equal(t, testSecret, claimOne(1).Endpoint.Secret)
	const rotated = "whsec_C2FtcGxlLXNlY3JldC1mb3ItdGVzdHMtb25seQ=="
	require.NoError(t, b.RotateEndpointSecret(c, "acme", e.ID, rotated, time.Now().Add(time.Hour)))
	got := claimOne(2).Endpoint
	require.Equal(t, rotated, got.Secret, "the secret the other instance rotated")
	require.Equal(t, testSecret, got.PreviousSecret)
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// webhookHandler is the API on a real SQLite store.
func webhookHandler(t *testing.T, allowPrivate bool) (http.Handler, *sqlite.Store, *atomic.Int64) {
	t.Helper()
	st := sqlite.OpenTest(t)
	var notified atomic.Int64
	a, err := api.New(api.Config{
		Store:    st,
		Keys:     []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}},
		Webhooks: api.WebhookOptions{AllowPrivateNetworks: allowPrivate, SecretGrace: time.Hour, Notify: func() { notified.Add(1) }},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	return mux, st, &notified
}

func TestEndpointsAreManagedPerWorkspace(t *testing.T) {
	t.Parallel()
	h, st, _ := webhookHandler(t, false)

	r := send(t, h, http.MethodPost, "/api/v1/endpoints", acmeKey,
		`{"url":"https://shop.example/hooks","events":["shipment.*","shipment.status_changed"],"description":"shop","headers":{"X-Token":"t"}}`)
	require.Equal(t, http.StatusCreated, r.code, "%s", r.body)
	created := decode[api.EndpointWithSecret](t, r)
	require.True(t, strings.HasPrefix(created.Secret, "whsec_"))
	_, err := model.SecretKey(created.Secret)
	require.NoError(t, err)
	require.Equal(t, []string{"shipment.*", "shipment.status_changed"}, created.Events)
	require.Equal(t, "api", created.Source)

	list := decode[api.EndpointList](t, get(t, h, "/api/v1/endpoints", acmeKey))
	require.Len(t, list.Data, 1)
	require.NotContains(t, string(get(t, h, "/api/v1/endpoints", acmeKey).body), created.Secret, "listings never show the secret")
	require.Empty(t, decode[api.EndpointList](t, get(t, h, "/api/v1/endpoints", globexKey)).Data)
	path := fmt.Sprintf("/api/v1/endpoints/%d", created.ID)
	require.Equal(t, http.StatusOK, get(t, h, path, acmeKey).code)
	require.Equal(t, http.StatusNotFound, get(t, h, path, globexKey).code, "another workspace's endpoint does not exist for it")

	secret := decode[api.EndpointSecret](t, get(t, h, path+"/secret", acmeKey))
	require.Equal(t, created.Secret, secret.Secret)
	r = send(t, h, http.MethodPost, path+"/rotate-secret", acmeKey, "")
	require.Equal(t, http.StatusOK, r.code, "%s", r.body)
	rotated := decode[api.EndpointSecret](t, r)
	require.NotEqual(t, created.Secret, rotated.Secret)
	require.NotNil(t, rotated.PreviousValidUntil)
	e, err := st.GetEndpoint(context.Background(), "acme", created.ID)
	require.NoError(t, err)
	require.Equal(t, []string{rotated.Secret, created.Secret}, e.Secrets(time.Now()))

	require.Equal(t, http.StatusNotFound, send(t, h, http.MethodDelete, path, globexKey, "").code)
	require.Equal(t, http.StatusNoContent, send(t, h, http.MethodDelete, path, acmeKey, "").code)
	require.Equal(t, http.StatusNotFound, get(t, h, path, acmeKey).code)

	// A configured endpoint is changed in the configuration.
	require.NoError(t, st.SyncConfigEndpoints(context.Background(), "acme", []*model.Endpoint{{URL: "https://cfg.example/", Events: []string{"*"}}}))
	list = decode[api.EndpointList](t, get(t, h, "/api/v1/endpoints", acmeKey))
	require.Len(t, list.Data, 1)
	r = send(t, h, http.MethodDelete, fmt.Sprintf("/api/v1/endpoints/%d", list.Data[0].ID), acmeKey, "")
	require.Equal(t, http.StatusConflict, r.code)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
}

func TestBadEndpointsAreRefusedWithAProblem(t *testing.T) {
	t.Parallel()
	h, st, _ := webhookHandler(t, false)
	for _, c := range []struct{ name, body, detail string }{
		{"NotJSON", `{"url":`, ""},
		{"NoURL", `{"events":["*"]}`, "url"},
		{"RelativeURL", `{"url":"/hooks","events":["*"]}`, "absolute"},
		{"FTPURL", `{"url":"ftp://shop.example/","events":["*"]}`, "scheme"},
		{"NoEvents", `{"url":"https://shop.example/"}`, "events"},
		{"UnknownEvent", `{"url":"https://shop.example/","events":["shipment.teleported"]}`, "unknown event type"},
		// Types that nothing emits yet are not offered: a subscriber would
		// wait for events that never come (model.PlannedEventTypes lists
		// them; none is planned since the command events came).
		{"LoopbackTarget", `{"url":"http://127.0.0.1:9000/","events":["*"]}`, "allow_private_networks"},
		{"MetadataTarget", `{"url":"http://169.254.169.254/latest","events":["*"]}`, "allow_private_networks"},
		{"ReservedHeader", `{"url":"https://shop.example/","events":["*"],"headers":{"webhook-signature":"x"}}`, "cannot be overridden"},
		{"HeaderInjection", `{"url":"https://shop.example/","events":["*"],"headers":{"X-A":"a\r\nX-B: b"}}`, "one line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, h, http.MethodPost, "/api/v1/endpoints", acmeKey, c.body)
			want := http.StatusBadRequest
			if c.name == "NotJSON" {
				want = http.StatusUnprocessableEntity // huma's answer to a body it cannot decode
			}
			require.Equal(t, want, r.code, "%s", r.body)
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			require.Contains(t, decode[problem](t, r).Detail+string(r.body), c.detail)
		})
	}
	list, err := st.ListEndpoints(context.Background(), "acme")
	require.NoError(t, err)
	require.Empty(t, list, "nothing was stored")
}

func TestPrivateTargetsAreAcceptedWhenAllowed(t *testing.T) {
	t.Parallel()
	h, _, _ := webhookHandler(t, true)
	r := send(t, h, http.MethodPost, "/api/v1/endpoints", acmeKey, `{"url":"http://127.0.0.1:9000/","events":["*"]}`)
	require.Equal(t, http.StatusCreated, r.code, "%s", r.body)
}

func TestDeadLettersAreListedRetriedAndRecoveredThroughTheAPI(t *testing.T) {
	t.Parallel()
	h, st, notified := webhookHandler(t, true)
	ctx := context.Background()
	ep := &model.Endpoint{Workspace: "acme", URL: "http://127.0.0.1:1/", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, st.CreateEndpoint(ctx, ep))
	_, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "c", DedupKey: "k", Body: []byte("{}")})
	require.NoError(t, err)
	_, err = st.ProcessInbox(ctx, 10, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for i := range 3 {
			if err := tx.AppendFeed(ctx, &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: int64(i + 1), Data: json.RawMessage(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	jobs, err := st.ClaimDeliveries(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, jobs, 3)
	var results []store.AttemptResult
	for _, j := range jobs {
		results = append(results, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: ep.ID, Status: model.DeliveryFailed,
			Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), DurationMS: 3, StatusCode: 500, Error: "HTTP 500", Response: "oops"}})
	}
	_, err = st.RecordAttempts(ctx, results)
	require.NoError(t, err)

	page := decode[api.DeliveryPage](t, get(t, h, "/api/v1/deliveries?status=failed&limit=2", acmeKey))
	require.Len(t, page.Data, 2)
	require.NotEmpty(t, page.NextCursor)
	rest := decode[api.DeliveryPage](t, get(t, h, "/api/v1/deliveries?status=failed&limit=2&cursor="+page.NextCursor, acmeKey))
	require.Len(t, rest.Data, 1)
	require.Empty(t, decode[api.DeliveryPage](t, get(t, h, "/api/v1/deliveries?status=failed", globexKey)).Data)
	require.Equal(t, http.StatusBadRequest, get(t, h, "/api/v1/deliveries?status=lost", acmeKey).code)

	d := decode[model.Delivery](t, get(t, h, fmt.Sprintf("/api/v1/deliveries/%d", page.Data[0].ID), acmeKey))
	require.Len(t, d.Log, 1)
	require.Equal(t, 500, d.Log[0].StatusCode)
	require.Equal(t, "oops", d.Log[0].Response)
	require.Equal(t, http.StatusNotFound, get(t, h, fmt.Sprintf("/api/v1/deliveries/%d", page.Data[0].ID), globexKey).code)

	retry := fmt.Sprintf("/api/v1/deliveries/%d/retry", page.Data[0].ID)
	require.Equal(t, http.StatusAccepted, send(t, h, http.MethodPost, retry, acmeKey, "").code)
	require.EqualValues(t, 1, notified.Load(), "the worker is woken")
	r := send(t, h, http.MethodPost, retry, acmeKey, "")
	require.Equal(t, http.StatusConflict, r.code, "%s", r.body)
	require.Contains(t, decode[problem](t, r).Detail, "not a dead letter")
	require.Equal(t, http.StatusNotFound, send(t, h, http.MethodPost, retry, globexKey, "").code)

	recoverPath := fmt.Sprintf("/api/v1/endpoints/%d/recover", ep.ID)
	require.Equal(t, http.StatusBadRequest, send(t, h, http.MethodPost, recoverPath+"?since=yesterday", acmeKey, "").code)
	r = send(t, h, http.MethodPost, recoverPath+"?since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), acmeKey, "")
	require.Equal(t, http.StatusOK, r.code, "%s", r.body)
	require.EqualValues(t, 2, decode[api.Recovery](t, r).Requeued)
	require.Empty(t, decode[api.DeliveryPage](t, get(t, h, "/api/v1/deliveries?status=failed", acmeKey)).Data)
	require.Len(t, decode[api.DeliveryPage](t, get(t, h, fmt.Sprintf("/api/v1/deliveries?status=pending&endpoint=%d", ep.ID), acmeKey)).Data, 3)
}

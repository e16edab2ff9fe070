package wics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

var registerOnce sync.Once

// The missed webhook, end to end through the inbox and the pipeline: an
// order's shipped status whose webhook never came is found by
// reconciliation, applied, and counted in shiphub_reconcile_found_total;
// an order whose webhook did come is reconciled too but counts nothing,
// and a second run counts nothing either.
func TestAMissedWebhookIsFoundByReconciliationAndCounted(t *testing.T) {
	t.Parallel()
	registerOnce.Do(func() {
		if _, ok := provider.Lookup(Info.Name); !ok {
			provider.Register(Info)
		}
	})
	rig := newReconcileRig(t)
	ctx := context.Background()
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{{ID: "wics", Provider: "wics",
		Settings: map[string]any{"base_url": rig.srv.URL, "api_key": "key", "api_secret": "secret"}}}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	m := metrics.New()
	p, err := pipeline.New(pipeline.Config{Store: rig.st, Connections: conns, Metrics: m})
	require.NoError(t, err)
	conn, _ := conns.Lookup("acme", "wics")

	// Both orders' "accepted" came by webhook.
	for _, body := range []string{
		`{"orderNr": 13292, "orderReference": "SO-1", "statusCode": "30", "statusDescription": "Bevestigd", "oldStatusCode": "", "oldStatusDescription": ""}`,
		`{"orderNr": 13293, "orderReference": "SO-2", "statusCode": "30", "statusDescription": "Bevestigd", "oldStatusCode": "", "oldStatusDescription": ""}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/wics/orderstatus", strings.NewReader(body))
		in, err := conn.Connector.(provider.WebhookReceiver).Accept(r, "orderstatus", []byte(body))
		require.NoError(t, err)
		_, _, err = rig.st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "wics", Provider: "wics", Source: model.SourceWebhook,
			Topic: "orderstatus", DedupKey: in.DedupKey, ContentType: in.ContentType, Body: in.Body, ReceivedAt: rig.now.Add(-time.Hour)})
		require.NoError(t, err)
	}
	_, err = p.Drain(ctx)
	require.NoError(t, err)

	// SO-1 shipped at WICS and its webhook was lost; SO-2 did not move.
	rig.fake.order("13292", "SO-1", "2022-08-15", "70")
	rig.fake.order("13293", "SO-2", "2022-08-15", "30")
	found := func() float64 { return testutil.ToFloat64(m.ReconcileFound.WithLabelValues("wics", "order")) }

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Committed["order"])
	_, err = p.Drain(ctx)
	require.NoError(t, err)
	orders, err := rig.st.ListOrders(ctx, store.OrderFilter{Workspace: "acme", Reference: "SO-1"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	require.Equal(t, model.OrderShipped, orders[0].Status)
	require.Equal(t, 1.0, found(), "SO-1's shipped status is what no webhook brought; SO-2 changed nothing")

	rig.now = rig.now.Add(15 * time.Minute)
	rep, err = rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Duplicates["order"])
	_, err = p.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 1.0, found())
}

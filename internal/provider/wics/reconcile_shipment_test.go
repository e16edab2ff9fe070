package wics

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// A shipped order whose Shipment webhook never came: reconciliation finds
// the order's new listing shipped, fetches its shipments (the document's
// example of GET /api/order/{reference}/shipment, verbatim) and commits
// them, and Normalize maps them as the Shipment webhook, with the order's
// reference and the tracking. Open orders and unchanged listings fetch
// nothing.
func TestReconciliationFetchesTheShipmentsOfAChangedShippedOrder(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	const path = "/api/order/13217/shipment"
	rig.fake.order("9001", "13217", "2022-08-15", "70") // Verzonden
	rig.fake.order("9002", "13218", "2022-08-15", "30") // open: no shipment to look for
	rig.fake.shipments["13217"] = docExample(t, "order_shipments.json")
	ctx := context.Background()

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Committed["order"])
	require.Equal(t, 1, rep.Committed["shipment"])
	require.Len(t, rig.fake.queries[path], 1, "one request for the one shipped order")
	require.Empty(t, rig.fake.queries["/api/order/13218/shipment"])
	require.Equal(t, 1+1+3, rep.Requests, "the order list, the shipments, and the other kinds' lists")

	msgs := rig.inbox(t, TopicReconcileShipment)
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, map[string]string{provider.MetaSource: provider.SourceReconcile, provider.MetaReconcileKind: "shipment"}, m.Meta)
	require.Equal(t, ReconcileDedupKey(TopicReconcileShipment, m.Body), m.DedupKey)
	ch, err := rig.rec.conn.Normalize(m)
	require.NoError(t, err)
	require.Empty(t, ch.Orders, "the order's status comes from its listing, as with the webhook")
	require.Len(t, ch.Shipments, 1)
	s := ch.Shipments[0]
	require.Equal(t, "20071", s.ProviderRef)
	require.Equal(t, "13217", s.OrderReference)
	require.Equal(t, "3SDEVC4119986", s.TrackingNumber)
	require.Equal(t, "http://postnl.nl/tracktrace/?L=NL&B=3SDEVC4119986&P=4251%20BC&D=NL&T=C", s.TrackingURL)
	require.Equal(t, "PostNL", s.Carrier)
	require.Equal(t, "6173", s.Attributes["colloId"])
	require.Equal(t, m.ReceivedAt.UTC(), s.AsOf, "the list has no deliveryDate")
	require.Contains(t, s.References, model.Reference{Kind: model.RefTrackingNumber, Value: "3SDEVC4119986"})
	require.Contains(t, s.References, model.Reference{Kind: model.RefOrder, Value: "13217"})
	require.Equal(t, []model.Item{{SKU: "16082", Name: "Jack kabel 1m", Quantity: 1}}, s.Items)

	t.Run("AnUnchangedListingFetchesNothing", func(t *testing.T) {
		rep, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, rep.Duplicates["order"])
		require.Zero(t, rep.Listed["shipment"])
		require.Len(t, rig.fake.queries[path], 1, "no second request")
		require.Len(t, rig.inbox(t, TopicReconcileShipment), 1)
	})
}

// A shipments fetch that fails after the order's listing was committed
// (the listing is a duplicate next time) is remembered in the cursor and
// fetched first on the next run, once.
func TestAFailedShipmentsFetchIsRetriedNextRun(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	const path = "/api/order/13217/shipment"
	rig.fake.order("9001", "13217", "2022-08-15", "70")
	rig.fake.shipments["13217"] = docExample(t, "order_shipments.json")
	rig.fake.shipmentFails = 1
	ctx := context.Background()

	_, err := rig.rec.RunOnce(ctx)
	require.ErrorContains(t, err, "shipments of order \"13217\"")
	require.JSONEq(t, `{"since":"","pending_shipments":["13217"]}`, rig.cursor(t, TopicReconcileOrder))
	require.Empty(t, rig.inbox(t, TopicReconcileShipment))

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Duplicates["order"])
	require.Equal(t, 1, rep.Committed["shipment"])
	require.Len(t, rig.fake.queries[path], 2, "the failed request and its retry, nothing more")
	require.JSONEq(t, `{"since":"2022-08-14"}`, rig.cursor(t, TopicReconcileOrder))
	require.Len(t, rig.inbox(t, TopicReconcileShipment), 1)
}

// The shipments' cost, counted: of 1,000 open orders listed, 100 ship
// between two runs, and the second run costs one request more for each of
// them; a third run, with the same listings, costs the lists alone (the
// figures of BENCHMARKS.md).
func TestTheShipmentsCostOneRequestPerChangedShippedOrder(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	for i := range 1000 {
		rig.fake.order(fmt.Sprintf("%05d", i), fmt.Sprintf("ref-%05d", i), "2022-08-15", "40")
	}
	ctx := context.Background()
	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 11+3, rep.Requests, "11 order pages, receipts, announcements, stock")

	for i := range 100 {
		rig.fake.order(fmt.Sprintf("%05d", i), fmt.Sprintf("ref-%05d", i), "2022-08-15", "70")
	}
	rig.now = rig.now.Add(15 * time.Minute)
	rep, err = rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 100, rep.Committed["order"])
	require.Equal(t, 11+100+2, rep.Requests, "one shipments request per shipped order; stock waits its interval")

	rig.now = rig.now.Add(15 * time.Minute)
	rep, err = rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, rep.Committed["order"])
	require.Equal(t, 11+2, rep.Requests, "unchanged listings fetch nothing")
}

// A shipments fetch WICS refuses (404: no such order by that reference) is
// not retried: it could never succeed, and it would hold up every run.
func TestARefusedShipmentsFetchIsNotRetried(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	rig.fake.order("9001", "13217", "2022-08-15", "70")
	rig.fake.shipmentFails, rig.fake.shipmentFailStatus = 1, http.StatusNotFound
	ctx := context.Background()

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Committed["order"])
	require.Zero(t, rep.Committed["shipment"])
	require.JSONEq(t, `{"since":"2022-08-14"}`, rig.cursor(t, TopicReconcileOrder), "nothing pending")
	_, err = rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Len(t, rig.fake.queries["/api/order/13217/shipment"], 1)
}

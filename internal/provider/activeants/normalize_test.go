package activeants_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var received = time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)

func testConnector(t testing.TB) *activeants.Connector {
	t.Helper()
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: activeants.TestURL, Username: testUser, Password: testPassword})
	require.NoError(t, err)
	return c
}

// golden compares v, as indented JSON, with testdata/golden/name.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to write the golden file")
	require.JSONEq(t, string(want), string(got))
}

func msg(topic string, body []byte, meta map[string]string) *model.InboxMessage {
	return &model.InboxMessage{ID: 1, Workspace: "acme", Connection: "aa", Provider: "activeants", Source: model.SourcePoll,
		Topic: topic, Body: body, Meta: meta, ReceivedAt: received}
}

func TestNormalizeTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	for _, tc := range []struct {
		file, topic string
		perItem     bool
	}{
		{"shipment_get.txt", activeants.TopicShipment, true},
		{"shipment_search.txt", activeants.TopicShipment, true},
		{"stockmutation_get.txt", activeants.TopicStockMutation, true},
		{"stock_bulk.txt", activeants.TopicStock, false},
		{"tracktrace.txt", activeants.TopicTrackTrace, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			if !tc.perItem {
				ch, err := c.Normalize(msg(tc.topic, doc(t, tc.file), nil))
				require.NoError(t, err)
				golden(t, tc.topic+".json", ch)
				return
			}
			var all []model.Changes
			for _, raw := range docItems(t, tc.file) {
				ch, err := c.Normalize(msg(tc.topic, raw, map[string]string{activeants.MetaOrderStatus: "shipped"}))
				require.NoError(t, err)
				all = append(all, ch)
			}
			golden(t, tc.file[:len(tc.file)-len(".txt")]+".json", all)
		})
	}
}

func TestNormalizeShipment(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	body := []byte(`{"id": 5670504, "orderNumber": 42375131, "externalOrderNumber": "#1022-TST-001", "shippingDate": "2023-03-24T14:49:21.0166667",
		"shippedColli": [{"colloNr": "1", "packageNumber": "3S567050401", "trackTraceUrl": "https://jouw.postnl.nl/track-and-trace/3S567050401-NL-2612AB"},
		                 {"colloNr": "2", "packageNumber": "3S567050402", "trackTraceUrl": "https://jouw.postnl.nl/track-and-trace/3S567050402-NL-2612AB"}],
		"shippedProducts": [{"sku": "T-002-S", "quantity": 1, "serialNrs": ["SN-1", "SN-2"], "tht": "2026-10-01T00:00:00", "lotNumber": "T5113A", "weight": 0.2}],
		"currentTrackTraceStatus": "delivered", "currentTrackTraceExceptionLevel": "success", "warehouseAbbreviation": "NN"}`)
	for _, tc := range []struct {
		meta string
		want model.OrderStatus
		rank int
	}{
		{"", model.OrderShipped, 2},
		{"shipped", model.OrderShipped, 2},
		{"partially_shipped", model.OrderPartiallyShipped, 1},
	} {
		ch, err := c.Normalize(msg(activeants.TopicShipment, body, map[string]string{activeants.MetaOrderStatus: tc.meta}))
		require.NoError(t, err)
		require.Len(t, ch.Shipments, 1)
		u := ch.Shipments[0]
		require.Equal(t, "5670504", u.ProviderRef)
		require.Equal(t, "#1022-TST-001", u.OrderReference, "the order link")
		require.Equal(t, "3S567050401", u.TrackingNumber)
		require.Equal(t, "https://jouw.postnl.nl/track-and-trace/3S567050401-NL-2612AB", u.TrackingURL)
		require.Contains(t, u.References, model.Reference{Kind: model.RefTrackingNumber, Value: "3S567050402"}, "every collo's package number")
		require.Equal(t, "https://jouw.postnl.nl/track-and-trace/3S567050402-NL-2612AB", u.Attributes["colli[1].track_trace_url"])
		require.Equal(t, "T5113A", u.Attributes["products[0].lot"])
		require.Equal(t, "SN-1,SN-2", u.Attributes["products[0].serials"])
		require.Equal(t, "2026-10-01", u.Attributes["products[0].tht"])
		require.Equal(t, []model.Item{{SKU: "T-002-S", Quantity: 1}}, u.Items)
		require.Len(t, u.Events, 2)
		require.Equal(t, model.StatusInfoReceived, u.Events[0].Status)
		require.Equal(t, model.StatusDelivered, u.Events[1].Status)
		require.Equal(t, received, u.Events[1].OccurredAt, "the shipment answer's status has no time")
		require.Equal(t, []model.OrderUpdate{{
			AsOf: time.Date(2023, 3, 24, 13, 49, 21, 16666700, time.UTC), Reference: "#1022-TST-001", ProviderRef: "42375131",
			Status: tc.want, StatusRank: tc.rank,
			ProviderStatus: &model.ProviderStatus{Code: "shipment", Description: "shipment 5670504 left the warehouse"},
		}}, ch.Orders)
	}
}

func TestNormalizeStockMutationLinksItsPurchaseOrder(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	body := []byte(`{"id": 135700001, "sku": "8010", "quantity": 336, "type": 1, "createdAt": "2025-07-29T09:12:00.5",
		"thtDate": "2025-12-01T00:00:00", "warehouseCode": "NN", "locationType": "INBOUND", "correctionReason": null, "remark": " ",
		"purchaseOrders": [{"quantity": 336, "purchaseOrderReference": "PO-2025-031"}], "lotNumber": "T4221A"}`)
	ch, err := c.Normalize(msg(activeants.TopicStockMutation, body, nil))
	require.NoError(t, err)
	bb := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2025, 7, 29, 7, 12, 0, 500e6, time.UTC)
	require.Equal(t, []model.StockMutationUpdate{{DedupKey: "aa:135700001", SKU: "8010", Warehouse: "NN", Quantity: 336,
		ReasonCode: "1", OccurredAt: at, Location: "INBOUND", Lot: "T4221A", BestBefore: &bb}}, ch.StockMutations)
	require.Equal(t, []model.InboundUpdate{{AsOf: at, Reference: "PO-2025-031", Receipts: []model.Receipt{{
		ProviderRef: "mutation:135700001", ReceivedAt: at,
		Lines: []model.ReceiptLine{{SKU: "8010", Quantity: 336, Lot: "T4221A", BestBefore: &bb}},
	}}}}, ch.Inbound)
}

func TestNormalizeStockPicksTheProductsFigure(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	ch, err := c.Normalize(msg(activeants.TopicStock, doc(t, "stock_bulk.txt"), nil))
	require.NoError(t, err)
	require.Len(t, ch.Stock, 1)
	s := ch.Stock[0]
	require.Equal(t, "AA-RWHM-342", s.SKU)
	require.Equal(t, 2272.0, *s.Available, "stock: the figure the product's settings say")
	require.Equal(t, 2272.0, *s.Physical)
	require.Nil(t, s.Announced, "a negative expected stock is not an announcement")
	require.Equal(t, received, s.AsOf)
	p := ch.Products[0]
	require.Equal(t, "available", p.Attributes["stock_basis"], "stock equals availableStock, not economicStock")
	require.JSONEq(t, `[{"lot":"2507111","quantity":2272}]`, p.Attributes["stock.lots"])

	eco := []byte(`{"messageCode":"OK","message":"","result":[{"sku":"S","stock":5,"economicStock":5,"availableStock":7,"physicalStock":9,"expectedStock":4,
		"thts":[{"quantity":5,"tht":"2026-10-01T00:00:00","lotNumber":"L1"}]}, {"stock": "not a number"}]}`)
	ch, err = c.Normalize(msg(activeants.TopicStock, eco, nil))
	require.NoError(t, err, "an item that does not decode is left out")
	require.Len(t, ch.Stock, 1)
	require.Equal(t, 5.0, *ch.Stock[0].Available)
	require.Equal(t, 4.0, *ch.Stock[0].Announced)
	require.Equal(t, "economic", ch.Products[0].Attributes["stock_basis"])
	require.JSONEq(t, `[{"lot":"L1","best_before":"2026-10-01","quantity":5}]`, ch.Products[0].Attributes["stock.lots"])
}

func TestNormalizeTrackTrace(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	ch, err := c.Normalize(msg(activeants.TopicTrackTrace, doc(t, "tracktrace.txt"), nil))
	require.NoError(t, err)
	require.Len(t, ch.Shipments, 20)
	first := ch.Shipments[0]
	require.Equal(t, "29245399", first.ProviderRef, "the key of the shipment's own message")
	require.Equal(t, "323200935959943587046030", first.TrackingNumber)
	require.Equal(t, "BELGIUM BPOST", first.Method)
	e := first.Events[0]
	require.Equal(t, model.StatusException, e.Status)
	require.Equal(t, "delayed", e.Substatus)
	require.Equal(t, "19", e.ProviderCode)
	require.Equal(t, "level 2", e.ProviderGroup)
	require.Equal(t, received, e.OccurredAt, "no date: the hub's time")
	second := ch.Shipments[1].Events[0]
	require.Equal(t, time.Date(2024, 1, 26, 7, 53, 47, 0, time.UTC), second.OccurredAt)

	// The same status read an hour later is the same event.
	again := msg(activeants.TopicTrackTrace, doc(t, "tracktrace.txt"), nil)
	again.ReceivedAt = received.Add(time.Hour)
	ch2, err := c.Normalize(again)
	require.NoError(t, err)
	require.Equal(t, ch.Shipments[0].Events[0].DedupKey, ch2.Shipments[0].Events[0].DedupKey)
	require.Equal(t, ch.Shipments[1].Events[0], ch2.Shipments[1].Events[0])
}

func TestNormalizeRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	c := testConnector(t)
	for _, m := range []*model.InboxMessage{
		msg("orders", []byte(`{}`), nil),
		msg(activeants.TopicShipment, []byte(`{"id": "x"}`), nil),
		msg(activeants.TopicStockMutation, []byte(`{"id": 1}`), nil),
		msg(activeants.TopicStock, []byte(`<html>`), nil),
		msg(activeants.TopicTrackTrace, []byte(`{"messageCode":"OK","result":{"a":1}}`), nil),
	} {
		_, err := c.Normalize(m)
		require.ErrorIs(t, err, provider.ErrBadInput, fmt.Sprintf("%s %s", m.Topic, m.Body))
	}
}

func TestIdentifiersTheHubCannotStoreAreRefused(t *testing.T) {
	t.Parallel()
	require.Equal(t, pipeline.MaxKeyBytes, activeants.MaxKeyBytes)
	c := testConnector(t)
	long := strings.Repeat("x", activeants.MaxKeyBytes+1)
	for _, tc := range []struct {
		name, topic, body, want string
	}{
		{"LongOrderNumber", activeants.TopicShipment, `{"id": 1, "externalOrderNumber": "` + long + `"}`, "externalOrderNumber is 513 bytes long"},
		{"LongSKU", activeants.TopicStockMutation, `{"id": 1, "sku": "` + long + `", "quantity": 1, "createdAt": "2025-07-29T12:35:24"}`, "sku is 513 bytes long"},
		{"NUL", activeants.TopicShipment, `{"id": 1, "externalOrderNumber": "A\u0000B"}`, "NUL character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Normalize(msg(tc.topic, []byte(tc.body), nil))
			require.ErrorIs(t, err, provider.ErrBadInput)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// In a whole answer the item is left out.
	ch, err := c.Normalize(msg(activeants.TopicStock, []byte(`{"messageCode":"OK","result":[{"sku":"`+long+`","stock":1},{"sku":"S","stock":2}]}`), nil))
	require.NoError(t, err)
	require.Len(t, ch.Stock, 1)
}

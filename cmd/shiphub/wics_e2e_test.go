package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/open"
)

// The WICS connection of the end-to-end tests: its Service Layer login,
// which WICS sends in every webhook's Authorization header.
const (
	wicsKey    = "wics-e2e-key"
	wicsSecret = "wics-e2e-secret-0123"
)

// wicsAuth is the header exactly as the WICS document writes it: key and
// secret in clear after "Basic ".
var wicsAuth = map[string]string{"Authorization": "Basic " + wicsKey + ":" + wicsSecret, "Content-Type": "application/json"}

// wicsTopics are the nine topics' path names, in the document's order.
var wicsTopics = []string{"shipment", "receipt", "stock", "stockmutation", "announcementstatus",
	"orderstatus", "orderlinestatus", "picksliplinestatus", "rma"}

// writeWICSConfig writes a hub configuration whose workspace acme has one
// WICS connection, "wics", and a second workspace that must see nothing.
func writeWICSConfig(t *testing.T, dir, database string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: wics, provider: wics, base_url: "https://test.servicelayer.wics.nl", api_key: %q, api_secret: %q, reconcile: false, manage_subscriptions: false }
  - id: other
    api_keys: [%q]
    connections:
      - { id: courier, provider: courier }
`, database, wicsKey, wicsSecret, otherKey)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// wicsExample reads the document's example of a topic, verbatim, from the
// connector's fixtures.
func wicsExample(t *testing.T, topic string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "provider", "wics", "testdata", "examples", topic+".json"))
	require.NoError(t, err)
	return string(b)
}

// postWICS posts one webhook of a topic to the acme/wics connection.
func postWICS(t *testing.T, h *hub, topic string, header map[string]string, body string) (int, []byte) {
	t.Helper()
	return do(t, http.MethodPost, h.URL+"/hooks/acme/wics/"+topic, header, body)
}

// page is the list shape of every fulfilment resource.
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// listOf waits until path lists exactly n resources, and returns them.
func listOf[T any](t *testing.T, h *hub, path string, n int) []T {
	t.Helper()
	var got page[T]
	eventually(t, 10*time.Second, path, func() bool {
		got = page[T]{}
		return apiGet(t, h, acmeKey, path, &got) == http.StatusOK && len(got.Data) == n
	})
	return got.Data
}

// TestWICSDocumentExamplesEndToEnd posts every topic's example from the
// WICS document, verbatim and with the document's literal Basic header, to
// the real binary, and reads the canonical resources back through the API.
func TestWICSDocumentExamplesEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHub(t, writeWICSConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db")))

	for _, topic := range wicsTopics {
		status, body := postWICS(t, h, topic, wicsAuth, wicsExample(t, topic))
		require.Equal(t, http.StatusOK, status, "%s: %s", topic, body)
		require.Contains(t, string(body), `"accepted"`, topic)
	}
	// A retry of an example (WICS retries until it gets a 200) is a duplicate.
	status, body := postWICS(t, h, "stock", wicsAuth, wicsExample(t, "stock"))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"duplicate"`)

	t.Run("StockOfCS1001", func(t *testing.T) {
		stock := listOf[model.Stock](t, h, "/api/v1/stock?sku=CS1001", 1)[0]
		require.Equal(t, "wics", stock.Provider)
		require.Equal(t, "wics", stock.Connection)
		require.Equal(t, 20639.0, stock.Physical)
		require.Equal(t, 20599.0, stock.Available, "nettoSalable is available")
		require.Equal(t, 3.0, stock.Announced)
	})

	t.Run("StockMutationOf16080", func(t *testing.T) {
		m := listOf[model.StockMutation](t, h, "/api/v1/stock/mutations?sku=16080", 1)[0]
		require.Equal(t, -1.0, m.Quantity)
		require.Equal(t, "WHS", m.Warehouse)
		require.Equal(t, "10", m.ReasonCode)
		require.Equal(t, "Manuele creatie / mutatie", m.Reason)
		require.Equal(t, "AA01A3", m.Location)
		// "2022-05-02 T09:48:11.000+02:00", the space tolerated.
		require.Equal(t, time.Date(2022, 5, 2, 7, 48, 11, 0, time.UTC), m.OccurredAt.UTC())
	})

	t.Run("OrderWT-2508-4HasItsStatus", func(t *testing.T) {
		o := listOf[model.Order](t, h, "/api/v1/orders?reference=WT-2508-4", 1)[0]
		require.Equal(t, "10344", o.ProviderRef)
		require.Equal(t, model.OrderAccepted, o.Status)
		require.Equal(t, &model.ProviderStatus{Code: "00", Description: "Aangemaakt"}, o.ProviderStatus)
		// The OrderLineStatus example states line 1 twice, both 30 Bevestigd.
		eventually(t, 10*time.Second, "the line status of WT-2508-4", func() bool {
			var got page[model.Order]
			apiGet(t, h, acmeKey, "/api/v1/orders?reference=WT-2508-4", &got)
			return len(got.Data) == 1 && len(got.Data[0].Lines) == 1
		})
		o = listOf[model.Order](t, h, "/api/v1/orders?reference=WT-2508-4", 1)[0]
		require.Equal(t, 1, o.Lines[0].LineNumber)
		require.Equal(t, model.OrderAccepted, o.Lines[0].Status)
		require.Equal(t, &model.ProviderStatus{Code: "30", Description: "Bevestigd"}, o.Lines[0].ProviderStatus)
		// The provider's own number finds it too.
		require.Equal(t, o.ID, listOf[model.Order](t, h, "/api/v1/orders?reference=10344", 1)[0].ID)
	})

	t.Run("PickslipLineOfExactShopOrder1050", func(t *testing.T) {
		o := listOf[model.Order](t, h, "/api/v1/orders?reference="+url.QueryEscape("Exact ShopOrder 1050"), 1)[0]
		require.Equal(t, "9897", o.ProviderRef)
		require.Len(t, o.Lines, 1)
		require.Equal(t, 3, o.Lines[0].LineNumber)
		require.Equal(t, model.OrderShipped, o.Lines[0].Status)
		require.Equal(t, &model.ProviderStatus{Code: "60", Description: "Afgehandeld, volledige levering"}, o.Lines[0].ProviderStatus)
	})

	t.Run("ShipmentFoundByTrackingWT95AndLinkedToItsOrder", func(t *testing.T) {
		s := trackOne(t, h, "WT 95", 0) // GET /api/v1/tracking/WT%2095
		require.Equal(t, "wics", s.Provider)
		require.Equal(t, "9313", s.ProviderRef)
		require.Equal(t, "3SDEVC0052846", s.TrackingNumber)
		require.Equal(t, "http://postnl.nl/tracktrace/?D=NL&B=3SDEVC0052846&P=4251BC&L=NL&T=C", s.TrackingURL)
		require.Equal(t, "PostNL", s.Carrier)
		require.Equal(t, "WT 95", s.OrderReference)
		require.Len(t, s.Items, 1)
		require.Equal(t, "16082", s.Items[0].SKU)
		require.Equal(t, s.ID, trackOne(t, h, "3SDEVC0052846", 0).ID)

		// The document's examples have no order WT 95; its order status
		// arriving after the shipment links the two all the same.
		status, body := postWICS(t, h, "orderstatus", wicsAuth,
			`{"orderNr": 10395, "orderReference": "WT 95", "statusCode": "70", "statusDescription": "Verzonden", "oldStatusCode": "60", "oldStatusDescription": "Afgehandeld"}`)
		require.Equal(t, http.StatusOK, status, "%s", body)
		o := listOf[model.Order](t, h, "/api/v1/orders?reference="+url.QueryEscape("WT 95"), 1)[0]
		require.Equal(t, model.OrderShipped, o.Status)
		require.Equal(t, []int64{s.ID}, o.ShipmentIDs, "the order lists its shipment")

		// WICS's status topics carry no time: a retry of an earlier status
		// that succeeds late must not move the order back.
		status, body = postWICS(t, h, "orderstatus", wicsAuth,
			`{"orderNr": 10395, "orderReference": "WT 95", "statusCode": "40", "statusDescription": "In uitvoering", "oldStatusCode": "30", "oldStatusDescription": "Bevestigd"}`)
		require.Equal(t, http.StatusOK, status, "%s", body)
		marker := wicsExample(t, "rma") // a later message: the pipeline applies the inbox in id order
		status, body = postWICS(t, h, "rma", wicsAuth, strings.Replace(marker, `"200122"`, `"WT 95"`, 1))
		require.Equal(t, http.StatusOK, status, "%s", body)
		listOf[model.Return](t, h, "/api/v1/returns?reference="+url.QueryEscape("WT 95"), 1)
		o = listOf[model.Order](t, h, "/api/v1/orders?reference="+url.QueryEscape("WT 95"), 1)[0]
		require.Equal(t, model.OrderShipped, o.Status)
		require.Equal(t, &model.ProviderStatus{Code: "70", Description: "Verzonden"}, o.ProviderStatus)
	})

	t.Run("ShipmentLinkedByShiphubsOrderIDInMetaFields", func(t *testing.T) {
		// The document: metaFields given with an order "you will receive
		// back in the shipment". A shipment that hands back shiphub's id of
		// WT-2508-4 belongs to it, whatever orderReference it carries.
		o := listOf[model.Order](t, h, "/api/v1/orders?reference=WT-2508-4", 1)[0]
		body := strings.NewReplacer(`"shipmentNr": 9313`, `"shipmentNr": 9314`, `"WT 95"`, `"WEBSHOP-77"`,
			"3SDEVC0052846", "3SDEVC0052999").Replace(wicsExample(t, "shipment"))
		body = strings.Replace(body, `"metaFields": ""`, fmt.Sprintf(`"metaFields": {"shiphub_order_id": %d}`, o.ID), 1)
		status, reply := postWICS(t, h, "shipment", wicsAuth, body)
		require.Equal(t, http.StatusOK, status, "%s", reply)
		s := trackOne(t, h, "3SDEVC0052999", 0)
		require.Equal(t, "WEBSHOP-77", s.OrderReference)
		eventually(t, 10*time.Second, "WT-2508-4 lists the shipment", func() bool {
			var got page[model.Order]
			apiGet(t, h, acmeKey, "/api/v1/orders?reference=WT-2508-4", &got)
			return len(got.Data) == 1 && slices.Equal(got.Data[0].ShipmentIDs, []int64{s.ID})
		})
	})

	t.Run("Receipt1175ShowsFourOfWTI027", func(t *testing.T) {
		in := listOf[model.Inbound](t, h, "/api/v1/inbound?reference="+url.QueryEscape("WT 93"), 1)[0]
		require.Len(t, in.Receipts, 1)
		r := in.Receipts[0]
		require.Equal(t, "1175", r.ProviderRef)
		require.Equal(t, []model.ReceiptLine{{SKU: "WTI-027", Quantity: 4}}, r.Lines)
		require.NotEqual(t, model.InboundAnnounced, in.Status, "goods with a receipt are at least receiving")

		// The announcement WT 93's receipt names, arriving later, is the
		// same inbound: the receipt is linked to it.
		status, body := postWICS(t, h, "announcementstatus", wicsAuth,
			`{"announcementNr": 10393, "reference": "WT 93", "statusCode": "00", "statusDescription": "Aangemaakt", "oldStatusCode": "", "oldStatusDescription": ""}`)
		require.Equal(t, http.StatusOK, status, "%s", body)
		eventually(t, 10*time.Second, "the announcement of WT 93", func() bool {
			var got page[model.Inbound]
			apiGet(t, h, acmeKey, "/api/v1/inbound?reference=10393", &got)
			return len(got.Data) == 1
		})
		linked := listOf[model.Inbound](t, h, "/api/v1/inbound?reference=10393", 1)[0]
		require.Equal(t, in.ID, linked.ID)
		require.Equal(t, "WT 93", linked.Reference)
		require.Len(t, linked.Receipts, 1)
		require.Equal(t, "1175", linked.Receipts[0].ProviderRef)
	})

	t.Run("AnnouncementWT-2508-4", func(t *testing.T) {
		in := listOf[model.Inbound](t, h, "/api/v1/inbound?reference=WT-2508-4", 1)[0]
		require.Equal(t, "10344", in.ProviderRef)
		require.Equal(t, model.InboundAnnounced, in.Status)
		require.Equal(t, &model.ProviderStatus{Code: "00", Description: "Aangemaakt"}, in.ProviderStatus)
	})

	t.Run("RMAFor200122CarriesItsQuestionAndAnswer", func(t *testing.T) {
		r := listOf[model.Return](t, h, "/api/v1/returns?reference=200122", 1)[0]
		require.Equal(t, "wics", r.Provider)
		require.Len(t, r.Lines, 1)
		l := r.Lines[0]
		require.Equal(t, 2, l.LineNumber)
		require.Equal(t, "WTI-028", l.SKU)
		require.Equal(t, 1.0, l.Quantity)
		require.Equal(t, []model.ReturnAnswer{{Question: "Is het artikel beschadigd?", Answer: "Ja"}}, l.Answers)
	})

	t.Run("AnotherWorkspaceSeesNone", func(t *testing.T) {
		for _, path := range []string{"/api/v1/stock", "/api/v1/orders", "/api/v1/inbound", "/api/v1/returns", "/api/v1/stock/mutations"} {
			var got page[json.RawMessage]
			require.Equal(t, http.StatusOK, apiGet(t, h, otherKey, path, &got), path)
			require.Empty(t, got.Data, path)
		}
	})
}

// TestWICSBadInputStoresNothing: an unknown topic is 404, a body of the
// wrong shape 400 with a problem that names the field, wrong credentials
// 401, and none of them stores anything.
func TestWICSBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	database := "sqlite:" + filepath.Join(dir, "hub.db")
	h := startHub(t, writeWICSConfig(t, dir, database))
	tests := []struct {
		name   string
		topic  string
		header map[string]string
		body   string
		want   int
		detail string // what the problem's detail must name
	}{
		{"UnknownTopicIs404", "parcel", wicsAuth, wicsExample(t, "stock"), http.StatusNotFound, "parcel"},
		{"NoTopicIs404", "", wicsAuth, wicsExample(t, "stock"), http.StatusNotFound, ""},
		{"TextForANumberIs400", "stock", wicsAuth, `{"itemCode":"CS1001","physical":"abc","nettoSalable":20599,"announced":3}`, http.StatusBadRequest, "physical"},
		{"MissingItemCodeIs400", "stock", wicsAuth, `{"physical":1,"nettoSalable":1,"announced":0}`, http.StatusBadRequest, "itemCode"},
		{"NestedFieldIs400", "receipt", wicsAuth, `{"number":"1175","lines":[{"itemCode":"WTI-027","quantityReceived":"four"}]}`, http.StatusBadRequest, "lines[0].quantityReceived"},
		{"StatusCodeAsNumberIs400", "orderstatus", wicsAuth, `{"orderNr":10344,"orderReference":"WT-2508-4","statusCode":0}`, http.StatusBadRequest, "statusCode"},
		{"MalformedJSONIs400", "rma", wicsAuth, `{"orderReference":"200122","lines":[`, http.StatusBadRequest, "invalid JSON"},
		{"AnotherTopicsShapeIs400", "stockmutation", wicsAuth, wicsExample(t, "stock"), http.StatusBadRequest, "quantity: is required"},
		{"WrongSecretIs401", "stock", map[string]string{"Authorization": "Basic " + wicsKey + ":wrong"}, wicsExample(t, "stock"), http.StatusUnauthorized, ""},
		{"NoAuthorizationIs401", "stock", nil, wicsExample(t, "stock"), http.StatusUnauthorized, ""},
		{"BearerIs401", "stock", map[string]string{"Authorization": "Bearer " + wicsKey}, wicsExample(t, "stock"), http.StatusUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postWICS(t, h, tt.topic, tt.header, tt.body)
			require.Equal(t, tt.want, status, "%s", body)
			var p struct {
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(body, &p), "problem JSON expected: %s", body)
			require.Equal(t, tt.want, p.Status)
			require.NotEmpty(t, p.Title)
			require.Contains(t, p.Detail, tt.detail)
			require.NotContains(t, string(body), wicsSecret, "the secret is never echoed")
		})
	}
	for _, path := range []string{"/api/v1/stock", "/api/v1/orders", "/api/v1/inbound", "/api/v1/returns", "/api/v1/stock/mutations", "/api/v1/shipments"} {
		var got page[json.RawMessage]
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, path, &got), path)
		require.Empty(t, got.Data, path)
	}
	h.kill(t)

	st, err := open.Open(context.Background(), database)
	require.NoError(t, err)
	defer st.Close()
	stats, err := st.InboxStats(context.Background())
	require.NoError(t, err)
	require.Zero(t, stats.Total, "bad input must store nothing")
}

// feedCounts reads the acme workspace's whole feed and counts its entries
// by type.
func feedCounts(t *testing.T, h *hub) map[string]int {
	t.Helper()
	counts := map[string]int{}
	after := int64(0)
	for {
		var p struct {
			Data      []model.FeedEvent `json:"data"`
			NextAfter int64             `json:"next_after"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/events?after=%d&limit=500", after), &p))
		for _, e := range p.Data {
			counts[e.Type]++
		}
		if len(p.Data) == 0 || p.NextAfter == after {
			return counts
		}
		after = p.NextAfter
	}
}

// listAllOf pages through every resource of a list route.
func listAllOf[T any](t *testing.T, h *hub, path string) []T {
	t.Helper()
	var all []T
	cursor := ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for {
		var p page[T]
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, path+sep+"limit=200&cursor="+url.QueryEscape(cursor), &p), path)
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
}

// wicsState is what a hub made of a WICS stream, by the resources' own
// keys and without ids or times of arrival, so that two hubs that applied
// the same messages compare equal.
type wicsState struct {
	Orders map[string]string // reference -> provider ref, status, provider status and lines
	// OrderStatuses is Orders with each line's provider status code only.
	OrderStatuses map[string]string
	Stock         map[string]string // sku -> physical/available/announced
	Mutations     int
	Inbound       map[string]string // reference -> provider ref and status
	Receipts      map[string]string // inbound reference -> its receipts
	Returns       map[string]string // reference -> status and lines
	Shipments     map[string]string // provider ref -> order reference, tracking number, linked order
}

// readWICSState reads the acme workspace's fulfilment resources.
func readWICSState(t *testing.T, h *hub) wicsState {
	t.Helper()
	st := wicsState{Orders: map[string]string{}, OrderStatuses: map[string]string{}, Stock: map[string]string{}, Inbound: map[string]string{},
		Receipts: map[string]string{}, Returns: map[string]string{}, Shipments: map[string]string{}}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	orderOf := map[int64]string{}
	for _, o := range listAllOf[model.Order](t, h, "/api/v1/orders") {
		st.Orders[o.Reference] = enc([]any{o.ProviderRef, o.Status, o.ProviderStatus, o.Lines})
		lines := make([]string, len(o.Lines))
		for i, l := range o.Lines {
			code := ""
			if l.ProviderStatus != nil {
				code = l.ProviderStatus.Code
			}
			lines[i] = fmt.Sprint(l.LineNumber, ":", l.Status, ":", code)
		}
		st.OrderStatuses[o.Reference] = enc([]any{o.ProviderRef, o.Status, o.ProviderStatus, lines})
		for _, id := range o.ShipmentIDs {
			orderOf[id] = o.Reference
		}
	}
	for _, s := range listAllOf[model.Stock](t, h, "/api/v1/stock") {
		st.Stock[s.SKU+"@"+s.Warehouse] = fmt.Sprint(s.Physical, "/", s.Available, "/", s.Announced)
	}
	st.Mutations = len(listAllOf[model.StockMutation](t, h, "/api/v1/stock/mutations"))
	for _, in := range listAllOf[model.Inbound](t, h, "/api/v1/inbound") {
		st.Inbound[in.Reference] = enc([]any{in.ProviderRef, in.Status})
		st.Receipts[in.Reference] = enc([]any{in.Lines, in.Receipts})
	}
	for _, r := range listAllOf[model.Return](t, h, "/api/v1/returns") {
		st.Returns[r.Reference] = enc([]any{r.Status, r.Lines})
	}
	for _, s := range listAll(t, h) {
		st.Shipments[s.ProviderRef] = enc([]any{s.OrderReference, s.TrackingNumber, orderOf[s.ID]})
	}
	return st
}

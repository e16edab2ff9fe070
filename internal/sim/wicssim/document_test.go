package wicssim

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The document's request bodies, sent verbatim, are accepted with the
// document's answer.
func TestTheDocumentsRequestBodiesAreAccepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// before prepares the server and returns the path's identifier.
		before       func(a api) string
		method, path string
		body         string
		answer       string
		status       int
		message      string
	}{
		{name: "CreateOrder", method: "POST", path: "/api/order", body: "order-create.json", answer: "order-create.json",
			status: 201, message: "Order with number 13301 created successfully"},
		{name: "UpdateOrder", before: func(a api) string {
			return a.do("POST", "/api/order", fixture(a.t, "requests/order-create.json")).id(a.t)
		}, method: "PUT", path: "/api/order/{id}", body: "order-update.json", answer: "order-update.json",
			status: 200, message: "Order with number 13301 has been updated."},
		{name: "CreateAnnouncement", method: "POST", path: "/api/announcement", body: "announcement-create.json",
			status: 201, message: "Announcement with number 2461 created successfully"},
		{name: "UpdateAnnouncement", before: func(a api) string {
			return a.do("POST", "/api/announcement", fixture(a.t, "requests/announcement-create.json")).id(a.t)
		}, method: "PUT", path: "/api/announcement/{id}", body: "announcement-update.json", answer: "announcement-update.json",
			status: 200, message: "Announcement with number 2461 has been updated."},
		{name: "CreateItem", method: "POST", path: "/api/item", body: "item-create.json", answer: "item-create.json",
			status: 201, message: "Item with starterset-01 created successfully"},
		{name: "CreateItems", method: "POST", path: "/api/item/list", body: "items-create.json", answer: "items-create.json",
			status: 201, message: "Item with starterset-01 created successfully"},
		{name: "UpdateItem", before: func(a api) string { return "16082" }, method: "PUT", path: "/api/item/{id}",
			body: "item-update.json", answer: "item-update.json", status: 200, message: "Item with number 16082 has been updated."},
		{name: "CreateWebhook", method: "POST", path: "/api/webhook", body: "webhook-create.json", answer: "webhook-create.json",
			status: 201, message: "Webhook registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, base := startServer(t, nil)
			a := api{t, base, keyA, secretA}
			path := tc.path
			if tc.before != nil {
				path = strings.ReplaceAll(path, "{id}", tc.before(a))
			}
			body := fixture(t, "requests/"+tc.body)
			if tc.name == "CreateItems" {
				// The document's list continues with "{...}", for more items.
				body = bytes.Replace(body, []byte(",\n  {...}"), nil, 1)
			}
			ans := a.do(tc.method, path, body)
			require.Equal(t, tc.status, ans.Status, "answer %s", ans.Raw)
			require.True(t, ans.Success, "answer %s", ans.Raw)
			require.Equal(t, tc.message, ans.Message)
			if tc.answer != "" {
				hasShape(t, tc.name, decodeAny(t, fixture(t, "answers/"+tc.answer)), decodeAny(t, ans.Raw))
				want := decodeAny(t, fixture(t, "answers/"+tc.answer)).(map[string]any)
				require.EqualValues(t, want["code"], ans.Code, "the envelope's code is the document's")
			}
		})
	}
}

// Every answer has at least the fields of the document's example, with the
// same kinds.
func TestAnswersHaveTheDocumentsShape(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}

	// An order with a serial-numbered item, shipped; an announcement of it,
	// received; a webhook.
	order := `{"reference": "SHAPE-1", "deliveryDate": "2026-06-02", "invoiceAddress": ` + testAddress +
		`, "deliveryAddress": ` + testAddress + `, "lines": [{"lineNumber": 1, "itemCode": "190130", "quantity": 2}, {"lineNumber": 2, "itemCode": "16082", "quantity": 1}]}`
	nr := a.do("POST", "/api/order", order).id(t)
	for !s.AdvanceOrder(nr) {
	}
	ann := a.do("POST", "/api/announcement", fixture(t, "requests/announcement-create.json")).id(t)
	require.Equal(t, 201, a.do("POST", "/api/announcement", strings.Replace(string(fixture(t, "requests/announcement-create.json")), `"16082"`, `"190140"`, 1)).Status)
	for !s.AdvanceAnnouncement(ann) {
	}
	for !s.AdvanceAnnouncement("2462") {
	}
	require.Equal(t, 201, a.do("POST", "/api/webhook", fixture(t, "requests/webhook-create.json")).Status)
	ship := a.do("GET", "/api/order/SHAPE-1/shipment", nil).list(t)
	require.Len(t, ship, 1)
	shipNr := ship[0]["shipmentNr"].(float64)
	detail := a.do("GET", "/api/stock/190130/detail", nil).list(t)
	ean := detail[0]["eansscc"].(string)

	for _, tc := range []struct {
		path, answer string
	}{
		{"/api/webhook", "webhook-list.json"},
		{"/api/announcement", "announcement-list.json"},
		{"/api/announcement/" + ann, "announcement-get.json"},
		{"/api/receipt", "receipt-list.json"},
		{"/api/receipt/1621", "receipt-get.json"},
		{"/api/receipt/1622/serialnumber", "receipt-serialnumber.json"},
		{"/api/order", "order-list.json"},
		{"/api/order/" + nr, "order-get.json"},
		{"/api/order/" + nr + "/serialnumber", "order-serialnumber.json"},
		{"/api/order/SHAPE-1/shipment", "order-shipment.json"},
		{"/api/item", "item-list.json"},
		{"/api/item/ean-item/1274", "item-ean-item.json"},
		{"/api/item/item-ean/VAR006", "item-item-ean.json"},
		{"/api/shipment/" + strconv.Itoa(int(shipNr)) + "/serialnumber", "shipment-serialnumber.json"},
		{"/api/stock/" + ean + "/serialnumber", "stock-serialnumber.json"},
		{"/api/stock", "stock-list.json"},
		{"/api/stock/16080", "stock-get.json"},
		{"/api/stock/detail", "stock-detail-list.json"},
		{"/api/stock/16082/detail", "stock-detail-get.json"},
	} {
		t.Run(strings.ReplaceAll(tc.answer, ".json", ""), func(t *testing.T) {
			ans := a.do("GET", tc.path, nil)
			require.Equal(t, http.StatusOK, ans.Status, "answer %s", ans.Raw)
			hasShape(t, tc.answer, decodeAny(t, loose(fixture(t, "answers/"+tc.answer))), decodeAny(t, ans.Raw))
		})
	}

	t.Run("TheDocumentsExampleAnswersAreKept", func(t *testing.T) {
		require.Equal(t, `"16082"`, string(a.do("GET", "/api/item/ean-item/1274", nil).Data))
		require.Equal(t, `"00000000000918"`, string(a.do("GET", "/api/item/item-ean/VAR006", nil).Data))
		require.Equal(t, "Found itemcode for EAN 1274", a.do("GET", "/api/item/ean-item/1274", nil).Message)
		require.Equal(t, "Stock 16080", a.do("GET", "/api/stock/16080", nil).Message)
		require.Equal(t, "Order SHAPE-1", a.do("GET", "/api/order/"+nr, nil).Message)
	})
}

const testAddress = `{"name": "Hans de Groot", "street": "Concordiaweg", "streetNumber": 157, "zipcode": "4206BK",
	"city": "Gorinchem", "country": "NL", "email": "info@wics.nl"}`

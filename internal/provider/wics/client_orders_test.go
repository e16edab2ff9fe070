package wics

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// ellipsis matches the document's placeholders for "more items" in its
// list examples ("{...}", "{ ... }"), with the comma that separates them.
var ellipsis = regexp.MustCompile(`,\s*\{\s*\.\.\.\s*\}\s*,?`)

// documentJSON is a verbatim example of the document made JSON: its
// "{...}" placeholders for further items are dropped, nothing else.
func documentJSON(t testing.TB, name string) string {
	t.Helper()
	s := ellipsis.ReplaceAllString(apiFixture(t, name), "")
	require.True(t, json.Valid([]byte(s)), "%s is JSON once its placeholders are dropped", name)
	return s
}

// callCase is one call of the client against a fake answering one
// example of the document.
type callCase struct {
	name   string
	status int
	answer string // the body WICS answers
	call   func(t *testing.T, c *Client)
	// The request WICS must get.
	method, path string
	query        map[string]string
	body         string // JSON, "" for none
}

func runCallCases(t *testing.T, cases []callCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) { wcAnswer(w, tc.status, tc.answer) })
			tc.call(t, srv.client(&wcLimiter{}))
			reqs := srv.requests()
			require.NotEmpty(t, reqs)
			r := reqs[0]
			require.Equal(t, tc.method, r.Method)
			require.Equal(t, tc.path, r.Path)
			for k, v := range tc.query {
				require.Equal(t, v, r.Query.Get(k), "query %s", k)
			}
			if tc.query == nil {
				require.Empty(t, r.Query)
			}
			if tc.body == "" {
				require.Empty(t, r.Body)
			} else {
				requireSameJSON(t, tc.body, r.Body)
				require.Equal(t, "application/json", r.ContentType)
			}
			require.Equal(t, "key-1", r.User)
		})
	}
}

func TestOrderCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	runCallCases(t, []callCase{
		{name: "ListOrdersWalksWithTheFilter", status: 200, answer: documentJSON(t, "list_orders.json"),
			method: "GET", path: "/api/order", query: map[string]string{"webshopId": "1", "deliveryDate[gte]": "2022-08-01", "page": "1", "pageSize": "100"},
			call: func(t *testing.T, c *Client) {
				var got []Order
				require.NoError(t, c.ListOrders(ctx, Filter{}.Where("webshopId", OpEq, "1").Where("deliveryDate", OpGte, "2022-08-01"), func(p []Order) error {
					got = append(got, p...)
					return nil
				}))
				require.Len(t, got, 1)
				o := got[0]
				require.Equal(t, Text("13291"), o.Number)
				require.Equal(t, Text("000123666"), o.Reference)
				require.Equal(t, Int(1), o.WebshopID)
				require.Equal(t, Text("Bevestigd"), o.StatusCode)
				require.Equal(t, Text("null"), o.PickupPoint, "the document's \"null\" is text")
				require.True(t, *o.Paid)
				require.Equal(t, Int(16), o.DeliveryAddress.StreetNumber)
				require.Equal(t, Text("dennis@crossmotion.nl"), o.InvoiceAddress.Email)
				require.Equal(t, Text("CPT"), o.TermsOfDelivery)
			}},
		{name: "OrdersByReferenceFilters", status: 200, answer: documentJSON(t, "list_orders.json"),
			method: "GET", path: "/api/order", query: map[string]string{"reference": "000123666", "page": "1"},
			call: func(t *testing.T, c *Client) {
				got, err := c.OrdersByReference(ctx, "000123666")
				require.NoError(t, err)
				require.Len(t, got, 1)
			}},
		{name: "OrdersByReferenceDropsOtherReferences", status: 200, answer: documentJSON(t, "list_orders.json"),
			method: "GET", path: "/api/order", query: map[string]string{"reference": "SO-OTHER"},
			call: func(t *testing.T, c *Client) {
				got, err := c.OrdersByReference(ctx, "SO-OTHER")
				require.NoError(t, err)
				require.Empty(t, got, "WICS's filter is not trusted blindly")
			}},
		{name: "GetOrderByNumber", status: 200, answer: apiFixture(t, "get_order.json"),
			method: "GET", path: "/api/order/13295",
			call: func(t *testing.T, c *Client) {
				o, ans, err := c.GetOrder(ctx, "13295")
				require.NoError(t, err)
				require.Equal(t, "Order SO510001", ans.Message)
				require.Equal(t, Text("SO510001"), o.Reference)
				require.Equal(t, Text("2022-08-15"), o.DeliveryDate)
				require.Equal(t, Text("whs"), o.WarehouseCode)
				require.Equal(t, Decimal(160622), o.Ride.Number)
				require.Equal(t, Text("EUR"), o.Prices.Currency)
				require.Equal(t, Text("A"), o.DeliveryAddress.Extension)
				require.Equal(t, Text("Bovenste verdieping"), o.DeliveryAddress.SecondAddressLine)
				require.Len(t, o.Lines, 2)
				require.Equal(t, OrderLine{LineNumber: 20002, ItemCode: "16084", ItemDescription: "Speaker kabel", Quantity: 4, Unit: "ST",
					Prices: &LinePrices{}}, o.Lines[1])
			}},
		{name: "GetOrderEscapesTheIdentifier", status: 200, answer: apiFixture(t, "get_order.json"),
			method: "GET", path: "/api/order/WT%2095%2F1",
			call: func(t *testing.T, c *Client) {
				_, _, err := c.GetOrder(ctx, "WT 95/1")
				require.NoError(t, err)
			}},
		{name: "CreateOrderReturnsTheNumber", status: 201, answer: apiFixture(t, "create_order_answer.json"),
			method: "POST", path: "/api/order", body: apiFixture(t, "create_order_request.json"),
			call: func(t *testing.T, c *Client) {
				var o Order
				require.NoError(t, json.Unmarshal([]byte(apiFixture(t, "create_order_request.json")), &o))
				number, ans, err := c.CreateOrder(ctx, &o)
				require.NoError(t, err)
				require.Equal(t, "<identifier>", number)
				require.Equal(t, 201, ans.Code)
			}},
		{name: "CreateOrderTakesAScalarNumber", status: 201, answer: `{"code":201,"message":"Order with number 13300 created successfully","success":true,"data":13300}`,
			method: "POST", path: "/api/order", body: `{"reference":"SO1"}`,
			call: func(t *testing.T, c *Client) {
				number, _, err := c.CreateOrder(ctx, &Order{Reference: "SO1"})
				require.NoError(t, err)
				require.Equal(t, "13300", number)
			}},
		{name: "UpdateOrderPutsTheWholeOrder", status: 200, answer: apiFixture(t, "update_order_answer.json"),
			method: "PUT", path: "/api/order/13295", body: apiFixture(t, "update_order_request.json"),
			call: func(t *testing.T, c *Client) {
				var o Order
				require.NoError(t, json.Unmarshal([]byte(apiFixture(t, "update_order_request.json")), &o))
				ans, err := c.UpdateOrder(ctx, "13295", &o)
				require.NoError(t, err)
				require.Equal(t, "Order with number <Identifier> has been updated.", ans.Message)
			}},
		{name: "DeleteOrder", status: 200, answer: apiFixture(t, "delete_order_answer.json"),
			method: "DELETE", path: "/api/order/13295",
			call: func(t *testing.T, c *Client) {
				ans, err := c.DeleteOrder(ctx, "13295")
				require.NoError(t, err)
				require.Equal(t, "<Identifier> deleted succesfully", ans.Message)
			}},
		{name: "OrderShipmentsByReference", status: 200, answer: apiFixture(t, "order_shipments.json"),
			method: "GET", path: "/api/order/13217/shipment",
			call: func(t *testing.T, c *Client) {
				got, err := c.OrderShipments(ctx, "13217")
				require.NoError(t, err)
				require.Len(t, got, 1)
				s := got[0]
				require.Equal(t, Int(20071), s.ShipmentNr)
				require.Equal(t, Text("6173"), s.ColloID)
				require.Equal(t, Text("3SDEVC4119986"), s.TrackAndTrace)
				require.Equal(t, Text("PostNL"), s.ShipperName)
				require.Equal(t, []OrderShipmentLine{{OrderLine: 1, OrderLineExternal: 1, ItemCode: "16082", ItemDescription: "Jack kabel 1m",
					QuantityOrdered: 1, QuantityDelivered: 1, Unit: "ST", EANSSCC: "WICS1738"}}, s.ShippingLines)
			}},
		{name: "SetOrderPaidPostsWithoutABody", status: 200, answer: apiFixture(t, "order_paid.json"),
			method: "POST", path: "/api/order/SO510001/paid",
			call: func(t *testing.T, c *Client) {
				ans, err := c.SetOrderPaid(ctx, "SO510001")
				require.NoError(t, err)
				require.Equal(t, "Succesfully set order to paid <Identifier>", ans.Message)
			}},
		{name: "OrderSerialNumbers", status: 200, answer: apiFixture(t, "order_serialnumbers.json"),
			method: "GET", path: "/api/order/13295/serialnumber",
			call: func(t *testing.T, c *Client) {
				got, err := c.OrderSerialNumbers(ctx, "13295")
				require.NoError(t, err)
				require.Equal(t, []OrderSerialNumber{
					{ItemCode: "16080", Description: "Jack Kabel 16080", SerialNumber: "4567895467868654"},
					{ItemCode: "16080", Description: "Jack Kabel 16080", SerialNumber: "6754367545678568"},
				}, got)
			}},
		{name: "ShipmentSerialNumbers", status: 200, answer: apiFixture(t, "shipment_serialnumbers.json"),
			method: "GET", path: "/api/shipment/20071/serialnumber",
			call: func(t *testing.T, c *Client) {
				got, err := c.ShipmentSerialNumbers(ctx, "20071")
				require.NoError(t, err)
				require.Len(t, got, 2)
				require.Equal(t, Int(2), got[1].LineNumber)
				require.Equal(t, []string{"4444444444444446"}, got[1].Flat())
			}},
	})
}

func TestItemCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	runCallCases(t, []callCase{
		{name: "ListItems", status: 200, answer: documentJSON(t, "list_items.json"),
			method: "GET", path: "/api/item", query: map[string]string{"itemGroup": "ALG", "page": "1", "pageSize": "100"},
			call: func(t *testing.T, c *Client) {
				var got []Item
				require.NoError(t, c.ListItems(ctx, Filter{}.Where("itemGroup", OpEq, "ALG"), func(p []Item) error { got = append(got, p...); return nil }))
				f := false
				require.Equal(t, []Item{{Code: "001-0203", InternalDescription: "Honeycomb", Description: "Honeycomb", ItemGroup: "ALG",
					DefaultUnit: "DR", Assembled: &f, StatusCode: 30}}, got, `statusCode "30" is read as the integer it is`)
			}},
		{name: "GetItemFiltersByCode", status: 200, answer: documentJSON(t, "list_items.json"),
			method: "GET", path: "/api/item", query: map[string]string{"code": "001-0203"},
			call: func(t *testing.T, c *Client) {
				it, found, err := c.GetItem(ctx, "001-0203")
				require.NoError(t, err)
				require.True(t, found)
				require.Equal(t, Text("Honeycomb"), it.Description)
			}},
		{name: "GetItemOfAnotherCodeIsNotFound", status: 200, answer: documentJSON(t, "list_items.json"),
			method: "GET", path: "/api/item", query: map[string]string{"code": "16082"},
			call: func(t *testing.T, c *Client) {
				_, found, err := c.GetItem(ctx, "16082")
				require.NoError(t, err)
				require.False(t, found)
			}},
		{name: "GetItemOnA404IsNotFound", status: 404, answer: `{"code":404,"message":"No items found","success":false,"data":null}`,
			method: "GET", path: "/api/item", query: map[string]string{"code": "16082"},
			call: func(t *testing.T, c *Client) {
				_, found, err := c.GetItem(ctx, "16082")
				require.NoError(t, err)
				require.False(t, found)
			}},
		{name: "ItemCodeForEAN", status: 200, answer: apiFixture(t, "ean_item.json"),
			method: "GET", path: "/api/item/ean-item/1274",
			call: func(t *testing.T, c *Client) {
				code, err := c.ItemCodeForEAN(ctx, "1274")
				require.NoError(t, err)
				require.Equal(t, "16082", code)
			}},
		{name: "ItemCodeForEANInAList", status: 200, answer: `{"code":200,"message":"Found itemcode for EAN 1274","success":true,"data":["16082"]}`,
			method: "GET", path: "/api/item/ean-item/1274",
			call: func(t *testing.T, c *Client) {
				code, err := c.ItemCodeForEAN(ctx, "1274")
				require.NoError(t, err)
				require.Equal(t, "16082", code)
			}},
		{name: "EANForItemCodeKeepsLeadingZeros", status: 200, answer: apiFixture(t, "item_ean.json"),
			method: "GET", path: "/api/item/item-ean/VAR006",
			call: func(t *testing.T, c *Client) {
				ean, err := c.EANForItemCode(ctx, "VAR006")
				require.NoError(t, err)
				require.Equal(t, "00000000000918", ean)
			}},
		{name: "CreateItem", status: 201, answer: apiFixture(t, "create_item_answer.json"),
			method: "POST", path: "/api/item", body: apiFixture(t, "create_item_request.json"),
			call: func(t *testing.T, c *Client) {
				var it Item
				require.NoError(t, json.Unmarshal([]byte(apiFixture(t, "create_item_request.json")), &it))
				require.Equal(t, Text("3.75"), it.Weight)
				ans, err := c.CreateItem(ctx, &it)
				require.NoError(t, err)
				require.Equal(t, 201, ans.Code)
			}},
		{name: "CreateItemsPostsAList", status: 201, answer: apiFixture(t, "create_items_answer.json"),
			method: "POST", path: "/api/item/list", body: documentJSON(t, "create_items_request.json"),
			call: func(t *testing.T, c *Client) {
				var items []Item
				require.NoError(t, json.Unmarshal([]byte(documentJSON(t, "create_items_request.json")), &items))
				_, err := c.CreateItems(ctx, items)
				require.NoError(t, err)
			}},
		{name: "UpdateItem", status: 200, answer: apiFixture(t, "update_item_answer.json"),
			method: "PUT", path: "/api/item/starterset-01", body: apiFixture(t, "update_item_request.json"),
			call: func(t *testing.T, c *Client) {
				ans, err := c.UpdateItem(ctx, "starterset-01", &ItemUpdate{StatusCode: 10, Weight: "1"})
				require.NoError(t, err)
				require.Equal(t, "Item with number <Identifier> has been updated.", ans.Message)
			}},
	})
}

// TestDocumentBodiesRoundTrip decodes the document's request bodies into
// the client's types and encodes them again: nothing the document sends
// is lost (empty strings aside, which the client leaves out).
func TestDocumentBodiesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		into func() any
	}{
		{"create_order_request.json", func() any { return new(Order) }},
		{"update_order_request.json", func() any { return new(Order) }},
		{"create_item_request.json", func() any { return new(Item) }},
		{"create_items_request.json", func() any { return new([]Item) }},
		{"update_item_request.json", func() any { return new(ItemUpdate) }},
		{"order_shipments.json", func() any { return new(struct{ Data []OrderShipment }) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			src := documentJSON(t, tc.file)
			v := tc.into()
			require.NoError(t, json.Unmarshal([]byte(src), v))
			out, err := json.Marshal(v)
			require.NoError(t, err)
			var want, got any
			require.NoError(t, json.Unmarshal([]byte(src), &want))
			require.NoError(t, json.Unmarshal(out, &got))
			want = dropEmpty(want)
			if m, ok := want.(map[string]any); ok && m["data"] != nil {
				want = map[string]any{"Data": m["data"]}
			}
			require.Equal(t, want, dropEmpty(got))
		})
	}
}

// dropEmpty removes empty strings and the envelope's own keys, which the
// client's types do not carry.
func dropEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if s, ok := e.(string); ok && s == "" {
				continue
			}
			if k == "code" || k == "message" || k == "success" {
				continue
			}
			out[k] = dropEmpty(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = dropEmpty(x[i])
		}
	}
	return v
}

// requireSameJSON compares two JSON texts, empty strings aside: the client
// leaves out what is empty, where the document's examples write "".
func requireSameJSON(t testing.TB, want string, got []byte) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal(got, &g), "%s", got)
	require.Equal(t, dropEmpty(w), dropEmpty(g))
}

package activeantssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The document's examples, by the line of testdata's copy of the document
// on which each starts. The capture renders JSON with "- " before every
// member and a dangling comma where it cut trackTraceUrl; docJSON undoes
// only that rendering.
var documentExamples = map[string]int{
	"token answer":                  20,
	"status answer":                 36,
	"settings answer":               63,
	"release request":               238,
	"release answer":                239,
	"order add request":             308,
	"order add answer":              378,
	"order search answer":           390,
	"order search request":          410,
	"order search body answer":      411,
	"track trace answer":            430,
	"shipments answer":              601,
	"byordertype request":           853,
	"byordertype answer":            858,
	"shipment sync request":         1616,
	"shipment sync answer":          1635,
	"shipment search request":       1674,
	"shipment search answer":        1677,
	"rma request":                   1858,
	"return label answer":           1880,
	"product add request":           1953,
	"product add answer":            1982,
	"product edit request":          2016,
	"product edit answer":           2045,
	"product search request":        2055,
	"product search answer":         2056,
	"product search query answer":   2068,
	"stock get answer":              2083,
	"stock bulk answer":             2093,
	"stock v2 answer":               2120,
	"stock since answer":            2146,
	"stock mutations answer":        2242,
	"stock mutation sync request":   2306,
	"stock mutation sync answer":    2309,
	"purchase order add request":    2324,
	"purchase order add answer":     2335,
	"purchase order edit request":   2353,
	"purchase order edit answer":    2363,
	"purchase order delete request": 2378,
}

var (
	docOnce  sync.Once
	docLines []string
)

// documentExample cuts an example out of the document verbatim: from the
// first "{" of its line to the brace that closes it.
func documentExample(t testing.TB, name string) string {
	t.Helper()
	line, ok := documentExamples[name]
	require.True(t, ok, "no example %q", name)
	docOnce.Do(func() {
		b, err := os.ReadFile("testdata/activeants-shopapi.txt")
		if err == nil {
			docLines = strings.Split(string(b), "\n")
		}
	})
	require.NotEmpty(t, docLines, "testdata/activeants-shopapi.txt")
	text := strings.Join(docLines[line-1:], "\n")
	text = text[strings.Index(text, "{-"):]
	depth, inString := 0, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
		case !inString && (c == '}' || c == ']'):
			depth--
			if depth == 0 {
				return text[:i+1]
			}
		}
	}
	t.Fatalf("example %q does not close", name)
	return ""
}

var (
	renderedMember = regexp.MustCompile(`(?m)(^|\{|, )- `)
	danglingComma  = regexp.MustCompile(`,(\s*[}\]])`)
)

// docJSON turns the capture's rendering of an example into the JSON it
// shows.
func docJSON(t testing.TB, rendered string) []byte {
	t.Helper()
	s := renderedMember.ReplaceAllString(rendered, "$1")
	s = danglingComma.ReplaceAllString(s, "$1")
	require.True(t, json.Valid([]byte(s)), "example does not become JSON:\n%s", s)
	return []byte(s)
}

func exampleValue(t testing.TB, name string) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(docJSON(t, documentExample(t, name))))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	return v
}

func TestDocumentExamplesAreCutVerbatim(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/activeants-shopapi.txt")
	require.NoError(t, err)
	orig, err := os.ReadFile("../../../../shared/providers/activeants-shopapi.txt")
	if err == nil {
		require.Equal(t, string(orig), string(doc), "testdata holds the document unchanged")
	}
	for name := range documentExamples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := documentExample(t, name)
			require.Contains(t, string(doc), ex)
			docJSON(t, ex)
		})
	}
	require.Contains(t, documentExample(t, "shipments answer"), `"packageNumber": "packagenumber-12345",`+"\n}",
		"the document's dangling comma where trackTraceUrl was cut")
}

// requireShape checks that every key of the example is in the answer, at
// every depth, with the same kind of value where neither is null. Arrays
// are compared element by element against the example's first element.
func requireShape(t testing.TB, path string, example, got any) {
	t.Helper()
	if example == nil || got == nil {
		return
	}
	switch ex := example.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %T", path, got)
		for k, v := range ex {
			gv, ok := g[k]
			require.True(t, ok, "%s: key %q of the document's example is missing", path, k)
			requireShape(t, path+"."+k, v, gv)
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %T", path, got)
		if len(ex) == 0 {
			return
		}
		for i, gv := range g {
			requireShape(t, path+"[]", ex[0], gv)
			if i > 20 {
				break
			}
		}
	case json.Number:
		_, ok := got.(json.Number)
		require.True(t, ok, "%s: want a number, got %T %v", path, got, got)
	case string:
		_, ok := got.(string)
		require.True(t, ok, "%s: want a string, got %T %v", path, got, got)
	case bool:
		_, ok := got.(bool)
		require.True(t, ok, "%s: want a boolean, got %T", path, got)
	}
}

// TestDocumentExampleRequestsAreAccepted sends each of the document's
// example requests as the document shows it. Every one decodes; those
// whose placeholder values ("string", id 0) name nothing in the warehouse
// are refused for exactly that, and with the placeholders replaced by the
// simulator's own ids and SKUs they succeed.
func TestDocumentExampleRequestsAreAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ManualReceipts = true })
	st := h.sim.Settings()
	p := h.stocked(5)
	h.placeOrder("GB-42145-222", map[string]int{p.SKU: 1})
	h.sim.Advance(4 * time.Hour)
	shipment := h.sim.Shipments()[0]

	tests := []struct {
		name, method, path, example string
		// refused is the NOK message the verbatim example gets, "" if OK.
		refused string
		// fix replaces placeholders so that the example succeeds.
		fix func(v map[string]any)
	}{
		{name: "OrderAdd", method: http.MethodPost, path: "/order/add", example: "order add request", refused: "Unknown languageId (0).",
			fix: func(v map[string]any) {
				v["externalOrderNumber"] = "DOC-ORDER-1"
				v["languageId"], v["orderTypeId"], v["shippingMethodId"] = st.Languages[0].ID, st.OrderTypes[0].ID, st.ShippingMethods[0].ID
				v["deliveryAddressCountryIso"] = "NL"
				v["orderItems"].([]any)[0].(map[string]any)["sku"] = p.SKU
				v["orderItems"].([]any)[0].(map[string]any)["quantity"] = 1
			}},
		{name: "OrderRelease", method: http.MethodPost, path: "/v2/order/release", example: "release request", refused: "Order (string) not found."},
		{name: "OrderSearch", method: http.MethodPost, path: "/order/search", example: "order search request"},
		{name: "ShipmentsByOrderType", method: http.MethodPost, path: "/v2/shipment/byordertype", example: "byordertype request"},
		{name: "ShipmentSync", method: http.MethodPost, path: "/v2/shipment/sync", example: "shipment sync request"},
		{name: "ShipmentSearch", method: http.MethodPost, path: "/shipment/search", example: "shipment search request"},
		{name: "RMA", method: http.MethodPost, path: "/v2/rma/add", example: "rma request", refused: "Shipment (0) not found.",
			fix: func(v map[string]any) {
				v["shipmentId"] = shipment.ID
				found := results(h.ok(http.MethodPost, "/shipment/search", map[string]any{"id": shipment.ID}))
				item := v["rmaItems"].(map[string]any)
				item["shipmentItemId"] = found[0]["shipmentItems"].([]any)[0].(map[string]any)["shipmentItemId"]
				item["quantity"], item["returnReasonId"] = 1, st.ReturnReasons[0].ID
			}},
		{name: "ProductAdd", method: http.MethodPost, path: "/product/add", example: "product add request"},
		{name: "ProductEdit", method: http.MethodPost, path: "/product/edit", example: "product edit request"},
		{name: "ProductSearch", method: http.MethodPost, path: "/product/search", example: "product search request", refused: "Product not found."},
		{name: "StockMutationSync", method: http.MethodPost, path: "/v2/stockmutation/sync", example: "stock mutation sync request"},
		{name: "PurchaseOrderAdd", method: http.MethodPost, path: "/purchaseorder/add", example: "purchase order add request", refused: "must be positive",
			fix: func(v map[string]any) {
				v["purchaseOrderItems"].([]any)[0].(map[string]any)["quantity"] = 5
				v["purchaseOrderItems"].([]any)[0].(map[string]any)["sku"] = p.SKU
			}},
		{name: "PurchaseOrderEdit", method: http.MethodPost, path: "/purchaseorder/edit", example: "purchase order edit request", refused: "PurchaseOrder (12345) not found.",
			fix: func(v map[string]any) {
				v["purchaseOrderId"] = h.lastPO
				v["purchaseOrderItems"].([]any)[0].(map[string]any)["sku"] = p.SKU
			}},
		{name: "PurchaseOrderDelete", method: http.MethodPost, path: "/purchaseorder/delete", example: "purchase order delete request", refused: "PurchaseOrder (1234) not found.",
			fix: func(v map[string]any) {
				v["purchaseOrderId"] = h.lastPO
				v["purchaseOrderItems"].(map[string]any)["sku"] = p.SKU
			}},
	}
	for _, tt := range tests { // in order: the purchase-order steps build on each other
		t.Run(tt.name, func(t *testing.T) {
			body := docJSON(t, documentExample(t, tt.example))
			if tt.refused == "" {
				v := h.ok(tt.method, tt.path, string(body))
				if id, ok := v["result"].(json.Number); ok && tt.path == "/purchaseorder/add" {
					h.lastPO, _ = id.Int64()
				}
				return
			}
			require.Contains(t, h.nok(tt.method, tt.path, string(body)), tt.refused)
			if tt.fix == nil {
				return
			}
			v := exampleValue(t, tt.example)
			tt.fix(v)
			got := h.ok(tt.method, tt.path, v)
			if id, ok := got["result"].(json.Number); ok && tt.path == "/purchaseorder/add" {
				h.lastPO, _ = id.Int64()
			}
		})
	}
	require.Equal(t, 1, h.sim.OrderCount("DOC-ORDER-1"))
	require.Equal(t, 1, h.sim.RMAs())
}

// TestAnswersAreShapedLikeTheDocumentsExamples compares every answer with
// an example in the document with that example, key by key.
func TestAnswersAreShapedLikeTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(5)
	h.placeOrder("5432102", map[string]int{p.SKU: 1})
	h.sim.Advance(4 * time.Hour)
	sh := h.sim.Shipments()[0]
	tests := []struct {
		example, method, path string
		body                  any
	}{
		{"status answer", http.MethodGet, "/status/get", nil},
		{"settings answer", http.MethodGet, "/settings/get", nil},
		{"order search answer", http.MethodGet, "/v2/order/search?externalOrderNumber=5432102", nil},
		{"order search body answer", http.MethodPost, "/order/search", `{"externalOrderNumber":"5432102"}`},
		{"shipments answer", http.MethodGet, "/v2/shipment/get", nil},
		{"byordertype answer", http.MethodPost, "/v2/shipment/byordertype", map[string]any{"orderTypes": []int64{h.sim.Settings().OrderTypes[0].ID}}},
		{"shipment sync answer", http.MethodPost, "/v2/shipment/sync", `{"ids":[]}`},
		{"shipment search answer", http.MethodPost, "/shipment/search", `{"externalOrderNumber":"5432102"}`},
		{"return label answer", http.MethodGet, fmt.Sprintf("/v2/returnlabel/get/%d", sh.ID), nil},
		{"product add answer", http.MethodPost, "/product/add", `{"sku":"NEW-1","name":"New"}`},
		{"product edit answer", http.MethodPost, "/product/edit", `{"sku":"NEW-1","name":"Newer"}`},
		{"product search answer", http.MethodPost, "/product/search", `{"sku":"NEW-1"}`},
		{"product search query answer", http.MethodGet, "/v2/product/search?sku=" + p.SKU, nil},
		{"stock get answer", http.MethodGet, "/stock/get/" + p.SKU, nil},
		{"stock bulk answer", http.MethodGet, "/stock/bulk/true", nil},
		{"stock v2 answer", http.MethodGet, "/v2/stock/get/" + p.SKU, nil},
		{"stock since answer", http.MethodGet, "/v2/stock/bulk?all_products=false&from=2026-03-01", nil},
		{"stock mutations answer", http.MethodGet, "/v2/stockmutation/get", nil},
		{"stock mutation sync answer", http.MethodPost, "/v2/stockmutation/sync", `{"ids":[0]}`},
		{"purchase order add answer", http.MethodPost, "/purchaseorder/add", map[string]any{"reference": "R1", "purchaseOrderItems": []any{map[string]any{"sku": p.SKU, "quantity": 3}}}},
		{"release answer", http.MethodPost, "/v2/order/release", nil},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			ex := exampleValue(t, tt.example)
			if tt.path == "/v2/order/release" {
				b := h.orderBody("HELD-1", map[string]int{p.SKU: 1})
				b["onHold"] = true
				h.ok(http.MethodPost, "/order/add", b)
				tt.body = `{"externalOrderNumber":"HELD-1"}`
			}
			got := h.ok(tt.method, tt.path, tt.body)
			require.Equal(t, ex["message"] != nil, got["message"] != nil)
			if strings.HasPrefix(ex["message"].(string), "Found") || ex["messageCode"] == "string" {
				require.True(t, strings.HasPrefix(got["message"].(string), "Found") || ex["messageCode"] == "string", "%v", got["message"])
			} else {
				require.Equal(t, strings.TrimSuffix(ex["message"].(string), "."), strings.TrimSuffix(nonProductEdit(got["message"].(string)), "."), "the document's message")
			}
			requireShape(t, tt.example, ex, got)
		})
	}
}

// nonProductEdit maps the product edit message to the document's sku.
func nonProductEdit(msg string) string {
	return strings.Replace(msg, "(NEW-1)", "(testsku125145)", 1)
}

package activeantssim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"NeedsALogin", Config{}, "username: is required"},
		{"NeedsAPassword", Config{Username: "u"}, "password: is required"},
		{"RefusesNegativeDelays", Config{Username: "u", Password: "p", PickDelay: -time.Second}, "pick delay: must not be negative"},
		{"RefusesEmptySettings", Config{Username: "u", Password: "p", Settings: &Settings{}}, "settings: need"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := New(Config{Username: "u", Password: "p"})
	require.NoError(t, err)
}

func TestToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.TokenLifetime = time.Hour })
	require.Equal(t, 1, h.sim.TokensIssued())

	t.Run("AnswerIsShapedLikeTheDocuments", func(t *testing.T) {
		code, body := h.raw(http.MethodPost, "/token", "application/x-www-form-urlencoded",
			"grant_type=password&username=shopapi-user&password=your-secret-is-safe", false)
		require.Equal(t, http.StatusOK, code)
		var got map[string]any
		require.NoError(t, json.Unmarshal(body, &got))
		var ex map[string]any
		require.NoError(t, json.Unmarshal(docJSON(t, documentExample(t, "token answer")), &ex))
		for k := range ex {
			require.Contains(t, got, k)
		}
		require.Equal(t, "bearer", got["token_type"])
		require.EqualValues(t, 3600, got["expires_in"])
		require.Equal(t, "shopapi-user", got["userName"])
		_, err := time.Parse(time.RFC1123, got["issued"].(string))
		require.NoError(t, err, "issued is RFC 1123")
	})

	bad := []struct{ name, ct, body, wantError string }{
		{"WrongPassword", "application/x-www-form-urlencoded", "grant_type=password&username=shopapi-user&password=nope", "invalid_grant"},
		{"WrongUser", "application/x-www-form-urlencoded", "grant_type=password&username=other&password=your-secret-is-safe", "invalid_grant"},
		{"OtherGrant", "application/x-www-form-urlencoded", "grant_type=client_credentials", "unsupported_grant_type"},
		{"JSONBody", "application/json", `{"grant_type":"password","username":"shopapi-user","password":"your-secret-is-safe"}`, "unsupported_grant_type"},
	}
	for _, tt := range bad {
		t.Run("BadLoginIs400With"+tt.name, func(t *testing.T) {
			code, body := h.raw(http.MethodPost, "/token", tt.ct, tt.body, false)
			require.Equal(t, http.StatusBadRequest, code)
			var v map[string]string
			require.NoError(t, json.Unmarshal(body, &v))
			require.Equal(t, tt.wantError, v["error"])
			require.NotEmpty(t, v["error_description"])
		})
	}

	t.Run("UnknownTokenIs401", func(t *testing.T) {
		saved := h.token
		h.token = "not-a-token"
		code, _ := h.call(http.MethodGet, "/settings/get", nil)
		h.token = saved
		require.Equal(t, http.StatusUnauthorized, code)
		code, _ = h.raw(http.MethodGet, "/settings/get", "", "", false)
		require.Equal(t, http.StatusUnauthorized, code, "no token at all")
	})

	t.Run("StatusNeedsNoToken", func(t *testing.T) {
		code, body := h.raw(http.MethodGet, "/status/get", "", "", false)
		require.Equal(t, http.StatusOK, code)
		require.JSONEq(t, `{"messageCode":"OK","message":"Status is OK.","result":null}`, string(body))
	})
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expire func(h *harness)
		okLeft int
	}{
		{"ByItsLifetime", func(h *harness) { h.clock.Add(time.Hour) }, 0},
		{"ForcedNow", func(h *harness) { h.sim.ExpireTokens() }, 0},
		{"AfterTwoMoreRequests", func(h *harness) { h.sim.ExpireTokensAfter(2) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.TokenLifetime = time.Hour })
			h.ok(http.MethodGet, "/settings/get", nil)
			h.clock.Add(59 * time.Minute)
			h.ok(http.MethodGet, "/settings/get", nil)
			tt.expire(h)
			for range tt.okLeft {
				h.ok(http.MethodGet, "/settings/get", nil)
			}
			code, v := h.call(http.MethodGet, "/settings/get", nil)
			require.Equal(t, http.StatusUnauthorized, code)
			require.Equal(t, "Authorization has been denied for this request.", v["Message"])
			h.login()
			h.ok(http.MethodGet, "/settings/get", nil)
			require.Equal(t, 2, h.sim.TokensIssued())
		})
	}
}

// TestTokenExpiresInTheMiddleOfAShipmentSync: get succeeds, the token ends
// before sync; the sync is 401 and marks nothing, so the shipments come
// again, and after a new token the same sync marks each exactly once.
func TestTokenExpiresInTheMiddleOfAShipmentSync(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for i := range 3 {
		h.placeOrder(fmt.Sprintf("MID-%d", i), map[string]int{h.stocked(3).SKU: 1})
	}
	h.sim.Advance(4 * time.Hour)
	h.sim.ExpireTokensAfter(1)
	got := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))
	require.Len(t, got, 3)
	var ids []int64
	for _, s := range got {
		ids = append(ids, num(s["id"]))
	}
	code, _ := h.call(http.MethodPost, "/v2/shipment/sync", map[string]any{"ids": ids})
	require.Equal(t, http.StatusUnauthorized, code)
	_, unsynced := h.sim.ShipmentCounts()
	require.Equal(t, 3, unsynced, "a refused sync marks nothing")

	h.login()
	require.Len(t, results(h.ok(http.MethodGet, "/v2/shipment/get", nil)), 3, "the unmarked come again")
	h.ok(http.MethodPost, "/v2/shipment/sync", map[string]any{"ids": ids})
	for _, id := range ids {
		require.Equal(t, 1, h.sim.SyncCount(id))
	}
	require.Empty(t, results(h.ok(http.MethodGet, "/v2/shipment/get", nil)))
}

func TestSettingsIDsDifferFromTheDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	got := h.ok(http.MethodGet, "/settings/get", nil)
	require.Equal(t, "Settings are ok.", got["message"])
	ex := exampleValue(t, "settings answer")
	requireShape(t, "settings", ex, got)

	docIDs := func(list any) map[string]int64 {
		out := map[string]int64{}
		for _, e := range list.([]any) {
			m := e.(map[string]any)
			out[m["code"].(string)] = num(m["id"])
		}
		return out
	}
	exResult, gotResult := ex["result"].(map[string]any), got["result"].(map[string]any)
	for _, list := range []string{"mainShippingMethods", "shippingMethods", "returnShippingMethods", "orderTypes", "countries", "languages", "returnReasons"} {
		t.Run(list, func(t *testing.T) {
			doc, sim := docIDs(exResult[list]), docIDs(gotResult[list])
			shared := 0
			for code, id := range doc {
				if simID, ok := sim[code]; ok {
					shared++
					require.NotEqual(t, id, simID, "%s %s has the document's production id", list, code)
				}
			}
			require.Positive(t, shared, "the simulator keeps the document's codes")
		})
	}
}

func TestOrders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(5)

	t.Run("AddAnswersTheOrderNumber", func(t *testing.T) {
		v := h.ok(http.MethodPost, "/order/add", h.orderBody("WEB-1001", map[string]int{p.SKU: 2}))
		require.Equal(t, "Order has been successfully added.", v["message"])
		require.Positive(t, num(v["result"]))
	})
	t.Run("AnExistingOrderNumberIsNOK", func(t *testing.T) {
		msg := h.nok(http.MethodPost, "/order/add", h.orderBody("WEB-1001", map[string]int{p.SKU: 2}))
		require.Contains(t, msg, "(WEB-1001) already exists", "the wording Caret matches")
		require.Equal(t, 1, h.sim.OrderCount("WEB-1001"))
	})
	t.Run("SearchByExternalNumber", func(t *testing.T) {
		v := h.ok(http.MethodGet, "/v2/order/search?externalOrderNumber=WEB-1001", nil)
		requireShape(t, "order search", exampleValue(t, "order search answer"), v)
		require.Equal(t, "WEB-1001", v["result"].(map[string]any)["externalOrderNumber"])
		v = h.ok(http.MethodPost, "/order/search", `{"ExternalOrderNumber":"WEB-1001"}`)
		require.Equal(t, "WEB-1001", v["result"].(map[string]any)["externalOrderNumber"])
		require.Equal(t, "Order not found.", h.nok(http.MethodGet, "/v2/order/search?externalOrderNumber=NOPE", nil))
	})
	refusals := []struct {
		name, field string
		value       any
		want        string
	}{
		{"UnknownLanguage", "languageId", 1, "Unknown languageId (1)"},
		{"UnknownOrderType", "orderTypeId", 3000, "Unknown orderTypeId (3000)"},
		{"UnknownShippingMethod", "shippingMethodId", 10001, "Unknown shippingMethodId (10001)"},
		{"UnknownCountry", "deliveryAddressCountryIso", "XX", "Unknown deliveryAddressCountryIso (XX)"},
		{"UnknownSKU", "orderItems", []map[string]any{{"sku": "NO-SUCH", "quantity": 1}}, "Product with sku (NO-SUCH) does not exist."},
	}
	for i, tt := range refusals {
		t.Run(tt.name+"IsNOK", func(t *testing.T) {
			b := h.orderBody(fmt.Sprintf("BAD-%d", i), map[string]int{p.SKU: 1})
			b[tt.field] = tt.value
			require.Contains(t, h.nok(http.MethodPost, "/order/add", b), tt.want)
		})
	}
	t.Run("AMissingRequiredFieldIs400NamingIt", func(t *testing.T) {
		b := h.orderBody("BAD-LAST", map[string]int{p.SKU: 1})
		delete(b, "deliveryAddressLastName")
		code, v := h.call(http.MethodPost, "/order/add", b)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "NOK", v["messageCode"])
		require.Contains(t, v["message"], "deliveryAddressLastName")
		code, _ = h.call(http.MethodPost, "/order/add", `{"externalOrderNumber":`)
		require.Equal(t, http.StatusBadRequest, code)
	})
	t.Run("AMainShippingMethodIdIsAcceptedToo", func(t *testing.T) {
		b := h.orderBody("WEB-MAIN", map[string]int{p.SKU: 1})
		b["shippingMethodId"] = h.sim.Settings().MainShippingMethods[3].ID
		h.ok(http.MethodPost, "/order/add", b)
	})
}

func TestOrderOnHoldShipsOnlyAfterItsRelease(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	b := h.orderBody("HOLD-1", map[string]int{h.stocked(2).SKU: 1})
	b["onHold"] = true
	b["orderItems"].([]map[string]any)[0]["extra6"] = "gift wrap"
	h.ok(http.MethodPost, "/order/add", b)
	h.sim.Advance(24 * time.Hour)
	require.Empty(t, h.sim.Shipments())
	require.True(t, h.sim.OrderOnHold("HOLD-1"))

	for _, path := range []string{"/v2/order/release", "/order/release"} {
		require.Contains(t, h.nok(http.MethodPost, path, `{"externalOrderNumber":"NOPE"}`), "not found")
	}
	v := h.ok(http.MethodPost, "/v2/order/release", `{"externalOrderNumber":"HOLD-1"}`)
	require.Equal(t, "status is OK", v["message"])
	require.Contains(t, h.nok(http.MethodPost, "/order/release", `{"externalOrderNumber":"HOLD-1"}`), "not on hold")
	h.sim.Advance(4 * time.Hour)
	require.Len(t, h.sim.Shipments(), 1)
	s := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))[0]
	require.Equal(t, "gift wrap", s["shippedProducts"].([]any)[0].(map[string]any)["extra6"], "the order item's extra6 comes back")
}

func TestPreferredShippingDateHoldsTheOrderBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	b := h.orderBody("LATER-1", map[string]int{h.stocked(2).SKU: 1})
	b["preferredShippingDate"] = testStart.Add(48 * time.Hour).UTC().Format(time.RFC3339)
	h.ok(http.MethodPost, "/order/add", b)
	h.sim.Advance(40 * time.Hour)
	require.Empty(t, h.sim.Shipments())
	h.sim.Advance(16 * time.Hour)
	sh := h.sim.Shipments()
	require.Len(t, sh, 1)
	require.False(t, sh[0].Date.Before(testStart.Add(48*time.Hour)))
}

// TestOrderShipsWithColliStockAndTrackTrace is the order's life: it ships
// with colli, package numbers and track-trace URLs; stock follows with a
// mutation; track-trace advances to delivered.
func TestOrderShipsWithColliStockAndTrackTrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(10)
	h.placeOrder("RT-1", map[string]int{p.SKU: 7})
	after := h.sim.Products()
	idx := slices.IndexFunc(after, func(x Product) bool { return x.SKU == p.SKU })
	require.Equal(t, p.Ordered+7, after[idx].Ordered, "the order reserves")

	h.sim.Advance(4 * time.Hour)
	v := h.ok(http.MethodGet, "/v2/shipment/get", nil)
	requireShape(t, "shipments", exampleValue(t, "shipments answer"), v)
	got := results(v)
	require.Len(t, got, 1)
	s := got[0]
	require.Equal(t, "RT-1", s["externalOrderNumber"])
	require.EqualValues(t, "7", s["totalNumberOfProducts"].(json.Number).String())
	colli := s["shippedColli"].([]any)
	require.Len(t, colli, 2, "7 items make two colli")
	for _, c := range colli {
		c := c.(map[string]any)
		require.NotEmpty(t, c["packageNumber"])
		require.True(t, strings.HasPrefix(c["trackTraceUrl"].(string), "https://"), "%v", c)
		require.Contains(t, c["trackTraceUrl"], c["packageNumber"])
	}
	require.Contains(t, []any{"New", "labelled"}, s["currentTrackTraceStatus"], "just shipped")

	after = h.sim.Products()
	require.Equal(t, p.Physical-7, after[idx].Physical, "the pick takes stock")
	require.Equal(t, p.Ordered, after[idx].Ordered)
	muts := results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil))
	var picked int64
	for _, m := range muts {
		if m["sku"] == p.SKU && num(m["type"]) == MutationShipment {
			picked += num(m["quantity"])
			require.Equal(t, "RT-1", m["externalOrderNumber"])
			require.Equal(t, num(s["id"]), num(m["shippingId"]))
		}
	}
	require.EqualValues(t, -7, picked)

	id := num(s["id"])
	seen := map[int64]bool{}
	var last int64
	for range 120 {
		h.sim.Advance(time.Hour)
		for _, tt := range results(h.ok(http.MethodGet, "/v2/tracktrace/get", nil)) {
			if num(tt["shipmentId"]) == id {
				last = num(tt["currentTrackTraceStatus"])
				seen[last] = true
			}
		}
		if statusInfo(int(last)).Terminal {
			break
		}
	}
	require.True(t, seen[StatusLabelled], "labelled first: %v", seen)
	require.True(t, statusInfo(int(last)).Terminal, "ends delivered in the broad sense: %v", seen)
	h.sim.Advance(25 * time.Hour)
	for _, tt := range results(h.ok(http.MethodGet, "/v2/tracktrace/get", nil)) {
		require.NotEqual(t, id, num(tt["shipmentId"]), "a delivered shipment leaves the list after DeliveredLinger")
	}
}

func TestTrackTraceAnswerIsShapedLikeTheDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ShopOrders = 10 })
	h.sim.Advance(20 * time.Hour)
	v := h.ok(http.MethodGet, "/v2/tracktrace/get", nil)
	require.NotEmpty(t, results(v))
	requireShape(t, "track trace", exampleValue(t, "track trace answer"), v)
	require.Equal(t, "Found track trace status data", v["message"])
	aliases := []string{"/v2/tracktracestatus/get", "/v2/shipment/tracktracestatus", "/v2/tracktrace/status", "/v2/shipment/tracktrace"}
	for _, alias := range aliases {
		require.Equal(t, v, h.ok(http.MethodGet, alias, nil))
	}
	total, soon := h.sim.TrackTracePolls()
	require.Equal(t, [2]int{5, 4}, [2]int{total, soon}, "five polls within the hour: four too soon")
	h.clock.Add(time.Hour)
	h.ok(http.MethodGet, "/v2/tracktrace/get", nil)
	total, soon = h.sim.TrackTracePolls()
	require.Equal(t, [2]int{6, 4}, [2]int{total, soon}, "an hour later is not too soon")
}

// TestABackorderKeepsOnePendingPick: orders waiting for stock are retried,
// and every receipt brings their pick forward, but each order has one
// pending pick at a time, so the plan does not grow with the receipts.
func TestABackorderKeepsOnePendingPick(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ManualReceipts = true })
	var empty string
	for _, p := range h.sim.Products() {
		if p.Physical == 0 {
			empty = p.SKU
		}
	}
	for i := range 50 {
		h.placeOrder(fmt.Sprintf("BACK-%d", i), map[string]int{empty: 100})
	}
	id := num(h.ok(http.MethodPost, "/purchaseorder/add", map[string]any{"reference": "BACK", "purchaseOrderItems": []any{map[string]any{"sku": empty, "quantity": 1000}}})["result"])
	for range 20 {
		require.NoError(t, h.sim.Receive(id, empty, 1))
		h.sim.Advance(time.Hour)
	}
	h.sim.mu.Lock()
	pending := len(h.sim.w.queue)
	h.sim.mu.Unlock()
	require.LessOrEqual(t, pending, 50+4, "one pick per order (and the purchase order's deliveries)")
	require.NoError(t, h.sim.Receive(id, empty, 980))
	h.sim.Advance(12 * time.Hour)
	require.Len(t, h.sim.Shipments(), 10, "the stock of 1000 ships ten orders of 100")
}

func TestPartialDeliveryShipsWhatIsInStock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	in, out := h.stocked(2), Product{}
	for _, p := range h.sim.Products() {
		if p.Physical == 0 {
			out = p
		}
	}
	require.NotEmpty(t, out.SKU)
	for _, partial := range []bool{false, true} {
		ext := fmt.Sprintf("PART-%v", partial)
		b := h.orderBody(ext, map[string]int{in.SKU: 1, out.SKU: 2})
		b["partialDelivery"] = partial
		h.ok(http.MethodPost, "/order/add", b)
	}
	h.sim.Advance(8 * time.Hour)
	sh := h.sim.Shipments()
	require.Len(t, sh, 1)
	require.Equal(t, "PART-true", sh[0].ExternalOrderNumber)

	require.NoError(t, h.sim.SetStock(out.SKU, 10))
	h.sim.Advance(8 * time.Hour)
	byOrder := map[string]int{}
	for _, s := range h.sim.Shipments() {
		byOrder[s.ExternalOrderNumber]++
	}
	require.Equal(t, map[string]int{"PART-true": 2, "PART-false": 1}, byOrder)
	v := h.ok(http.MethodPost, "/shipment/search", `{"externalOrderNumber":"PART-true"}`)
	requireShape(t, "shipment search", exampleValue(t, "shipment search answer"), v)
	var tn []int64
	for _, s := range results(v) {
		tn = append(tn, num(s["trackingNumber"]))
	}
	require.Equal(t, []int64{1, 2}, tn, "trackingNumber counts the order's shipments")
}

func TestShipmentSyncSemantics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.PageSize = 4 })
	for i := range 6 {
		h.placeOrder(fmt.Sprintf("SYNC-%d", i), map[string]int{h.stocked(2).SKU: 1})
	}
	h.sim.Advance(4 * time.Hour)
	first := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))
	require.Len(t, first, 4, "a page")
	again := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))
	require.Equal(t, first, again, "get alone marks nothing")

	// Mark two, by the document's lower case and the clients' Ids.
	h.ok(http.MethodPost, "/v2/shipment/sync", map[string]any{"ids": []int64{num(first[0]["id"])}})
	h.ok(http.MethodPost, "/v2/shipment/sync", fmt.Sprintf(`{"Ids":[%d, 999]}`, num(first[1]["id"])))
	synced, unsynced := h.sim.ShipmentCounts()
	require.Equal(t, [2]int{2, 4}, [2]int{synced, unsynced})
	next := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))
	require.Len(t, next, 4)
	require.Equal(t, first[2]["id"], next[0]["id"], "the unmarked come again, first")
	for _, s := range next {
		require.NotContains(t, []any{first[0]["id"], first[1]["id"]}, s["id"])
	}

	byType := h.ok(http.MethodPost, "/v2/shipment/byordertype", map[string]any{"orderTypes": []int64{h.sim.Settings().OrderTypes[0].ID}})
	require.Len(t, results(byType), 4)
	require.Empty(t, results(h.ok(http.MethodPost, "/v2/shipment/byordertype", `{"OrderTypes":[5,6,7]}`)))
}

func TestStockMutationSyncSemantics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.placeOrder("MUT-1", map[string]int{h.stocked(2).SKU: 2})
	h.sim.Advance(4 * time.Hour)
	got := results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil))
	require.NotEmpty(t, got)
	h.ok(http.MethodPost, "/v2/stockmutation/sync", map[string]any{"ids": []int64{num(got[0]["id"])}})
	rest := results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil))
	require.Len(t, rest, len(got)-1)
	synced, unsynced := h.sim.MutationCounts()
	require.Equal(t, [2]int{1, len(got) - 1}, [2]int{synced, unsynced})
}

func TestStockBulk(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	all := h.ok(http.MethodGet, "/stock/bulk/true", nil)
	requireShape(t, "stock bulk", exampleValue(t, "stock bulk answer"), all)
	require.Len(t, results(all), len(h.sim.Products()))
	require.Empty(t, results(h.ok(http.MethodGet, "/stock/bulk/false", nil)), "the full sync cleared the marks")
	require.NoError(t, h.sim.SetStock(h.sim.Products()[0].SKU, 3))
	require.Len(t, results(h.ok(http.MethodGet, "/stock/bulk/false", nil)), 1, "a stock count marks its product")
	require.Empty(t, results(h.ok(http.MethodGet, "/stock/bulk/false", nil)), "served ones are no longer marked")

	p := h.stocked(3)
	h.placeOrder("STOCK-1", map[string]int{p.SKU: 3})
	changed := results(h.ok(http.MethodGet, "/stock/bulk/false", nil))
	require.Len(t, changed, 1)
	require.Equal(t, p.SKU, changed[0]["sku"])
	require.EqualValues(t, p.Physical, num(changed[0]["physicalStock"]))
	require.EqualValues(t, p.Physical-p.Ordered-3+p.Incoming, num(changed[0]["economicStock"]), "economic = available + expected")
	require.Len(t, results(h.ok(http.MethodGet, "/stock/bulk/true", nil)), len(h.sim.Products()), "true is always all")

	one := h.ok(http.MethodGet, "/stock/get/"+p.SKU, nil)
	requireShape(t, "stock get", exampleValue(t, "stock get answer"), one)
	want := p.Physical - p.Unavailable
	if p.UseEconomicStock {
		want = p.Physical - p.Unavailable + p.Incoming - p.Ordered - 3
	}
	require.EqualValues(t, want, num(one["result"]), "economic or available as the product says")
	requireShape(t, "stock v2", exampleValue(t, "stock v2 answer"), h.ok(http.MethodGet, "/v2/stock/get/"+p.SKU, nil))
	requireShape(t, "stock since", exampleValue(t, "stock since answer"), h.ok(http.MethodGet, "/v2/stock/bulk?all_products=true", nil))
	require.Contains(t, h.nok(http.MethodGet, "/stock/get/NO-SUCH", nil), "No stock found")

	for _, lp := range h.sim.Products() {
		if lp.HasLot && lp.Physical > 0 {
			v := h.ok(http.MethodGet, "/v2/stock/get/"+lp.SKU, nil)
			thts := v["result"].(map[string]any)["thts"].([]any)
			require.NotEmpty(t, thts)
			require.NotNil(t, thts[0].(map[string]any)["lotNumber"], "lot products have a lot and THT breakdown")
			require.NotNil(t, thts[0].(map[string]any)["tht"])
			return
		}
	}
	t.Fatal("no lot product in stock")
}

func TestProductEditChangesTheBarcodeOnlyOutOfStock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(1)
	msg := h.nok(http.MethodPost, "/product/edit", map[string]any{"sku": p.SKU, "barcode": "8712345678906", "Name": "Renamed"})
	require.Contains(t, msg, "can only be changed as long as the product is not in stock")
	require.Equal(t, p.Barcode, h.productBarcode(p.SKU), "a refused edit changes nothing")
	require.Equal(t, p.Name, h.productName(p.SKU))

	v := h.ok(http.MethodPost, "/product/edit", map[string]any{"Sku": p.SKU, "Barcode": p.Barcode, "Name": "Renamed"})
	require.Equal(t, fmt.Sprintf("Edit of product (%s) completed successfully.", p.SKU), v["message"], "the same barcode is no change")
	require.Equal(t, "Renamed", h.productName(p.SKU))

	require.NoError(t, h.sim.SetStock(p.SKU, 0))
	h.ok(http.MethodPost, "/product/edit", map[string]any{"sku": p.SKU, "barcode": "8712345678906"})
	require.Equal(t, "8712345678906", h.productBarcode(p.SKU))
	require.Contains(t, h.nok(http.MethodPost, "/product/edit", map[string]any{"sku": "NO-SUCH", "name": "x"}), "not found")
}

func (h *harness) productBarcode(sku string) string {
	v := h.ok(http.MethodGet, "/v2/product/search?sku="+sku, nil)
	return v["result"].(map[string]any)["barcode"].(string)
}

func (h *harness) productName(sku string) string {
	for _, p := range h.sim.Products() {
		if p.SKU == sku {
			return p.Name
		}
	}
	return ""
}

func TestProducts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ProductCreated = true })
	code, v := h.call(http.MethodPost, "/product/add", `{"Sku":"Rok","Name":"Rok","Weight":0.4,"Barcode":"8711111111111"}`)
	require.Equal(t, http.StatusCreated, code, "NS saw 201")
	require.Equal(t, "OK", v["messageCode"])
	require.Contains(t, h.nok(http.MethodPost, "/product/add", `{"sku":"rok","name":"Rok"}`), "already exists")
	v = h.ok(http.MethodPost, "/product/search", `{"Sku":"Rok","Barcode":null}`)
	require.Equal(t, "Rok", v["result"].(map[string]any)["sku"])
	v = h.ok(http.MethodPost, "/product/search", `{"barcode":"8711111111111"}`)
	require.Equal(t, "Rok", v["result"].(map[string]any)["sku"])
	require.Equal(t, "Product not found.", h.nok(http.MethodPost, "/product/search", `{"sku":"nope"}`))
	requireShape(t, "product query", exampleValue(t, "product search query answer"), h.ok(http.MethodGet, "/v2/product/search?sku=Rok", nil))
}

func TestPurchaseOrderColourRules(t *testing.T) {
	t.Parallel()
	type step struct {
		path string
		body string // %d is the purchase order id
		ok   bool
		want string // in the NOK message
	}
	tests := []struct {
		name    string
		receive map[int]int // item index to units received before the steps
		colour  string
		steps   []step
		after   map[int][2]int // item index to quantity, received
		deleted bool
	}{
		{name: "RedMayChangeEverything", colour: Red, steps: []step{
			{"/purchaseorder/edit", `{"purchaseOrderId":%d,"reference":"PO-NEW","expectedDate":"2026-03-20T08:00:00Z","purchaseOrderItems":[{"sku":"{0}","quantity":1}]}`, true, ""},
		}, after: map[int][2]int{0: {1, 0}, 1: {20, 0}}},
		{name: "RedDeleteIsFull", colour: Red, steps: []step{{"/purchaseorder/delete", `{"purchaseOrderId":%d}`, true, ""}}, deleted: true},
		{name: "RedDeleteOfAnItem", colour: Red, steps: []step{{"/purchaseorder/delete", `{"purchaseOrderId":%d,"purchaseOrderItems":{"sku":"{0}"}}`, true, ""}},
			after: map[int][2]int{1: {20, 0}}},
		{name: "YellowMayNotGoBelowWhatWasReceived", receive: map[int]int{0: 4}, colour: Yellow, steps: []step{
			{"/purchaseorder/edit", `{"purchaseOrderId":%d,"purchaseOrderItems":[{"sku":"{0}","quantity":3}]}`, false, "is YELLOW"},
			{"/purchaseorder/edit", `{"purchaseOrderId":%d,"comment":"late","purchaseOrderItems":[{"sku":"{0}","quantity":4},{"sku":"{1}","quantity":5}]}`, true, ""},
		}, after: map[int][2]int{0: {4, 4}, 1: {5, 0}}},
		{name: "YellowDeleteIsPartial", receive: map[int]int{0: 4}, colour: Yellow, steps: []step{
			{"/purchaseorder/delete", `{"purchaseOrderId":%d}`, true, ""},
		}, after: map[int][2]int{0: {4, 4}}},
		{name: "YellowDeleteRefusesACompleteItem", receive: map[int]int{0: 10}, colour: Yellow, steps: []step{
			{"/purchaseorder/delete", `{"purchaseOrderId":%d,"purchaseOrderItems":[{"sku":"{0}"}]}`, false, "received completely"},
			{"/purchaseorder/delete", `{"purchaseOrderId":%d,"purchaseOrderItems":[{"sku":"{1}"}]}`, true, ""},
		}, after: map[int][2]int{0: {10, 10}}},
		{name: "GreenRefusesEverything", receive: map[int]int{0: 10, 1: 20}, colour: Green, steps: []step{
			{"/purchaseorder/edit", `{"purchaseOrderId":%d,"comment":"x"}`, false, "is GREEN"},
			{"/purchaseorder/delete", `{"purchaseOrderId":%d}`, false, "is GREEN"},
		}, after: map[int][2]int{0: {10, 10}, 1: {20, 20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.ManualReceipts = true })
			ps := h.sim.Products()
			skus := []string{ps[0].SKU, ps[1].SKU}
			v := h.ok(http.MethodPost, "/purchaseorder/add", map[string]any{
				"reference": "PO-" + tt.name, "comment": "spring", "expectedDate": "2026-03-10T08:00:00Z",
				"purchaseOrderItems": []map[string]any{{"sku": skus[0], "quantity": 10}, {"sku": skus[1], "quantity": 20}},
			})
			require.Equal(t, "PurchaseOrder added successfully.", v["message"])
			id := num(v["result"])
			require.Equal(t, Red, h.sim.PurchaseOrderColour(id))
			for i, n := range tt.receive {
				require.NoError(t, h.sim.Receive(id, skus[i], n))
			}
			require.Equal(t, tt.colour, h.sim.PurchaseOrderColour(id))
			for _, st := range tt.steps {
				body := strings.NewReplacer("{0}", skus[0], "{1}", skus[1]).Replace(fmt.Sprintf(st.body, id))
				if st.ok {
					h.ok(http.MethodPost, st.path, body)
				} else {
					require.Contains(t, h.nok(http.MethodPost, st.path, body), st.want)
				}
			}
			if tt.deleted {
				require.Empty(t, h.sim.PurchaseOrderColour(id))
				return
			}
			want := map[string][2]int{}
			for i, qr := range tt.after {
				want[skus[i]] = qr
			}
			require.Equal(t, want, h.sim.PurchaseOrderItems(id))
		})
	}
}

func TestPurchaseOrdersAreDeliveredAndLinkedToMutations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.sim.Products()[2]
	id := num(h.ok(http.MethodPost, "/purchaseorder/add", `{"Reference":"PO-77","PurchaseOrderItems":[{"Sku":"`+p.SKU+`","Quantity":50,"ExpectedDate":"2026-03-03"}]}`)["result"])
	require.Contains(t, h.nok(http.MethodPost, "/purchaseorder/add", `{"reference":"PO-77","purchaseOrderItems":[{"sku":"`+p.SKU+`","quantity":1}]}`), "already exists")
	h.sim.Advance(48 * time.Hour)
	require.Equal(t, Yellow, h.sim.PurchaseOrderColour(id), "the first delivery is partial")
	h.sim.Advance(72 * time.Hour)
	require.Equal(t, Green, h.sim.PurchaseOrderColour(id))
	total := int64(0)
	for _, m := range results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil)) {
		if num(m["type"]) == MutationReceipt && m["sku"] == p.SKU {
			links := m["purchaseOrders"].([]any)
			require.Len(t, links, 1)
			require.Equal(t, "PO-77", links[0].(map[string]any)["purchaseOrderReference"])
			total += num(m["quantity"])
		}
	}
	require.EqualValues(t, 50, total)
}

func TestReturnsAndTheirLabel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(2)
	h.placeOrder("RET-1", map[string]int{p.SKU: 2})
	h.sim.Advance(4 * time.Hour)
	found := results(h.ok(http.MethodPost, "/shipment/search", `{"ExternalOrderNumber":"RET-1"}`))
	require.Len(t, found, 1)
	shipmentID := num(found[0]["id"])
	item := found[0]["shipmentItems"].([]any)[0].(map[string]any)

	v := h.ok(http.MethodGet, fmt.Sprintf("/v2/returnlabel/get/%d", shipmentID), nil)
	requireShape(t, "return label", exampleValue(t, "return label answer"), v)
	label := v["result"].(map[string]any)
	require.Equal(t, "application/pdf", label["mimeType"])
	pdf, err := base64.StdEncoding.DecodeString(label["data"].(string))
	require.NoError(t, err)
	requireValidPDF(t, pdf)
	require.Contains(t, string(pdf), label["packageNumber"])
	require.Equal(t, "Return label not found.", h.nok(http.MethodGet, "/v2/returnlabel/get/1", nil))
	sm := h.sim.Settings().ReturnShippingMethods[1].ID
	v = h.ok(http.MethodGet, fmt.Sprintf("/v2/returnlabel/get/%d/%d", shipmentID, sm), nil)
	require.Equal(t, fmt.Sprint(sm), v["result"].(map[string]any)["shippingMethodId"])
	v = h.ok(http.MethodGet, fmt.Sprintf("/v2/returnlabel/get/%d?sm=%d", shipmentID, sm), nil)
	require.Equal(t, fmt.Sprint(sm), v["result"].(map[string]any)["shippingMethodId"])

	reason := h.sim.Settings().ReturnReasons[0]
	rma := map[string]any{"shipmentId": shipmentID, "remark": "too small", "externalReference": "R-1",
		"rmaItems": map[string]any{"shipmentItemId": item["shipmentItemId"], "quantity": 1, "returnReasonId": reason.ID,
			"metadata": map[string]any{"purchasePrice": "140.00", "reference": "#74571"}}}
	v = h.ok(http.MethodPost, "/v2/rma/add", rma)
	require.Equal(t, "RMA created.", v["message"])
	require.Positive(t, num(v["result"]))
	rma["rmaItems"] = []any{map[string]any{"shipmentItemId": item["shipmentItemId"], "quantity": 1, "returnReasonId": 1}}
	require.Contains(t, h.nok(http.MethodPost, "/v2/rma/add", rma), "Unknown returnReasonId (1)", "the document's production id")

	h.ok(http.MethodPost, "/v2/stockmutation/sync", map[string]any{"ids": mutationIDs(results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil)))})
	h.sim.Advance(80 * time.Hour)
	var returned []map[string]any
	for _, m := range results(h.ok(http.MethodGet, "/v2/stockmutation/get", nil)) {
		if num(m["type"]) == MutationReturn {
			returned = append(returned, m)
		}
	}
	require.Len(t, returned, 1)
	require.Equal(t, "RETURN", returned[0]["locationType"])
	require.Equal(t, reason.Name, returned[0]["returnReason"])
	require.Equal(t, "RET-1", returned[0]["externalOrderNumber"])
	requireShape(t, "stock mutations", exampleValue(t, "stock mutations answer"), h.ok(http.MethodGet, "/v2/stockmutation/get", nil))

	items := results(h.ok(http.MethodPost, "/v2/returnitem/get", `{"ExternalOrderNumber":"RET-1"}`))
	require.Len(t, items, 1)
	require.Equal(t, p.SKU, items[0]["sku"])
	require.EqualValues(t, reason.ID, num(items[0]["returnReasonId"]))
	require.Empty(t, results(h.ok(http.MethodPost, "/v2/returnitem/get", `{"Starttime":"2030-01-01T00:00:00Z"}`)))
}

func mutationIDs(ms []map[string]any) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, num(m["id"]))
	}
	return out
}

func TestReturnLabelPDFIsValid(t *testing.T) {
	t.Parallel()
	for _, pn := range []string{"3S123", "a(b)c\\d", "ünïcode"} {
		requireValidPDF(t, ReturnLabelPDF(pn, "#1020-TST-001"))
	}
}

// requireValidPDF checks the header, the trailer and that every offset of
// the cross-reference table points at its object.
func requireValidPDF(t *testing.T, pdf []byte) {
	t.Helper()
	s := string(pdf)
	require.True(t, strings.HasPrefix(s, "%PDF-1."))
	require.True(t, strings.HasSuffix(s, "%%EOF\n"))
	i := strings.LastIndex(s, "startxref\n")
	require.Positive(t, i)
	var xref int
	_, err := fmt.Sscanf(s[i+len("startxref\n"):], "%d", &xref)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s[xref:], "xref\n"))
	var first, count int
	_, err = fmt.Sscanf(s[xref+len("xref\n"):], "%d %d", &first, &count)
	require.NoError(t, err)
	entries := strings.Split(s[xref:], "\n")[2 : 2+count]
	for n, e := range entries[1:] {
		var off int
		_, err := fmt.Sscanf(e, "%010d", &off)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(s[off:], fmt.Sprintf("%d 0 obj", n+1)), "object %d at %d", n+1, off)
	}
}

func TestPascalCaseAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.PascalCase = true })
	code, v := h.call(http.MethodGet, "/status/get", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, map[string]any{"MessageCode": "OK", "Message": "Status is OK.", "Result": nil}, v)
	_, v = h.call(http.MethodGet, "/settings/get", nil)
	ms := v["Result"].(map[string]any)["MainShippingMethods"].([]any)[0].(map[string]any)
	require.Contains(t, ms, "ShippingMethods")
	require.Contains(t, ms["ShippingMethods"].([]any)[0], "Warehouse")
	h.sim.SetPascalCase(false)
	_, v = h.call(http.MethodGet, "/status/get", nil)
	require.Contains(t, v, "messageCode")
}

func TestMixedCaseAnswersShipmentsInCamelCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.MixedCase = true })
	_, v := h.call(http.MethodPost, "/order/add", h.orderBody("MIX-1", map[string]int{h.stocked(1).SKU: 1}))
	require.Equal(t, "OK", v["MessageCode"], "orders answer in PascalCase: %v", v)
	h.sim.Advance(4 * time.Hour)
	_, v = h.call(http.MethodGet, "/v2/shipment/get", nil)
	require.Equal(t, "OK", v["messageCode"], "shipments answer in camelCase: %v", v)
	require.Contains(t, results(v)[0], "shippedColli")
	_, v = h.call(http.MethodGet, "/stock/bulk/true", nil)
	require.Contains(t, v["Result"].([]any)[0], "PhysicalStock")
}

func TestPascalCaseKeepsOrderAndValues(t *testing.T) {
	t.Parallel()
	got, err := PascalCase([]byte(`{"messageCode":"OK","result":[{"id":1.50,"tht":null,"x":{"aB":true}}],"Already":"aé<"}`))
	require.NoError(t, err)
	require.Equal(t, `{"MessageCode":"OK","Result":[{"Id":1.50,"Tht":null,"X":{"AB":true}}],"Already":"aé<"}`, string(got))
	_, err = PascalCase([]byte(`{"a":1} {}`))
	require.Error(t, err)
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.sim.Inject("/v2/shipment/get", 0, "Something went wrong.", 1)
	require.Equal(t, "Something went wrong.", h.nok(http.MethodGet, "/v2/shipment/get", nil))
	h.ok(http.MethodGet, "/v2/shipment/get", nil)
	h.sim.Inject("*", http.StatusServiceUnavailable, "Service Unavailable", 2)
	for range 2 {
		code, _ := h.call(http.MethodGet, "/settings/get", nil)
		require.Equal(t, http.StatusServiceUnavailable, code)
	}
	h.ok(http.MethodGet, "/settings/get", nil)
	h.sim.Inject("/settings/get", http.StatusInternalServerError, "An error has occurred.", -1)
	for range 3 {
		code, _ := h.call(http.MethodGet, "/settings/get", nil)
		require.Equal(t, http.StatusInternalServerError, code)
	}
	h.sim.Inject("/settings/get", 0, "", 0)
	h.ok(http.MethodGet, "/settings/get", nil)
}

func TestRouting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.ok(http.MethodGet, "/settings/get/", nil)
	h.ok(http.MethodGet, "/Settings/Get", nil)
	code, v := h.call(http.MethodGet, "/v3/orders", nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, v["Message"], "No HTTP resource")
	code, _ = h.call(http.MethodPut, "/product/edit", `{}`)
	require.Equal(t, http.StatusMethodNotAllowed, code)
	counts := h.sim.RequestsByPath()
	require.Equal(t, 2, counts["/settings/get"])
	require.Equal(t, 1, counts["/token"])
	require.Equal(t, 1, h.sim.Requests("/v3/orders"))

	for _, p := range Paths() {
		require.NotEmpty(t, p.Source, p.Pattern)
		require.Contains(t, []string{"GET", "POST"}, p.Method)
		ops, _ := match(p.Pattern)
		require.NotEmpty(t, ops, p.Pattern)
	}
}

func TestFormBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.stocked(1)
	st := h.sim.Settings()
	form := fmt.Sprintf("ExternalOrderNumber=FORM-1&PaymentMethodId=1&LanguageId=%d&OrderTypeId=%d&DeliveryAddressLastName=Bos"+
		"&DeliveryAddressStreet=Meir&DeliveryAddressHouseNumber=4&DeliveryAddressPostalCode=2000&DeliveryAddressCountryIso=BE"+
		"&OrderItems[0][Sku]=%s&OrderItems[0][Quantity]=1&OrderItems[0][Price]=12.50", st.Languages[0].ID, st.OrderTypes[0].ID, p.SKU)
	code, body := h.raw(http.MethodPost, "/order/add", "application/x-www-form-urlencoded", form, true)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Contains(t, string(body), `"messageCode":"OK"`)
	require.Equal(t, 1, h.sim.OrderCount("FORM-1"))
	code, body = h.raw(http.MethodPost, "/order/search", "application/x-www-form-urlencoded", "ExternalOrderNumber=FORM-1", true)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), `"externalOrderNumber":"FORM-1"`)
}

func TestSeedMakesTheWorldReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed int64) []Product {
		h := newHarness(t, func(c *Config) { c.Seed = seed; c.ShopOrders = 5 })
		h.sim.Advance(10 * time.Hour)
		return h.sim.Products()
	}
	require.Equal(t, run(3), run(3))
	require.NotEqual(t, run(3), run(4))
}

func TestShopOrdersShipToo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ShopOrders = 4; c.ShopOrderEvery = time.Hour })
	h.sim.Advance(12 * time.Hour)
	total, fromShop := h.sim.Orders()
	require.Equal(t, total, fromShop)
	require.Greater(t, total, 10)
	require.NotEmpty(t, results(h.ok(http.MethodGet, "/v2/shipment/get", nil)), "shipments of orders placed outside shiphub")
	st := h.sim.Stats()
	require.Equal(t, total, st.Orders)
	require.Equal(t, fromShop, st.ShopOrders)
	require.Positive(t, st.Shipments)
	require.Zero(t, st.ShipmentsSynced)
	require.Equal(t, 1, st.TokensIssued)
	require.Equal(t, 2, st.Requests, "the token and the get")
}

func TestWarehouseClockRunsAtSpeed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Speed = 3600 })
	start := h.sim.Now()
	h.clock.Add(time.Second)
	require.Equal(t, time.Hour, h.sim.Now().Sub(start))
	h.sim.Advance(time.Hour)
	require.Equal(t, 2*time.Hour, h.sim.Now().Sub(start))
}

func TestStartServesOverHTTP(t *testing.T) {
	t.Parallel()
	sim, err := New(Config{Username: testUser, Password: testPassword})
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	resp, err := http.Get(base + "/status/get")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), "NS requires application/json")
}

func TestEachShippingMethodShipsWithItsCarrier(t *testing.T) {
	t.Parallel()
	tests := []struct{ code, urlPrefix string }{
		{"BUSEU1", "https://jouw.postnl.nl/track-and-trace/"},
		{"POSTNL_NL", "https://jouw.postnl.nl/track-and-trace/"},
		{"BELBE_BP", "https://track.bpost.cloud/"},
		{"MAXAT_BPSC", "https://tracking.dpd.de/"},
		{"DHL_DE", "https://www.dhl.com/"},
		{"AA_CS", "https://maya.activeants.nl/"},
	}
	h := newHarness(t, nil)
	for _, tt := range tests {
		m, ok := h.sim.w.mainByCode(tt.code)
		require.True(t, ok, tt.code)
		b := h.orderBody("CARRIER-"+tt.code, map[string]int{h.stocked(1).SKU: 1})
		b["shippingMethodId"] = m.ShippingMethods[0].ID
		h.ok(http.MethodPost, "/order/add", b)
	}
	h.sim.Advance(4 * time.Hour)
	byExt := map[string]Shipment{}
	for _, s := range h.sim.Shipments() {
		byExt[s.ExternalOrderNumber] = s
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			s := byExt["CARRIER-"+tt.code]
			require.Len(t, s.TrackTraceURLs, 1)
			require.True(t, strings.HasPrefix(s.TrackTraceURLs[0], tt.urlPrefix), s.TrackTraceURLs[0])
			require.Contains(t, s.TrackTraceURLs[0], s.PackageNumbers[0])
		})
	}
}

func TestTrackTraceStatusTable(t *testing.T) {
	t.Parallel()
	var terminal []int
	for _, s := range TrackTraceStatuses() {
		require.NotEmpty(t, s.Name)
		require.NotEqual(t, "unknown", statusInfo(s.Number).Name)
		if s.Terminal {
			terminal = append(terminal, s.Number)
		}
	}
	require.Equal(t, []int{StatusDelivered, StatusAtPickUpPoint, StatusReturned}, terminal)
	require.Equal(t, "unknown", statusInfo(42).Name)
	for _, n := range []int{3, 4, 7, 19} {
		require.NotEqual(t, "unknown", statusInfo(n).Name, "the document's numbers %d are in the table", n)
	}
	require.Equal(t, []string{"success", "warning", "error", ""}, []string{levelName(LevelSuccess), levelName(LevelWarning), levelName(LevelError), levelName(9)})
}

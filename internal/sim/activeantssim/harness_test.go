package activeantssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	testUser     = "shopapi-user"
	testPassword = "your-secret-is-safe"
)

// fakeClock is the real clock of a test: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness drives one simulator through ServeHTTP.
type harness struct {
	t     testing.TB
	sim   *Sim
	clock *fakeClock
	token string
	// lastPO is the purchase order a test made last.
	lastPO int64
}

var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, amsterdam)

// newHarness builds a simulator whose warehouse clock stands still (only
// Advance moves it), logged in.
func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg := Config{Username: testUser, Password: testPassword, Now: clk.Now, Start: testStart, Speed: -1, Seed: 7}
	if mod != nil {
		mod(&cfg)
	}
	sim, err := New(cfg)
	require.NoError(t, err)
	h := &harness{t: t, sim: sim, clock: clk}
	h.login()
	return h
}

func (h *harness) login() {
	h.t.Helper()
	code, body := h.raw(http.MethodPost, "/token", "application/x-www-form-urlencoded",
		"grant_type=password&username="+url.QueryEscape(testUser)+"&password="+url.QueryEscape(testPassword), false)
	require.Equal(h.t, http.StatusOK, code, "%s", body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(h.t, json.Unmarshal(body, &tok))
	require.NotEmpty(h.t, tok.AccessToken)
	h.token = tok.AccessToken
}

func (h *harness) raw(method, path, contentType, body string, auth bool) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth && h.token != "" {
		req.Header.Set("Authorization", "bearer "+h.token)
	}
	rec := httptest.NewRecorder()
	h.sim.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// call sends body (a string is sent as is, anything else as JSON) with the
// token and decodes the answer.
func (h *harness) call(method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var s string
	switch b := body.(type) {
	case nil:
	case string:
		s = b
	case []byte:
		s = string(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(h.t, err)
		s = string(j)
	}
	ct := ""
	if s != "" {
		ct = "application/json"
	}
	code, raw := h.raw(method, path, ct, s, true)
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(h.t, dec.Decode(&v), "%s %s answered %d %q", method, path, code, raw)
	return code, v
}

// ok calls and requires HTTP 200 (or 201) with messageCode OK.
func (h *harness) ok(method, path string, body any) map[string]any {
	h.t.Helper()
	code, v := h.call(method, path, body)
	require.Contains(h.t, []int{200, 201}, code, "%s %s: %v", method, path, v)
	require.Equal(h.t, "OK", v["messageCode"], "%s %s: %v", method, path, v)
	return v
}

// nok calls and requires HTTP 200 with messageCode NOK; it returns the
// message.
func (h *harness) nok(method, path string, body any) string {
	h.t.Helper()
	code, v := h.call(method, path, body)
	require.Equal(h.t, http.StatusOK, code, "%v", v)
	require.Equal(h.t, "NOK", v["messageCode"], "%s %s: %v", method, path, v)
	return v["message"].(string)
}

func results(v map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range v["result"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func num(v any) int64 {
	n, err := v.(json.Number).Int64()
	if err != nil {
		panic(fmt.Sprintf("%v is not an integer", v))
	}
	return n
}

// stocked is a product with at least n in stock.
func (h *harness) stocked(n int) Product {
	h.t.Helper()
	for _, p := range h.sim.Products() {
		if p.Physical-p.Ordered >= n && !p.HasSerial {
			return p
		}
	}
	h.t.Fatalf("no product with %d in stock", n)
	return Product{}
}

// orderBody is a valid order for ext with the simulator's settings' ids.
func (h *harness) orderBody(ext string, items map[string]int) map[string]any {
	st := h.sim.Settings()
	var lines []map[string]any
	for sku, q := range items {
		lines = append(lines, map[string]any{"sku": sku, "quantity": q, "name": "Item " + sku, "price": 9.95, "vat": 21})
	}
	return map[string]any{
		"externalOrderNumber": ext, "paymentMethodId": 1, "shippingMethodId": st.ShippingMethods[0].ID,
		"languageId": st.Languages[0].ID, "orderTypeId": st.OrderTypes[0].ID, "email": "sanne@example.nl",
		"deliveryAddressFirstName": "Sanne", "deliveryAddressLastName": "Jansen", "deliveryAddressStreet": "Kerkstraat",
		"deliveryAddressHouseNumber": 12, "deliveryAddressPostalCode": "1017 GC", "DeliveryAddressCityName": "Amsterdam",
		"deliveryAddressCountryIso": "NL", "orderItems": lines,
	}
}

func (h *harness) placeOrder(ext string, items map[string]int) int64 {
	h.t.Helper()
	v := h.ok(http.MethodPost, "/order/add", h.orderBody(ext, items))
	return num(v["result"])
}

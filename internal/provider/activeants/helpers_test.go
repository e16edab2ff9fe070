package activeants_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var markers = regexp.MustCompile(`(?m)^- `)

// unrender turns an example as the captured document shows it (ReDoc's
// rendering puts "- " before every key and array item) back into the
// JSON it renders. The fixtures in testdata/doc are the document's text,
// verbatim; this is the only change the tests make to them.
func unrender(s string) string {
	s = markers.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "{- ", "{")
	return strings.ReplaceAll(s, ", - ", ", ")
}

// doc reads a fixture of testdata/doc as JSON.
func doc(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "doc", name))
	require.NoError(t, err)
	return []byte(unrender(string(b)))
}

// docItems reads a fixture's result items.
func docItems(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	var env struct {
		Result []json.RawMessage `json:"result"`
	}
	b := doc(t, name)
	// The shipment example's cut field leaves a trailing comma, which
	// encoding/json refuses; the connector drops it, and so does this.
	b = []byte(regexp.MustCompile(`,\s*([}\]])`).ReplaceAllString(string(b), "$1"))
	require.NoError(t, json.Unmarshal(b, &env))
	return env.Result
}

// clock is a settable clock shared by the fake ShopApi and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const (
	testUser     = "shopapi-user"
	testPassword = "your-secret-is-safe"
)

// shopAPI is a fake ShopApi built from the document's examples: a token
// endpoint that issues tokens expiring on the shared clock, and the pull
// endpoints with their unsynced and mark-synced semantics. It is not the
// simulator (internal/sim/activeantssim), which another engineer writes
// from the document on its own.
type shopAPI struct {
	t     testing.TB
	clock *clock
	srv   *httptest.Server

	mu        sync.Mutex
	expiresIn int
	tokens    map[string]time.Time // token → expiry
	issued    int
	password  string
	// revoke, when set, makes the next authorised request a 401 and
	// forgets every token (an expiry in the middle of a sync).
	revoke bool
	// calls counts requests by "METHOD path".
	calls map[string]int
	// bodies keeps the request bodies by "METHOD path", in order.
	bodies map[string][]string
	// override, when set for "METHOD path", answers instead of the route.
	override map[string]func(w http.ResponseWriter, r *http.Request)

	shipments     []json.RawMessage
	mutations     []json.RawMessage
	synced        map[string]map[int64]bool // list → synced ids
	stockAll      []byte
	stockChanges  []byte
	trackTrace    []byte
	settingsReply []byte
}

func newShopAPI(t testing.TB, clk *clock) *shopAPI {
	a := &shopAPI{
		t: t, clock: clk, expiresIn: 56499, tokens: map[string]time.Time{}, password: testPassword,
		calls: map[string]int{}, bodies: map[string][]string{}, override: map[string]func(http.ResponseWriter, *http.Request){},
		synced: map[string]map[int64]bool{"shipment": {}, "stockmutation": {}},
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *shopAPI) URL() string { return a.srv.URL }

func (a *shopAPI) count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[key]
}

func (a *shopAPI) requestBodies(key string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.bodies[key]...)
}

func (a *shopAPI) set(fn func(a *shopAPI)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a)
}

func (a *shopAPI) isSynced(list string, id int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.synced[list][id]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	switch b := v.(type) {
	case []byte:
		_, _ = w.Write(b)
	default:
		_ = json.NewEncoder(w).Encode(v)
	}
}

func envelope(code, message string, result any) map[string]any {
	return map[string]any{"messageCode": code, "message": message, "result": result}
}

func (a *shopAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	a.mu.Lock()
	a.calls[key]++
	a.bodies[key] = append(a.bodies[key], string(body))
	ov := a.override[key]
	a.mu.Unlock()
	if key == "POST /token" {
		a.token(w, r, body)
		return
	}
	if key != "GET /status/get" && !a.authorised(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
		return
	}
	if ov != nil {
		ov(w, r)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case key == "GET /status/get":
		writeJSON(w, 200, envelope("OK", "Status is OK.", nil))
	case key == "GET /settings/get":
		writeJSON(w, 200, a.settingsReply)
	case key == "GET /v2/shipment/get":
		writeJSON(w, 200, envelope("OK", "found", a.unsynced("shipment", a.shipments)))
	case key == "GET /v2/stockmutation/get":
		writeJSON(w, 200, envelope("OK", "found", a.unsynced("stockmutation", a.mutations)))
	case key == "POST /v2/shipment/sync", key == "POST /v2/stockmutation/sync":
		var req struct {
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, 400, envelope("NOK", "bad body", nil))
			return
		}
		list := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/sync")
		for _, id := range req.IDs {
			a.synced[list][id] = true
		}
		writeJSON(w, 200, envelope("OK", "Request processed successfully.", nil))
	case key == "GET /stock/bulk/true":
		writeJSON(w, 200, a.stockAll)
	case key == "GET /stock/bulk/false":
		writeJSON(w, 200, a.stockChanges)
	case key == "GET /v2/tracktrace/get":
		writeJSON(w, 200, a.trackTrace)
	default:
		writeJSON(w, 404, map[string]string{"message": "No HTTP resource was found that matches the request URI."})
	}
}

// unsynced lists the items of a list not yet marked synced, at most 100.
func (a *shopAPI) unsynced(list string, items []json.RawMessage) []json.RawMessage {
	out := []json.RawMessage{}
	for _, raw := range items {
		var v struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(raw, &v)
		if !a.synced[list][v.ID] && len(out) < 100 {
			out = append(out, raw)
		}
	}
	return out
}

func (a *shopAPI) token(w http.ResponseWriter, r *http.Request, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	form, err := parseForm(body)
	if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || form["grant_type"] != "password" {
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if form["username"] != testUser || form["password"] != a.password {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "The user name or password is incorrect."})
		return
	}
	a.issued++
	tok := fmt.Sprintf("token-%d-WW91IGNvdWxkIG5vdCByZXNpc3Q", a.issued)
	now := a.clock.Now()
	a.tokens[tok] = now.Add(time.Duration(a.expiresIn) * time.Second)
	writeJSON(w, 200, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": a.expiresIn, "userName": testUser,
		"issued": now.Format(http.TimeFormat), "expires": a.tokens[tok].Format(http.TimeFormat),
	})
}

func (a *shopAPI) authorised(r *http.Request) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.revoke {
		a.revoke = false
		a.tokens = map[string]time.Time{}
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := a.tokens[tok]
	return ok && known && a.clock.Now().Before(exp)
}

func parseForm(body []byte) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(string(body), "&") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		if out[k], err = url.QueryUnescape(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

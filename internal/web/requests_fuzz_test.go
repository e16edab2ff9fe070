package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// FuzzDashboardRequests sends signed-in requests with arbitrary paths,
// query strings and form bodies to the dashboard: every page's parsing of
// filters, ids, dates, cursors and form fields must answer with a page or
// a 4xx, never a 500 or a panic, and a form's redirect must stay on the
// dashboard.
func FuzzDashboardRequests(f *testing.F) {
	for _, seed := range []struct{ method, path, query, form string }{
		{"GET", "/ui/", "", ""},
		{"GET", "/ui/shipments", "q=ABC&status=in_transit&provider=courier&connection=c&from=2026-01-01&to=2026-02-30&before=12", ""},
		{"GET", "/ui/shipments", "before=-1&before_at=x&from=9999-99-99", ""},
		{"GET", "/ui/shipments/1", "", ""},
		{"GET", "/ui/shipments/1/raw/2", "", ""},
		{"GET", "/ui/shipments/abc", "", ""},
		{"GET", "/ui/orders", "status=nope&before=1e9", ""},
		{"GET", "/ui/orders/99999999999999999999", "", ""},
		{"GET", "/ui/stock", "sku=%00&warehouse=w", ""},
		{"GET", "/ui/stock/a%2Fb", "before=3", ""},
		{"GET", "/ui/inbound/1", "fragment=body", ""},
		{"GET", "/ui/returns/1/label", "", ""},
		{"GET", "/ui/deliveries", "status=dead&endpoint=x&watch=1", ""},
		{"GET", "/ui/commands", "status=all&connection=c&before=0", ""},
		{"GET", "/ui/connections", "connection=c&before=abc", ""},
		{"GET", "/ui/insights", "", ""},
		{"GET", "/ui/", "fragment=counts", ""},
		{"POST", "/ui/lang", "", "lang=fr&back=/ui/shipments"},
		{"POST", "/ui/lang", "", "lang=xx&back=https://evil.example/"},
		{"POST", "/ui/deliveries/1/retry", "", "back=//evil.example"},
		{"POST", "/ui/endpoints/1/recover", "", "since=2026-13-45T99:99"},
		{"POST", "/ui/commands/1/retry", "", "back=/ui/commands?status=all"},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.form)
	}
	st := sqlite.OpenTest(f)
	ui, err := New(Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: "fuzz-key"}}})
	if err != nil {
		f.Fatal(err)
	}
	h := ui.Handler()
	// Sign in once and read the session's CSRF token from a page.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/ui/signin", strings.NewReader(url.Values{"key": {"fuzz-key"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
		f.Fatalf("signing in: %d", rec.Code)
	}
	cookie := rec.Result().Cookies()[0]
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "/ui/", nil)
	req.AddCookie(cookie)
	h.ServeHTTP(rec, req)
	m := csrfField.FindStringSubmatch(rec.Body.String())
	if m == nil {
		f.Fatalf("no CSRF token on the overview (%d)", rec.Code)
	}
	csrf := m[1]

	f.Fuzz(func(t *testing.T, method, path, query, form string) {
		if method != http.MethodPost {
			method = http.MethodGet
		}
		u := &url.URL{Path: "/ui/" + strings.TrimPrefix(path, "/ui/"), RawQuery: query}
		if strings.HasPrefix(u.Path, "/ui/live") || strings.HasPrefix(u.Path, "/ui/signout") {
			return // a stream that does not end, and the end of the session
		}
		var body *strings.Reader
		if method == http.MethodPost {
			body = strings.NewReader(form + "&csrf=" + url.QueryEscape(csrf))
		} else {
			body = strings.NewReader("")
		}
		req, err := http.NewRequest(method, u.String(), body)
		if err != nil {
			return
		}
		req.RemoteAddr = "192.0.2.1:1234"
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d\n%s", method, u, rec.Code, rec.Body.String())
		}
		if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "/ui/") {
			t.Fatalf("%s %s redirects off the dashboard to %q", method, u, loc)
		}
	})
}

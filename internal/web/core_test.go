package web_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

const (
	coreAcmeKey   = "acme_key_0123456789abcdef"
	coreGlobexKey = "globex_key_0123456789abcdef"
)

// coreClock is a settable clock for Config.Now.
type coreClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *coreClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *coreClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// coreUI builds a dashboard on a fresh SQLite store with two workspaces.
func coreUI(t *testing.T, st store.Store, mod func(*web.Config)) *web.UI {
	t.Helper()
	if st == nil {
		st = sqlite.OpenTest(t)
	}
	cfg := web.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: coreAcmeKey}, {Workspace: "globex", Secret: coreGlobexKey}}}
	if mod != nil {
		mod(&cfg)
	}
	ui, err := web.New(cfg)
	require.NoError(t, err)
	return ui
}

// coreDo runs one request against the handler.
func coreDo(ui *web.UI, method, target string, form url.Values, mod func(*http.Request)) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	ui.Handler().ServeHTTP(w, r)
	return w
}

// coreSession is a signed-in browser: its cookie and its CSRF token.
type coreSession struct {
	cookie *http.Cookie
	csrf   string
}

func (s coreSession) add(r *http.Request) { r.AddCookie(s.cookie) }

// coreSignIn signs in with key and reads the session's CSRF token off a page.
func coreSignIn(t *testing.T, ui *web.UI, key string) coreSession {
	t.Helper()
	w := coreDo(ui, http.MethodPost, "/ui/signin", url.Values{"key": {key}}, func(r *http.Request) { r.RemoteAddr = "198.51.100.1:4000" })
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	var c *http.Cookie
	for _, ck := range w.Result().Cookies() {
		if ck.Name == "shiphub_session" {
			c = ck
		}
	}
	require.NotNil(t, c, "the sign-in sets the session cookie")
	s := coreSession{cookie: c}
	page := coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add)
	i := strings.Index(page.Body.String(), `name="csrf" value="`)
	require.Positive(t, i, page.Body.String())
	rest := page.Body.String()[i+len(`name="csrf" value="`):]
	s.csrf = rest[:strings.IndexByte(rest, '"')]
	require.NotEmpty(t, s.csrf)
	return s
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		key        string
		header     map[string]string
		tls        bool
		wantStatus int
		wantSecure bool
	}{
		{name: "AGoodKeyOpensASessionWithAStrictHttpOnlyCookie", key: coreAcmeKey, wantStatus: http.StatusSeeOther},
		{name: "BehindATLSProxyTheCookieIsSecure", key: coreAcmeKey, header: map[string]string{"X-Forwarded-Proto": "https"}, wantStatus: http.StatusSeeOther, wantSecure: true},
		{name: "OverTLSTheCookieIsSecure", key: coreAcmeKey, tls: true, wantStatus: http.StatusSeeOther, wantSecure: true},
		{name: "ASameOriginFormIsAccepted", key: coreAcmeKey, header: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, wantStatus: http.StatusSeeOther},
		{name: "ABadKeyIsRefusedWithoutACookie", key: "nope", wantStatus: http.StatusUnauthorized},
		{name: "AnEmptyKeyIsRefused", key: "", wantStatus: http.StatusUnauthorized},
		{name: "ACrossSitePostIsRefusedAsALoginCSRF", key: coreAcmeKey, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, wantStatus: http.StatusForbidden},
		{name: "AnotherOriginIsRefused", key: coreAcmeKey, header: map[string]string{"Origin": "https://evil.example"}, wantStatus: http.StatusForbidden},
	}
	ui := coreUI(t, nil, nil)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := coreDo(ui, http.MethodPost, "/ui/signin", url.Values{"key": {c.key}}, func(r *http.Request) {
				r.RemoteAddr = "192.0.2." + strconv.Itoa(i+1) + ":1234"
				for k, v := range c.header {
					r.Header.Set(k, v)
				}
				if c.tls {
					r.TLS = &tls.ConnectionState{}
				}
			})
			require.Equal(t, c.wantStatus, w.Code, w.Body.String())
			cookies := w.Result().Cookies()
			if c.wantStatus != http.StatusSeeOther {
				require.Empty(t, cookies, "no cookie without a sign-in")
				require.Contains(t, w.Body.String(), `class="error-message"`)
				require.NotContains(t, w.Body.String(), coreAcmeKey, "the key is never echoed")
				return
			}
			require.Equal(t, "/ui/", w.Header().Get("Location"))
			require.Len(t, cookies, 1)
			ck := cookies[0]
			require.Equal(t, "shiphub_session", ck.Name)
			require.True(t, ck.HttpOnly)
			require.Equal(t, http.SameSiteStrictMode, ck.SameSite)
			require.Equal(t, "/ui/", ck.Path)
			require.Equal(t, c.wantSecure, ck.Secure)
			require.GreaterOrEqual(t, len(ck.Value), 40, "the token is long and random")
		})
	}
}

func TestSessionsSeeOnlyTheirWorkspaceAndSurviveARestart(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	ui := coreUI(t, st, nil)
	acme, globex := coreSignIn(t, ui, coreAcmeKey), coreSignIn(t, ui, coreGlobexKey)
	require.NotEqual(t, acme.cookie.Value, globex.cookie.Value)
	require.NotEqual(t, acme.csrf, globex.csrf, "each session has its own CSRF token")

	for _, c := range []struct {
		s    coreSession
		ws   string
		not  string
		name string
	}{{acme, "acme", "globex", "acme"}, {globex, "globex", "acme", "globex"}} {
		page := coreDo(ui, http.MethodGet, "/ui/nowhere", nil, c.s.add).Body.String()
		require.Contains(t, page, `</span>`+c.ws+`</span>`, "%s's pages name its workspace", c.name)
		require.NotContains(t, page, `</span>`+c.not+`</span>`)
	}

	// A new dashboard on the same database (a restart, or another
	// instance) knows the session.
	again := coreUI(t, st, nil)
	w := coreDo(again, http.MethodGet, "/ui/nowhere", nil, acme.add)
	require.Equal(t, http.StatusNotFound, w.Code, "signed in: the page is a 404, not a redirect to the sign-in")
	require.Contains(t, w.Body.String(), `</span>acme</span>`)

	// A forged or unknown cookie is no session.
	w = coreDo(ui, http.MethodGet, "/ui/nowhere", nil, func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "shiphub_session", Value: "forged"})
	})
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/ui/signin", w.Header().Get("Location"))
}

func TestASessionExpiresAfterItsLifetime(t *testing.T) {
	t.Parallel()
	clock := &coreClock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	st := sqlite.OpenTest(t)
	ui := coreUI(t, st, func(c *web.Config) { c.Now = clock.Now; c.SessionLifetime = time.Hour })
	s := coreSignIn(t, ui, coreAcmeKey)
	require.WithinDuration(t, clock.Now().Add(time.Hour), s.cookie.Expires, time.Second, "the cookie ends with the session")

	clock.Add(59 * time.Minute)
	require.Equal(t, http.StatusNotFound, coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add).Code, "still signed in before the end")
	clock.Add(time.Minute)
	w := coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add)
	require.Equal(t, http.StatusSeeOther, w.Code, "signed out at the end of the lifetime")
	require.Equal(t, "/ui/signin", w.Header().Get("Location"))
	w = coreDo(ui, http.MethodPost, "/ui/lang", url.Values{"lang": {"nl"}, "csrf": {s.csrf}}, s.add)
	require.Equal(t, http.StatusUnauthorized, w.Code, "an expired session posts nothing")

	n, err := st.PruneSessions(context.Background(), clock.Now().Add(-2*time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "the expired session's row was deleted when it was last seen")
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	t.Parallel()
	ui := coreUI(t, nil, nil)
	s := coreSignIn(t, ui, coreAcmeKey)
	w := coreDo(ui, http.MethodPost, "/ui/signout", url.Values{"csrf": {s.csrf}}, s.add)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/ui/signin", w.Header().Get("Location"))
	cleared := w.Result().Cookies()
	require.Len(t, cleared, 1)
	require.Equal(t, "", cleared[0].Value)
	require.Negative(t, cleared[0].MaxAge)

	// The old cookie, replayed, opens nothing.
	w = coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/ui/signin", w.Header().Get("Location"))
}

func TestFormPostsNeedTheSessionsCSRFToken(t *testing.T) {
	t.Parallel()
	ui := coreUI(t, nil, nil)
	s := coreSignIn(t, ui, coreAcmeKey)
	other := coreSignIn(t, ui, coreGlobexKey)
	cases := []struct {
		name string
		form url.Values
		hdr  string
		want int
	}{
		{"WithoutATokenItIsRefused", url.Values{"lang": {"nl"}}, "", http.StatusForbidden},
		{"WithAWrongTokenItIsRefused", url.Values{"lang": {"nl"}, "csrf": {"wrong"}}, "", http.StatusForbidden},
		{"WithAnotherSessionsTokenItIsRefused", url.Values{"lang": {"nl"}, "csrf": {other.csrf}}, "", http.StatusForbidden},
		{"WithTheFormFieldItIsAccepted", url.Values{"lang": {"nl"}, "csrf": {s.csrf}}, "", http.StatusSeeOther},
		{"WithTheHtmxHeaderItIsAccepted", url.Values{"lang": {"fr"}}, s.csrf, http.StatusSeeOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := coreDo(ui, http.MethodPost, "/ui/lang", c.form, func(r *http.Request) {
				s.add(r)
				if c.hdr != "" {
					r.Header.Set("X-CSRF-Token", c.hdr)
				}
			})
			require.Equal(t, c.want, w.Code, w.Body.String())
			if c.want == http.StatusForbidden {
				require.Contains(t, w.Body.String(), `class="error-message"`)
			}
		})
	}
	// Signing out is a form post too.
	require.Equal(t, http.StatusForbidden, coreDo(ui, http.MethodPost, "/ui/signout", url.Values{}, s.add).Code)
}

func TestSignInAttemptsAreRateLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	const limit = 3
	ui := coreUI(t, nil, func(c *web.Config) { c.SignInPerMinute = limit })
	attempt := func(addr, key string) *httptest.ResponseRecorder {
		return coreDo(ui, http.MethodPost, "/ui/signin", url.Values{"key": {key}}, func(r *http.Request) { r.RemoteAddr = addr })
	}
	// The budget counts in fixed minutes: a run that straddles a minute's
	// end starts over with a new address.
	for try := 0; ; try++ {
		require.Less(t, try, 3, "never saw the limit hold within one minute")
		addr := "203.0.113." + strconv.Itoa(try+1) + ":5555"
		codes := []int{attempt(addr, coreAcmeKey).Code} // a success counts too
		for i := 1; i < limit; i++ {
			codes = append(codes, attempt(addr, "wrong").Code)
		}
		over := attempt(addr, coreAcmeKey)
		if over.Code != http.StatusTooManyRequests {
			continue
		}
		require.Equal(t, []int{http.StatusSeeOther, http.StatusUnauthorized, http.StatusUnauthorized}, codes)
		secs, err := strconv.Atoi(over.Header().Get("Retry-After"))
		require.NoError(t, err, "a 429 says when to come back")
		require.True(t, secs >= 1 && secs <= 60, "Retry-After %d", secs)
		require.Contains(t, over.Body.String(), `class="error-message"`)
		require.Empty(t, over.Result().Cookies(), "over the limit even a good key opens nothing")
		// Another address has its own budget; a proxy header changes nothing.
		require.Equal(t, http.StatusSeeOther, attempt("203.0.113.200:5555", coreAcmeKey).Code)
		spoof := coreDo(ui, http.MethodPost, "/ui/signin", url.Values{"key": {coreAcmeKey}}, func(r *http.Request) {
			r.RemoteAddr = addr
			r.Header.Set("X-Forwarded-For", "198.51.100.77")
		})
		if spoof.Code != http.StatusTooManyRequests {
			continue
		}
		return
	}
}

func TestDemoSignsInWithOneClick(t *testing.T) {
	t.Parallel()
	t.Run("WithADemoKeyTheButtonSignsIn", func(t *testing.T) {
		t.Parallel()
		ui := coreUI(t, nil, func(c *web.Config) { c.DemoKey = coreGlobexKey })
		page := coreDo(ui, http.MethodGet, "/ui/signin", nil, nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.Body.String(), `id="demo-signin"`)
		require.Contains(t, page.Body.String(), `action="/ui/signin/demo"`)
		require.NotContains(t, page.Body.String(), coreGlobexKey, "the demo key is never in the page")
		w := coreDo(ui, http.MethodPost, "/ui/signin/demo", url.Values{}, nil)
		require.Equal(t, http.StatusSeeOther, w.Code)
		require.Equal(t, "/ui/", w.Header().Get("Location"))
		require.Len(t, w.Result().Cookies(), 1)
		s := coreSession{cookie: w.Result().Cookies()[0]}
		require.Contains(t, coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add).Body.String(), `</span>globex</span>`)
		cross := coreDo(ui, http.MethodPost, "/ui/signin/demo", url.Values{}, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") })
		require.Equal(t, http.StatusForbidden, cross.Code, "the demo button is login-CSRF-safe too")
	})
	t.Run("WithoutADemoKeyThereIsNoButton", func(t *testing.T) {
		t.Parallel()
		ui := coreUI(t, nil, nil)
		page := coreDo(ui, http.MethodGet, "/ui/signin", nil, nil)
		require.Contains(t, page.Body.String(), `id="signin"`)
		require.NotContains(t, page.Body.String(), `id="demo-signin"`)
		require.Equal(t, http.StatusNotFound, coreDo(ui, http.MethodPost, "/ui/signin/demo", url.Values{}, nil).Code)
	})
}

func TestLanguageIsTheSessionsAndGoesBackOnlyWithinTheDashboard(t *testing.T) {
	t.Parallel()
	ui := coreUI(t, nil, nil)
	s := coreSignIn(t, ui, coreAcmeKey)
	cases := []struct {
		name, lang, back string
		want             int
		location         string
	}{
		{"DutchGoesBackToThePage", "nl", "/ui/shipments?q=ABC&status=delivered", http.StatusSeeOther, "/ui/shipments?q=ABC&status=delivered"},
		{"FrenchWithoutBackGoesToTheOverview", "fr", "", http.StatusSeeOther, "/ui/"},
		{"AnotherSiteIsNotABackPath", "en", "https://evil.example/ui/", http.StatusSeeOther, "/ui/"},
		{"AProtocolRelativeURLIsNotABackPath", "en", "//evil.example/ui/", http.StatusSeeOther, "/ui/"},
		{"APathOutsideTheDashboardIsNotABackPath", "en", "/api/v1/shipments", http.StatusSeeOther, "/ui/"},
		{"ABackslashTrickIsNotABackPath", "en", "/ui/\\evil.example", http.StatusSeeOther, "/ui/"},
		{"AnUnknownLanguageIsABadRequest", "de", "/ui/", http.StatusBadRequest, ""},
		{"NoLanguageIsABadRequest", "", "/ui/", http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		w := coreDo(ui, http.MethodPost, "/ui/lang", url.Values{"lang": {c.lang}, "back": {c.back}, "csrf": {s.csrf}}, s.add)
		require.Equal(t, c.want, w.Code, c.name)
		require.Equal(t, c.location, w.Header().Get("Location"), c.name)
	}
	w := coreDo(ui, http.MethodPost, "/ui/lang", url.Values{"lang": {"nl"}, "csrf": {s.csrf}}, s.add)
	require.Equal(t, http.StatusSeeOther, w.Code)
	page := coreDo(ui, http.MethodGet, "/ui/nowhere", nil, s.add).Body.String()
	require.Contains(t, page, `<option value="nl" selected>`, "the choice is kept with the session")
	require.NotContains(t, page, `<option value="en" selected>`)
	other := coreSignIn(t, ui, coreAcmeKey)
	require.Contains(t, coreDo(ui, http.MethodGet, "/ui/nowhere", nil, other.add).Body.String(), `<option value="en" selected>`, "another session keeps its own")
}

func TestLayoutLinksEveryStylesheetAndServesThem(t *testing.T) {
	t.Parallel()
	ui := coreUI(t, nil, nil)
	page := coreDo(ui, http.MethodGet, "/ui/signin", nil, nil).Body.String()
	// Each page's owner ships its own file; the layout links them all.
	for _, css := range []string{"app", "overview", "shipments", "fulfil", "ops", "insights"} {
		require.Contains(t, page, `href="/ui/static/`+css+`.css"`)
	}
	w := coreDo(ui, http.MethodGet, "/ui/static/app.css", nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Header().Get("Content-Type"), "text/css")
	require.NotContains(t, page, "style=", "no inline styles (CSP)")
	require.Equal(t, http.StatusOK, coreDo(ui, http.MethodGet, "/ui/static/app.js", nil, nil).Code)
}

// coreStream reads an SSE stream's messages into a channel.
// Each message is its event, its data and its id ("" without one).
func coreStream(t *testing.T, body io.Reader) <-chan [3]string {
	ch := make(chan [3]string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		var event, id string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ch <- [3]string{event, strings.TrimPrefix(line, "data: "), id}
				event, id = "", ""
			}
		}
	}()
	return ch
}

// coreOpenStream opens /ui/live for a session, with a Last-Event-ID when
// lastID is not empty.
func coreOpenStream(t *testing.T, ctx context.Context, base string, s coreSession, lastID string) <-chan [3]string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ui/live", nil)
	require.NoError(t, err)
	s.add(req)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return coreStream(t, resp.Body)
}

// coreFeedLines reads n feed messages off a stream, with a deadline.
func coreFeedLines(t *testing.T, ctx context.Context, msgs <-chan [3]string, n int) [][3]string {
	t.Helper()
	var out [][3]string
	for len(out) < n {
		select {
		case m, ok := <-msgs:
			require.True(t, ok, "the stream ended after %v", out)
			if m[0] == "feed" {
				out = append(out, m)
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d feed lines in time: %v", len(out), n, out)
		}
	}
	return out
}

func TestAReconnectingStreamGetsWhatItMissedFirst(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	live := web.NewLive(web.LiveConfig{Store: st, Poll: 10 * time.Millisecond})
	live.Start(context.Background())
	t.Cleanup(live.Stop)
	ui := coreUI(t, st, func(c *web.Config) { c.Live = live })
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	s := coreSignIn(t, ui, coreAcmeKey)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	first := coreOpenStream(t, ctx, srv.URL, s, "")
	var events []*model.FeedEvent
	for i := range 3 {
		events = append(events, &model.FeedEvent{Workspace: "acme", Type: model.EventInboundReceived, SubjectID: int64(i + 1), OccurredAt: time.Now(), Data: []byte(`{"reference":"PO-` + strconv.Itoa(i+1) + `"}`)})
	}
	require.NoError(t, st.AppendFeedEvents(context.Background(), events))
	seen := coreFeedLines(t, ctx, first, 3)
	for i, m := range seen {
		require.Contains(t, m[1], `data-subject="`+strconv.Itoa(i+1)+`"`)
		require.NotEmpty(t, m[2], "feed messages carry the feed id")
	}

	// The browser saw the first entry only, then reconnected.
	again := coreFeedLines(t, ctx, coreOpenStream(t, ctx, srv.URL, s, seen[0][2]), 2)
	require.Contains(t, again[0][1], `data-subject="2"`)
	require.Contains(t, again[1][1], `data-subject="3"`)
	require.Equal(t, seen[2][2], again[1][2])
}

func TestLiveStreamsNewFeedEventsOfTheSessionsWorkspaceOnly(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	live := web.NewLive(web.LiveConfig{Store: st, Poll: 10 * time.Millisecond})
	live.Start(context.Background())
	ui := coreUI(t, st, func(c *web.Config) { c.Live = live })
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)

	// An event from before the stream opened is not news.
	old := &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 1, OccurredAt: time.Now(), Data: []byte(`{}`)}
	require.NoError(t, st.AppendFeedEvents(context.Background(), []*model.FeedEvent{old}))

	s := coreSignIn(t, ui, coreAcmeKey)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL + "/ui/")
	jar.SetCookies(u, []*http.Cookie{{Name: s.cookie.Name, Value: s.cookie.Value, Path: "/ui/"}})
	client := &http.Client{Jar: jar}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ui/live", nil)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	msgs := coreStream(t, resp.Body)

	events := []*model.FeedEvent{
		{Workspace: "globex", Type: model.EventShipmentCreated, SubjectID: 77, OccurredAt: time.Now(), Data: []byte(`{"shipment":{"provider_ref":"GLOBEX-SECRET"}}`)},
		{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 42, OccurredAt: time.Now(), Data: []byte(`{"shipment":{"provider_ref":"ORD-42","tracking_number":"3SABC42"}}`)},
		{Workspace: "acme", Type: model.EventOrderStatusChanged, SubjectID: 9, OccurredAt: time.Now(), Data: []byte(`{"order":{"reference":"SO-9<x>"}}`)},
	}
	require.NoError(t, st.AppendFeedEvents(context.Background(), events))

	got := map[string][]string{}
	deadline := time.After(15 * time.Second)
	for len(got["feed"]) < 2 || len(got["shipment"]) < 1 || len(got["order"]) < 1 {
		select {
		case m, ok := <-msgs:
			require.True(t, ok, "the stream ended early: %v", got)
			got[m[0]] = append(got[m[0]], m[1])
		case <-deadline:
			t.Fatalf("the stream did not deliver the events in time: %v", got)
		}
	}
	require.Len(t, got["feed"], 2, "one line per new acme event, none of globex and none from before: %v", got)
	require.Contains(t, got["feed"][0], `<li class="live-event" data-type="shipment.created" data-subject="42">`)
	require.Contains(t, got["feed"][0], "ORD-42 · 3SABC42")
	require.Contains(t, got["feed"][0], `href="/ui/shipments/42"`)
	require.Contains(t, got["feed"][1], `data-type="order.status_changed" data-subject="9"`)
	require.Contains(t, got["feed"][1], "SO-9&lt;x&gt;", "references are escaped")
	require.Equal(t, []string{"42"}, got["shipment"])
	require.Equal(t, []string{"9"}, got["order"])
	for _, lines := range got {
		for _, l := range lines {
			require.NotContains(t, l, "GLOBEX")
		}
	}

	// Stop ends the open stream.
	live.Stop()
	select {
	case _, ok := <-msgs:
		for ok {
			_, ok = <-msgs
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the stream")
	}
}

func TestLiveNeedsASession(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	live := web.NewLive(web.LiveConfig{Store: st})
	live.Start(context.Background())
	t.Cleanup(live.Stop)
	ui := coreUI(t, st, func(c *web.Config) { c.Live = live })
	w := coreDo(ui, http.MethodGet, "/ui/live", nil, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/ui/signin", w.Header().Get("Location"))
}

// TestAnIdleLiveStreamSendsHeartbeatsAndOutlivesTheServersTimeouts runs
// the stream on a server with short read and write timeouts (the hub's
// are 30 s): the stream lifts them and goes on past them.
func TestAnIdleLiveStreamSendsHeartbeatsAndOutlivesTheServersTimeouts(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	live := web.NewLive(web.LiveConfig{Store: st, Heartbeat: 20 * time.Millisecond})
	live.Start(context.Background())
	t.Cleanup(live.Stop)
	ui := coreUI(t, st, func(c *web.Config) { c.Live = live })
	srv := httptest.NewUnstartedServer(ui.Handler())
	const timeout = 150 * time.Millisecond
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	t.Cleanup(srv.Close)
	s := coreSignIn(t, ui, coreAcmeKey)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ui/live", nil)
	s.add(req)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	opened, late := time.Now(), 0
	for late < 2 && sc.Scan() {
		if sc.Text() == ": heartbeat" && time.Since(opened) > 4*timeout {
			late++
		}
	}
	require.Equal(t, 2, late, "heartbeats still arrive well after the server's timeouts: %v", sc.Err())
}

func TestAnHtmxRequestWithoutASessionIsSentToTheSignIn(t *testing.T) {
	t.Parallel()
	ui := coreUI(t, nil, nil)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		w := coreDo(ui, method, "/ui/nowhere", url.Values{}, func(r *http.Request) { r.Header.Set("HX-Request", "true") })
		require.Equal(t, "/ui/signin", w.Header().Get("HX-Redirect"), method)
	}
}

// TestTwoInstancesOnPostgresShareSessionsAndTheLiveFeed runs two
// dashboards, each on its own store and broker, on one PostgreSQL database
// (two hub instances): a session opened on one holds on the other, signing
// out on one ends it on both, and an event written through one instance's
// store reaches a stream of the other.
func TestTwoInstancesOnPostgresShareSessionsAndTheLiveFeed(t *testing.T) {
	t.Parallel()
	dsn := postgres.TestDatabase(t)
	open := func() store.Store {
		st, err := postgres.New(context.Background(), postgres.Config{URL: dsn, MaxConns: 4, Secrets: secrets.NewRandomKeyring()})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	stA, stB := open(), open()
	liveB := web.NewLive(web.LiveConfig{Store: stB, Poll: 10 * time.Millisecond})
	liveB.Start(context.Background())
	t.Cleanup(liveB.Stop)
	a := coreUI(t, stA, nil)
	b := coreUI(t, stB, func(c *web.Config) { c.Live = liveB })

	s := coreSignIn(t, a, coreAcmeKey)
	page := coreDo(b, http.MethodGet, "/ui/nowhere", nil, s.add)
	require.Equal(t, http.StatusNotFound, page.Code, "instance B knows A's session")
	require.Contains(t, page.Body.String(), `</span>acme</span>`)

	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ui/live", nil)
	s.add(req)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	msgs := coreStream(t, resp.Body)
	require.NoError(t, stA.AppendFeedEvents(context.Background(), []*model.FeedEvent{
		{Workspace: "globex", Type: model.EventReturnCreated, SubjectID: 8, OccurredAt: time.Now(), Data: []byte(`{"reference":"GLOBEX-RMA"}`)},
		{Workspace: "acme", Type: model.EventReturnCreated, SubjectID: 5, OccurredAt: time.Now(), Data: []byte(`{"reference":"RMA-5"}`)},
	}))
	select {
	case m, ok := <-msgs:
		require.True(t, ok, "the stream ended")
		require.Equal(t, "feed", m[0])
		require.Contains(t, m[1], `data-type="return.created" data-subject="5"`, "acme's event, not globex's")
		require.Contains(t, m[1], "RMA-5")
	case <-ctx.Done():
		t.Fatal("instance B's stream did not deliver the event written through A")
	}

	require.Equal(t, http.StatusSeeOther, coreDo(b, http.MethodPost, "/ui/signout", url.Values{"csrf": {s.csrf}}, s.add).Code)
	w := coreDo(a, http.MethodGet, "/ui/nowhere", nil, s.add)
	require.Equal(t, http.StatusSeeOther, w.Code, "signed out on B is signed out on A")
}

// BenchmarkSignedInErrorPage measures what every page pays for its
// session (one read by the token's hash) plus the layout, on SQLite.
func BenchmarkSignedInErrorPage(b *testing.B) {
	st := sqlite.OpenTest(b)
	ui, err := web.New(web.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: coreAcmeKey}}})
	require.NoError(b, err)
	w := coreDo(ui, http.MethodPost, "/ui/signin", url.Values{"key": {coreAcmeKey}}, nil)
	require.Equal(b, http.StatusSeeOther, w.Code)
	cookie := w.Result().Cookies()[0]
	for b.Loop() {
		w := coreDo(ui, http.MethodGet, "/ui/nowhere", nil, func(r *http.Request) { r.AddCookie(cookie) })
		if w.Code != http.StatusNotFound {
			b.Fatalf("status %d", w.Code)
		}
	}
}

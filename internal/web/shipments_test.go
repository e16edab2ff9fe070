package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// shipEnv is a dashboard on a fresh SQLite store, signed in to acme.
type shipEnv struct {
	t      *testing.T
	st     store.Store
	srv    *httptest.Server
	client *http.Client
	now    time.Time
}

// shipNow is the dashboard's clock: noon today, so the session cookie
// (which expires by it) is live for the browser's cookie jar.
var shipNow = time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)

func shipDay(days int) string { return shipNow.AddDate(0, 0, days).Format(time.DateOnly) }

func newShipEnv(t *testing.T, workspace string) *shipEnv {
	t.Helper()
	st := sqlite.OpenTest(t)
	return newShipEnvOn(t, st, workspace)
}

func newShipEnvOn(t *testing.T, st store.Store, workspace string) *shipEnv {
	t.Helper()
	ui, err := New(Config{
		Store: st,
		Keys:  []api.Key{{Workspace: "acme", Secret: "acme-key-0123456789"}, {Workspace: "globex", Secret: "globex-key-0123456789"}},
		Now:   func() time.Time { return shipNow },
		Live:  &Live{}, // the pages subscribe to live updates; no stream is opened here
		Connections: func(ws string) []ConnInfo {
			return []ConnInfo{{ID: "courier", Provider: "courier"}, {ID: "gcl", Provider: "gcl"}}
		},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	c := SignedInClient(t, srv.URL, workspace+"-key-0123456789")
	return &shipEnv{t: t, st: st, srv: srv, client: c, now: shipNow}
}

func (e *shipEnv) get(path string) (int, string) {
	e.t.Helper()
	return GetPage(e.t, e.client, e.srv.URL+path)
}

func (e *shipEnv) getOK(path string) string {
	e.t.Helper()
	code, body := e.get(path)
	require.Equal(e.t, http.StatusOK, code, "GET %s: %s", path, body)
	return body
}

// seed stores raw messages and, in the transaction that processes them,
// what fn makes of them (fn gets the messages' ids in order).
func (e *shipEnv) seed(msgs []*model.InboxMessage, fn func(ctx context.Context, tx store.Tx, ids []int64) error) {
	e.t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, m := range msgs {
		id, _, err := e.st.AppendInbox(ctx, m)
		require.NoError(e.t, err)
		ids = append(ids, id)
	}
	n, err := e.st.ProcessInbox(ctx, len(msgs), func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return fn(ctx, tx, ids)
	})
	require.NoError(e.t, err)
	require.Equal(e.t, len(msgs), n)
}

var shipSeq int

func shipMessage(ws, conn, contentType string, body []byte) *model.InboxMessage {
	shipSeq++
	return &model.InboxMessage{Workspace: ws, Connection: conn, Provider: "courier", Source: model.SourceWebhook,
		DedupKey: fmt.Sprintf("k-%d-%d", time.Now().UnixNano(), shipSeq), ContentType: contentType, Body: body, ReceivedAt: shipNow}
}

func shipFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../provider/courier/testdata/" + name)
	require.NoError(t, err)
	return b
}

func fptr(v float64) *float64 { return &v }

// courierShipment is the courier fixtures' ASK000000125 as the pipeline
// makes it: a pickup with NL/FR/EN labels and a failed attempt with GPS.
func courierShipment(ws string) *model.Shipment {
	return &model.Shipment{
		Workspace: ws, Connection: "courier", Provider: "courier", ProviderRef: "ASK000000125",
		References:     []model.Reference{{Kind: model.RefOrder, Value: "ASK000000125"}, {Kind: model.RefBarcode, Value: "ABC987"}, {Kind: model.RefContainer, Value: "MSKU123"}},
		StatusPosition: model.StatusPosition{Status: model.StatusFailedAttempt, Substatus: model.SubNotHome},
		Carrier:        "bpost", TrackingNumber: "323212345678901234", TrackingURL: "https://track.example/323212345678901234",
		OrderReference:  "R-100",
		Items:           []model.Item{{SKU: "MUG-1", Name: "Mug", Quantity: 2}},
		ShippingAddress: &model.Address{FirstName: "Ada", LastName: "Peeters", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"},
		OriginAddress:   &model.Address{Company: "Acme <Warehouse>", Country: "NL"},
		CreatedAt:       shipNow.Add(-48 * time.Hour), UpdatedAt: shipNow.Add(-time.Hour),
	}
}

func courierEvents(pickupInbox, notHomeInbox int64) []*model.Event {
	return []*model.Event{
		{Status: model.StatusInTransit, ProviderCode: "take", ProviderGroup: "PROCESSING",
			Labels:     map[string]string{"nl": "Mee met koerier", "en": "Taken by courier", "fr": "En route avec courier"},
			Location:   &model.Location{Text: "Brussel hub", Lat: fptr(50.8503), Lon: fptr(4.3517)},
			OccurredAt: time.Date(2023, 10, 28, 9, 47, 43, 0, time.UTC), Source: model.SourceWebhook, InboxID: pickupInbox, DedupKey: "take"},
		{Status: model.StatusFailedAttempt, Substatus: model.SubNotHome, ProviderCode: "notOk_10", ProviderGroup: "NOTOK",
			Labels:     map[string]string{"en": "Not home", "fr": "Pas present", "nl": "NIET THUIS"},
			Location:   &model.Location{Lat: fptr(50.846557), Lon: fptr(4.351697)},
			OccurredAt: time.Date(2023, 10, 29, 1, 30, 0, 0, time.UTC), Source: model.SourceWebhook, InboxID: notHomeInbox, DedupKey: "notok"},
	}
}

// seedCourier stores the courier shipment of a workspace with its two raw
// messages; it returns the shipment and the messages' ids.
func (e *shipEnv) seedCourier(ws string) (*model.Shipment, []int64) {
	e.t.Helper()
	sh := courierShipment(ws)
	var ids []int64
	e.seed([]*model.InboxMessage{
		shipMessage(ws, "courier", "application/x-www-form-urlencoded", shipFixture(e.t, "requests/get_summer_neighbour.url")),
		shipMessage(ws, "courier", "application/json", shipFixture(e.t, "requests/post_not_home_gps_only.json")),
	}, func(ctx context.Context, tx store.Tx, got []int64) error {
		ids = got
		if err := tx.InsertShipment(ctx, sh); err != nil {
			return err
		}
		for _, ev := range courierEvents(got[0], got[1]) {
			if _, err := tx.InsertEvent(ctx, sh.ID, ev); err != nil {
				return err
			}
		}
		return tx.LinkShipment(ctx, ws, "courier", sh.ID, sh.OrderReference)
	})
	return sh, ids
}

var rowIDPattern = regexp.MustCompile(`<tr data-shipment-id="(\d+)"`)

func shipRowIDs(body string) []string {
	var out []string
	for _, m := range rowIDPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func idStr(id int64) string { return fmt.Sprint(id) }

func TestShipmentListSearchesAndFilters(t *testing.T) {
	t.Parallel()
	e := newShipEnv(t, "acme")
	sh, _ := e.seedCourier("acme")
	other := &model.Shipment{Workspace: "acme", Connection: "gcl", Provider: "gcl", ProviderRef: "GCL-1",
		References: []model.Reference{{Kind: model.RefTrackingNumber, Value: "JJD000390007"}}, StatusPosition: model.StatusPosition{Status: model.StatusDelivered},
		CreatedAt: shipNow.Add(-10 * 24 * time.Hour), UpdatedAt: shipNow.Add(-9 * 24 * time.Hour)}
	foreign := courierShipment("globex")
	e.seed([]*model.InboxMessage{shipMessage("acme", "gcl", "application/json", []byte(`{}`))}, func(ctx context.Context, tx store.Tx, _ []int64) error {
		if err := tx.InsertShipment(ctx, other); err != nil {
			return err
		}
		return tx.InsertShipment(ctx, foreign)
	})
	own, gcl := idStr(sh.ID), idStr(other.ID)

	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"without a search every shipment of the workspace is listed, newest first", "", []string{gcl, own}},
		{"the order number finds it", "?q=ASK000000125", []string{own}},
		{"the barcode finds it", "?q=ABC987", []string{own}},
		{"the container finds it", "?q=MSKU123", []string{own}},
		{"a tracking number finds its shipment", "?q=JJD000390007", []string{gcl}},
		{"a shipment id with # finds it", "?q=%23" + own, []string{own}},
		{"another workspace's id finds nothing", "?q=%23" + idStr(foreign.ID), nil},
		{"an unknown reference finds nothing", "?q=NOPE", nil},
		{"status narrows", "?status=delivered", []string{gcl}},
		{"provider narrows", "?provider=courier", []string{own}},
		{"connection narrows", "?connection=gcl", []string{gcl}},
		{"a connection of another provider finds nothing", "?connection=gcl&provider=courier", nil},
		{"updated from narrows", "?from=" + shipDay(-1), []string{own}},
		{"updated until takes in the whole day", "?to=" + shipDay(-9), []string{gcl}},
		{"filters combine with the search", "?q=ABC987&status=failed_attempt&provider=courier&connection=courier&from=" + shipDay(-30) + "&to=" + shipDay(0), []string{own}},
		{"a filter that excludes the searched shipment empties the list", "?q=ABC987&status=delivered", nil},
	}
	for _, c := range cases {
		body := e.getOK("/ui/shipments" + c.query)
		require.Equal(t, c.want, shipRowIDs(body), c.name)
		if c.want == nil {
			require.Contains(t, body, "No shipment matches.", c.name)
		}
	}

	body := e.getOK("/ui/shipments")
	for _, want := range []string{`form id="shipment-search"`, `name="q"`, `<table id="shipments"`, `class="shipment-link" href="/ui/shipments/` + own + `"`,
		`<span class="badge status-failed_attempt">failed_attempt</span>`, `<th scope="col">`, `<caption>`, `hx-trigger="sse:shipment throttle:2s"`, "1h ago"} {
		require.Contains(t, body, want)
	}
	rows := e.getOK("/ui/shipments/rows?status=delivered")
	require.Equal(t, []string{gcl}, shipRowIDs(rows), "the rows fragment answers the same query")
	require.NotContains(t, rows, "<html", "the rows fragment is no page")

	for _, bad := range []string{"?status=lost", "?from=yesterday", "?before=x", "?before=-3", "?before=3&before_at=noon"} {
		code, body := e.get("/ui/shipments" + bad)
		require.Equal(t, http.StatusBadRequest, code, bad)
		require.Contains(t, body, `class="error-message"`, bad)
	}
}

func TestShipmentListPages(t *testing.T) {
	t.Parallel()
	e := newShipEnv(t, "acme")
	var ids []int64
	n := 2*shipmentsPageSize + 3
	e.seed([]*model.InboxMessage{shipMessage("acme", "courier", "application/json", []byte(`{}`))}, func(ctx context.Context, tx store.Tx, _ []int64) error {
		for i := range n {
			// Later shipments were updated earlier, three at each instant.
			sh := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: fmt.Sprintf("P-%03d", i),
				StatusPosition: model.StatusPosition{Status: model.StatusInTransit}, CreatedAt: shipNow, UpdatedAt: shipNow.Add(-time.Duration(i/3) * time.Minute)}
			if err := tx.InsertShipment(ctx, sh); err != nil {
				return err
			}
			ids = append(ids, sh.ID)
		}
		return nil
	})
	byID := make([]string, n)
	for i, id := range ids {
		byID[n-1-i] = idStr(id)
	}
	// In update order: the first inserted first, and within one instant
	// the highest id first.
	var byUpdate []string
	for i := 0; i < n; i += 3 {
		for j := min(i+2, n-1); j >= i; j-- {
			byUpdate = append(byUpdate, idStr(ids[j]))
		}
	}
	cases := []struct {
		name, first string
		want        []string
		live        string
	}{
		{"by id, newest first", "/ui/shipments?status=in_transit", byID, `hx-get="/ui/shipments/rows?status=in_transit" hx-trigger="sse:shipment throttle:2s"`},
		{"a range of updates by update, last first", "/ui/shipments?from=" + shipDay(-1), byUpdate, `hx-get="/ui/shipments/rows?from=` + shipDay(-1) + `" hx-trigger="sse:shipment throttle:2s"`},
	}
	for _, c := range cases {
		var seen []string
		next, pages := c.first, 0
		for next != "" {
			body := e.getOK(next)
			got := shipRowIDs(body)
			require.LessOrEqual(t, len(got), shipmentsPageSize, c.name)
			seen = append(seen, got...)
			if pages > 0 {
				require.NotContains(t, body, `hx-get="/ui/shipments/rows`, "%s: only the first page refreshes live", c.name)
			} else {
				require.Contains(t, body, c.live, "%s: the first page refreshes live", c.name)
			}
			pages++
			next = ""
			if m := regexp.MustCompile(`class="older" rel="next" href="([^"]+)"`).FindStringSubmatch(body); m != nil {
				next = strings.ReplaceAll(m[1], "&amp;", "&")
				require.Contains(t, next, strings.TrimPrefix(c.first, "/ui/shipments?"), "%s: the next page keeps the filters", c.name)
			}
		}
		require.Equal(t, 3, pages, c.name)
		require.Equal(t, c.want, seen, "%s: every shipment once, in order", c.name)
	}
}

func TestShipmentPage(t *testing.T) {
	t.Parallel()
	e := newShipEnv(t, "acme")
	sh, inbox := e.seedCourier("acme")
	order := &model.Order{Resource: model.Resource{Workspace: "acme", Connection: "courier", Provider: "courier"}, Reference: "R-100", Status: model.OrderShipped}
	e.seed([]*model.InboxMessage{shipMessage("acme", "courier", "application/json", []byte(`{}`))}, func(ctx context.Context, tx store.Tx, _ []int64) error {
		return tx.InsertOrder(ctx, order)
	})
	got, err := e.st.GetShipment(context.Background(), "acme", sh.ID)
	require.NoError(t, err)
	path := "/ui/shipments/" + idStr(sh.ID)
	body := e.getOK(path)

	// The timeline, newest first, in English by default.
	events := regexp.MustCompile(`<li class="event" data-event-id="(\d+)">`).FindAllStringSubmatch(body, -1)
	require.Len(t, events, 2)
	require.Equal(t, idStr(got.Events[1].ID), events[0][1], "newest first")
	require.Equal(t, idStr(got.Events[0].ID), events[1][1])
	for _, want := range []string{
		`<ol id="timeline"`,
		`<span class="event-status badge status-failed_attempt">failed attempt (not home)</span>`,
		`<p class="event-label">Not home</p>`, `<p class="event-label">Taken by courier</p>`,
		`<span class="event-code">Code notOk_10, group NOTOK</span>`,
		`<span class="event-location">Brussel hub</span>`, `<span class="event-location">GPS 50.84656, 4.35170</span>`,
		`<span class="event-source">via webhook</span>`,
		`<details class="raw" hx-get="/ui/shipments/` + idStr(sh.ID) + `/raw/` + idStr(inbox[1]) + `" hx-trigger="toggle once"`,
		`<summary>Raw message #` + idStr(inbox[1]) + `</summary>`, `class="raw-body"`,
		`<svg id="map"`, `role="img"`, `class="gps-point"`,
		`id="addresses"`, "Meir 1", "Acme &lt;Warehouse&gt;", `id="items"`, "MUG-1",
		`id="linked-order"`, `href="/ui/orders/` + idStr(order.ID) + `"`, "Order R-100",
		`href="https://track.example/323212345678901234" rel="noopener noreferrer"`,
		`<span class="badge status-failed_attempt">failed_attempt</span>`,
	} {
		require.Contains(t, body, want)
	}
	require.Equal(t, 2, strings.Count(body, `<circle class="gps-point"`))
	require.NotContains(t, body, `id="map-empty"`)

	// The timeline fragment, for live refreshes.
	frag := e.getOK(path + "/timeline")
	require.Contains(t, frag, `<ol id="timeline"`)
	require.NotContains(t, frag, "<html")

	// The raw messages: JSON pretty-printed, a query string as it is, escaped.
	raw := e.getOK(path + "/raw/" + idStr(inbox[1]))
	require.Contains(t, raw, `<pre class="raw-body">{`+"\n"+`  &#34;order&#34;: &#34;ASK000000125&#34;,`)
	raw = e.getOK(path + "/raw/" + idStr(inbox[0]))
	require.Contains(t, raw, "statusNL=AFGEZET&#43;BIJ&#43;DE&#43;BUREN")
}

func TestShipmentPageWithoutGPSOrOrder(t *testing.T) {
	t.Parallel()
	e := newShipEnv(t, "acme")
	sh := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: "NOGPS", OrderReference: "R-404",
		TrackingURL: "javascript:alert(1)", StatusPosition: model.StatusPosition{Status: model.StatusInTransit}, CreatedAt: shipNow, UpdatedAt: shipNow}
	e.seed([]*model.InboxMessage{shipMessage("acme", "courier", "application/json", []byte(`{}`))}, func(ctx context.Context, tx store.Tx, ids []int64) error {
		if err := tx.InsertShipment(ctx, sh); err != nil {
			return err
		}
		_, err := tx.InsertEvent(ctx, sh.ID, &model.Event{Status: model.StatusInTransit, ProviderCode: "X", Description: "Scanned", OccurredAt: shipNow, InboxID: ids[0], DedupKey: "x", Source: model.SourcePoll})
		if err != nil {
			return err
		}
		return tx.LinkShipment(ctx, "acme", "courier", sh.ID, sh.OrderReference)
	})
	body := e.getOK("/ui/shipments/" + idStr(sh.ID))
	require.Contains(t, body, "No order R-404 is known in this workspace.")

	// A shipment that names an order without a link (stored before links
	// were kept) finds it by reference.
	unlinked := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: "UNLINKED", OrderReference: "R-7",
		StatusPosition: model.StatusPosition{Status: model.StatusInTransit}, CreatedAt: shipNow, UpdatedAt: shipNow}
	order := &model.Order{Resource: model.Resource{Workspace: "acme", Connection: "shop", Provider: "wics"}, Reference: "R-7", Status: model.OrderAccepted}
	e.seed([]*model.InboxMessage{shipMessage("acme", "courier", "application/json", []byte(`{}`))}, func(ctx context.Context, tx store.Tx, _ []int64) error {
		if err := tx.InsertShipment(ctx, unlinked); err != nil {
			return err
		}
		return tx.InsertOrder(ctx, order)
	})
	require.Contains(t, e.getOK("/ui/shipments/"+idStr(unlinked.ID)), `href="/ui/orders/`+idStr(order.ID)+`"`)
	require.Contains(t, body, `<p id="map-empty">`)
	require.NotContains(t, body, `<svg id="map"`)
	require.Contains(t, body, `<p class="event-label">Scanned</p>`, "without labels the description is shown")
	require.Contains(t, body, "No order R-404 is known in this workspace.")
	require.NotContains(t, body, "javascript:", "only http(s) tracking links")
}

func TestShipmentPagesOfAnotherWorkspaceAreNotFound(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	acme := newShipEnvOn(t, st, "acme")
	globex := newShipEnvOn(t, st, "globex")
	mine, myInbox := acme.seedCourier("acme")
	theirs, theirInbox := acme.seedCourier("globex")
	second := courierShipment("acme")
	second.ProviderRef = "ASK000000999"
	var secondInbox int64
	acme.seed([]*model.InboxMessage{shipMessage("acme", "courier", "application/json", []byte(`{"second":true}`))}, func(ctx context.Context, tx store.Tx, ids []int64) error {
		secondInbox = ids[0]
		if err := tx.InsertShipment(ctx, second); err != nil {
			return err
		}
		_, err := tx.InsertEvent(ctx, second.ID, &model.Event{Status: model.StatusInTransit, OccurredAt: shipNow, InboxID: ids[0], DedupKey: "s"})
		return err
	})

	own := "/ui/shipments/" + idStr(mine.ID)
	foreign := "/ui/shipments/" + idStr(theirs.ID)
	cases := []struct {
		name string
		path string
		code int
	}{
		{"its own shipment is shown", own, http.StatusOK},
		{"its own raw message is shown", own + "/raw/" + idStr(myInbox[0]), http.StatusOK},
		{"another workspace's shipment is not found", foreign, http.StatusNotFound},
		{"another workspace's timeline is not found", foreign + "/timeline", http.StatusNotFound},
		{"another workspace's raw message is not found", foreign + "/raw/" + idStr(theirInbox[0]), http.StatusNotFound},
		{"another workspace's raw message through its own shipment is not found", own + "/raw/" + idStr(theirInbox[0]), http.StatusNotFound},
		{"a raw message of another shipment is refused", own + "/raw/" + idStr(secondInbox), http.StatusNotFound},
		{"a raw message that is no event's is refused", own + "/raw/999999", http.StatusNotFound},
		{"a raw id that is no number is not found", own + "/raw/abc", http.StatusNotFound},
		{"a shipment id that is no number is not found", "/ui/shipments/abc", http.StatusNotFound},
		{"a missing shipment is not found", "/ui/shipments/999999", http.StatusNotFound},
	}
	for _, c := range cases {
		code, body := acme.get(c.path)
		require.Equal(t, c.code, code, c.name)
		if c.code == http.StatusNotFound {
			require.Contains(t, body, `class="error-message"`, c.name)
			require.NotContains(t, body, "ASK000000125", c.name)
		}
	}
	code, _ := globex.get(foreign)
	require.Equal(t, http.StatusOK, code, "the other workspace sees its own")
	require.Equal(t, []string{idStr(theirs.ID)}, shipRowIDs(globex.getOK("/ui/shipments?q=ABC987")), "a search stays in the workspace")
}

func TestEventLabelFollowsTheLanguage(t *testing.T) {
	t.Parallel()
	all := model.Event{Labels: map[string]string{"nl": "NIET THUIS", "fr": "Pas present", "en": "Not home"}, Description: "desc"}
	nlOnly := model.Event{Labels: map[string]string{"nl": "AFGEZET BIJ DE BUREN", "en": "", "fr": ""}, Description: "desc"}
	frOnly := model.Event{Labels: map[string]string{"fr": "Livré"}, Description: "desc"}
	none := model.Event{Description: "Delivered to neighbour"}
	cases := []struct {
		name string
		e    model.Event
		lang string
		want string
	}{
		{"Dutch", all, "nl", "NIET THUIS"},
		{"French", all, "fr", "Pas present"},
		{"English", all, "en", "Not home"},
		{"an unknown language falls back to English", all, "de", "Not home"},
		{"a missing French label falls back to English, then Dutch", nlOnly, "fr", "AFGEZET BIJ DE BUREN"},
		{"a missing English label falls back to Dutch", nlOnly, "en", "AFGEZET BIJ DE BUREN"},
		{"French is the last language tried", frOnly, "nl", "Livré"},
		{"without labels the description", none, "nl", "Delivered to neighbour"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, eventLabel(c.e, c.lang), c.name)
	}
}

func TestRawBodyIsPrettyPrintedAndCut(t *testing.T) {
	t.Parallel()
	got, cut := rawBody([]byte(`{"a":[1,2]}`), "application/json")
	require.Equal(t, "{\n  \"a\": [\n    1,\n    2\n  ]\n}", got)
	require.Zero(t, cut)
	xml := `<?xml version="1.0"?><a>é</a>`
	got, cut = rawBody([]byte(xml), "application/xml")
	require.Equal(t, xml, got, "XML as it is")
	require.Zero(t, cut)
	big := strings.Repeat("é", rawBodyLimit) // 2 bytes each
	got, cut = rawBody([]byte(big), "text/plain")
	require.Len(t, got, rawBodyLimit)
	require.Equal(t, len(big)-rawBodyLimit, cut)
	require.True(t, strings.HasSuffix(got, "é"), "cut on a character boundary")
}

func TestSafeHTTPURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://t.example/x?a=1": "https://t.example/x?a=1",
		"http://t.example":        "http://t.example",
		"javascript:alert(1)":     "",
		"//t.example/x":           "",
		"ftp://t.example":         "",
		"":                        "",
	} {
		require.Equal(t, want, safeHTTPURL(in), in)
	}
}

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Keys of the dashboard test's second workspace.
const (
	uiOtherKey        = "other_ui_api_key_0123456789"
	uiOtherCourierKey = "other-courier-secret-key"
)

// The courier's updates of the dashboard test: the document's POST example
// (GPS, labels in three languages, a merchant reference) and a later "not
// home" of the same parcel at another place, so that its timeline has two
// events and its map two points.
const (
	uiTaken   = `{"order":"ASK132456798", "barcode":"", "container":"", "status":"PROCESSING", "statustime":"20230719110649", "statuscode":"take", "statusNL":"Mee met koerier", "statusEN":"Taken by courier", "statusFR":"En route avec courier", "referentie":"anc/20221588", "comment":"TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024", "oldlead":"", "newlead":"", "verifier":"", "signatures":[], "pictures":[]}`
	uiNotHome = `{"order":"ASK132456798","barcode":"","container":"","status":"NOTOK","statustime":"20230720143000","statuscode":"notOk_10","statusNL":"NIET THUIS","statusEN":"Not home","statusFR":"Pas present","referentie":"anc/20221588","comment":"GPS: lat 50.846557 - lon 4.351697","oldlead":"","newlead":"","verifier":"","signatures":[],"pictures":[]}`
	// uiOtherSecret is the other workspace's reference: it must never show
	// in a page of acme's session.
	uiOtherSecret = "OTHERWS-SECRET-77"
)

// uiCourierUpdate is a courier push of a new parcel (for the live feed).
func uiCourierUpdate(order string) string {
	return fmt.Sprintf(`{"order":%q,"status":"PROCESSING","statustime":%q,"statuscode":"take","statusNL":"Mee met koerier","statusEN":"Taken by courier","statusFR":"En route avec courier"}`,
		order, time.Now().UTC().Format("20060102150405"))
}

// uiHub starts `shiphub serve` with two workspaces, a courier connection in
// each, and acme's merchant endpoint m, whose deliveries dead-letter after
// three quick attempts while it fails.
func uiHub(t *testing.T, m *merchant) *hub {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: "sqlite:%s"
log: { level: warn }
dashboard: { signin_per_minute: 600 }
outbound:
  allow_private_networks: true
  retry_schedule: ["0s", "50ms", "50ms"]
  timeout: 2s
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: courier, provider: courier, inbound_api_key: "${COURIER_KEY}" }
    endpoints:
      - { url: %q, events: ["shipment.created"], secret: %q }
  - id: other
    api_keys: [%q]
    connections:
      - { id: courier, provider: courier, inbound_api_key: %q }
`, filepath.Join(dir, "hub.db"), m.URL, merchantSecret, uiOtherKey, uiOtherCourierKey)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return startHub(t, path)
}

func postCourier(t *testing.T, h *hub, workspace, key, body string) {
	t.Helper()
	status, resp := do(t, http.MethodPost, h.URL+"/hooks/"+workspace+"/courier", map[string]string{"X-API-KEY": key, "Content-Type": "application/json"}, body)
	require.Equal(t, http.StatusOK, status, "%s", resp)
}

// TestDashboardInBrowser walks through issue 13's scenarios in headless
// chromium against the real binary: sign in, search, a shipment's timeline
// and map, the label language, a dead letter retried, a live event, and
// another workspace's shipment refused.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	m := newMerchant(t) // failing until told otherwise
	h := uiHub(t, m)

	postCourier(t, h, "acme", courierKey, uiTaken)
	postCourier(t, h, "acme", courierKey, uiNotHome)
	postCourier(t, h, "other", uiOtherCourierKey, strings.ReplaceAll(uiTaken, "ASK132456798", uiOtherSecret))
	shipment := trackOne(t, h, "anc/20221588", 2)
	var other tracking
	eventually(t, 10*time.Second, "the other workspace's shipment", func() bool {
		other = tracking{}
		return apiGet(t, h, uiOtherKey, "/api/v1/tracking/"+uiOtherSecret, &other) == http.StatusOK && len(other.Shipments) == 1
	})
	otherID := other.Shipments[0].ID

	// The shipment's one delivery dead-letters: three attempts, all 500.
	var dead struct {
		Data []struct {
			ID      int64  `json:"id"`
			Subject string `json:"subject"`
		} `json:"data"`
	}
	eventually(t, 30*time.Second, "a dead-lettered delivery", func() bool {
		dead.Data = nil
		return apiGet(t, h, acmeKey, "/api/v1/deliveries?status=failed", &dead) == http.StatusOK && len(dead.Data) > 0
	})
	deadID := dead.Data[0].ID

	b := newBrowser(t, false)

	t.Run("SignInWithAWorkspaceKey", func(t *testing.T) {
		b.t = t
		b.signIn(h.URL, acmeKey)
		b.settle()
		b.requireNoCSPViolation("overview")
		b.screenshot("scenario-overview")
	})

	t.Run("SearchFindsTheShipmentByAnyReference", func(t *testing.T) {
		b.t = t
		require.Equal(t, http.StatusOK, b.open(h.URL+"/ui/shipments"))
		b.doAgain(20*time.Second,
			chromedp.WaitVisible(chromedp.CSS(`form#shipment-search input[name=q]`)),
			chromedp.SendKeys(chromedp.CSS(`form#shipment-search input[name=q]`), "anc/20221588"),
			chromedp.Submit(chromedp.CSS(`form#shipment-search input[name=q]`)),
		)
		b.waitJS(20*time.Second, "the search result", `location.search.indexOf("q=") >= 0 && document.querySelectorAll("table#shipments tr[data-shipment-id]").length === 1`)
		id := evalJS[string](b, `document.querySelector("table#shipments tr[data-shipment-id]").dataset.shipmentId`)
		require.Equal(t, fmt.Sprint(shipment.ID), id)
		b.requireNoCSPViolation("shipments")
		b.screenshot("scenario-search")
	})

	t.Run("TheShipmentShowsItsTimelineMapAndRawMessages", func(t *testing.T) {
		b.t = t
		b.doAgain(20*time.Second, chromedp.Click(chromedp.CSS(`table#shipments tr[data-shipment-id] a.shipment-link`)))
		b.waitJS(20*time.Second, "the shipment page", fmt.Sprintf(`location.pathname === "/ui/shipments/%d" && !!document.querySelector("ol#timeline")`, shipment.ID))
		b.settle()
		require.Equal(t, 2, b.count(`ol#timeline li.event[data-event-id]`), "one entry per event")
		codes := strings.Join(b.texts(`ol#timeline li.event .event-code`), "|")
		require.Contains(t, codes, "take")
		require.Contains(t, codes, "notOk_10")
		statuses := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.Join(b.texts(`ol#timeline li.event .event-status`), "|")))
		require.Contains(t, statuses, "in_transit")
		require.Contains(t, statuses, "failed_attempt")
		require.ElementsMatch(t, []string{"Taken by courier", "Not home"}, b.texts(`ol#timeline li.event .event-label`))
		require.Equal(t, 2, b.count(`ol#timeline li.event .event-location`))
		require.Contains(t, strings.Join(b.texts(`ol#timeline li.event .event-source`), " "), "webhook")
		// The raw messages: opening each <details> shows the message (a
		// page may load it only then). One at a time: a message that loads
		// moves the next one down the page under a click in flight.
		require.Equal(t, 2, b.count(`ol#timeline li.event details.raw`))
		for i := range 2 {
			item := fmt.Sprintf(`ol#timeline li.event:nth-of-type(%d) details.raw`, i+1)
			b.doAgain(10*time.Second, chromedp.Click(chromedp.CSS(item+` summary`)))
			loaded := fmt.Sprintf(`(function(){ var d = document.querySelector(%q); var p = d && d.querySelector("pre.raw-body");
  return !!(d && d.open && p && p.textContent.indexOf("ASK132456798") >= 0); })()`, item)
			if err := b.poll(15*time.Second, loaded); err != nil {
				t.Fatalf("raw message %d did not show: %v\n%s", i+1, err, evalJS[string](b, fmt.Sprintf(`(document.querySelector(%q) || {outerHTML: "none"}).outerHTML`, item)))
			}
		}
		require.Contains(t, strings.Join(b.texts(`ol#timeline li.event details.raw pre.raw-body`), "\n"), "PRISCILLA RAES", "the raw message behind the event")
		require.Equal(t, 2, b.count(`svg#map circle.gps-point`), "one point per event with coordinates")
		require.Zero(t, b.count(`p#map-empty`))
		for _, sel := range []string{"#addresses", "#items", "#linked-order"} {
			require.Equal(t, 1, b.count(sel), "section %s", sel)
		}
		b.requireNoCSPViolation("shipment")
		b.screenshot("scenario-shipment")
	})

	t.Run("TheLabelLanguageSwitches", func(t *testing.T) {
		b.t = t
		for _, c := range []struct{ lang, taken, notHome string }{
			{"fr", "En route avec courier", "Pas present"},
			{"nl", "Mee met koerier", "NIET THUIS"},
			{"en", "Taken by courier", "Not home"},
		} {
			b.doAgain(20*time.Second,
				chromedp.SetValue(chromedp.CSS(`form#lang select[name=lang]`), c.lang),
				chromedp.Submit(chromedp.CSS(`form#lang select[name=lang]`)),
			)
			b.waitJS(20*time.Second, "labels in "+c.lang, fmt.Sprintf(`(function(){
  var l = Array.from(document.querySelectorAll("ol#timeline li.event .event-label")).map(function(e){return e.textContent.trim()});
  return l.indexOf(%q) >= 0 && l.indexOf(%q) >= 0 && location.pathname === "/ui/shipments/%d";
})()`, c.taken, c.notHome, shipment.ID))
			selected := evalJS[string](b, `document.querySelector("form#lang select[name=lang]").value`)
			require.Equal(t, c.lang, selected, "the choice is kept")
			if c.lang == "fr" {
				b.screenshot("scenario-shipment-fr")
			}
		}
	})

	t.Run("AnotherWorkspacesShipmentIsNotFound", func(t *testing.T) {
		b.t = t
		require.Equal(t, http.StatusNotFound, b.open(fmt.Sprintf("%s/ui/shipments/%d", h.URL, otherID)))
		b.do(10*time.Second, chromedp.WaitVisible(chromedp.CSS(`p.error-message`)))
		html := b.pageHTML()
		require.NotContains(t, html, uiOtherSecret, "nothing of the other workspace's shipment")
		require.NotContains(t, html, "PRISCILLA")
		require.NotRegexp(t, regexp.MustCompile(`data-shipment-id|ol id="timeline"|id="timeline"`), html)
		// A missing one looks exactly the same.
		require.Equal(t, http.StatusNotFound, b.open(h.URL+"/ui/shipments/99999999"))
		require.NotEmpty(t, b.text(`p.error-message`))
		b.requireNoCSPViolation("404")
		b.screenshot("scenario-404")
	})

	t.Run("ANewEventAppearsLive", func(t *testing.T) {
		b.t = t
		require.Equal(t, http.StatusOK, b.open(h.URL+"/ui/"))
		b.do(10*time.Second, chromedp.WaitReady(chromedp.CSS(`ul#live-feed`)))
		live := evalJS[string](b, `document.querySelector("ul#live-feed").getAttribute("aria-live") || ""`)
		require.Equal(t, "polite", live)
		// The stream starts at the feed's end when the page subscribes,
		// which the test cannot see: it posts a new parcel until one shows
		// up (each try is a new order), within a deadline.
		deadline := time.Now().Add(45 * time.Second)
		for i := 0; ; i++ {
			require.True(t, time.Now().Before(deadline), "no live event appeared in ul#live-feed")
			order := fmt.Sprintf("LIVE%06d", i)
			postCourier(t, h, "acme", courierKey, uiCourierUpdate(order))
			err := b.poll(4*time.Second, fmt.Sprintf(`Array.from(document.querySelectorAll("ul#live-feed li.live-event")).some(function(e){
  return e.dataset.type === "shipment.created" && e.dataset.subject !== "" && e.textContent.indexOf(%q) >= 0;
})`, order))
			if err == nil {
				break
			}
		}
		require.Equal(t, "/ui/", evalJS[string](b, `location.pathname`), "the event came without a reload")
		b.requireNoCSPViolation("overview (live)")
		b.screenshot("scenario-live")
	})

	t.Run("ADeadLetterIsRetriedAndDelivered", func(t *testing.T) {
		b.t = t
		require.Equal(t, http.StatusOK, b.open(h.URL+"/ui/deliveries"))
		row := fmt.Sprintf(`table#dead-letters tr[data-delivery-id="%d"]`, deadID)
		b.do(20*time.Second, chromedp.WaitVisible(chromedp.CSS(row)))
		require.Equal(t, 1, b.count(`section.endpoint[data-endpoint-id] table.attempts`))
		require.GreaterOrEqual(t, b.count(`section.endpoint form.recover-since input[name=since][type="datetime-local"]`), 1)
		b.screenshot("scenario-deliveries-dead")
		m.healthy.Store(true)
		b.do(20*time.Second, chromedp.Click(chromedp.CSS(row+` form.retry-delivery button`)))
		// The row turns delivered without the test reloading, or else the
		// page's list of delivered ones shows it: how the page refreshes
		// (htmx polling or an SSE trigger) and where it lists a delivered
		// retry are the page's choice.
		status := fmt.Sprintf(`Array.from(document.querySelectorAll('[data-delivery-id="%d"] .delivery-status')).some(function(e){return /delivered|succeeded/i.test(e.textContent)})`, deadID)
		if err := b.poll(15*time.Second, status); err != nil {
			t.Logf("the retried delivery did not turn delivered in place (%v); looking in the lists", err)
			found := false
			for _, path := range []string{"/ui/deliveries", "/ui/deliveries?status=delivered", "/ui/deliveries?status=succeeded"} {
				if b.open(h.URL+path) == http.StatusOK && b.poll(5*time.Second, status) == nil {
					found = true
					break
				}
			}
			require.True(t, found, "delivery %d is shown delivered on the deliveries page", deadID)
		}
		var d struct {
			Status string `json:"status"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/deliveries/%d", deadID), &d))
		require.Equal(t, "succeeded", d.Status)
		b.requireNoCSPViolation("deliveries")
		b.screenshot("scenario-deliveries-retried")
	})

	t.Run("SignOutEndsTheSession", func(t *testing.T) {
		b.t = t
		require.Equal(t, http.StatusOK, b.open(h.URL+"/ui/"))
		b.do(10*time.Second, chromedp.Click(chromedp.CSS(`form#signout button`)))
		b.waitJS(10*time.Second, "the sign-in page", `location.pathname === "/ui/signin"`)
		b.open(h.URL + "/ui/shipments")
		require.Equal(t, "/ui/signin", evalJS[string](b, `location.pathname`), "signed out, the pages send to the sign-in")
	})
}

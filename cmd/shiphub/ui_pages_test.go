package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// demoHub is a running `shiphub demo`: the hub with every provider
// simulator, so that every page of the dashboard has something to show.
type demoHub struct {
	URL string // http://127.0.0.1:port
	Key string // the demo workspace's API key
}

var (
	demoURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	demoKey = regexp.MustCompile(`Bearer (demo_[0-9a-f]+)`)
)

// startDemo runs the binary's demo on free ports and reads its address and
// key from what it prints.
func startDemo(t *testing.T) *demoHub {
	t.Helper()
	cmd := exec.Command(binary, "demo", "-listen", "127.0.0.1:0", "-ftp-listen", "127.0.0.1:0", "-data", t.TempDir(), "-step", "100ms")
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	out := &lockedBuffer{}
	cmd.Stderr = out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	found := make(chan demoHub, 1)
	go func() {
		var d demoHub
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			_, _ = out.Write([]byte(line + "\n"))
			if d.URL == "" {
				d.URL = demoURL.FindString(line)
			}
			if m := demoKey.FindStringSubmatch(line); m != nil && d.Key == "" {
				d.Key = m[1]
			}
			if d.URL != "" && d.Key != "" {
				found <- d
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case d := <-found:
		return &d
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo did not print its address and key; output:\n%s", out.String())
		return nil
	}
}

// uiPage is one page of the dashboard to check.
type uiPage struct {
	name   string // artefact name
	path   string
	status int
}

// TestDashboardPagesAccessible opens every page of the dashboard in
// chromium against `shiphub demo` and runs axe-core in each: no violation
// of impact serious or critical may be found. At a phone's width (375 px)
// no page may scroll sideways. Every page is kept as a screenshot
// (testdata/artifacts or $SHIPHUB_ARTIFACTS), at both widths.
func TestDashboardPagesAccessible(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	axe := axeSource(t)
	d := startDemo(t)
	b := newBrowser(t, true)

	var problems []string
	check := func(p uiPage) {
		t.Helper()
		status := b.open(d.URL + p.path)
		if status != p.status {
			problems = append(problems, fmt.Sprintf("%s (%s): HTTP %d, want %d", p.name, p.path, status, p.status))
			return
		}
		b.settle()
		if p.status == http.StatusNotFound && b.count("p.error-message") == 0 {
			problems = append(problems, fmt.Sprintf("%s (%s): no p.error-message", p.name, p.path))
		}
		for _, v := range b.axeRun(axe) {
			problems = append(problems, fmt.Sprintf("%s (%s): axe: %s", p.name, p.path, v))
		}
		b.screenshot(p.name)
		b.viewport(375, 812)
		if n := b.horizontalOverflow(); n > 0 {
			problems = append(problems, fmt.Sprintf("%s (%s): at 375 px the document scrolls %d px sideways", p.name, p.path, n))
		}
		b.screenshot(p.name + "-375")
		b.viewport(1280, 900)
	}

	check(uiPage{"signin", "/ui/signin", http.StatusOK})
	d.signIn(t, b)

	// Detail pages: the first of each list, once the demo has one.
	var waitFor func(list, link string, required bool, within time.Duration) string
	detail := func(list, link string, required bool) string {
		t.Helper()
		return waitFor(list, link, required, 60*time.Second)
	}
	waitFor = func(list, link string, required bool, within time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(within)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			if status := b.open(d.URL + list); status != http.StatusOK {
				t.Errorf("%s: HTTP %d", list, status)
				return ""
			}
			b.settle()
			if b.count(link) > 0 {
				return evalJS[string](b, fmt.Sprintf(`document.querySelector(%q).getAttribute("href") || "found"`, link))
			}
			if time.Now().After(deadline) {
				if required {
					t.Errorf("no %s on %s within a minute of the demo", link, list)
				} else {
					t.Logf("the demo made no %s on %s in time; its page is not checked", link, list)
				}
				return ""
			}
			<-tick.C
		}
	}
	// The shipment: a courier parcel that was delivered has a whole
	// journey with GPS points, the best picture of the page.
	link := `table#shipments tr[data-shipment-id] a.shipment-link`
	shipment := detail("/ui/shipments?connection=courier&status=delivered", link, false)
	if shipment == "" {
		shipment = detail("/ui/shipments", link, true)
	}
	order := detail("/ui/orders", `table#orders a[href^="/ui/orders/"]`, true)
	inbound := detail("/ui/inbound", `table#inbound a[href^="/ui/inbound/"]`, false)
	ret := detail("/ui/returns", `table#returns a[href^="/ui/returns/"]`, false)

	pages := []uiPage{
		{"overview", "/ui/", http.StatusOK},
		{"shipments", "/ui/shipments", http.StatusOK},
		{"shipment", shipment, http.StatusOK},
		{"orders", "/ui/orders", http.StatusOK},
		{"order", order, http.StatusOK},
		{"stock", "/ui/stock", http.StatusOK},
		{"inbound", "/ui/inbound", http.StatusOK},
		{"inbound-one", inbound, http.StatusOK},
		{"returns", "/ui/returns", http.StatusOK},
		{"return", ret, http.StatusOK},
		{"connections", "/ui/connections", http.StatusOK},
		{"deliveries", "/ui/deliveries", http.StatusOK},
		{"commands", "/ui/commands", http.StatusOK},
		{"insights", "/ui/insights", http.StatusOK},
		{"not-found", "/ui/shipments/999999999", http.StatusNotFound},
		{"not-found-page", "/ui/no-such-page", http.StatusNotFound},
	}
	for _, p := range pages {
		if p.path == "" {
			continue
		}
		if p.name == "insights" {
			// The snapshot is recomputed every minute: wait for the one
			// with the demo's traffic, so that axe sees the charts.
			waitFor(p.path, `main svg.chart-svg`, false, 90*time.Second)
		}
		check(p)
	}
	require.Empty(t, problems, "problems found:\n%s", strings.Join(problems, "\n"))
}

// signIn signs the browser in to the demo workspace: with the sign-in
// page's one-click demo button where it has one, else with the key.
func (d *demoHub) signIn(t *testing.T, b *browser) {
	t.Helper()
	require.Equal(t, http.StatusOK, b.open(d.URL+"/ui/signin"))
	if b.count(`form#demo-signin button`) == 0 {
		t.Log("the sign-in page has no form#demo-signin; signing in with the key")
		b.signIn(d.URL, d.Key)
		return
	}
	b.do(20*time.Second, chromedp.Click(chromedp.CSS(`form#demo-signin button`)))
	b.waitJS(20*time.Second, "the overview after the demo sign-in", `location.pathname === "/ui/" && !!document.querySelector('nav[aria-label="Main"]')`)
}

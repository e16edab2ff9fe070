package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The dashboard's browser tests drive Debian's chromium through the
// DevTools protocol (chromedp). Without chromium they are skipped, except
// in CI, where .ci/run installs it and a missing browser is a failure.

// chromiumPath finds the browser or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI must run the dashboard's browser tests (.ci/run installs it)")
	}
	t.Skip("chromium is not installed: the dashboard's browser tests are skipped")
	return ""
}

// browser is one headless chromium with one tab.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab's context: chromedp.Run(ctx, …)
}

// cspRecorder is run in every document before its own scripts: it keeps
// the Content-Security-Policy violations of the page, which the tests
// check are none (no inline script or style slipped into a template).
const cspRecorder = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0));
});`

// newBrowser starts chromium with a fresh profile. bypassCSP lets the
// DevTools protocol run scripts the page's CSP would refuse (the axe-core
// check needs it); the scenario tests keep the CSP and record violations.
func newBrowser(t *testing.T, bypassCSP bool) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: ctx}
	// The first Do starts the browser (with no deadline on its context:
	// the browser lives as long as that context).
	require.NoError(t, chromedp.Do(ctx))
	b.do(60*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if bypassCSP {
			if _, err := cdp.Call(ctx, tg, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
		return err
	}))
	return b
}

// do runs actions in the tab and fails the test when they do not finish
// within d: every wait of the tests is a DOM condition with a deadline.
func (b *browser) do(d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, b.try(d, actions...))
}

// doAgain is do for actions that may run again: when the document under
// them is replaced while they run (a navigation, an htmx swap; the
// protocol then answers "No node with given id" or the like), they are
// tried again in the new one until d passes.
func (b *browser) doAgain(d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := b.try(time.Until(deadline), actions...)
		if err == nil {
			return
		}
		transient := false
		for _, s := range []string{"No node with given id", "Cannot find context", "navigated or closed", "Could not find node", "does not belong to the document"} {
			transient = transient || strings.Contains(err.Error(), s)
		}
		if !transient || time.Now().After(deadline) || b.ctx.Err() != nil {
			require.NoError(b.t, err)
		}
		<-tick.C
	}
}

// try is do that returns the error.
func (b *browser) try(d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// open navigates to url and returns the HTTP status of the document.
func (b *browser) open(url string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	require.NoError(b.t, err, "opening %s", url)
	require.NotNil(b.t, resp, "no response for %s", url)
	return int(resp.Status)
}

// evalJS evaluates a JavaScript expression in the page into a T.
func evalJS[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	require.NoError(b.t, err, "evaluating %s", truncate(expr, 200))
	return v
}

// poll waits until a JavaScript expression is truthy, or d passes. A
// navigation while it waits (a form post, a redirect) starts the poll again
// in the new document.
func (b *browser) poll(d time.Duration, expr string) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("timed out after %s", d)
		}
		ctx, cancel := context.WithTimeout(b.ctx, left+5*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(left)))
		cancel()
		if err == nil || errors.Is(err, chromedp.ErrPollingTimeout) || b.ctx.Err() != nil {
			return err
		}
		<-tick.C // the document went away under the poll: try again in the next
	}
}

// waitJS waits until a JavaScript expression is truthy, failing the test
// with the page's <main> after d.
func (b *browser) waitJS(d time.Duration, what, expr string) {
	b.t.Helper()
	if err := b.poll(d, expr); err != nil {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("main") || document.documentElement).outerHTML`))
		b.t.Fatalf("waiting %s for %s: %v\n<main> now:\n%s", d, what, err, truncate(html, 4000))
	}
}

// text is the trimmed text content of the first element matching sel ("" when none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return evalJS[string](b, fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e?e.textContent.trim():""})()`, sel))
}

// texts are the trimmed text contents of every element matching sel.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	return evalJS[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(function(e){return e.textContent.trim()})`, sel))
}

// count is how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return evalJS[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// requireNoCSPViolation fails when the current page broke its own CSP.
func (b *browser) requireNoCSPViolation(page string) {
	b.t.Helper()
	require.Empty(b.t, evalJS[[]string](b, `window.__csp || []`), "%s: the page broke its Content-Security-Policy", page)
}

// settle waits until htmx has no request in flight, so a check sees the
// page with its fragments loaded.
func (b *browser) settle() {
	b.t.Helper()
	b.waitJS(15*time.Second, "htmx requests to finish", `document.readyState === "complete" && !document.querySelector(".htmx-request")`)
}

// signIn signs in with a workspace key through the sign-in form.
func (b *browser) signIn(base, key string) {
	b.t.Helper()
	require.Equal(b.t, 200, b.open(base+"/ui/signin"))
	b.do(20*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`form#signin input#key[name=key]`)),
		chromedp.SendKeys(chromedp.CSS(`form#signin input#key`), key),
		chromedp.Click(chromedp.CSS(`form#signin button`)),
	)
	b.waitJS(20*time.Second, "the overview after signing in", `location.pathname === "/ui/" && !!document.querySelector('nav[aria-label="Main"]')`)
}

// screenshot saves the page (the whole document) as a PNG artefact.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// A screenshot taken while the document is being replaced (a redirect
	// after a form, an htmx swap) fails with "0 width": wait and try again.
	var png []byte
	var err error
	for range 5 {
		b.settle()
		if png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			break
		}
	}
	require.NoError(b.t, err)
	path := filepath.Join(artifactDir(b.t), name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	return path
}

// viewport sets the window's size (a phone below 500 px).
func (b *browser) viewport(width, height int64) {
	b.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if width < 500 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do(10*time.Second, chromedp.EmulateViewport(width, height, opts...))
}

// artifactDir is where screenshots go: $SHIPHUB_ARTIFACTS, or
// cmd/shiphub/testdata/artifacts (git-ignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SHIPHUB_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// axeSource is axe-core, vendored (testdata/axe/README.md).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	require.NoError(t, err)
	return string(b)
}

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
}

// axeRun injects axe-core into the current page (once) and returns its
// serious and critical violations.
func (b *browser) axeRun(src string) []axeViolation {
	b.t.Helper()
	if !evalJS[bool](b, `typeof window.axe !== "undefined"`) {
		require.True(b.t, evalJS[bool](b, src+"\n;true"))
	}
	const run = `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  return JSON.stringify(r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 8).map(function (n) { return n.target.join(" ") + " " + (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 160); })};
  }));
})`
	out := evalJS[string](b, run, chromedp.EvalAwaitPromise)
	var v []axeViolation
	require.NoError(b.t, json.Unmarshal([]byte(out), &v))
	return v
}

// horizontalOverflow is how far the document is wider than the window (0
// when it does not scroll sideways).
func (b *browser) horizontalOverflow() int {
	b.t.Helper()
	return evalJS[int](b, `Math.max(0, document.documentElement.scrollWidth - window.innerWidth)`)
}

// pageHTML is the whole document's HTML.
func (b *browser) pageHTML() string {
	b.t.Helper()
	return evalJS[string](b, `document.documentElement.outerHTML`)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

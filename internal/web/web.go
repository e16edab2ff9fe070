// Package web is shiphub's dashboard: server-rendered pages (html/template,
// with htmx vendored into the binary) under /ui/, signed in with a
// workspace API key. A session sees only its own workspace, like the key
// it was opened with. Pages read the same store the merchant API reads;
// the few actions (retry a delivery or a command, recover an endpoint)
// call the same store methods and queues as the API's.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/store"
)

// Prefix is where the dashboard lives. The server mounts Handler at Prefix.
const Prefix = "/ui/"

// Config is what the dashboard is built from.
type Config struct {
	// Store is where pages read from and sessions are kept.
	Store store.Store
	// Keys are the workspaces' API keys; signing in with one opens a
	// session in its workspace.
	Keys []api.Key
	// Logger receives failures; nil means slog.Default(). Keys and session
	// tokens are never logged.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// SessionLifetime is how long a sign-in lasts; default 12h.
	SessionLifetime time.Duration
	// SignInPerMinute limits sign-in attempts per client address and
	// minute; default 10.
	SignInPerMinute int
	// DemoKey, when set, is the key the sign-in page offers to sign in
	// with in one click (shiphub demo only). The key itself is never put
	// in the page.
	DemoKey string

	// Commands retries failed and dead commands; nil hides the retry buttons.
	Commands api.CommandQueue
	// Statuses gives the connections' health and budgets (package connstatus).
	Statuses api.ConnectionStatuses
	// DeliveryRetried, when set, wakes the webhook delivery worker after a
	// retry or a recovery.
	DeliveryRetried func()
	// Insights, when set, answers the charts of the insights page from a
	// snapshot it keeps current (see insights.go).
	Insights InsightsSource
	// Live, when set, streams new feed events to open pages (see live.go).
	Live *Live
	// Connections, when set, lists a workspace's configured connections
	// (the shipment list's provider and connection filters).
	Connections func(workspace string) []ConnInfo
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("web: a store is required"))
	}
	if c.SessionLifetime < 0 {
		errs = append(errs, fmt.Errorf("web: session lifetime %s is negative", c.SessionLifetime))
	}
	if c.SignInPerMinute < 0 {
		errs = append(errs, fmt.Errorf("web: sign-in limit %d is negative", c.SignInPerMinute))
	}
	return errors.Join(errs...)
}

// UI is the dashboard. It is safe for concurrent use.
type UI struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
	pages pageSet
	keys  *api.Keyring
}

// New builds the dashboard from a configuration; it panics only when the
// embedded templates do not parse (a programmer error).
func New(cfg Config) (*UI, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.SignInPerMinute == 0 {
		cfg.SignInPerMinute = 10
	}
	u := &UI{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(), keys: api.NewKeyring(cfg.Keys)}
	if u.log == nil {
		u.log = slog.Default()
	}
	if u.now == nil {
		u.now = time.Now
	}
	u.pages = mustParsePages()
	u.routes()
	return u, nil
}

// Handler serves the dashboard's full paths (Prefix included).
func (u *UI) Handler() http.Handler { return http.HandlerFunc(u.serveHTTP) }

func (u *UI) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Everything the pages load comes from this server: no inline script,
	// no frames, no other origin.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, Prefix+"static/") {
		h.Set("Cache-Control", "no-store")
	}
	if c := path.Clean(r.URL.Path); c != strings.TrimSuffix(Prefix, "/") && !strings.HasPrefix(c, Prefix) {
		// A path that dots its way out (/ui/..) would get the mux's
		// redirect to its clean form, off the dashboard: it is not a page.
		u.notFound(w, r)
		return
	}
	u.mux.ServeHTTP(w, r)
}

// routes registers every page. Each aggregate's file registers its own.
func (u *UI) routes() {
	u.routesCore(u.mux) // sign-in, sign-out, language, static files, live stream
	u.routesOverview(u.mux)
	u.routesShipments(u.mux)
	u.routesOrders(u.mux)
	u.routesStock(u.mux)
	u.routesInbound(u.mux)
	u.routesReturns(u.mux)
	u.routesConnections(u.mux)
	u.routesDeliveries(u.mux)
	u.routesCommands(u.mux)
	u.routesInsights(u.mux)
	u.mux.HandleFunc("/ui/", u.authed(func(w http.ResponseWriter, r *http.Request) {
		u.notFound(w, r)
	}))
}

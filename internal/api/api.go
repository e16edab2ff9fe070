// Package api is shiphub's merchant REST API: the read side of the canonical
// model (shipments, tracking, the event feed) under /api/v1, described by an
// OpenAPI 3.1 document that huma generates from the same Go types the
// handlers use, so the document cannot drift from what is served.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/shiphub/shiphub/internal/store"
)

// Version is the version of the merchant API contract, shown in the OpenAPI
// document. Bump it when the contract changes, so clients can tell.
var Version = "1.0.0"

// Prefix is where the API lives. The server mounts Handler at Prefix + "/",
// and Handler expects to see the full path, prefix included.
const Prefix = "/api/v1"

// Config is what an API is built from.
type Config struct {
	// Store is where the API reads shipments and the feed from.
	Store store.Store
	// Keys are the merchants' bearer keys. A request is served in the
	// workspace its key belongs to and never sees another workspace's data.
	Keys []Key
	// Logger receives store failures; nil means slog.Default(). Keys are
	// never logged.
	Logger *slog.Logger
	// Trackers, when set, enables /trackers: it says which connections
	// track parcels and wakes their pollers.
	Trackers TrackerControl
	// Webhooks configures the webhook endpoint and delivery routes.
	Webhooks WebhookOptions
	// PublicURL is the hub's absolute base URL as merchants reach it, such
	// as https://hub.example.com (http.public_url). The OpenAPI document's
	// server is PublicURL + Prefix, so generated clients call the right
	// host. Empty: the document names the scheme and host the request for
	// it came to, which is wrong only behind a proxy that changes them.
	PublicURL string
	// InboxRetried, when set, wakes the pipeline after failed inbox
	// messages were made pending again.
	InboxRetried func()

	// Commands is the durable command queue (package commands) that
	// POST /orders, /products, /inbound, the cancels and the command
	// retries submit to. Nil: those routes answer 503.
	Commands CommandQueue
	// CommandStore reads commands for /commands; nil means Store, which
	// implements it once the store has commands.
	CommandStore CommandReader
	// Connections finds a workspace's connections and their connectors,
	// which validate commands before they are queued; nil: no connection
	// is known and every command is refused (422).
	Connections ConnectionLookup
	// Statuses answers GET /connections (package connstatus); nil: the
	// route answers 503.
	Statuses ConnectionStatuses
	// Now is the clock of submissions; nil means time.Now.
	Now func() time.Time
}

// Key is one merchant API key. A key belongs to exactly one workspace, so
// the key alone decides whose data a request may read.
type Key struct {
	// Workspace is the workspace the key grants access to.
	Workspace string
	// Secret is the bearer token, sent as "Authorization: Bearer <Secret>".
	Secret string
}

// Validate checks the configuration's invariants: a store, and keys that
// each name a workspace and are unique, because a key shared by two
// workspaces would make it ambiguous whose data it reads.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("api: a store is required"))
	}
	seen := make(map[string]int, len(c.Keys))
	for i, k := range c.Keys {
		if k.Workspace == "" {
			errs = append(errs, fmt.Errorf("api: key %d: workspace is empty", i))
		}
		if strings.TrimSpace(k.Secret) == "" || k.Secret != strings.TrimSpace(k.Secret) {
			// A secret with surrounding spaces could never be presented
			// intact in a header, so it is a configuration mistake.
			errs = append(errs, fmt.Errorf("api: key %d of workspace %q: secret is empty or has surrounding spaces", i, k.Workspace))
			continue
		}
		if j, dup := seen[k.Secret]; dup {
			errs = append(errs, fmt.Errorf("api: key %d of workspace %q repeats key %d; every key must be unique", i, k.Workspace, j))
			continue
		}
		seen[k.Secret] = i
	}
	if c.PublicURL != "" {
		if err := validatePublicURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("api: public url %q: %w", c.PublicURL, err))
		}
	}
	return errors.Join(errs...)
}

// API is the merchant API. It is safe for concurrent use.
type API struct {
	store    store.Store
	trackers TrackerControl
	webhooks WebhookOptions
	// inboxRetried wakes the pipeline (Config.InboxRetried).
	inboxRetried func()
	keys         keyring
	log          *slog.Logger
	mux          *http.ServeMux
	humaAP       huma.API
	// publicURL is Config.PublicURL without a trailing slash.
	publicURL string
	documents documentCache

	// commandParts are the fulfilment command routes' dependencies.
	commandParts
}

// New builds the API from a validated configuration.
func New(cfg Config) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &API{
		store:        cfg.Store,
		trackers:     cfg.Trackers,
		webhooks:     cfg.Webhooks,
		inboxRetried: cfg.InboxRetried,
		keys:         newKeyring(cfg.Keys),
		log:          cfg.Logger,
		mux:          http.NewServeMux(),

		publicURL: strings.TrimRight(cfg.PublicURL, "/"),

		commandParts: newCommandParts(cfg),
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.humaAP = humago.NewWithPrefix(a.mux, Prefix, humaConfig())
	a.humaAP.UseMiddleware(a.authenticate)
	a.register()
	a.registerWebhooks()
	refineDocument(a.humaAP.OpenAPI())
	refineWebhookDocument(a.humaAP.OpenAPI())
	describeWebhooks(a.humaAP.OpenAPI())
	if a.publicURL != "" {
		a.humaAP.OpenAPI().Servers = []*huma.Server{{URL: a.publicURL + Prefix, Description: "This hub."}}
	}
	return a, nil
}

// Handler serves the API's full paths (Prefix included). Every error,
// including unknown paths and methods, is an RFC 9457 problem document.
func (a *API) Handler() http.Handler { return http.HandlerFunc(a.serveHTTP) }

// OpenAPI returns the API's OpenAPI document, for tools that render it
// without a running server. Its server is absolute only when PublicURL is
// set; the served document always names an absolute one.
func (a *API) OpenAPI() *huma.OpenAPI { return a.humaAP.OpenAPI() }

func (a *API) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if render, ok := documentRenderings[r.URL.Path]; ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		a.serveDocument(w, r, render)
		return
	}
	if _, pattern := a.mux.Handler(r); pattern == "" {
		// The mux answers unknown paths and methods in plain text; rewrite
		// its errors (not its redirects) as problem documents.
		a.mux.ServeHTTP(&problemWriter{ResponseWriter: w}, r)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// humaConfig is huma's default configuration without the schema link
// transformer (which would add "$schema" to every body and change the
// contract) and without the unauthenticated /schemas route.
func humaConfig() huma.Config {
	return huma.Config{
		OpenAPI: &huma.OpenAPI{
			OpenAPI: "3.1.0",
			Info: &huma.Info{
				Title:   "shiphub",
				Version: Version,
				Description: "The merchant API of shiphub, a self-hosted logistics integration hub: " +
					"one model of shipments and tracking events across every connected provider.\n\n" +
					"Every operation needs `Authorization: Bearer <key>`; a key belongs to one workspace " +
					"and only ever sees that workspace's data. Errors are RFC 9457 problem documents " +
					"(`application/problem+json`).",
			},
			Components: &huma.Components{
				Schemas: huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer),
				SecuritySchemes: map[string]*huma.SecurityScheme{
					securityScheme: {
						Type:        "http",
						Scheme:      "bearer",
						Description: "A workspace's API key from the hub's configuration (`api_keys`).",
					},
				},
			},
		},
		OpenAPIPath:   "/openapi",
		DocsPath:      "/docs",
		Formats:       map[string]huma.Format{"application/json": huma.DefaultJSONFormat, "json": huma.DefaultJSONFormat},
		DefaultFormat: "application/json",
	}
}

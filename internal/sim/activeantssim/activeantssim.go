// Package activeantssim simulates Active Ants' ShopApi, the legacy v1/v2
// API of the Dutch fulfilment warehouse, for the demo, the benchmarks and
// the connector's tests. It is written from activeants-shopapi.txt and,
// where that capture lost its paths, activeants-public-clients.md; it does
// not import the connector, so that the two check each other.
//
// # What it serves
//
// Every operation of Paths(), each with its source; the paths no source
// shows (order release, track-trace status, purchase-order edit and delete,
// stock since a date, return items, the label with a return shipping
// method) are marked Chosen, and order release, track-trace status and
// purchase-order edit and delete have aliases, so that a connector's own
// choice likely finds one.
// Paths match without regard to case or a trailing slash. Request bodies
// are JSON (or, as afosto sends them, forms) whose keys bind without regard
// to case, so the document's camelCase and the clients' PascalCase both
// work. Answers are the envelope {messageCode, message, result} in the
// document's camelCase; Config.PascalCase (or SetPascalCase) answers with
// every key in PascalCase instead, and Config.MixedCase with shipments in
// camelCase and the rest in PascalCase.
//
//   - POST /token takes the form grant_type=password&username&password and
//     answers {access_token, token_type, expires_in, userName, issued,
//     expires} as the document spells them (no envelope). A wrong login is
//     400 {error, error_description}; an unknown or expired token on any
//     other call is 401. Tokens live Config.TokenLifetime on the Config.Now clock;
//     ExpireTokens and ExpireTokensAfter end them early, also in the middle
//     of a sync.
//   - Refusals are HTTP 200 with messageCode NOK: an order number that
//     exists ("Order with external order number (X) already exists.", the
//     wording Caret matches), unknown ids, a forbidden purchase-order change
//     (the colour rules are in purchaseorders.go), a barcode change while
//     in stock, the release of an order not on hold, not found. A request that does not
//     decode or misses a required field is 400 with a NOK envelope naming
//     the field.
//   - GET /settings/get answers DefaultSettings (Config.Settings): the
//     document's codes with other ids than the document's production ones.
//
// # The warehouse
//
// Warehouse time runs Config.Speed times as fast as the Config.Now clock
// from Config.Start, and Advance jumps it ahead. Orders wait PickDelay,
// then ship if the stock allows (with partialDelivery, what is in stock;
// an order on hold waits for its release): a shipment with colli, package
// numbers and track-trace URLs in its carrier's style, shipped products
// with lot numbers, THT dates and serial numbers for products that have
// them. Stock follows: an order reserves (economic stock), a pick takes
// physical stock and books a stock mutation (type 2, negative), a
// purchase-order delivery adds it (type 1, with its purchase-order link,
// in two deliveries so that the order turns yellow and then green), a
// return adds it back (type 3, the document's, with its reason). Each
// shipment then walks its track-trace statuses (TrackTraceStatuses) to
// delivered, sometimes through a failed attempt or an exception.
// Config.ShopOrders and ShopOrderEvery add orders that the shop's own
// plugin placed, outside shiphub.
//
// Shipments and stock mutations are served until marked synced: get
// returns the unsynced ones (at most Config.PageSize), sync marks the ids
// it is given, and the unmarked come again. GET /stock/bulk/false serves
// the products whose stock changed since they were last served and clears
// the mark; bulk/true serves all (and clears every mark).
//
// The document says delivered shipments leave the track-trace list at once;
// the simulator keeps them Config.DeliveredLinger (default a day of
// warehouse time) so that an hourly poller sees the final status.
//
// # Go API
//
//	sim, err := activeantssim.New(activeantssim.Config{Username: "u", Password: "p", Seed: 1})
//	base, err := sim.Start("127.0.0.1:0") // or use sim as an http.Handler
//	defer sim.Close()
//
// # Test hooks
//
// What happened: OrderCount, Orders, OrderOnHold, Shipments,
// ShipmentCounts, SyncCount, MutationCounts, Products, PurchaseOrderColour,
// PurchaseOrderItems, RMAs, TokensIssued, TrackTracePolls (and how many came
// within the hour), Requests and RequestsByPath. Steering: Advance (jump
// warehouse time), ExpireTokens, ExpireTokensAfter (a 401 in the middle of
// a sync), Inject (a NOK or an HTTP status on a path, n times), Receive
// (goods in on a purchase order), SetStock (a stock count) and
// SetPascalCase.
package activeantssim

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultTokenLifetime   = 56499 * time.Second // the document's example expires_in
	DefaultSpeed           = 360.0
	DefaultPickDelay       = 2 * time.Hour
	DefaultReceiveDelay    = 48 * time.Hour
	DefaultReturnDelay     = 72 * time.Hour
	DefaultDeliveredLinger = 24 * time.Hour
	DefaultPageSize        = 100
	DefaultProducts        = 20
)

// Config configures a simulator. The zero value of every field but
// Username and Password means its default.
type Config struct {
	// Username and Password are the shop's ShopApi login. Required.
	Username, Password string
	// TokenLifetime is how long a token lives on the Now clock; default
	// 56499s, the document's expires_in.
	TokenLifetime time.Duration
	// Now is the real clock (tokens, the start of warehouse time); default
	// time.Now.
	Now func() time.Time
	// Start is the warehouse time when the simulator is built; default
	// Now().
	Start time.Time
	// Speed is how many warehouse seconds pass in one second of Now;
	// default 360 (an hour in 10 seconds). Negative stops the warehouse
	// clock, so that only Advance moves it (tests).
	Speed float64
	// Seed makes the world reproducible: products, ids, addresses,
	// journeys.
	Seed int64
	// Products is how many products the warehouse starts with; default 20,
	// negative for none.
	Products int
	// ShopOrders is how many orders of the shop's own plugin exist at the
	// start; ShopOrderEvery adds one about every so much warehouse time
	// (0: none).
	ShopOrders     int
	ShopOrderEvery time.Duration
	// PickDelay is the warehouse time, give or take half, from an order to
	// its shipment; default 2h.
	PickDelay time.Duration
	// ReceiveDelay is when a purchase order without an expected date is
	// first delivered; default 48h.
	ReceiveDelay time.Duration
	// ManualReceipts stops purchase orders from being delivered by
	// themselves; Receive delivers them (tests of the colour rules).
	ManualReceipts bool
	// ReturnDelay is the warehouse time from an RMA to its goods arriving;
	// default 72h.
	ReturnDelay time.Duration
	// DeliveredLinger is how long a delivered shipment stays in the
	// track-trace list; default 24h of warehouse time, negative for not at
	// all (the document's word).
	DeliveredLinger time.Duration
	// PageSize caps the shipments and stock mutations one get returns;
	// default 100 ("Found 100 shipments").
	PageSize int
	// AcceptUnknownSKUs creates an order's unknown products, with stock,
	// instead of refusing the order (the demo).
	AcceptUnknownSKUs bool
	// PascalCase answers with PascalCase keys, as the clients expect.
	PascalCase bool
	// MixedCase answers shipments in camelCase and everything else in
	// PascalCase, as a 2016 afosto comment says the API did.
	MixedCase bool
	// ProductCreated answers product/add with HTTP 201, as NS saw.
	ProductCreated bool
	// Settings replaces DefaultSettings.
	Settings *Settings
}

// Validate checks the configuration before defaults are applied.
func (c Config) Validate() error {
	var errs []error
	if c.Username == "" {
		errs = append(errs, errors.New("username: is required"))
	}
	if c.Password == "" {
		errs = append(errs, errors.New("password: is required"))
	}
	for name, d := range map[string]time.Duration{"token lifetime": c.TokenLifetime, "pick delay": c.PickDelay,
		"receive delay": c.ReceiveDelay, "return delay": c.ReturnDelay, "shop order every": c.ShopOrderEvery} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", name))
		}
	}
	if c.ShopOrders < 0 {
		errs = append(errs, errors.New("shop orders: must not be negative"))
	}
	if c.PageSize < 0 {
		errs = append(errs, errors.New("page size: must not be negative"))
	}
	if c.Settings != nil && (len(c.Settings.MainShippingMethods) == 0 || len(c.Settings.OrderTypes) == 0 || len(c.Settings.Languages) == 0) {
		errs = append(errs, errors.New("settings: need at least one main shipping method, order type and language"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.TokenLifetime == 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Start.IsZero() {
		c.Start = c.Now()
	}
	if c.Speed == 0 {
		c.Speed = DefaultSpeed
	}
	if c.Products == 0 {
		c.Products = DefaultProducts
	} else if c.Products < 0 {
		c.Products = 0
	}
	if c.PickDelay == 0 {
		c.PickDelay = DefaultPickDelay
	}
	if c.ReceiveDelay == 0 {
		c.ReceiveDelay = DefaultReceiveDelay
	}
	if c.ReturnDelay == 0 {
		c.ReturnDelay = DefaultReturnDelay
	}
	if c.DeliveredLinger == 0 {
		c.DeliveredLinger = DefaultDeliveredLinger
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Settings == nil {
		s := DefaultSettings()
		c.Settings = &s
	}
}

type token struct {
	issued, expires time.Time
}

// fault is an injected answer for the next count requests of a path.
type fault struct {
	status  int
	message string
	count   int
}

// Sim is the simulated ShopApi; it is an http.Handler.
type Sim struct {
	cfg Config

	mu          sync.Mutex
	w           *world
	realStart   time.Time
	offset      time.Duration
	tokens      map[[32]byte]*token
	issued      int
	expireAfter int // -1: off
	requests    map[string]int
	faults      map[string]*fault
	pascal      bool
	mixed       bool
	// reqPascal is the casing of the request being answered (mu is held
	// for the whole request).
	reqPascal bool
	srv       *http.Server
	// lastTrackTrace and lastTrackTraceWarehouse are the Now and the
	// warehouse time of the last track-trace poll; polls less than an hour
	// apart on both clocks are counted in trackTraceSoon.
	lastTrackTrace          time.Time
	lastTrackTraceWarehouse time.Time
	trackTraceAll           int
	trackTraceSoon          int
}

// New builds a simulator, validating cfg and filling in defaults.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("active ants simulator config: %w", err)
	}
	cfg.setDefaults()
	s := &Sim{
		cfg: cfg, realStart: cfg.Now(), tokens: map[[32]byte]*token{}, expireAfter: -1,
		requests: map[string]int{}, faults: map[string]*fault{}, pascal: cfg.PascalCase, mixed: cfg.MixedCase,
	}
	s.w = newWorld(&s.cfg, cfg.Start)
	return s, nil
}

// Start serves the simulator on addr (e.g. 127.0.0.1:0) and returns its
// base URL.
func (s *Sim) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("active ants simulator: listening on %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a simulator started with Start.
func (s *Sim) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// warehouseNow is the warehouse clock; the caller holds mu.
func (s *Sim) warehouseNow() time.Time {
	t := s.cfg.Start.Add(s.offset)
	if s.cfg.Speed > 0 {
		t = t.Add(time.Duration(float64(s.cfg.Now().Sub(s.realStart)) * s.cfg.Speed))
	}
	return t
}

// Now is the warehouse's time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.warehouseNow()
}

// Advance moves warehouse time ahead by d and runs what falls due: picks,
// track-trace steps, deliveries, returns.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.w.advance(s.warehouseNow())
}

// ServeHTTP answers the ShopApi's operations.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ops, params := match(r.URL.Path)
	if r.Body != nil { // read before locking, so that a slow client holds up no one
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			s.write(w, http.StatusBadRequest, envelope{MessageCode: "NOK", Message: "The request is invalid: reading the body failed."})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.advance(s.warehouseNow())
	var op *Path
	for _, o := range ops {
		if o.Method == r.Method {
			op = o
		}
	}
	key := r.URL.Path
	if op != nil {
		key = op.Pattern
	}
	s.reqPascal = s.pascal || (s.mixed && !strings.Contains(key, "shipment"))
	s.requests[key]++
	switch {
	case len(ops) == 0:
		s.write(w, http.StatusNotFound, map[string]string{"Message": "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."})
		return
	case op == nil:
		w.Header().Set("Allow", ops[0].Method)
		s.write(w, http.StatusMethodNotAllowed, map[string]string{"Message": "The requested resource does not support http method '" + r.Method + "'."})
		return
	}
	if op.Auth && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		s.write(w, http.StatusUnauthorized, map[string]string{"Message": "Authorization has been denied for this request."})
		return
	}
	if f := s.takeFault(op.Pattern); f != nil {
		if f.status == 0 || f.status == http.StatusOK {
			s.write(w, http.StatusOK, envelope{MessageCode: "NOK", Message: f.message})
		} else {
			s.write(w, f.status, map[string]string{"Message": f.message})
		}
		return
	}
	op.handle(s, w, r, params)
}

func (s *Sim) takeFault(pattern string) *fault {
	for _, k := range []string{pattern, "*"} {
		if f := s.faults[k]; f != nil && f.count != 0 {
			if f.count > 0 {
				f.count--
			}
			return f
		}
	}
	return nil
}

// write answers v, in PascalCase when so switched.
func (s *Sim) write(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v, s.reqPascal) }

// answer writes the outcome of an operation: OK with its message and
// result, NOK for a refusal, 400 for a bad request.
func (s *Sim) answer(w http.ResponseWriter, okStatus int, msg string, result any, err error) {
	var ref *refusal
	var bad *badRequest
	switch {
	case err == nil:
		s.write(w, okStatus, envelope{MessageCode: "OK", Message: msg, Result: result})
	case errors.As(err, &ref):
		s.write(w, http.StatusOK, envelope{MessageCode: "NOK", Message: ref.msg})
	case errors.As(err, &bad):
		s.write(w, http.StatusBadRequest, envelope{MessageCode: "NOK", Message: bad.msg})
	default:
		s.write(w, http.StatusInternalServerError, map[string]string{"Message": "An error has occurred."})
	}
}

func hashToken(t string) [32]byte { return sha256.Sum256([]byte(t)) }

// authorized checks the bearer token (scheme in any case: the portal and
// NS send "bearer"). Tokens are kept by their hash, so the lookup does not
// compare the secret itself.
func (s *Sim) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	t := s.tokens[hashToken(strings.TrimSpace(tok))]
	if t == nil || !s.cfg.Now().Before(t.expires) {
		return false
	}
	if s.expireAfter >= 0 {
		if s.expireAfter == 0 {
			s.expireAll()
			s.expireAfter = -1
			return false
		}
		s.expireAfter--
	}
	return true
}

func (s *Sim) expireAll() {
	now := s.cfg.Now()
	for _, t := range s.tokens {
		if t.expires.After(now) {
			t.expires = now
		}
	}
}

// token answers POST /token: OAuth2's password grant, OWIN style.
func (s *Sim) token(w http.ResponseWriter, r *http.Request, _ []string) {
	oauthErr := func(code, desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc}, false)
	}
	if !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		oauthErr("unsupported_grant_type", "The request must be form encoded (application/x-www-form-urlencoded).")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthErr("invalid_request", "The request body could not be read.")
		return
	}
	if r.PostForm.Get("grant_type") != "password" {
		oauthErr("unsupported_grant_type", "The grant type must be password.")
		return
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username)) == 1
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password)) == 1
	if !okUser || !okPass {
		oauthErr("invalid_grant", "The user name or password is incorrect.")
		return
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	access := hex.EncodeToString(raw[:])
	now := s.cfg.Now()
	for h, old := range s.tokens {
		if !now.Before(old.expires) {
			delete(s.tokens, h)
		}
	}
	t := &token{issued: now, expires: now.Add(s.cfg.TokenLifetime)}
	s.tokens[hashToken(access)] = t
	s.issued++
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		UserName    string `json:"userName"`
		Issued      string `json:"issued"`
		Expires     string `json:"expires"`
	}{access, "bearer", int64(s.cfg.TokenLifetime / time.Second), user, t.issued.UTC().Format(http.TimeFormat), t.expires.UTC().Format(http.TimeFormat)}, false)
}

// TokensIssued is how many tokens POST /token handed out.
func (s *Sim) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// ExpireTokens ends every token issued so far; the next call with one is 401.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireAll()
}

// ExpireTokensAfter lets n more authorised requests through, then ends
// every token, so that a sync meets a 401 in its middle. n < 0 cancels it.
func (s *Sim) ExpireTokensAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireAfter = max(n, -1)
}

// Inject makes the next count requests to path (a Pattern of Paths, or "*"
// for any) answer status with message instead: status 0 or 200 is a 200
// NOK envelope, anything else that status with {"Message": message}.
// count < 0 means until cleared with count 0.
func (s *Sim) Inject(path string, status int, message string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if count == 0 {
		delete(s.faults, path)
		return
	}
	s.faults[path] = &fault{status: status, message: message, count: count}
}

// Requests is how many requests arrived for one Pattern of Paths (or a raw
// path that matched none), authorised or not.
func (s *Sim) Requests(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[pattern]
}

// RequestsByPath is a copy of the request counts by Pattern.
func (s *Sim) RequestsByPath() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// TrackTracePolls is how many track-trace status requests were answered,
// and how many of them came less than an hour after the one before, on
// the Now clock and on the warehouse clock (which Speed may run faster):
// the document asks for at most one an hour.
func (s *Sim) TrackTracePolls() (total, tooSoon int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trackTraceAll, s.trackTraceSoon
}

// SetPascalCase switches the answers' keys to PascalCase or back (and
// ends MixedCase).
func (s *Sim) SetPascalCase(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pascal, s.mixed = on, false
}

// Settings is what GET /settings/get answers.
func (s *Sim) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.settings
}

package wicssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// Defaults of ServerConfig.
const (
	DefaultPerMinute    = 150
	DefaultPerDay       = 20000
	DefaultPageSize     = 20
	DefaultMaxPageSize  = 20000
	DefaultProgressStep = 2 * time.Minute
	DefaultInitialStock = 1000
	DefaultCompany      = "Simulated company"
	DefaultKeepEmitted  = 100000
)

// DefaultBlocks are the document's violation levels: one minute, five
// more, and at most fifteen.
var DefaultBlocks = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}

// User is one API login (the document's API key and secret).
type User struct {
	// Key and Secret are the Basic auth user and password.
	Key, Secret string
	// Customer is the name the login endpoint reports; default the key.
	Customer string
}

// ServerConfig configures the Service Layer server. Only Users is required.
type ServerConfig struct {
	// Users are the API logins; each has its own limits and subscriptions.
	Users []User
	// Company is the company name the login endpoint reports.
	Company string
	// CustomerNumber is the WICS customer number in records; default 14.
	CustomerNumber int
	// PerMinute and PerDay are each login's limits; defaults 150 and 20000.
	PerMinute, PerDay int
	// Blocks are the violation levels' block durations; default 1, 5 and 15
	// minutes (DefaultBlocks).
	Blocks []time.Duration
	// RetryAfter adds a Retry-After header (seconds of simulated time) to a
	// 429. The document names none and no client reads one, so it is off by
	// default: a connector must know the escalation itself.
	RetryAfter bool
	// ErrorsIn2xx answers refusals of the API (400, 404, 422) with HTTP 200
	// and success false in the body, as some clients expect WICS to; 401,
	// 429 and injected faults keep their status.
	ErrorsIn2xx bool
	// PageSize and MaxPageSize are the lists' default and largest page;
	// defaults 20 and 20000.
	PageSize, MaxPageSize int
	// NumericOrderStatus answers an order's statusCode as its two-digit code
	// ("30"); by default it is the description, as in the document's
	// examples ("Bevestigd").
	NumericOrderStatus bool
	// UniqueReferences refuses an order whose reference another live order
	// has. Off by default: the simulator then keeps both, so a test can see
	// that a connector created an order twice (OrderCount).
	UniqueReferences bool
	// ProgressStep is the simulated time between two steps of an order's or
	// announcement's life; default 2 minutes. Negative stops progression
	// (orders stay 00 until Advance).
	ProgressStep time.Duration
	// InitialStock is the physical stock of every seeded item; default 1000.
	InitialStock int
	// Speed compresses time when Clock is nil: 600 makes a minute pass in
	// 100ms, for the limits, the progression and the webhook retries alike.
	// Default 1.
	Speed float64
	// Clock is the simulated time; default NewScaledClock(Speed).
	Clock Clock
	// Base64WebhookAuth sends the webhooks' Authorization header as
	// standard Basic base64(key:secret) instead of the document's literal
	// "Basic {apikey}:{apisecret}".
	Base64WebhookAuth bool
	// KeepEmitted is how many of the newest webhook messages Emitted
	// keeps; default 100000.
	KeepEmitted int
	// Client posts the webhooks; default as the sender's.
	Client *http.Client
	// Logger logs webhooks given up; default discards.
	Logger *slog.Logger
}

// Validate checks the configuration before defaults are applied.
func (c ServerConfig) Validate() error {
	var errs []error
	if len(c.Users) == 0 {
		errs = append(errs, errors.New("users: at least one API user is required"))
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		switch {
		case u.Key == "" || u.Secret == "":
			errs = append(errs, fmt.Errorf("users[%d]: key and secret are required", i))
		case strings.Contains(u.Key, ":"):
			errs = append(errs, fmt.Errorf("users[%d]: key must not contain a colon", i))
		case seen[u.Key]:
			errs = append(errs, fmt.Errorf("users[%d]: key %q is given twice", i, u.Key))
		}
		seen[u.Key] = true
	}
	for name, v := range map[string]int{"per minute": c.PerMinute, "per day": c.PerDay, "page size": c.PageSize,
		"max page size": c.MaxPageSize, "customer number": c.CustomerNumber, "initial stock": c.InitialStock,
		"keep emitted": c.KeepEmitted} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", name))
		}
	}
	for i, b := range c.Blocks {
		if b <= 0 {
			errs = append(errs, fmt.Errorf("blocks[%d]: must be positive", i))
		}
	}
	if c.Speed < 0 {
		errs = append(errs, errors.New("speed: must not be negative"))
	}
	return errors.Join(errs...)
}

func (c *ServerConfig) setDefaults() {
	if c.Company == "" {
		c.Company = DefaultCompany
	}
	if c.CustomerNumber == 0 {
		c.CustomerNumber = DefaultCustomerNumber
	}
	if c.PerMinute == 0 {
		c.PerMinute = DefaultPerMinute
	}
	if c.PerDay == 0 {
		c.PerDay = DefaultPerDay
	}
	if len(c.Blocks) == 0 {
		c.Blocks = DefaultBlocks
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if c.ProgressStep == 0 {
		c.ProgressStep = DefaultProgressStep
	}
	if c.InitialStock == 0 {
		c.InitialStock = DefaultInitialStock
	}
	if c.Clock == nil {
		c.Clock = NewScaledClock(c.Speed)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.KeepEmitted == 0 {
		c.KeepEmitted = DefaultKeepEmitted
	}
}

// Server is the simulated Service Layer API; it is an http.Handler.
//
// Where the document is silent the server chooses, and says so here:
//
//   - Errors use the document's envelope {code, message, success: false,
//     data} with the HTTP status equal to code: 401 for a wrong login, 404
//     for an unknown identifier or path, 422 for a refused body (data then
//     maps each field to its messages), 429 for the rate limits.
//     ServerConfig.ErrorsIn2xx answers every refusal with HTTP 200 and
//     success false instead, as some clients expect.
//   - Lists default to 20 a page (the document's examples all say "List of
//     20 …") and allow up to ServerConfig.MaxPageSize; a larger pageSize is
//     cut to it. page starts at 1; past the end the list is empty ("List of
//     0 orders").
//   - A filter names a field of the record as the get endpoint shows it; a
//     field the record does not have is refused with 400.
//   - {identifier} of an order is its WICS number or, failing that, its
//     reference (the newest order of that reference); shipments and paid
//     take the reference or the number.
//   - A deleted order stays, cancelled (status 90); a deleted announcement
//     is gone.
//   - All logins see one customer's data; each login has its own webhook
//     subscriptions and its own rate limits.
//   - An order's statusCode is its description ("Bevestigd"), as in the
//     document's examples, unless ServerConfig.NumericOrderStatus.
//   - metaFields are kept and come back in the Shipment and Receipt
//     webhooks only, as the Metafields chapter says; the get endpoints do
//     not show them.
//   - Subscriptions take the topic names of the document's headings in any
//     case and spacing (webhooks.go); webhooks carry the document's literal
//     "Authorization: Basic {apikey}:{apisecret}" unless
//     ServerConfig.Base64WebhookAuth.
//   - The same order reference may be created twice (see
//     ServerConfig.UniqueReferences).
type Server struct {
	cfg   ServerConfig
	clock Clock
	mux   *http.ServeMux
	users map[string]User

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	lim *limiter

	mu sync.Mutex
	st *state
	// hooks are the test hooks: faults to inject, webhooks to drop.
	faults []*Fault
	drops  []*DropRule

	srv *http.Server
}

// NewServer builds a server with its seeded catalogue and stock.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wics simulator server config: %w", err)
	}
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, clock: cfg.Clock, users: map[string]User{}, ctx: ctx, cancel: cancel}
	for _, u := range cfg.Users {
		if u.Customer == "" {
			u.Customer = u.Key
		}
		s.users[u.Key] = u
	}
	s.lim = newLimiter(cfg.PerMinute, cfg.PerDay, cfg.Blocks)
	s.st = newState(cfg.CustomerNumber, cfg.InitialStock)
	s.routes()
	return s, nil
}

// Start serves the simulator on addr (e.g. 127.0.0.1:0) and returns its
// base URL, to which the document's paths (/api/…) are added.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("wics simulator: listening on %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the progression and the webhook deliveries and, if Start was
// called, the listener. It waits for the background work to end.
func (s *Server) Close() error {
	s.cancel()
	var err error
	if s.srv != nil {
		err = s.srv.Close()
	}
	s.mu.Lock()
	for _, sub := range s.st.subs {
		sub.q.close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Clock is the server's simulated time.
func (s *Server) Clock() Clock { return s.clock }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/login", s.login)

	m.HandleFunc("GET /api/order", s.listOrders)
	m.HandleFunc("POST /api/order", s.createOrder)
	m.HandleFunc("GET /api/order/{id}", s.getOrder)
	m.HandleFunc("PUT /api/order/{id}", s.updateOrder)
	m.HandleFunc("DELETE /api/order/{id}", s.deleteOrder)
	m.HandleFunc("GET /api/order/{id}/shipment", s.orderShipments)
	m.HandleFunc("POST /api/order/{id}/paid", s.orderPaid)
	m.HandleFunc("GET /api/order/{id}/serialnumber", s.orderSerials)
	m.HandleFunc("GET /api/shipment/{id}/serialnumber", s.shipmentSerials)

	m.HandleFunc("GET /api/item", s.listItems)
	m.HandleFunc("POST /api/item", s.createItem)
	m.HandleFunc("POST /api/item/list", s.createItems)
	m.HandleFunc("GET /api/item/{code}", s.getItem)
	m.HandleFunc("PUT /api/item/{code}", s.updateItem)
	m.HandleFunc("GET /api/item/ean-item/{ean}", s.eanToItem)
	m.HandleFunc("GET /api/item/item-ean/{code}", s.itemToEAN)

	m.HandleFunc("GET /api/announcement", s.listAnnouncements)
	m.HandleFunc("POST /api/announcement", s.createAnnouncement)
	m.HandleFunc("GET /api/announcement/{id}", s.getAnnouncement)
	m.HandleFunc("PUT /api/announcement/{id}", s.updateAnnouncement)
	m.HandleFunc("DELETE /api/announcement/{id}", s.deleteAnnouncement)

	m.HandleFunc("GET /api/receipt", s.listReceipts)
	m.HandleFunc("GET /api/receipt/{id}", s.getReceipt)
	m.HandleFunc("GET /api/receipt/{id}/serialnumber", s.receiptSerials)

	m.HandleFunc("GET /api/stock", s.listStock)
	m.HandleFunc("GET /api/stock/detail", s.listStockDetail)
	m.HandleFunc("GET /api/stock/{code}", s.getStock)
	m.HandleFunc("GET /api/stock/{code}/detail", s.getStockDetail)
	m.HandleFunc("GET /api/stock/{code}/serialnumber", s.stockSerials)

	m.HandleFunc("GET /api/webhook", s.listWebhooks)
	m.HandleFunc("POST /api/webhook", s.createWebhook)
	m.HandleFunc("DELETE /api/webhook/{id}", s.deleteWebhook)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, notFound("No route for %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
}

type ctxKey struct{}

// userOf is the authenticated login of a request.
func userOf(r *http.Request) User { u, _ := r.Context().Value(ctxKey{}).(User); return u }

// ServeHTTP authenticates, applies the login's limits and the injected
// faults, and then answers the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="WICS Service Layer"`)
		writeEnvelope(w, http.StatusUnauthorized, envelope{Code: 401, Message: "Unauthorized: invalid API key or API secret"})
		return
	}
	if refused := s.lim.admit(u.Key, s.clock.Now()); refused != nil {
		if s.cfg.RetryAfter {
			w.Header().Set("Retry-After", fmt.Sprint(int(refused.wait.Round(time.Second)/time.Second)))
		}
		writeEnvelope(w, http.StatusTooManyRequests, envelope{Code: 429, Message: refused.message})
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, u))
	f := s.takeFault(r, u)
	if f != nil && f.HoldAnswer {
		s.holdAnswer(w, r, f)
		return
	}
	if f != nil && f.Delay > 0 && !ctxtime.Sleep(r.Context(), f.Delay) {
		return
	}
	switch {
	case f == nil || (f.Status == 0 && !f.LoseAnswer):
		s.mux.ServeHTTP(w, r)
	case f.LoseAnswer:
		// The request is carried out, then the connection drops before the
		// answer: the client cannot know whether it happened.
		rec := &discardWriter{h: http.Header{}}
		s.mux.ServeHTTP(rec, r)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	default:
		writeEnvelope(w, f.Status, envelope{Code: f.Status, Message: http.StatusText(f.Status)})
	}
}

// holdAnswer carries a request out at once and answers it after the
// fault's Delay (Fault.HoldAnswer); a client that goes away meanwhile gets
// nothing.
func (s *Server) holdAnswer(w http.ResponseWriter, r *http.Request, f *Fault) {
	rec := &bufferWriter{h: http.Header{}, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	if f.Delay > 0 && !ctxtime.Sleep(r.Context(), f.Delay) {
		return
	}
	if f.LoseAnswer {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// bufferWriter keeps an answer to be sent later.
type bufferWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.h }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(status int)      { b.status = status }

// discardWriter swallows the answer of a request whose answer is lost.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// envelope is the document's answer: code, message, success, data, in that
// order.
type envelope struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Success bool   `json:"success"`
	Data    any    `json:"data"`
}

func writeEnvelope(w http.ResponseWriter, status int, e envelope) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(e); err != nil {
		http.Error(w, "encoding answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ok answers success with HTTP status and envelope code the same.
func ok(w http.ResponseWriter, status int, message string, data any) {
	writeEnvelope(w, status, envelope{Code: status, Message: message, Success: true, Data: data})
}

// apiError is a refusal: the envelope's code, its message and, for a
// refused body, the fields and their messages.
type apiError struct {
	code    int
	message string
	fields  map[string][]string
}

func (e *apiError) Error() string { return e.message }

func notFound(format string, a ...any) *apiError {
	return &apiError{code: http.StatusNotFound, message: fmt.Sprintf(format, a...)}
}

func unprocessable(format string, a ...any) *apiError {
	return &apiError{code: http.StatusUnprocessableEntity, message: fmt.Sprintf(format, a...)}
}

// fail answers a refusal.
func (s *Server) fail(w http.ResponseWriter, e *apiError) {
	status := e.code
	if s.cfg.ErrorsIn2xx {
		status = http.StatusOK
	}
	var data any
	if len(e.fields) > 0 {
		data = e.fields
	}
	writeEnvelope(w, status, envelope{Code: e.code, Message: e.message, Data: data})
}

// decode reads a JSON body into v; a body that is not JSON, or whose values
// have the wrong types, is refused with 422 naming the field.
func decode(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 8<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &apiError{code: http.StatusUnprocessableEntity,
				message: fmt.Sprintf("The %s field must be of type %s.", te.Field, jsonKind(te.Type.Kind().String())),
				fields:  map[string][]string{te.Field: {fmt.Sprintf("The %s field must be of type %s.", te.Field, jsonKind(te.Type.Kind().String()))}}}
		}
		return &apiError{code: http.StatusBadRequest, message: "The request body is not valid JSON: " + err.Error()}
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return k
}

// validation collects a body's field errors.
type validation map[string][]string

func (v validation) add(field, format string, a ...any) {
	v[field] = append(v[field], fmt.Sprintf(format, a...))
}

func (v validation) required(field string, missing bool) {
	if missing {
		v.add(field, "The %s field is required.", field)
	}
}

// err is nil when nothing was wrong, else a 422 whose message joins the
// messages in field order.
func (v validation) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	var msgs []string
	for _, k := range sortedKeys(v) {
		msgs = append(msgs, v[k]...)
	}
	return &apiError{code: http.StatusUnprocessableEntity, message: strings.Join(msgs, " "), fields: v}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ok(w, http.StatusOK, fmt.Sprintf("API User authenticated succesfully as %s | My company name is: %s | My customer name is: %s",
		u.Key, s.cfg.Company, u.Customer), nil)
}

// Package wicssim simulates the WICS Service Layer, for the demo, benchmarks
// and tests, in two parts: Sim pushes a generated stream of webhooks to a
// hub, and Server is the Service Layer API that a connector calls, with the
// subscriptions it makes. Both are written from wics-service-layer.txt alone
// and import no connector, so that the two check each other.
//
// # The Service Layer server
//
//	srv, err := wicssim.NewServer(wicssim.ServerConfig{
//		Users: []wicssim.User{{Key: "key-a", Secret: "secret-a"}, {Key: "key-b", Secret: "secret-b"}},
//		Speed: 600, // a simulated minute passes in 100ms
//	})
//	base, err := srv.Start("127.0.0.1:0") // the connector's base_url; paths are /api/…
//	defer srv.Close()
//
// It serves login, orders (list, get, create, update, delete, shipments,
// paid, serial numbers), shipment serial numbers, items (list, get, EAN and
// item code conversions, create, create list, update), announcements
// (list, get, create, update, delete), receipts (list, get, serial numbers),
// stock (list, get, detail, serial numbers by EANSSCC) and webhooks (list,
// create, delete), in the document's envelope {code, message, success,
// data}. Basic auth admits the configured logins; each has the document's
// limits (150 a sliding minute, 20,000 a day, blocks of 1, 5 and 15
// minutes; see limits.go). Lists page and filter as the document shows
// (query.go). Orders and announcements move on by themselves after
// creation, with their webhooks (progress.go), to every subscription of the
// topic (webhooks.go), retried on the document's schedule.
//
// Time is one Clock for the limits, the progression and the retries:
// ServerConfig.Speed compresses it (NewScaledClock), ServerConfig.Clock
// takes any other, such as a ManualClock that moves only when told. With
// ProgressStep negative, orders wait for AdvanceOrder or AdvanceAll.
//
// What a test reads and does (hooks.go): Limits(key) (requests, the most in
// any sliding minute, blocks and their levels), OrderCount(reference),
// Orders, OrderStatus, AnnouncementStatus, StockLevel, Subscriptions (with
// their delivery counters), Emitted (every webhook message produced),
// WaitDelivered; InjectFault (a 503 or a lost answer for matching
// requests, or a delay), DropWebhooks (lose messages so that only a poll
// finds them), Block (a login blocked at a level), SeedOrders, AdjustStock
// and ReturnOrder (warehouse events that send their webhooks).
//
// Where the document is silent the server chooses; server.go lists those
// choices.
//
// # The webhook stream
//
// Sim sends its stream to one connection's hook URL, from the chapters
// "Webhooks" and "Topic's".
//
// # Topics and URLs
//
// Each topic is posted to its own URL, {URL}/{topic}, where URL is the
// connection's hook URL {hub}/hooks/{workspace}/{connection}. The topic path
// names are the document's topic names in lower case without spaces:
//
//	shipment            Topic Shipment
//	receipt             Topic Receipt
//	stock               Topic Stock
//	stockmutation       Topic StockMutation
//	announcementstatus  Topic Announcement status
//	orderstatus         Topic Order status
//	orderlinestatus     Topic OrderLineStatus
//	picksliplinestatus  Topic PickslipLineStatus
//	rma                 Topic RMA
//
// Every post carries "Authorization: Basic {apikey}:{apisecret}" exactly as
// the document writes it, key and secret in clear; Config.Base64Auth sends
// the standard "Basic base64(apikey:apisecret)" instead.
//
// # What it sends
//
// First the document's nine example payloads, byte for byte with their
// quirks (see Example), one per topic in the document's order. Then a world
// generated from Config.Seed:
//
//   - the stock of every catalogue item;
//   - orders, a few at a time and interleaved: order status 00 Aangemaakt,
//     sometimes 10 Ingevoerd and 20 Vrijgegeven, 30 Bevestigd, 40 In
//     uitvoering, sometimes 50 Gepickt, 60 Afgehandeld and 70 Verzonden, each
//     with the previous status as old status; the order line statuses along
//     the way; pickslip line status 40 when picking starts and 60
//     "Afgehandeld, volledige levering" as each line is picked; and, after
//     the last status, one shipment with carrier, track and trace and its
//     URL, lines and metaFields, linked by orderReference. About one order
//     in six is cancelled (90 Geannuleerd) before it is picked;
//   - stock that follows: nettoSalable drops when an order reserves goods
//     and rises again if it is cancelled; physical drops with every pick,
//     sent as a stock mutation followed by the new stock level; now and then
//     a manual mutation of one unit (the document's reason 10);
//   - announcements (00 Aangemaakt, 40 In uitvoering, 60 Opgeslagen) when an
//     item runs low, raising its announced stock, and one or two receipts
//     against each, by the announcement's reference, that move goods from
//     announced to physical, sometimes a few short;
//   - an RMA, with the return form's questions and answers, for the first
//     and then every ReturnEvery-th shipped order.
//
// # Retries
//
// WICS expects HTTP 200; "if the response is anything else the webhook will
// be retried", so every other status (201 and 4xx included) and every
// network error counts as a failure. A failed message is retried on the
// document's schedule (RetrySchedule; scaled by Config.TimeScale) in the
// background, while later messages go on, as a queue of retries does: a
// retried message therefore arrives after newer ones. After the tenth retry
// the message is given up, counted, logged and passed to Config.OnGiveUp.
package wicssim

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// Defaults of Config.
const (
	DefaultInterleave     = 3
	DefaultReturnEvery    = 5
	DefaultStep           = 300 * time.Millisecond
	DefaultCustomerNumber = 14
	DefaultTimeScale      = 1.0
	DefaultTimeout        = 10 * time.Second
)

// Clock tells the time and waits; the simulator times its retries with it.
// Tests give a fake one to check the schedule without waiting for it.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, and reports whether d passed.
	Sleep(ctx context.Context, d time.Duration) bool
}

type realClock struct{}

var _ Clock = realClock{}

func (realClock) Now() time.Time                                  { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) bool { return ctxtime.Sleep(ctx, d) }

// Config configures a simulator. The zero value of every field but URL,
// APIKey and APISecret means its default.
type Config struct {
	// URL is the connection's hook URL without the topic, e.g.
	// http://127.0.0.1:8080/hooks/demo/wics; each message is posted to
	// URL/{topic}.
	URL string
	// APIKey and APISecret are the connection's Service Layer credentials,
	// sent in every webhook's Authorization header.
	APIKey    string
	APISecret string
	// Base64Auth sends "Basic base64(apikey:apisecret)", the standard form,
	// instead of the document's literal "Basic {apikey}:{apisecret}".
	Base64Auth bool
	// Orders is how many order lives to run; 0 runs them until ctx ends.
	// Announcements and returns come with the orders.
	Orders int
	// Interleave is how many orders are under way at once; default 3.
	Interleave int
	// ReturnEvery makes an RMA for the first and then every n-th shipped
	// order; default 5.
	ReturnEvery int
	// SkipExamples leaves out the document's nine examples that otherwise
	// open the stream.
	SkipExamples bool
	// Step is the real time between two messages; default 300ms, negative
	// for no pause (tests, benchmarks). The payloads' own dates advance by
	// up to 90 minutes per step of the world.
	Step time.Duration
	// Seed makes the world reproducible: the same seed (and Start) gives
	// the same messages. Different seeds give different order, shipment and
	// announcement numbers.
	Seed int64
	// Start is the warehouse time of the first generated message; default
	// the time New is called.
	Start time.Time
	// CustomerNumber is the WICS customer number in the payloads; default 14.
	CustomerNumber int
	// TimeScale multiplies the retry schedule: 1 is the document's real
	// minutes, 1.0/60000 turns the 1.5 minutes of the first retry into
	// 1.5ms. Default 1.
	TimeScale float64
	// Clock times the retries; default the wall clock.
	Clock Clock
	// Client posts the webhooks; default a client with a 10s timeout that
	// does not follow redirects, since a redirect is not a 200 and WICS
	// retries anything else.
	Client *http.Client
	// Logger logs messages given up; default discards.
	Logger *slog.Logger
	// OnGiveUp, if set, is called with every message given up after the
	// last retry, and the last error. It runs on the retrying goroutine.
	OnGiveUp func(Message, error)
}

// Validate checks the configuration before defaults are applied.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: is required"))
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: %q is not an absolute http(s) URL", c.URL))
	} else if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, errors.New("url: must not have a query or fragment (the topic is appended to the path)"))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("api key: is required (WICS always sends its Authorization header)"))
	}
	if c.APISecret == "" {
		errs = append(errs, errors.New("api secret: is required (WICS always sends its Authorization header)"))
	}
	if strings.Contains(c.APIKey, ":") {
		errs = append(errs, errors.New("api key: must not contain a colon (it separates key and secret)"))
	}
	if c.Orders < 0 {
		errs = append(errs, errors.New("orders: must not be negative"))
	}
	if c.Interleave < 0 {
		errs = append(errs, errors.New("interleave: must not be negative"))
	}
	if c.ReturnEvery < 0 {
		errs = append(errs, errors.New("return every: must not be negative"))
	}
	if c.CustomerNumber < 0 {
		errs = append(errs, errors.New("customer number: must not be negative"))
	}
	if c.TimeScale < 0 {
		errs = append(errs, errors.New("time scale: must not be negative"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Interleave == 0 {
		c.Interleave = DefaultInterleave
	}
	if c.ReturnEvery == 0 {
		c.ReturnEvery = DefaultReturnEvery
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	if c.CustomerNumber == 0 {
		c.CustomerNumber = DefaultCustomerNumber
	}
	if c.TimeScale == 0 {
		c.TimeScale = DefaultTimeScale
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout:       DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// TopicStats counts one topic's messages.
type TopicStats struct {
	// Sent is the number of messages handed to delivery (not attempts).
	Sent int64
	// Acked is the number answered 200 at some attempt.
	Acked int64
	// Attempts is the number of posts, first attempts and retries.
	Attempts int64
	// Retried is the number of posts beyond the first of their message.
	Retried int64
	// GaveUp is the number given up after the last retry.
	GaveUp int64
	// Dropped is the number whose delivery the context cut short.
	Dropped int64
}

// Stats counts what a simulator did; the totals are the sums over Topics.
// Once Run has returned, Sent = Acked + GaveUp + Dropped.
type Stats struct {
	TopicStats
	// Pending is the number of messages waiting for a retry.
	Pending int64
	// Orders is the number of order lives that have ended (shipped or
	// cancelled).
	Orders int64
	// Topics has one entry per topic, always all nine.
	Topics map[string]TopicStats
}

type topicCounters struct {
	sent, acked, attempts, retried, gaveUp, dropped atomic.Int64
}

// Sim pushes simulated WICS webhooks to one connection's hook URL.
type Sim struct {
	cfg      Config
	base     string
	auth     string
	schedule []time.Duration
	world    *world
	counts   map[string]*topicCounters
	pending  atomic.Int64
	running  atomic.Bool
	// exactURL posts to base itself, not base/{topic}: a webhook
	// subscription names its whole URL.
	exactURL bool
}

// New builds a simulator, validating cfg and filling in defaults.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wics simulator config: %w", err)
	}
	cfg.setDefaults()
	s := &Sim{
		cfg:      cfg,
		base:     strings.TrimSuffix(cfg.URL, "/"),
		auth:     authorization(cfg.APIKey, cfg.APISecret, cfg.Base64Auth),
		schedule: scaled(cfg.TimeScale),
		counts:   make(map[string]*topicCounters, len(topics)),
		world: newWorld(worldConfig{
			seed: cfg.Seed, start: cfg.Start, orders: cfg.Orders, interleave: cfg.Interleave,
			returnEvery: cfg.ReturnEvery, customerNumber: cfg.CustomerNumber, examples: !cfg.SkipExamples,
		}),
	}
	for _, t := range topics {
		s.counts[t] = &topicCounters{}
	}
	return s, nil
}

// authorization is the header value: the document's literal form, or the
// standard Base64 one.
func authorization(key, secret string, b64 bool) string {
	if b64 {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	}
	return "Basic " + key + ":" + secret
}

// Stats returns a snapshot of the counters; it is safe to call at any time.
func (s *Sim) Stats() Stats {
	st := Stats{Pending: s.pending.Load(), Topics: make(map[string]TopicStats, len(topics))}
	if s.world != nil {
		st.Orders = s.world.ordersDone.Load()
	}
	for _, t := range topics {
		c := s.counts[t]
		ts := TopicStats{
			Sent: c.sent.Load(), Acked: c.acked.Load(), Attempts: c.attempts.Load(),
			Retried: c.retried.Load(), GaveUp: c.gaveUp.Load(), Dropped: c.dropped.Load(),
		}
		st.Topics[t] = ts
		st.Sent += ts.Sent
		st.Acked += ts.Acked
		st.Attempts += ts.Attempts
		st.Retried += ts.Retried
		st.GaveUp += ts.GaveUp
		st.Dropped += ts.Dropped
	}
	return st
}

// Run sends the stream: the examples, then the generated world until
// Config.Orders order lives have ended or ctx ends. Each message is posted
// once in stream order; one that fails is retried in the background on the
// schedule while the stream goes on. Run returns when the stream has ended
// and every retry has succeeded or been given up: nil, or ctx's error if it
// was cut short. A simulator runs once; a second Run is an error.
func (s *Sim) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("wics simulator: Run was already called")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for first := true; ctx.Err() == nil; first = false {
		if !first && !ctxtime.Sleep(ctx, s.cfg.Step) {
			break
		}
		m, ok := s.world.next()
		if !ok {
			break
		}
		c := s.counts[m.Topic]
		c.sent.Add(1)
		started := s.cfg.Clock.Now()
		err := s.attempt(ctx, m)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			c.dropped.Add(1)
		default:
			s.pending.Add(1)
			wg.Go(func() {
				defer s.pending.Add(-1)
				_ = s.retry(ctx, m, started, err)
			})
		}
	}
	return ctx.Err()
}

// Deliver posts one message and retries it on the schedule until it is
// answered 200 or given up; it blocks meanwhile. It returns nil, a
// *GiveUpError, or ctx's error.
func (s *Sim) Deliver(ctx context.Context, m Message) error {
	c, ok := s.counts[m.Topic]
	if !ok {
		return fmt.Errorf("wics simulator: unknown topic %q", m.Topic)
	}
	c.sent.Add(1)
	started := s.cfg.Clock.Now()
	err := s.attempt(ctx, m)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		c.dropped.Add(1)
		return fmt.Errorf("delivering %s %s: %w", m.Topic, m.Key, ctx.Err())
	}
	s.pending.Add(1)
	defer s.pending.Add(-1)
	return s.retry(ctx, m, started, err)
}

// GiveUpError is a message WICS stopped retrying.
type GiveUpError struct {
	Message  Message
	Attempts int
	// Last is the error of the last attempt.
	Last error
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("gave up %s %s after %d attempts: %v", e.Message.Topic, e.Message.Key, e.Attempts, e.Last)
}

func (e *GiveUpError) Unwrap() error { return e.Last }

// retry makes the document's retries of a message first posted at started,
// each at its offset from that first attempt.
func (s *Sim) retry(ctx context.Context, m Message, started time.Time, last error) error {
	c := s.counts[m.Topic]
	for _, off := range s.schedule {
		if !s.cfg.Clock.Sleep(ctx, started.Add(off).Sub(s.cfg.Clock.Now())) {
			c.dropped.Add(1)
			return fmt.Errorf("retrying %s %s: %w", m.Topic, m.Key, ctx.Err())
		}
		c.retried.Add(1)
		err := s.attempt(ctx, m)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			c.dropped.Add(1)
			return fmt.Errorf("retrying %s %s: %w", m.Topic, m.Key, ctx.Err())
		}
		last = err
	}
	c.gaveUp.Add(1)
	gerr := &GiveUpError{Message: m, Attempts: 1 + len(s.schedule), Last: last}
	s.cfg.Logger.Warn("wics simulator gave up a webhook", "topic", m.Topic, "key", m.Key,
		"attempts", gerr.Attempts, "error", last)
	if s.cfg.OnGiveUp != nil {
		s.cfg.OnGiveUp(m, last)
	}
	return gerr
}

// HTTPError is an attempt the hub answered with a status other than 200.
type HTTPError struct {
	StatusCode int
	// Body is the start of the response body, for diagnosis.
	Body string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("hub answered %d: %s", e.StatusCode, e.Body)
}

// attempt posts a message once; only a 200 is success.
func (s *Sim) attempt(ctx context.Context, m Message) error {
	c := s.counts[m.Topic]
	c.attempts.Add(1)
	target := s.base + "/" + m.Topic
	if s.exactURL {
		target = s.base
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(m.Body))
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", s.auth)
	req.Header.Set("User-Agent", "wics-servicelayer-sim/1")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("posting %s webhook: %w", m.Topic, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(slices.Clip(snippet)))}
	}
	c.acked.Add(1)
	return nil
}

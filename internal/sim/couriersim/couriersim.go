// Package couriersim simulates the Belgian courier of courier-status-feed.txt
// pushing status updates to a webhook, for the demo, for benchmarks and for
// tests. It is written from the document alone and does not import the
// courier connector: as an independent implementation of the wire format it
// catches the connector's mistakes instead of repeating them.
package couriersim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the courier's timezone must load on hosts without zoneinfo

	goftp "github.com/jlaffaye/ftp"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/provider"
)

// Config configures a simulator.
type Config struct {
	// URL is the full webhook URL the courier pushes to, e.g.
	// http://127.0.0.1:8080/hooks/acme/courier.
	URL string
	// APIKey is sent as X-API-KEY when non-empty, as the courier does when the
	// customer gave it one.
	APIKey string
	// Method is "GET" (URL/GET: the basic fields in the query string) or
	// "POST" (URL/POST: every field as JSON); "" mixes both, one method per
	// journey.
	Method string
	// Shipments is the number of journeys to run; 0 runs until the context
	// ends.
	Shipments int
	// Concurrency is how many journeys run at once; default 4.
	Concurrency int
	// Step is the pause between two updates of one journey; default 200ms,
	// negative for no pause (benchmarks).
	Step time.Duration
	// Seed makes the journeys reproducible: the same seed gives the same
	// orders, codes and comments (statustimes follow the wall clock).
	Seed int64
	// Client sends the requests; default a client with a 10s timeout.
	Client *http.Client
	// Timezone is the IANA zone statustime is written in, without an
	// offset, as the courier does; default Europe/Brussels.
	Timezone string
	// Retries is how often a failed send (a network error or a non-2xx
	// answer) is repeated, with doubling backoff. The default, 0, is none:
	// the courier's document promises no retry, only an e-mail to the
	// merchant about the statuses that did not arrive, so an error the hub
	// answers loses that status. Tests of the hub's side of that promise
	// rely on the default; a positive value models a kinder courier.
	// Negative values mean none, too.
	Retries int
	// Backoff is the pause before the first retry; default 100ms.
	Backoff time.Duration
	// FTP, when set, makes the courier upload each update as a file
	// (FTP/JSON or FTP/XML) instead of pushing to URL, which may be empty.
	FTP *FTPTarget
}

// Defaults.
const (
	DefaultConcurrency = 4
	DefaultStep        = 200 * time.Millisecond
	DefaultTimezone    = "Europe/Brussels"
	// DefaultRetries is the courier's: it does not retry.
	DefaultRetries = 0
	DefaultBackoff = 100 * time.Millisecond
)

// Validate checks the configuration; zero values are valid and mean the
// defaults.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case c.FTP != nil && c.URL == "":
		errs = append(errs, c.FTP.validate())
	case c.URL == "":
		errs = append(errs, errors.New("url: is required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("url: %w", err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("url: %q is not an absolute http(s) URL", c.URL))
	}
	switch strings.ToUpper(c.Method) {
	case "", http.MethodGet, http.MethodPost:
	default:
		errs = append(errs, fmt.Errorf("method: must be GET, POST or empty, not %q", c.Method))
	}
	if c.Shipments < 0 {
		errs = append(errs, errors.New("shipments: must not be negative"))
	}
	if c.Concurrency < 0 {
		errs = append(errs, errors.New("concurrency: must not be negative"))
	}
	if c.Backoff < 0 {
		errs = append(errs, errors.New("backoff: must not be negative"))
	}
	if c.Timezone != "" {
		if _, err := provider.LoadLocation(c.Timezone); err != nil {
			errs = append(errs, fmt.Errorf("timezone: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Stats counts what the simulator did. Sent counts updates (a retry is not a
// new update); Acked and Failed count updates that got a 2xx and updates
// given up after every retry; Retried counts the repeated requests; Journeys
// counts finished journeys. An update whose context ends mid-send is neither
// acked nor failed.
type Stats struct {
	Sent, Acked, Failed, Retried, Journeys int64
}

// Sim is a running courier. It is safe for concurrent use.
type Sim struct {
	cfg    Config
	loc    *time.Location
	client *http.Client

	ftpConns                               chan *goftp.ServerConn // idle logged-in FTP sessions
	sent, acked, failed, retried, journeys atomic.Int64
	next                                   atomic.Int64 // journey numbers handed out
}

// New builds a simulator, applying defaults.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("courier simulator config: %w", err)
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Step == 0 {
		cfg.Step = DefaultStep
	}
	if cfg.Timezone == "" {
		cfg.Timezone = DefaultTimezone
	}
	if cfg.Retries < 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	loc, err := provider.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("courier simulator timezone: %w", err)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Sim{cfg: cfg, loc: loc, client: client, ftpConns: make(chan *goftp.ServerConn, cfg.Concurrency)}, nil
}

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	return Stats{
		Sent: s.sent.Load(), Acked: s.acked.Load(), Failed: s.failed.Load(),
		Retried: s.retried.Load(), Journeys: s.journeys.Load(),
	}
}

// Run drives journeys with Concurrency workers until Shipments journeys are
// done or ctx ends; either way it returns nil. A send that fails (after its
// retries, by default none) is counted in Failed and the journey goes on, as
// the courier's does: it mails the customer about statuses that did not
// arrive, and never sends them again.
func (s *Sim) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := s.next.Add(1)
				if s.cfg.Shipments > 0 && n > int64(s.cfg.Shipments) {
					return
				}
				if s.runJourney(ctx, n) {
					s.journeys.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// runJourney sends one journey's updates in order and reports whether it
// got to the end.
func (s *Sim) runJourney(ctx context.Context, n int64) bool {
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed)^0x5eed, uint64(n)))
	method := s.cfg.Method
	if s.cfg.FTP != nil {
		method = MethodFTP
	}
	if method == "" {
		method = http.MethodPost
		if rng.IntN(2) == 0 {
			method = http.MethodGet
		}
	}
	// The journey happened over the last hours: its statustimes are in the
	// past, strictly increasing, in the courier's local time.
	start := time.Now().In(s.loc).Add(-time.Duration(12+rng.IntN(12)) * time.Hour)
	updates := Journey(s.cfg.Seed, n, start)
	for i, u := range updates {
		if i > 0 && s.cfg.Step > 0 {
			if !ctxtime.Sleep(ctx, s.cfg.Step) {
				return false
			}
		}
		if err := s.Send(ctx, method, u); err != nil && ctx.Err() != nil {
			return false
		}
	}
	return true
}

// Send pushes one update with method GET or POST, retrying a network error
// or a non-2xx answer up to Retries times with doubling backoff.
func (s *Sim) Send(ctx context.Context, method string, u Update) error {
	method = strings.ToUpper(method)
	if method != http.MethodGet && method != http.MethodPost && (method != MethodFTP || s.cfg.FTP == nil) {
		return fmt.Errorf("sending courier update: method %q is neither GET nor POST", method)
	}
	s.sent.Add(1)
	backoff := s.cfg.Backoff
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if !ctxtime.Sleep(ctx, backoff) {
				return fmt.Errorf("sending courier update %s %s: %w", u.Order, u.StatusCode, ctx.Err())
			}
			backoff *= 2
			s.retried.Add(1)
		}
		last = s.sendOnce(ctx, method, u)
		if last == nil {
			s.acked.Add(1)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sending courier update %s %s: %w", u.Order, u.StatusCode, ctx.Err())
		}
		if attempt >= s.cfg.Retries {
			s.failed.Add(1)
			return fmt.Errorf("sending courier update %s %s after %d attempts: %w", u.Order, u.StatusCode, attempt+1, last)
		}
	}
}

func (s *Sim) sendOnce(ctx context.Context, method string, u Update) error {
	var (
		req *http.Request
		err error
	)
	if method == MethodFTP {
		return s.upload(ctx, u)
	}
	if method == http.MethodGet {
		req, err = http.NewRequestWithContext(ctx, method, GetURL(s.cfg.URL, u), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, s.cfg.URL, bytes.NewReader(PostBody(u)))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("User-Agent", "shiphub-couriersim/1")
	if s.cfg.APIKey != "" {
		req.Header.Set("X-API-KEY", s.cfg.APIKey)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Update is one status update with the fields of the document. GET sends
// all but Comment; POST sends all of them, plus the empty oldlead, newlead,
// verifier, signatures and pictures.
type Update struct {
	Order, Barcode, Container, Status, StatusTime, StatusCode string
	StatusNL, StatusEN, StatusFR, Referentie, Comment         string
}

// GetURL is the URL/GET request for u: base with exactly the document's
// query fields, in the document's order, spaces as '+'.
func GetURL(base string, u Update) string {
	fields := [][2]string{
		{"order", u.Order}, {"barcode", u.Barcode}, {"container", u.Container},
		{"status", u.Status}, {"statustime", u.StatusTime}, {"statuscode", u.StatusCode},
		{"statusNL", u.StatusNL}, {"statusEN", u.StatusEN}, {"statusFR", u.StatusFR},
		{"referentie", u.Referentie},
	}
	var b strings.Builder
	b.WriteString(base)
	if strings.Contains(base, "?") {
		if !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&") {
			b.WriteByte('&')
		}
	} else {
		b.WriteByte('?')
	}
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f[1]))
	}
	return b.String()
}

// postMessage is the URL/POST JSON, field for field and in the order of the
// document's example.
type postMessage struct {
	Order      string   `json:"order"`
	Barcode    string   `json:"barcode"`
	Container  string   `json:"container"`
	Status     string   `json:"status"`
	StatusTime string   `json:"statustime"`
	StatusCode string   `json:"statuscode"`
	StatusNL   string   `json:"statusNL"`
	StatusEN   string   `json:"statusEN"`
	StatusFR   string   `json:"statusFR"`
	Referentie string   `json:"referentie"`
	Comment    string   `json:"comment"`
	OldLead    string   `json:"oldlead"`
	NewLead    string   `json:"newlead"`
	Verifier   string   `json:"verifier"`
	Signatures []string `json:"signatures"`
	Pictures   []string `json:"pictures"`
}

// PostBody is the URL/POST JSON body for u.
func PostBody(u Update) []byte {
	b, err := json.Marshal(postMessage{
		Order: u.Order, Barcode: u.Barcode, Container: u.Container, Status: u.Status,
		StatusTime: u.StatusTime, StatusCode: u.StatusCode, StatusNL: u.StatusNL,
		StatusEN: u.StatusEN, StatusFR: u.StatusFR, Referentie: u.Referentie,
		Comment: u.Comment, Signatures: []string{}, Pictures: []string{},
	})
	if err != nil { // strings only: cannot happen
		panic("couriersim: encoding update: " + err.Error())
	}
	return b
}

// Package winkelstraatsim simulates Winkelstraat.nl's stock hub pushing
// shipment webhooks to a reseller, for the demo, benchmarks and tests. It
// writes the wire format of winkelstraat-shipment-webhook.txt on its own and
// does not import the connector, so the two check each other.
//
// A simulated shipment travels UNKNOWN → READY_FOR_PICKUP → IN_TRANSIT →
// DELIVERED, sometimes through EXCEPTION, and every change is pushed as the
// whole shipment with a newer updated_at, as Winkelstraat does. Failed pushes
// (network errors, 408, 429 and 5xx) are retried with exponential backoff;
// the document does not say how Winkelstraat retries, so this is a choice.
package winkelstraatsim

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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// Defaults of Config.
const (
	DefaultVersion     = "1"
	DefaultConcurrency = 2
	DefaultStep        = 300 * time.Millisecond
	DefaultBackoff     = 200 * time.Millisecond
	DefaultMaxAttempts = 5
	// maxBackoff caps the delay between two attempts, also one asked for
	// with Retry-After, so that a simulator never stalls for long.
	maxBackoff = 5 * time.Second
)

// Config configures a simulator. The zero value of every field but URL and
// APIKey means its default.
type Config struct {
	// URL is the full hook URL, e.g. http://127.0.0.1:8080/hooks/demo/ws.
	URL string
	// APIKey is the shared secret sent in the x-api-key header.
	APIKey string
	// Version is sent in the x-version header; default "1".
	Version string
	// Shipments is how many journeys to run; 0 runs them until ctx ends.
	Shipments int
	// Concurrency is how many journeys run at once; default 2.
	Concurrency int
	// Step is the real time between two pushes of one journey; default
	// 300ms. The shipment's own timestamps advance by hours per push.
	Step time.Duration
	// Seed makes the shipments reproducible: the same seed gives the same
	// products, addresses, carriers and journeys. Seed 0 starts at the
	// document's increment_id 000000288.
	Seed int64
	// Client sends the webhooks; default a client with a 10s timeout.
	Client *http.Client
	// Backoff is the delay before the first retry of a failed push; it
	// doubles with each further attempt, with jitter. Default 200ms.
	Backoff time.Duration
	// MaxAttempts is how often one push is tried before it counts as
	// failed; default 5.
	MaxAttempts int
}

// Validate checks the configuration before defaults are applied.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: is required"))
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: %q is not an absolute http(s) URL", c.URL))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("api key: is required (Winkelstraat always sends x-api-key)"))
	}
	if c.Shipments < 0 {
		errs = append(errs, errors.New("shipments: must not be negative"))
	}
	if c.Concurrency < 0 {
		errs = append(errs, errors.New("concurrency: must not be negative"))
	}
	if c.Step < 0 {
		errs = append(errs, errors.New("step: must not be negative"))
	}
	if c.Backoff < 0 {
		errs = append(errs, errors.New("backoff: must not be negative"))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, errors.New("max attempts: must not be negative"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
}

// Stats counts what a simulator did. After Run returns,
// Sent = Acked + Failed, except for pushes cut short by the context.
type Stats struct {
	// Sent is the number of webhook messages pushed (not attempts).
	Sent int64
	// Acked is the number acknowledged with a 2xx.
	Acked int64
	// Failed is the number given up: refused with a 4xx other than 408 and
	// 429, or failing every attempt.
	Failed int64
	// Retried is the number of attempts beyond the first.
	Retried int64
	// Journeys is the number of shipments whose journey has ended.
	Journeys int64
}

// Sim pushes simulated Winkelstraat shipment webhooks to one hook URL.
type Sim struct {
	cfg     Config
	start   time.Time
	firstID uint64
	next    atomic.Int64

	sent, acked, failed, retried, journeys atomic.Int64
}

// New builds a simulator, validating cfg and filling in defaults.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("winkelstraat simulator config: %w", err)
	}
	cfg.setDefaults()
	return &Sim{
		cfg:     cfg,
		start:   time.Now(),
		firstID: 288 + uint64(cfg.Seed)%900_000_000,
	}, nil
}

// Stats returns a snapshot of the counters; it is safe to call while Run runs.
func (s *Sim) Stats() Stats {
	return Stats{
		Sent:     s.sent.Load(),
		Acked:    s.acked.Load(),
		Failed:   s.failed.Load(),
		Retried:  s.retried.Load(),
		Journeys: s.journeys.Load(),
	}
}

// Run runs journeys, Concurrency at a time, until Config.Shipments have
// ended or ctx ends. A push that fails for good is counted and the journey
// goes on, as the real stock hub keeps pushing newer states. Run returns nil
// in both cases; calling it again continues with the next shipment numbers.
func (s *Sim) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := int(s.next.Add(1) - 1)
				if s.cfg.Shipments > 0 && n >= s.cfg.Shipments {
					return
				}
				s.runJourney(ctx, n)
			}
		})
	}
	wg.Wait()
	return nil
}

func (s *Sim) runJourney(ctx context.Context, n int) {
	for i, sh := range s.Journey(n) {
		if i > 0 && !ctxtime.Sleep(ctx, s.cfg.Step) {
			return
		}
		if err := s.Send(ctx, sh); err != nil && ctx.Err() != nil {
			return
		}
	}
	s.journeys.Add(1)
}

// HTTPError is a push the hub answered with a status other than 2xx.
type HTTPError struct {
	StatusCode int
	// Body is the start of the response body, for diagnosis.
	Body string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("hub answered %d: %s", e.StatusCode, e.Body)
}

// retryable reports whether a status is worth another attempt.
func retryable(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// Send pushes one shipment, retrying with backoff until it is acknowledged,
// refused for good or the attempts are used up. A refusal is an *HTTPError.
func (s *Sim) Send(ctx context.Context, sh Shipment) error {
	body, err := json.Marshal(sh)
	if err != nil {
		return fmt.Errorf("encoding shipment %s: %w", sh.IncrementID, err)
	}
	s.sent.Add(1)
	var last error
	for attempt := range s.cfg.MaxAttempts {
		if attempt > 0 {
			s.retried.Add(1)
		}
		retryAfter, err := s.post(ctx, body)
		if err == nil {
			s.acked.Add(1)
			return nil
		}
		last = err
		if ctx.Err() != nil {
			return fmt.Errorf("pushing shipment %s: %w", sh.IncrementID, ctx.Err())
		}
		var he *HTTPError
		if errors.As(err, &he) && !retryable(he.StatusCode) {
			break
		}
		if attempt == s.cfg.MaxAttempts-1 {
			break
		}
		delay := s.backoff(attempt)
		if retryAfter > 0 {
			delay = min(retryAfter, maxBackoff)
		}
		if !ctxtime.Sleep(ctx, delay) {
			return fmt.Errorf("pushing shipment %s: %w", sh.IncrementID, ctx.Err())
		}
	}
	s.failed.Add(1)
	return fmt.Errorf("pushing shipment %s (status %s): %w", sh.IncrementID, deref(sh.Status), last)
}

// post makes one attempt. It returns the Retry-After delay the hub asked
// for, if any.
func (s *Sim) post(ctx context.Context, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", s.cfg.APIKey)
	req.Header.Set("x-version", s.cfg.Version)
	req.Header.Set("User-Agent", "winkelstraat-stockhub-sim/1")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting webhook: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	var after time.Duration
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		after = time.Duration(secs) * time.Second
	}
	return after, &HTTPError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(snippet))}
}

// backoff is the delay after the given failed attempt: Backoff doubled per
// attempt, capped, with up to 25% jitter so that concurrent journeys spread.
func (s *Sim) backoff(attempt int) time.Duration {
	d := s.cfg.Backoff << min(attempt, 16)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

func deref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// DefaultRetrySchedule is the delay before each attempt: immediately, then
// after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (about 28 hours in all).
var DefaultRetrySchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Defaults.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultDisableAfter     = 5 * 24 * time.Hour
	DefaultAlertInterval    = time.Hour
	DefaultConcurrency      = 64
	DefaultBatchSize        = 128
	DefaultPollInterval     = 500 * time.Millisecond
	DefaultBatchWait        = 5 * time.Millisecond
	DefaultMaxResponseBytes = 64 << 10
	DefaultExcerptBytes     = 1024
	// DefaultMaxSlowAfter caps the default SlowAfter.
	DefaultMaxSlowAfter = 2 * time.Second
	// maxRetryAfter caps a receiver's Retry-After.
	maxRetryAfter = 24 * time.Hour
)

// Config configures a Worker.
type Config struct {
	// Store holds the endpoints and the delivery queue.
	Store store.Webhooks
	// RetrySchedule is the delay before each attempt; its length is the
	// number of attempts before a delivery becomes a dead letter. Default
	// DefaultRetrySchedule.
	RetrySchedule []time.Duration
	// Jitter spreads each retry delay by up to this fraction either way, so
	// the retries of many deliveries that failed together do not arrive
	// together; default 0.1. Negative means none.
	Jitter float64
	// Timeout bounds one attempt, connecting included; default 15s.
	Timeout time.Duration
	// DisableAfter disables an endpoint that has failed continuously this
	// long; default 5 days.
	DisableAfter time.Duration
	// AllowPrivateNetworks permits targets on loopback, private, link-local
	// and metadata addresses. Off, they are refused when connecting.
	AllowPrivateNetworks bool
	// Concurrency is the number of worker slots: attempts that are being
	// sent, or wait for their endpoint, hold one; default 64.
	Concurrency int
	// EndpointConcurrency caps the attempts in flight to one endpoint, so a
	// slow or hanging endpoint holds only its own deliveries. Further
	// deliveries claimed for it wait for one of its attempts to end.
	// Default Concurrency/8, at least 1.
	EndpointConcurrency int
	// SlowAfter is how long an attempt may hold a worker slot. An attempt
	// still waiting for its answer then gives the slot back, counting only
	// against its endpoint's EndpointConcurrency until Timeout ends it, and
	// marks its endpoint slow, whose waiting deliveries give their slots
	// back too: so endpoints that hang cannot take every slot however many
	// of them there are. Default Timeout/5, at most 2s.
	SlowAfter time.Duration
	// BatchSize caps the deliveries one claim takes; default 128.
	BatchSize int
	// PollInterval is how often the queue is checked when nothing signals
	// (another instance's events, retries after a restart); default 500ms.
	PollInterval time.Duration
	// BatchWait is how long a partial batch may gather, while attempts are
	// in flight, before it is claimed or recorded: after a claim that
	// emptied the queue, the worker waits this long before it claims
	// again, so the deliveries that become due meanwhile (new events, a
	// subject's next delivery once the previous one is recorded) come in
	// one claim; and the recorder lets results gather this long after the
	// first one of a batch. Eager claims and records made two writer
	// transactions for every ten or so deliveries. An idle worker claims
	// at once. Default 5ms; negative means no waiting.
	BatchWait time.Duration
	// MaxResponseBytes caps how much of an answer is read; default 64 KiB.
	MaxResponseBytes int64
	// ExcerptBytes caps the answer excerpt kept in the log; default 1024.
	ExcerptBytes int
	// Alerter, when set, is told when an endpoint starts failing or is
	// disabled, at most once per endpoint per AlertInterval (default 1h).
	Alerter       Alerter
	AlertInterval time.Duration
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Metrics counts attempts by result, delivery latency, dead letters and
	// recovered panics; default a set of its own (nobody scrapes it).
	Metrics *metrics.Metrics
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.RetrySchedule == nil {
		c.RetrySchedule = DefaultRetrySchedule
	}
	if c.Jitter == 0 {
		c.Jitter = 0.1
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.EndpointConcurrency <= 0 {
		c.EndpointConcurrency = max(1, c.Concurrency/8)
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = min(c.Timeout/5, DefaultMaxSlowAfter)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.BatchWait == 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.ExcerptBytes <= 0 {
		c.ExcerptBytes = DefaultExcerptBytes
	}
	if c.AlertInterval <= 0 {
		c.AlertInterval = DefaultAlertInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration after defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("deliver: a store is required"))
	}
	if len(c.RetrySchedule) == 0 {
		errs = append(errs, errors.New("deliver: the retry schedule needs at least one attempt"))
	}
	for i, d := range c.RetrySchedule {
		if d < 0 {
			errs = append(errs, fmt.Errorf("deliver: retry schedule entry %d is negative", i))
		}
	}
	if c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("deliver: jitter %v must be below 1", c.Jitter))
	}
	if c.EndpointConcurrency > c.Concurrency {
		errs = append(errs, fmt.Errorf("deliver: endpoint concurrency %d exceeds the concurrency %d", c.EndpointConcurrency, c.Concurrency))
	}
	if c.SlowAfter > c.Timeout {
		errs = append(errs, fmt.Errorf("deliver: slow-after %s exceeds the timeout %s", c.SlowAfter, c.Timeout))
	}
	return errors.Join(errs...)
}

// Worker sends due deliveries. Several workers (one per hub instance) may
// share a database: claims never overlap.
type Worker struct {
	cfg Config
	// transport sends the attempts. They go to it directly, not through an
	// http.Client: redirects are not followed (a 3xx is a failed attempt,
	// so a public endpoint cannot bounce the hub to a private one), and the
	// client copied every request's headers for the redirects it would
	// have followed (http.Header.Clone, 2 % of the hub's allocations in the
	// end-to-end benchmark).
	transport *http.Transport
	log       *slog.Logger

	wake  chan struct{}
	slots slots
	// nextRetry is the earliest retry this worker scheduled (unix micros; 0: none).
	nextRetry atomic.Int64
	// sendersStarted counts the sender goroutines started (see sender).
	sendersStarted atomic.Int64

	cancel  context.CancelFunc
	done    chan struct{}
	stopped sync.Once
	alerts  sync.WaitGroup
}

// New builds a worker; Start runs it.
func New(cfg Config) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second, Control: dialControl(cfg.AllowPrivateNetworks)}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          cfg.Concurrency * 2,
		MaxIdleConnsPerHost:   cfg.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		DisableCompression:    true,
	}
	return &Worker{
		cfg:       cfg,
		transport: transport,
		log:       cfg.Logger,
		wake:      make(chan struct{}, 1),
		slots:     slots{endpoints: map[int64]*endpointLoad{}},
	}, nil
}

// Notify wakes the worker: new or requeued deliveries may be due.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Start runs the worker until Stop or ctx ends.
func (w *Worker) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go w.run(ctx)
}

// Stop ends the worker: attempts in flight are abandoned (their claims
// expire and they are sent again), finished ones are recorded. It waits for
// that, or ctx.
func (w *Worker) Stop(ctx context.Context) error {
	if w.cancel == nil {
		return nil
	}
	w.stopped.Do(w.cancel)
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.transport.CloseIdleConnections()
	return nil
}

// lease is how long a claim hides a delivery from other claims: longer than
// an attempt and its recording can take, so only a crashed sender's
// deliveries are claimed again.
func (w *Worker) lease() time.Duration { return 2*w.cfg.Timeout + 5*time.Second }

func (w *Worker) run(ctx context.Context) {
	defer close(w.done)
	d := &dispatcher{w: w, ctx: ctx, results: make(chan *sent, w.cfg.Concurrency), idle: make(chan attempt), stopped: make(chan struct{})}
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		w.record(ctx, d.results)
	}()
	defer func() {
		d.senders.Wait()
		close(d.stopped)
		d.alive.Wait()
		close(d.results)
		<-recorded
		w.alerts.Wait()
	}()

	backoff := time.Duration(0)
	// minClaim is the fewest free slots worth a claim while claimed
	// deliveries still wait for their endpoints: each record frees the
	// slots of one batch of results, and claiming as soon as each did
	// made a claim transaction per record batch, of about ten deliveries.
	// Those waiting keep the endpoints busy while more slots free up.
	minClaim := max(1, min(w.cfg.BatchSize, w.cfg.Concurrency)/4)
	for ctx.Err() == nil {
		free := w.slots.free(w.cfg.Concurrency)
		if free > 0 && free < minClaim && w.slots.waiting() > 0 {
			w.idle(ctx, true)
			continue
		}
		limit := min(free, w.cfg.BatchSize)
		claimed := 0
		if free > 0 {
			claimedAt := time.Now()
			jobs, err := w.claim(ctx, limit)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
				w.log.Error("claiming webhook deliveries failed; retrying", "error", err, "retry_in", backoff)
				ctxtime.Sleep(ctx, backoff)
				continue
			}
			backoff = 0
			claimed = len(jobs)
			for _, job := range jobs {
				d.offer(job, claimedAt)
			}
		}
		if claimed > 0 && claimed == limit {
			continue // There may be more.
		}
		if left := w.slots.free(w.cfg.Concurrency); w.cfg.BatchWait > 0 && left > 0 && left < w.cfg.Concurrency {
			// The queue is empty for now and attempts are in flight:
			// let what becomes due gather (see BatchWait). Their signals
			// wait in wake, so idle returns at once after the wait.
			ctxtime.Sleep(ctx, w.cfg.BatchWait)
		}
		w.idle(ctx, free <= 0)
	}
}

// claim claims due deliveries; a panic in the store's code is an error like
// any other, and the loop backs off.
func (w *Worker) claim(ctx context.Context, limit int) ([]*store.DeliveryJob, error) {
	var jobs []*store.DeliveryJob
	err := recovery.Do(func() error {
		var err error
		jobs, err = w.cfg.Store.ClaimDeliveries(ctx, limit, w.lease())
		return err
	})
	recovery.Report(w.cfg.Metrics, w.log, "delivery", err)
	return jobs, err
}

// idle waits for a reason to claim again: new deliveries committed, a slot
// freed, the earliest known retry, or the poll interval.
func (w *Worker) idle(ctx context.Context, full bool) {
	wait := w.cfg.PollInterval
	now := w.cfg.Now()
	if !full {
		if at, ok, err := w.cfg.Store.NextDeliveryDue(ctx); err == nil && ok && at.After(now) {
			wait = min(wait, at.Sub(now))
		}
		if next := w.nextRetry.Load(); next > 0 {
			if d := time.UnixMicro(next).Sub(now); d > 0 {
				wait = min(wait, d)
			} else {
				w.nextRetry.CompareAndSwap(next, 0)
			}
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-w.cfg.Store.DeliveriesQueued():
	case <-t.C:
	}
}

// record writes results in batches: whatever has arrived while the previous
// batch was being written, and, while the batch is small, within BatchWait
// of its first result, goes in the next one.
func (w *Worker) record(ctx context.Context, results <-chan *sent) {
	batch := make([]*sent, 0, 256)
	rs := make([]store.AttemptResult, 0, 256)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	// A batch this large is written without waiting for more: results hold
	// their worker slots until they are stored, and at a high rate waiting
	// would leave the claims few slots.
	minRecord := max(1, w.cfg.Concurrency/4)
	for s := range results {
		batch = append(batch[:0], s)
		if w.cfg.BatchWait > 0 {
			wait.Reset(w.cfg.BatchWait)
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case s, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, s)
				continue
			default:
			}
			if w.cfg.BatchWait <= 0 || len(batch) >= minRecord {
				break // enough to be worth its transaction
			}
			select {
			case s, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, s)
			case <-wait.C:
				break drain
			}
		}
		wait.Stop()
		rs = rs[:0]
		for _, s := range batch {
			rs = append(rs, s.r)
		}
		if w.recordBatch(ctx, rs) {
			for _, r := range rs {
				if r.Status == model.DeliveryFailed {
					w.cfg.Metrics.DeadLetters.Inc()
				}
			}
		}
		for _, s := range batch {
			close(s.recorded)
		}
	}
}

// recordBatch stores a batch, retrying while the database fails; on stop it
// gives the database a few more seconds, after which the claims expire and
// the deliveries are sent again. It reports whether the batch was stored.
func (w *Worker) recordBatch(ctx context.Context, batch []store.AttemptResult) bool {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(5*time.Second, cancel) })
	defer stop()
	backoff := 50 * time.Millisecond
	for {
		var health []store.EndpointHealth
		err := recovery.Do(func() error {
			var err error
			health, err = w.cfg.Store.RecordAttempts(rctx, batch)
			return err
		})
		if err == nil {
			err := recovery.Do(func() error { w.afterRecord(rctx, batch, health); return nil })
			recovery.Report(w.cfg.Metrics, w.log, "delivery", err, "attempts", len(batch))
			return true
		}
		if errors.Is(err, recovery.ErrPanic) {
			// Retrying would panic again; the claims expire and the
			// deliveries are sent again later.
			recovery.Report(w.cfg.Metrics, w.log, "delivery", err, "attempts", len(batch))
			return false
		}
		if rctx.Err() != nil {
			w.log.Warn("recording webhook attempts abandoned on stop; they will be sent again", "attempts", len(batch), "error", err)
			return false
		}
		w.log.Error("recording webhook attempts failed; retrying", "attempts", len(batch), "error", err, "retry_in", backoff)
		select {
		case <-rctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// gone is the reason an endpoint is disabled when it answers 410.
const gone = "the endpoint answered 410 Gone"

// afterRecord disables endpoints that asked for it or failed for too long,
// and alerts the operator.
func (w *Worker) afterRecord(ctx context.Context, batch []store.AttemptResult, health []store.EndpointHealth) {
	now := w.cfg.Now()
	for _, r := range batch {
		if r.Status == model.DeliveryPending && !r.NextAttemptAt.IsZero() {
			at := r.NextAttemptAt.UnixMicro()
			for {
				cur := w.nextRetry.Load()
				if (cur != 0 && cur <= at) || w.nextRetry.CompareAndSwap(cur, at) {
					break
				}
			}
		}
	}
	byID := map[int64]store.EndpointHealth{}
	for _, h := range health {
		byID[h.EndpointID] = h
	}
	disabled := map[int64]bool{}
	for _, r := range batch {
		if r.Attempt.StatusCode == http.StatusGone && !disabled[r.EndpointID] {
			disabled[r.EndpointID] = true
			w.disable(ctx, r.EndpointID, gone, byID[r.EndpointID])
		}
	}
	for _, h := range health {
		if h.FailingSince.IsZero() || disabled[h.EndpointID] {
			continue
		}
		last := lastOf(batch, h.EndpointID)
		if now.Sub(h.FailingSince) >= w.cfg.DisableAfter {
			disabled[h.EndpointID] = true
			w.disable(ctx, h.EndpointID, fmt.Sprintf("failing continuously since %s", h.FailingSince.Format(time.RFC3339)), h)
			continue
		}
		if h.StartedFailing {
			w.log.Warn("webhook endpoint started failing", "workspace", h.Workspace, "endpoint", h.EndpointID, "error", last.Attempt.Error)
			w.alert(ctx, Alert{Kind: AlertFailing, Workspace: h.Workspace, EndpointID: h.EndpointID, URL: h.URL, Since: h.FailingSince, Reason: last.Attempt.Error})
		}
	}
}

func lastOf(batch []store.AttemptResult, endpointID int64) store.AttemptResult {
	var last store.AttemptResult
	for _, r := range batch {
		if r.EndpointID == endpointID {
			last = r
		}
	}
	return last
}

func (w *Worker) disable(ctx context.Context, id int64, reason string, h store.EndpointHealth) {
	ok, err := w.cfg.Store.DisableEndpoint(ctx, id, reason)
	if err != nil {
		w.log.Error("disabling webhook endpoint failed", "endpoint", id, "error", err)
		return
	}
	if !ok {
		return
	}
	w.log.Warn("webhook endpoint disabled", "workspace", h.Workspace, "endpoint", id, "reason", reason)
	w.alert(ctx, Alert{Kind: AlertDisabled, Workspace: h.Workspace, EndpointID: id, URL: h.URL, Since: h.FailingSince, Reason: reason})
}

// alert sends an alert in the background, at most one per endpoint per
// interval across every instance.
func (w *Worker) alert(ctx context.Context, a Alert) {
	if w.cfg.Alerter == nil {
		return
	}
	ok, err := w.cfg.Store.ClaimAlert(ctx, a.EndpointID, w.cfg.AlertInterval)
	if err != nil {
		w.log.Error("recording a webhook alert failed", "endpoint", a.EndpointID, "error", err)
		return
	}
	if !ok {
		return
	}
	w.alerts.Add(1)
	go func() {
		defer w.alerts.Done()
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err := recovery.Do(func() error { return w.cfg.Alerter.Alert(actx, a) })
		recovery.Report(w.cfg.Metrics, w.log, "delivery", err, "workspace", a.Workspace, "endpoint", a.EndpointID)
		if err != nil {
			w.log.Error("sending a webhook alert failed", "workspace", a.Workspace, "endpoint", a.EndpointID, "kind", a.Kind, "error", err)
		}
	}()
}

// Attempt results, the result label of shiphub_delivery_attempts_total.
const (
	// resultSuccess: the endpoint answered 2xx, in full, in time.
	resultSuccess = "success"
	// resultFailure: any other answer, or a network error.
	resultFailure = "failure"
	// resultTimeout: no complete answer within the attempt timeout.
	resultTimeout = "timeout"
	// resultRejected: the hub refused to send (a private target, a
	// disabled endpoint, an event it cannot sign).
	resultRejected = "rejected"
)

// attempt sends one delivery and classifies the answer; result is its
// label in the attempts metric. ok is false when the worker is stopping and
// the attempt was cut short: it is not recorded. The attempt timeout covers
// it all, connecting, the answer's headers and reading its body, so an
// endpoint that trickles its answer cannot hold the attempt longer.
func (w *Worker) attempt(ctx context.Context, job *store.DeliveryJob) (r store.AttemptResult, result string, ok bool) {
	d, ep, ev := &job.Delivery, job.Endpoint, job.Event
	start := w.cfg.Now()
	r = store.AttemptResult{DeliveryID: d.ID, EndpointID: ep.ID}
	r.Attempt.AttemptedAt = start
	finish := func(result string, status int, errText, excerpt string) (store.AttemptResult, string, bool) {
		end := w.cfg.Now()
		r.Attempt.DurationMS = float64(end.Sub(start).Microseconds()) / 1000
		r.Attempt.StatusCode, r.Attempt.Error, r.Attempt.Response = status, errText, excerpt
		return r, result, true
	}
	// deadLetter ends a delivery that no attempt could send.
	deadLetter := func(errText string) (store.AttemptResult, string, bool) {
		r.Status = model.DeliveryFailed
		return finish(resultRejected, 0, errText, "")
	}
	if ep.DisabledAt != nil {
		return deadLetter("endpoint disabled")
	}
	body, err := Body(ev)
	if err != nil {
		return deadLetter(err.Error())
	}
	msgID := model.WebhookID(ev.ID)
	ts := strconv.FormatInt(start.Unix(), 10)
	sig, err := Sign(ep.Secrets(start), msgID, ts, body)
	if err != nil {
		return deadLetter(err.Error())
	}
	actx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return deadLetter(fmt.Sprintf("building the request: %v", err))
	}
	for k, v := range ep.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "shiphub-webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sig)

	resp, err := w.transport.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return r, "", false
		}
		w.schedule(&r, d.Attempts, 0)
		msg, result := err.Error(), resultFailure
		switch {
		case errors.Is(err, ErrPrivateAddress):
			msg, result = "refused: "+ErrPrivateAddress.Error(), resultRejected
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			msg, result = fmt.Sprintf("no answer within %s", w.cfg.Timeout), resultTimeout
		}
		return finish(result, 0, msg, "")
	}
	excerpt, readErr := w.readBody(resp.Body)
	_ = resp.Body.Close()
	if readErr != nil {
		if ctx.Err() != nil {
			return r, "", false
		}
		// The answer is incomplete, whatever its status said: the attempt
		// failed, and is retried like any other.
		w.schedule(&r, d.Attempts, 0)
		if errors.Is(readErr, context.DeadlineExceeded) || isTimeout(readErr) {
			return finish(resultTimeout, 0, fmt.Sprintf("HTTP %d, but the answer did not end within %s", resp.StatusCode, w.cfg.Timeout), excerpt)
		}
		return finish(resultFailure, 0, fmt.Sprintf("HTTP %d, but reading the answer failed: %v", resp.StatusCode, readErr), excerpt)
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.Status, r.Healthy = model.DeliverySucceeded, true
		return finish(resultSuccess, resp.StatusCode, "", excerpt)
	case resp.StatusCode == http.StatusGone:
		r.Status = model.DeliveryFailed
		return finish(resultFailure, resp.StatusCode, "HTTP 410 Gone: the endpoint is disabled", excerpt)
	}
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), start)
	}
	w.schedule(&r, d.Attempts, retryAfter)
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed)"
	}
	return finish(resultFailure, resp.StatusCode, msg, excerpt)
}

// safeAttempt is attempt with a panic turned into a failed attempt: it is
// logged and counted, and the delivery backs off on the retry schedule like
// any other failure, while every other delivery carries on.
func (w *Worker) safeAttempt(ctx context.Context, job *store.DeliveryJob) (r store.AttemptResult, result string, ok bool) {
	start := w.cfg.Now()
	err := recovery.Do(func() error {
		r, result, ok = w.attempt(ctx, job)
		return nil
	})
	if err == nil {
		return r, result, ok
	}
	d := &job.Delivery
	recovery.Report(w.cfg.Metrics, w.log, "delivery", err, "workspace", d.Workspace, "endpoint", d.EndpointID, "delivery", d.ID)
	r = store.AttemptResult{DeliveryID: d.ID, EndpointID: d.EndpointID}
	r.Attempt.AttemptedAt = start
	r.Attempt.DurationMS = float64(w.cfg.Now().Sub(start).Microseconds()) / 1000
	r.Attempt.Error = "internal error in the hub (a recovered panic); the delivery is retried"
	w.schedule(&r, d.Attempts, 0)
	return r, resultFailure, true
}

// count adds a finished attempt to the metrics.
func (w *Worker) count(job *store.DeliveryJob, result string) {
	w.cfg.Metrics.DeliveryAttempts.WithLabelValues(result).Inc()
	if result == resultSuccess && !job.Delivery.CreatedAt.IsZero() {
		w.cfg.Metrics.DeliveryLatencySeconds.Observe(max(0, w.cfg.Now().Sub(job.Delivery.CreatedAt).Seconds()))
	}
}

// schedule makes a failed attempt a retry at the schedule's next delay (or
// the receiver's Retry-After), or a dead letter after the last attempt.
func (w *Worker) schedule(r *store.AttemptResult, attemptsBefore int, retryAfter time.Duration) {
	done := attemptsBefore + 1
	if done >= len(w.cfg.RetrySchedule) {
		r.Status = model.DeliveryFailed
		return
	}
	delay := w.jitter(w.cfg.RetrySchedule[done])
	if retryAfter > 0 {
		delay = retryAfter
	}
	r.Status = model.DeliveryPending
	r.NextAttemptAt = w.cfg.Now().Add(delay)
}

func (w *Worker) jitter(d time.Duration) time.Duration {
	if d <= 0 || w.cfg.Jitter <= 0 {
		return d
	}
	f := 1 + w.cfg.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// readBody reads the answer up to the cap and returns its start, cut at a
// character boundary.
func (w *Worker) readBody(body io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(body, w.cfg.MaxResponseBytes))
	if len(b) > w.cfg.ExcerptBytes {
		b = b[:w.cfg.ExcerptBytes]
		// Drop only a character the cut split (at most 3 bytes); invalid
		// bytes elsewhere are replaced below, not a reason to lose the text.
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.FullRune(b[lastRuneStart(b):]); i++ {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "?"), err
}

// lastRuneStart is the index where the last, possibly incomplete, UTF-8
// character of b starts.
func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for i > 0 && len(b)-i < utf8.UTFMax && !utf8.RuneStart(b[i]) {
		i--
	}
	return i
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Anything else, or a time in the past, is 0 (use the schedule).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package intake

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
)

// DefaultAlertInterval is how often at most the operator is alerted about
// one connection's unretried failures, as for failing endpoints.
const DefaultAlertInterval = time.Hour

// UnretriedAlert tells the operator that the hub answered an error to a
// provider that does not retry (the courier): those messages are lost
// unless someone re-imports them.
type UnretriedAlert struct {
	Workspace  string
	Connection string
	Provider   string
	// Status is the HTTP status the last failure was answered with; 0 for
	// a failed FTP upload.
	Status int
	// Reason is what the last failure was answered with.
	Reason string
	// Since is when the first failure this alert reports happened.
	Since time.Time
	// Failures is how many answers this alert reports: the failure that
	// raised it and those held back since the previous alert.
	Failures int64
}

// Alerter sends operator alerts about unretried failures. deliver's SMTP
// mailer does, through MailAlerter.
type Alerter interface {
	AlertUnretried(ctx context.Context, a UnretriedAlert) error
}

// Mailer sends one operator e-mail; *deliver.Mailer is one.
type Mailer interface {
	Send(ctx context.Context, subject, body string) error
}

// MailAlerter sends unretried-failure alerts as e-mail.
type MailAlerter struct {
	Mailer Mailer
}

var _ Alerter = MailAlerter{}

// AlertUnretried sends a as one e-mail that says how to re-import.
func (m MailAlerter) AlertUnretried(ctx context.Context, a UnretriedAlert) error {
	subject, body := UnretriedAlertText(a)
	return m.Mailer.Send(ctx, subject, body)
}

// UnretriedAlertText is the subject and body of an unretried-failure alert.
func UnretriedAlertText(a UnretriedAlert) (subject, body string) {
	subject = fmt.Sprintf("[shiphub] %d message(s) from %s/%s were refused and will not be sent again", a.Failures, a.Workspace, a.Connection)
	var b strings.Builder
	fmt.Fprintf(&b, "shiphub answered %d message(s) of connection %s (provider %s) in workspace %s with an error.\n", a.Failures, a.Connection, a.Provider, a.Workspace)
	b.WriteString("This provider does not retry, so these messages are lost unless they are imported again.\n\n")
	if !a.Since.IsZero() {
		fmt.Fprintf(&b, "First failure: %s\n", a.Since.UTC().Format(time.RFC3339))
	}
	if a.Status != 0 {
		fmt.Fprintf(&b, "Last answer:   %d %s\n", a.Status, http.StatusText(a.Status))
	} else {
		b.WriteString("Last answer:   the FTP upload failed\n")
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, "Reason:        %s\n", a.Reason)
	}
	b.WriteString("\nTo re-import: ask the provider for the statuses it could not deliver (the courier e-mails them to the merchant),\n")
	b.WriteString("then upload their FTP/JSON or FTP/XML files to shiphub's FTP server, or POST them again to\n")
	fmt.Fprintf(&b, "/hooks/%s/%s. A message that did arrive after all is acknowledged as a duplicate and not applied twice.\n", a.Workspace, a.Connection)
	b.WriteString("The metric shiphub_inbound_unretried_failures_total counts every such answer; at most one alert per connection per interval is sent.\n")
	return subject, b.String()
}

// UnretriedConfig configures an Unretried.
type UnretriedConfig struct {
	// Metrics counts every failure in UnretriedFailures. Optional.
	Metrics *metrics.Metrics
	// Alerter, when set, is told about the failures, at most once per
	// connection per Interval.
	Alerter Alerter
	// Interval is the least time between two alerts about one connection;
	// default DefaultAlertInterval (1h).
	Interval time.Duration
	// Now is the clock of the interval; default time.Now.
	Now func() time.Time
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
}

// Unretried counts and alerts the failures answered to providers that do
// not retry (provider.Retries is false): a 5xx over HTTP, a failed upload
// over FTP. Each is a message lost unless someone re-imports it. One
// Unretried is shared by the HTTP and FTP intake of an instance, so an
// operator gets one alert per connection per interval. Its rate limit lives
// in memory, not in the database: the usual cause of such a failure is
// that the database is unavailable. It is safe for concurrent use.
type Unretried struct {
	cfg   UnretriedConfig
	mu    sync.Mutex
	conns map[[2]string]*alertState
	wg    sync.WaitGroup
}

type alertState struct {
	lastSent time.Time
	held     int64     // failures since lastSent that no alert reported yet
	since    time.Time // the first of them
}

// NewUnretried builds an Unretried, applying defaults.
func NewUnretried(cfg UnretriedConfig) *Unretried {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultAlertInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Unretried{cfg: cfg, conns: map[[2]string]*alertState{}}
}

// Record counts one failure (a.Failures and a.Since are filled in here), and
// logs and alerts when the connection's interval allows it. The alert is sent in the
// background: the provider's answer does not wait for SMTP.
func (u *Unretried) Record(a UnretriedAlert) {
	if u.cfg.Metrics != nil {
		// The connection label is workspace/connection, as on every series:
		// connection ids are unique only within a workspace.
		u.cfg.Metrics.UnretriedFailures.WithLabelValues(a.Provider, a.Workspace+"/"+a.Connection).Inc()
	}
	// The log line is held to the alert's interval too: during an outage
	// every message fails, and one line per message would bury the log
	// (the metric counts each one; the next line reports how many).
	now := u.cfg.Now()
	key := [2]string{a.Workspace, a.Connection}
	u.mu.Lock()
	st := u.conns[key]
	if st == nil {
		st = &alertState{}
		u.conns[key] = st
	}
	if st.held == 0 {
		st.since = now
	}
	st.held++
	if !st.lastSent.IsZero() && now.Sub(st.lastSent) < u.cfg.Interval {
		u.mu.Unlock()
		return
	}
	a.Failures, a.Since = st.held, st.since
	st.lastSent, st.held, st.since = now, 0, time.Time{}
	u.mu.Unlock()
	u.cfg.Logger.Error("inbound messages refused with an error; the provider does not retry, so they must be re-imported",
		"workspace", a.Workspace, "connection", a.Connection, "provider", a.Provider, "status", a.Status, "reason", a.Reason,
		"failures", a.Failures, "since", a.Since)
	if u.cfg.Alerter == nil {
		return
	}

	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := recovery.Do(func() error { return u.cfg.Alerter.AlertUnretried(ctx, a) })
		recovery.Report(u.cfg.Metrics, u.cfg.Logger, "intake-alert", err, "workspace", a.Workspace, "connection", a.Connection)
		if err != nil {
			u.cfg.Logger.Error("sending an unretried-failure alert failed", "workspace", a.Workspace, "connection", a.Connection, "error", err)
		}
	}()
}

// Wait waits until the alerts being sent in the background are sent, or
// ctx ends.
func (u *Unretried) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { u.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

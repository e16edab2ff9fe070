package intake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/registry"
)

// fakeAlerter records the alerts it is asked to send.
type fakeAlerter struct {
	sent chan intake.UnretriedAlert
}

func (f *fakeAlerter) AlertUnretried(_ context.Context, a intake.UnretriedAlert) error {
	f.sent <- a
	return nil
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// panicking is a connector whose Accept panics and whose provider does not
// retry: a bug in a connector must be answered, counted and alerted.
type panicking struct{}

func (panicking) Normalize(*model.InboxMessage) (model.Changes, error) { return model.Changes{}, nil }
func (panicking) Authenticate(*http.Request) error                     { return nil }
func (panicking) Accept(*http.Request, string, []byte) (provider.Inbound, error) {
	panic("a connector bug")
}
func (panicking) ProviderRetries() bool { return false }

var registerPanicking sync.Once

type alertingReceiver struct {
	h       *intake.HTTP
	u       *intake.Unretried
	inbox   *recordingInbox
	metrics *metrics.Metrics
	alerts  *fakeAlerter
	clock   *fakeClock
}

func newAlertingReceiver(t *testing.T, storeErr error) *alertingReceiver {
	t.Helper()
	registry.RegisterAll()
	registerPanicking.Do(func() {
		provider.Register(provider.Info{Name: "test-panicking", New: func(provider.Connection) (provider.Connector, error) { return panicking{}, nil }})
	})
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "courier", Provider: "courier"},
		{ID: "ws", Provider: "winkelstraat", Settings: map[string]any{"inbound_api_key": "ws-key"}},
		{ID: "buggy", Provider: "test-panicking"},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	r := &alertingReceiver{
		inbox: &recordingInbox{err: storeErr}, metrics: metrics.New(),
		alerts: &fakeAlerter{sent: make(chan intake.UnretriedAlert, 10)},
		clock:  &fakeClock{now: time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC)},
	}
	r.u = intake.NewUnretried(intake.UnretriedConfig{Metrics: r.metrics, Alerter: r.alerts, Interval: time.Hour, Now: r.clock.Now})
	r.h, err = intake.NewHTTP(intake.HTTPConfig{Inbox: r.inbox, Connections: conns, Metrics: r.metrics, Unretried: r.u})
	require.NoError(t, err)
	return r
}

func (r *alertingReceiver) unretried(connection, provider string) float64 {
	return testutil.ToFloat64(r.metrics.UnretriedFailures.WithLabelValues(provider, "acme/"+connection))
}

// nextAlert waits for the alert the receiver sends in the background.
func (r *alertingReceiver) nextAlert(t *testing.T) intake.UnretriedAlert {
	t.Helper()
	select {
	case a := <-r.alerts.sent:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no alert was sent")
		return intake.UnretriedAlert{}
	}
}

// noAlert checks, once every alert in flight has been sent, that none was.
func (r *alertingReceiver) noAlert(t *testing.T) {
	t.Helper()
	require.NoError(t, r.u.Wait(t.Context()))
	select {
	case a := <-r.alerts.sent:
		t.Fatalf("unexpected alert %+v", a)
	default:
	}
}

const courierPost = `{"order":"ASK1","status":"PROCESSING","statuscode":"take","statustime":"20230719110649"}`

func TestA503ToTheCourierIsCountedAndAlerted(t *testing.T) {
	t.Parallel()
	r := newAlertingReceiver(t, errors.New("database is down"))
	json := map[string]string{"Content-Type": "application/json"}

	rec := serve(r.h, http.MethodPost, "/hooks/acme/courier", courierPost, json)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, 1.0, r.unretried("courier", "courier"), "the courier does not retry: the 503 is counted")
	a := r.nextAlert(t)
	require.Equal(t, intake.UnretriedAlert{
		Workspace: "acme", Connection: "courier", Provider: "courier", Status: http.StatusServiceUnavailable,
		Reason: "committing to the inbox: database is down", Since: r.clock.Now(), Failures: 1,
	}, a)

	// Within the interval, failures are counted but held back.
	r.clock.Advance(10 * time.Minute)
	require.Equal(t, http.StatusServiceUnavailable, serve(r.h, http.MethodGet, goodQuery, "", nil).Code)
	held := r.clock.Now()
	r.clock.Advance(10 * time.Minute)
	require.Equal(t, http.StatusServiceUnavailable, serve(r.h, http.MethodPost, "/hooks/acme/courier", courierPost, json).Code)
	require.Equal(t, 3.0, r.unretried("courier", "courier"))
	r.noAlert(t)

	// After the interval the next failure alerts, reporting those held back.
	r.clock.Advance(time.Hour)
	require.Equal(t, http.StatusServiceUnavailable, serve(r.h, http.MethodGet, goodQuery, "", nil).Code)
	a = r.nextAlert(t)
	require.Equal(t, int64(3), a.Failures, "two held back and this one")
	require.Equal(t, held, a.Since)
	require.Equal(t, 4.0, r.unretried("courier", "courier"))
}

func TestA503ToAProviderThatRetriesIsNotAnUnretriedFailure(t *testing.T) {
	t.Parallel()
	r := newAlertingReceiver(t, errors.New("database is down"))
	body := `{"increment_id":"000000288","status":"IN_TRANSIT"}`
	rec := serve(r.h, http.MethodPost, "/hooks/acme/ws", body, map[string]string{"x-api-key": "ws-key", "Content-Type": "application/json"})
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, 0.0, r.unretried("ws", "winkelstraat"))
	r.noAlert(t)
}

func TestA4xxToTheCourierIsNoUnretriedFailure(t *testing.T) {
	t.Parallel()
	r := newAlertingReceiver(t, nil)
	rec := serve(r.h, http.MethodPost, "/hooks/acme/courier", `{"order":`, map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusBadRequest, rec.Code, "bad input is the courier's to fix, and it is told so")
	require.Equal(t, 0.0, r.unretried("courier", "courier"))
	r.noAlert(t)
}

func TestAPanickingConnectorIsAnswered500CountedAndAlerted(t *testing.T) {
	t.Parallel()
	r := newAlertingReceiver(t, nil)
	rec := serve(r.h, http.MethodPost, "/hooks/acme/buggy", `{}`, nil)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.Equal(t, 1.0, testutil.ToFloat64(r.metrics.PanicsRecovered.WithLabelValues("intake")))
	require.Equal(t, 1.0, r.unretried("buggy", "test-panicking"))
	a := r.nextAlert(t)
	require.Equal(t, http.StatusInternalServerError, a.Status)
	require.Contains(t, a.Reason, "a connector bug")
	require.Zero(t, r.inbox.count())
}

func TestUnretriedAlertTextSaysHowToReimport(t *testing.T) {
	t.Parallel()
	subject, body := intake.UnretriedAlertText(intake.UnretriedAlert{
		Workspace: "acme", Connection: "courier", Provider: "courier", Status: 503,
		Reason: "committing to the inbox: database is down", Since: time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC), Failures: 3,
	})
	require.Contains(t, subject, "3 message(s) from acme/courier")
	for _, want := range []string{"does not retry", "FTP", "POST them again", "/hooks/acme/courier", "2024-01-15T08:00:00Z", "503 Service Unavailable", "database is down"} {
		require.True(t, strings.Contains(body, want), "the body says %q:\n%s", want, body)
	}
}

// mailer is a fake SMTP sender.
type mailer struct{ subject, body string }

func (m *mailer) Send(_ context.Context, subject, body string) error {
	m.subject, m.body = subject, body
	return nil
}

func TestMailAlerterSendsTheText(t *testing.T) {
	t.Parallel()
	m := &mailer{}
	a := intake.UnretriedAlert{Workspace: "acme", Connection: "courier", Provider: "courier", Status: 503, Failures: 1}
	require.NoError(t, intake.MailAlerter{Mailer: m}.AlertUnretried(t.Context(), a))
	subject, body := intake.UnretriedAlertText(a)
	require.Equal(t, subject, m.subject)
	require.Equal(t, body, m.body)
}

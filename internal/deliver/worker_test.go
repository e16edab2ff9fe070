package deliver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// verify is an independent implementation of Standard Webhooks
// verification, as a receiver would write it from the specification: the
// signed content is "id.timestamp.body", the key is the base64 after
// "whsec_", the header holds space-separated "v1,<base64>" signatures, any
// of which may match, and old timestamps are refused.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp outside tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature matches")
}

// received is one request a receiver got.
type received struct {
	at      time.Time
	header  http.Header
	body    []byte
	payload deliver.Payload
}

// receiver is a merchant endpoint on loopback that answers with respond.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, r received, w http.ResponseWriter) // n counts requests from 1
}

func newReceiver(t *testing.T, respond func(n int, r received, w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r := received{at: time.Now(), header: req.Header.Clone(), body: body}
		_ = json.Unmarshal(body, &r.payload)
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, r, w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// hub is a store and a running worker.
type hub struct {
	st     *sqlite.Store
	worker *deliver.Worker
}

func start(t *testing.T, cfg deliver.Config) *hub {
	t.Helper()
	return startWrapped(t, cfg, nil)
}

// startWrapped is start with the worker's store wrapped (nil: not wrapped).
func startWrapped(t *testing.T, cfg deliver.Config, wrap func(*sqlite.Store) store.Webhooks) *hub {
	t.Helper()
	st := sqlite.OpenTest(t)
	cfg.Store = st
	if wrap != nil {
		cfg.Store = wrap(st)
	}
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	cfg.PollInterval = 50 * time.Millisecond
	w, err := deliver.New(cfg)
	require.NoError(t, err)
	w.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, w.Stop(ctx))
	})
	return &hub{st: st, worker: w}
}

func (h *hub) endpoint(t *testing.T, url string, events ...string) *model.Endpoint {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	e := &model.Endpoint{Workspace: "acme", URL: url, Events: events, Secret: model.NewSecret()}
	require.NoError(t, h.st.CreateEndpoint(context.Background(), e))
	return e
}

var seq atomic.Int64

// emit commits feed events, each {type, subject}, in one apply transaction.
func (h *hub) emit(t *testing.T, events ...[2]any) []*model.FeedEvent {
	t.Helper()
	ctx := context.Background()
	_, _, err := h.st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "c", Provider: "courier", Source: model.SourceWebhook,
		DedupKey: fmt.Sprint("m", seq.Add(1)), Body: []byte("{}")})
	require.NoError(t, err)
	var out []*model.FeedEvent
	n, err := h.st.ProcessInbox(ctx, 10, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, e := range events {
			fe := &model.FeedEvent{Workspace: "acme", Type: e[0].(string), SubjectID: int64(e[1].(int)), Data: json.RawMessage(`{"shipment":{"id":` + fmt.Sprint(e[1]) + `}}`)}
			if err := tx.AppendFeed(ctx, fe); err != nil {
				return err
			}
			out = append(out, fe)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	return out
}

// eventually polls cond on the test's goroutine (so cond may use require,
// unlike require.Eventually's) until it holds, failing after 15s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *hub) delivery(t *testing.T, status string) []*model.Delivery {
	t.Helper()
	list, err := h.st.ListDeliveries(context.Background(), store.DeliveryFilter{Workspace: "acme", Status: status, Limit: 1000})
	require.NoError(t, err)
	return list
}

func (h *hub) waitStatus(t *testing.T, status string, n int) []*model.Delivery {
	t.Helper()
	var list []*model.Delivery
	eventually(t, fmt.Sprintf("%d %s deliveries", n, status), func() bool {
		list = h.delivery(t, status)
		return len(list) >= n
	})
	return list
}

// waitDisabled waits until the endpoint is disabled and returns it.
func (h *hub) waitDisabled(t *testing.T, id int64) *model.Endpoint {
	t.Helper()
	var e *model.Endpoint
	eventually(t, "the endpoint disabled", func() bool {
		var err error
		e, err = h.st.GetEndpoint(context.Background(), "acme", id)
		require.NoError(t, err)
		return e.DisabledAt != nil
	})
	return e
}

func TestSignatureVerifiesWithAnIndependentImplementation(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true})
	rc := newReceiver(t, nil)
	ep := h.endpoint(t, rc.URL, "shipment.*")
	require.NoError(t, h.st.SyncConfigEndpoints(context.Background(), "acme", nil)) // leaves API endpoints alone
	h.endpoint(t, rc.URL+"/stock", "shipment.edd_changed")
	events := h.emit(t, [2]any{model.EventShipmentCreated, 1}, [2]any{model.EventShipmentStatusChanged, 1})
	h.waitStatus(t, model.DeliverySucceeded, 2)

	got := rc.requests()
	require.Len(t, got, 2, "the stock endpoint gets no shipment events")
	for i, r := range got {
		require.NoError(t, verify(ep.Secret, r.header, r.body, time.Now()), "request %d", i)
		require.Error(t, verify(model.NewSecret(), r.header, r.body, time.Now()), "another secret must not verify")
		require.Error(t, verify(ep.Secret, r.header, append(r.body, ' '), time.Now()), "a changed body must not verify")
		require.Equal(t, model.WebhookID(events[i].ID), r.header.Get("webhook-id"))
		require.Equal(t, r.payload.ID, r.header.Get("webhook-id"))
		require.Equal(t, events[i].Type, r.payload.Type)
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		require.JSONEq(t, `{"shipment":{"id":1}}`, string(r.payload.Data))
	}
}

func TestRotatedSecretSignsWithBothDuringTheGracePeriod(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true})
	rc := newReceiver(t, nil)
	ep := h.endpoint(t, rc.URL)
	newSecret := model.NewSecret()
	require.NoError(t, h.st.RotateEndpointSecret(context.Background(), "acme", ep.ID, newSecret, time.Now().Add(time.Hour)))
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	h.waitStatus(t, model.DeliverySucceeded, 1)
	r := rc.requests()[0]
	require.NoError(t, verify(ep.Secret, r.header, r.body, time.Now()), "receivers still on the old secret verify")
	require.NoError(t, verify(newSecret, r.header, r.body, time.Now()), "receivers on the new secret verify")
	require.Len(t, strings.Fields(r.header.Get("webhook-signature")), 2)
}

func TestServerErrorsAreRetriedUntilSuccessAndEveryAttemptIsLogged(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, ExcerptBytes: 16})
	rc := newReceiver(t, func(n int, _ received, w http.ResponseWriter) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, strings.Repeat("database is down ", 100))
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	d := h.waitStatus(t, model.DeliverySucceeded, 1)[0]
	full, err := h.st.GetDelivery(context.Background(), "acme", d.ID)
	require.NoError(t, err)
	require.Len(t, full.Log, 3)
	require.Equal(t, []int{500, 500, 200}, []int{full.Log[0].StatusCode, full.Log[1].StatusCode, full.Log[2].StatusCode})
	require.Equal(t, "HTTP 500", full.Log[0].Error)
	require.Equal(t, "database is down", full.Log[0].Response, "the excerpt is bounded")
	require.Equal(t, 3, full.Attempts)
	got := rc.requests()
	require.Equal(t, got[0].header.Get("webhook-id"), got[2].header.Get("webhook-id"), "retries keep the event id")
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true})
	rc := newReceiver(t, func(n int, _ received, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	h.waitStatus(t, model.DeliverySucceeded, 1)
	got := rc.requests()
	require.Len(t, got, 2)
	require.GreaterOrEqual(t, got[1].at.Sub(got[0].at), 990*time.Millisecond, "the schedule says 10ms, the receiver said 1s")
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true})
	rc := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
	ep := h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	h.waitDisabled(t, ep.ID)
	failed := h.waitStatus(t, model.DeliveryFailed, 1)
	require.Contains(t, failed[0].LastError, "410")
	h.emit(t, [2]any{model.EventShipmentCreated, 2})
	require.Len(t, h.waitStatus(t, model.DeliveryFailed, 2), 2, "later events are kept as dead letters for a recovery")
	require.Len(t, rc.requests(), 1, "nothing more is sent")
}

func TestEventsOfOneShipmentArriveInOrderWithoutStallingOthers(t *testing.T) {
	t.Parallel()
	// Shipment 1's first event is retried after 3s, twice: shipment 2's
	// three events, sent one after the other, all arrive before its retry.
	h := start(t, deliver.Config{AllowPrivateNetworks: true, Jitter: -1, RetrySchedule: []time.Duration{0, 3 * time.Second, 3 * time.Second, 3 * time.Second}})
	var failures atomic.Int64
	rc := newReceiver(t, func(_ int, r received, w http.ResponseWriter) {
		if r.payload.SubjectID == 1 && r.payload.Type == model.EventShipmentCreated && failures.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	h.endpoint(t, rc.URL)
	h.emit(t,
		[2]any{model.EventShipmentCreated, 1}, [2]any{model.EventShipmentCreated, 2},
		[2]any{model.EventShipmentEventAdded, 1}, [2]any{model.EventShipmentEventAdded, 2},
		[2]any{model.EventShipmentStatusChanged, 1}, [2]any{model.EventShipmentStatusChanged, 2})
	h.waitStatus(t, model.DeliverySucceeded, 6)

	bySubject := map[int64][]string{}
	var order []int64 // the subject of each request, in arrival order
	for _, r := range rc.requests() {
		bySubject[r.payload.SubjectID] = append(bySubject[r.payload.SubjectID], r.payload.Type)
		order = append(order, r.payload.SubjectID)
	}
	c, a, s := model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged
	require.Equal(t, []string{c, c, c, a, s}, bySubject[1], "a later event waits for the earlier one that is retrying")
	require.Equal(t, []string{c, a, s}, bySubject[2])
	retry, ones, twos := -1, 0, 0
	for i, sub := range order {
		if sub == 1 {
			if ones++; ones == 2 {
				retry = i
				break
			}
		}
	}
	require.Positive(t, retry)
	for _, sub := range order[:retry] {
		if sub == 2 {
			twos++
		}
	}
	require.Equal(t, 3, twos, "shipment 2 is not held up by shipment 1's retries: %v", order)
}

func TestDeadLettersAreListedAndReplayedSinglyOrInBulk(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, RetrySchedule: []time.Duration{0, 10 * time.Millisecond}})
	var healthy atomic.Bool
	rc := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) {
		if healthy.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	ep := h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1}, [2]any{model.EventShipmentCreated, 2}, [2]any{model.EventShipmentCreated, 3})
	dead := h.waitStatus(t, model.DeliveryFailed, 3)
	require.Equal(t, 2, dead[0].Attempts, "the last attempt of the schedule makes a dead letter")
	require.Len(t, rc.requests(), 6)

	healthy.Store(true)
	require.NoError(t, h.st.RetryDelivery(context.Background(), "acme", dead[0].ID))
	h.waitStatus(t, model.DeliverySucceeded, 1)
	n, err := h.st.RecoverEndpoint(context.Background(), "acme", ep.ID, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	h.waitStatus(t, model.DeliverySucceeded, 3)
	require.Empty(t, h.delivery(t, model.DeliveryFailed))
}

func TestPrivateTargetsAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{RetrySchedule: []time.Duration{0}})
	rc := newReceiver(t, nil)
	h.endpoint(t, rc.URL) // 127.0.0.1
	// A name resolving to loopback is refused too: the check runs on the
	// address actually connected to.
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	h.endpoint(t, "http://localhost:"+port)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	failed := h.waitStatus(t, model.DeliveryFailed, 2)
	for _, d := range failed {
		full, err := h.st.GetDelivery(context.Background(), "acme", d.ID)
		require.NoError(t, err)
		require.Contains(t, full.Log[0].Error, "refused")
	}
	require.Empty(t, rc.requests())
}

func TestCheckURLRefusesLiteralPrivateTargets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url     string
		refused bool
	}{
		{"https://shop.example/hooks", false},
		{"https://93.184.216.34/hooks", false},
		{"http://127.0.0.1:8080/", true},
		{"http://localhost/", true},
		{"http://api.localhost/", true},
		{"http://10.1.2.3/", true},
		{"http://192.168.1.1/", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://100.100.100.200/", true},
		{"http://[::1]/", true},
		{"http://[fd00:ec2::254]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://0.0.0.0/", true},
	} {
		err := deliver.CheckURL(c.url, false)
		if c.refused {
			require.ErrorIs(t, err, deliver.ErrPrivateAddress, c.url)
		} else {
			require.NoError(t, err, c.url)
		}
		require.NoError(t, deliver.CheckURL(c.url, true), "allowed: %s", c.url)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, RetrySchedule: []time.Duration{0}})
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	d := h.waitStatus(t, model.DeliveryFailed, 1)[0]
	require.Contains(t, d.LastError, "redirects are not followed")
	require.Empty(t, target.requests())
}

func TestATimeoutIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, RetrySchedule: []time.Duration{0}, Timeout: 100 * time.Millisecond})
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { <-release })
	t.Cleanup(func() { close(release) }) // before the receiver's Close, which waits for its handlers
	h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	d := h.waitStatus(t, model.DeliveryFailed, 1)[0]
	require.Contains(t, d.LastError, "no answer within 100ms")
}

// mailbox is an SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []string
	addr string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

func (m *mailbox) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...)
}

type mailSession struct{ m *mailbox }

func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, string(b))
	s.m.mu.Unlock()
	return nil
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

func TestOperatorIsMailedWhenAnEndpointStartsFailingAndWhenItIsDisabled(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	mailer, err := deliver.NewMailer(deliver.MailConfig{Host: host, Port: p, From: "hub@shiphub.example", To: []string{"ops@shiphub.example"}, TLS: "none"})
	require.NoError(t, err)
	h := start(t, deliver.Config{AllowPrivateNetworks: true, Alerter: mailer, DisableAfter: time.Hour,
		RetrySchedule: []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}})

	failing := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	fep := h.endpoint(t, failing.URL, "shipment.created")
	h.emit(t, [2]any{model.EventShipmentCreated, 1}, [2]any{model.EventShipmentCreated, 2})
	h.waitStatus(t, model.DeliveryFailed, 2)
	eventually(t, "the failing alert", func() bool { return len(mb.messages()) == 1 })
	require.Contains(t, mb.messages()[0], fmt.Sprintf("webhook endpoint %d of acme is failing", fep.ID))
	require.Contains(t, mb.messages()[0], failing.URL)

	gone := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
	gep := h.endpoint(t, gone.URL, "shipment.edd_changed")
	h.emit(t, [2]any{model.EventShipmentEDDChanged, 9})
	eventually(t, "the disabled alert", func() bool { return len(mb.messages()) == 2 })
	require.Contains(t, mb.messages()[1], fmt.Sprintf("webhook endpoint %d of acme was disabled", gep.ID))
	require.Contains(t, mb.messages()[1], "410")

	// Ten failing attempts of the first endpoint later, still one mail about
	// it. Alerts go out in the background: Stop waits for those in flight,
	// so after it every alert these attempts caused has been mailed.
	h.emit(t, [2]any{model.EventShipmentCreated, 3}, [2]any{model.EventShipmentCreated, 4})
	h.waitStatus(t, model.DeliveryFailed, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.worker.Stop(ctx))
	require.Len(t, mb.messages(), 2, "at most one alert per endpoint per hour")
}

func TestAnEndpointFailingForTooLongIsDisabled(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, DisableAfter: 200 * time.Millisecond,
		RetrySchedule: []time.Duration{0, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, time.Hour}})
	rc := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	ep := h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	e := h.waitDisabled(t, ep.ID)
	require.Contains(t, e.DisabledReason, "failing continuously since")
	require.Len(t, h.waitStatus(t, model.DeliveryFailed, 1), 1)
}

func TestCustomHeadersAreSentAndAnOddAnswerKeepsItsExcerpt(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, ExcerptBytes: 8})
	rc := newReceiver(t, func(n int, _ received, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			// An invalid byte, then two-byte characters the 8-byte cut splits.
			_, _ = io.WriteString(w, "\xff"+strings.Repeat("é", 20))
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	e := &model.Endpoint{Workspace: "acme", URL: rc.URL, Events: []string{"*"}, Secret: model.NewSecret(),
		Headers: map[string]string{"X-Shop": "acme-nl"}}
	require.NoError(t, h.st.CreateEndpoint(context.Background(), e))
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	d := h.waitStatus(t, model.DeliverySucceeded, 1)[0]
	for _, r := range rc.requests() {
		require.Equal(t, "acme-nl", r.header.Get("X-Shop"), "the endpoint's custom header goes with every attempt")
	}
	full, err := h.st.GetDelivery(context.Background(), "acme", d.ID)
	require.NoError(t, err)
	require.Equal(t, "?ééé", full.Log[0].Response, "the invalid byte is replaced, only the split character is dropped")
}

// countingRecords counts the store's RecordAttempts calls.
type countingRecords struct {
	*sqlite.Store
	calls atomic.Int64
}

func (c *countingRecords) RecordAttempts(ctx context.Context, results []store.AttemptResult) ([]store.EndpointHealth, error) {
	c.calls.Add(1)
	return c.Store.RecordAttempts(ctx, results)
}

// TestResultsAreRecordedInBatches checks that the recorder lets results
// gather (BatchWait) instead of writing each as it comes: 40 deliveries
// take far fewer than 40 record transactions.
func TestResultsAreRecordedInBatches(t *testing.T) {
	t.Parallel()
	var counted *countingRecords
	h := startWrapped(t, deliver.Config{AllowPrivateNetworks: true, BatchWait: 50 * time.Millisecond}, func(st *sqlite.Store) store.Webhooks {
		counted = &countingRecords{Store: st}
		return counted
	})
	rc := newReceiver(t, nil)
	h.endpoint(t, rc.URL)
	var events [][2]any
	for i := range 40 {
		events = append(events, [2]any{model.EventShipmentCreated, i + 1})
	}
	h.emit(t, events...)
	h.waitStatus(t, model.DeliverySucceeded, 40)
	require.Less(t, counted.calls.Load(), int64(20), "record transactions for 40 deliveries")
}

// TestSendersAreReused: one after another, the deliveries of one endpoint
// that takes one at a time are sent by the sender goroutine that sent the
// one before, not by a new goroutine each (whose stack grew again for every
// request and signature).
func TestSendersAreReused(t *testing.T) {
	t.Parallel()
	h := start(t, deliver.Config{AllowPrivateNetworks: true, Concurrency: 4, EndpointConcurrency: 1})
	rc := newReceiver(t, nil)
	h.endpoint(t, rc.URL)
	var events [][2]any
	for range 30 {
		events = append(events, [2]any{model.EventShipmentCreated, 1})
	}
	h.emit(t, events...)
	h.waitStatus(t, model.DeliverySucceeded, 30)
	require.Less(t, h.worker.SendersStarted(), int64(10), "sender goroutines started for 30 deliveries sent one at a time")
}

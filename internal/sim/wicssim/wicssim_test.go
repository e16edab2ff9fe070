package wicssim

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testKey    = "wics-key"
	testSecret = "wics-secret"
	hookPath   = "/hooks/acme/wics"
)

// testStart is the warehouse clock of the test worlds.
var testStart = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// request is one post the receiver saw.
type request struct {
	path, topic, auth, contentType string
	body                           []byte
	// at is the wall time, or the fake clock's time when the receiver has
	// one, at which the post arrived.
	at time.Time
	// attempt is 1 for the first post of this topic and body, 2 for the
	// next, and so on.
	attempt int
	status  int
}

// receiver is a test hub: it records every post and answers with respond.
type receiver struct {
	*httptest.Server
	respond func(r request) int
	clock   Clock

	mu       sync.Mutex
	reqs     []request
	attempts map[string]int
	accepted map[string]int
	// arrived gets every request after it is answered, without blocking.
	arrived chan request
}

func key(topic string, body []byte) string { return topic + " " + string(body) }

func newReceiver(t *testing.T, respond func(r request) int) *receiver {
	t.Helper()
	rc := &receiver{respond: respond, attempts: map[string]int{}, accepted: map[string]int{}, arrived: make(chan request, 1<<16)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{
			path: r.URL.Path, topic: r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:],
			auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"),
			body: body, at: time.Now(),
		}
		if rc.clock != nil {
			req.at = rc.clock.Now()
		}
		if r.Method != http.MethodPost {
			req.status = http.StatusMethodNotAllowed
		}
		rc.mu.Lock()
		rc.attempts[key(req.topic, body)]++
		req.attempt = rc.attempts[key(req.topic, body)]
		if req.status == 0 {
			req.status = rc.respond(req)
		}
		if req.status == http.StatusOK {
			rc.accepted[key(req.topic, body)]++
		}
		rc.reqs = append(rc.reqs, req)
		rc.mu.Unlock()
		if req.status/100 == 3 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(req.status)
		select {
		case rc.arrived <- req:
		default:
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func always(status int) func(request) int { return func(request) int { return status } }

func (rc *receiver) seen() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

func (rc *receiver) acceptedCounts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.accepted))
	for k, v := range rc.accepted {
		out[k] = v
	}
	return out
}

func testConfig(url string) Config {
	return Config{
		URL: url + hookPath, APIKey: testKey, APISecret: testSecret,
		Orders: 8, Step: -1, Seed: 3, Start: testStart,
		TimeScale: 1.0 / 600_000, // the last retry after 153ms
	}
}

func runSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Run(ctx))
	return s
}

// expectedStream is what a simulator with cfg sends, generated anew.
func expectedStream(cfg Config) []Message {
	w := newWorld(worldConfig{seed: cfg.Seed, start: cfg.Start, orders: cfg.Orders,
		interleave: or(cfg.Interleave, DefaultInterleave), returnEvery: or(cfg.ReturnEvery, DefaultReturnEvery),
		customerNumber: or(cfg.CustomerNumber, DefaultCustomerNumber), examples: !cfg.SkipExamples})
	var out []Message
	for {
		m, ok := w.next()
		if !ok {
			return out
		}
		out = append(out, m)
	}
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func TestRunSendsEveryTopicWithTheDocumentsExampleFirst(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(http.StatusOK))
	s := runSim(t, testConfig(rc.URL))

	reqs := rc.seen()
	first := map[string][]byte{}
	generated := map[string]int{}
	for _, r := range reqs {
		require.Equal(t, hookPath+"/"+r.topic, r.path)
		require.Contains(t, Topics(), r.topic)
		require.Equal(t, "Basic wics-key:wics-secret", r.auth, "the document's literal form")
		require.Equal(t, "application/json", r.contentType)
		if _, ok := first[r.topic]; !ok {
			first[r.topic] = r.body
			continue
		}
		generated[r.topic]++
	}
	for _, topic := range Topics() {
		require.Equal(t, string(documentExample(t, topic)), string(first[topic]), "the first %s message is the document's example", topic)
		require.Positive(t, generated[topic], "generated %s messages follow", topic)
	}
	// The nine examples come first, in the document's order.
	for i, topic := range Topics() {
		require.Equal(t, topic, reqs[i].topic)
	}

	st := s.Stats()
	require.EqualValues(t, len(reqs), st.Sent)
	require.EqualValues(t, len(reqs), st.Acked)
	require.EqualValues(t, len(reqs), st.Attempts)
	require.Zero(t, st.Retried)
	require.Zero(t, st.GaveUp)
	require.Zero(t, st.Pending)
	require.EqualValues(t, 8, st.Orders)
	require.Len(t, st.Topics, 9)
	for _, topic := range Topics() {
		require.EqualValues(t, generated[topic]+1, st.Topics[topic].Acked, topic)
	}
	require.Len(t, reqs, len(expectedStream(testConfig(rc.URL))), "the stream is the seed's")
}

func TestAuthorizationForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b64  bool
		want string
	}{
		{"document literal", false, "Basic wics-key:wics-secret"},
		{"standard base64", true, "Basic " + base64.StdEncoding.EncodeToString([]byte("wics-key:wics-secret"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, always(http.StatusOK))
			cfg := testConfig(rc.URL)
			cfg.Base64Auth = tc.b64
			cfg.Orders = 1
			runSim(t, cfg)
			reqs := rc.seen()
			require.NotEmpty(t, reqs)
			for _, r := range reqs {
				require.Equal(t, tc.want, r.auth)
			}
		})
	}
}

func TestURLWithTrailingSlash(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(http.StatusOK))
	cfg := testConfig(rc.URL)
	cfg.URL += "/"
	cfg.Orders = 1
	runSim(t, cfg)
	for _, r := range rc.seen() {
		require.Equal(t, hookPath+"/"+r.topic, r.path)
	}
}

// On 503 answers the simulator retries on the (compressed) schedule until
// the hub answers 200, and every logical message is accepted exactly once.
func TestRetriesAfter503EndInExactlyOneAcceptedMessage(t *testing.T) {
	t.Parallel()
	const failures = 2
	rc := newReceiver(t, func(r request) int {
		if r.attempt <= failures {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	cfg := testConfig(rc.URL)
	cfg.Orders = 4
	cfg.TimeScale = 1.0 / 2000 // retries after 45ms and 135ms
	sends := &stampingTransport{sent: map[string][]time.Time{}}
	cfg.Client = &http.Client{Transport: sends, Timeout: 10 * time.Second}
	s := runSim(t, cfg)

	want := map[string]int{}
	for _, m := range expectedStream(cfg) {
		want[key(m.Topic, m.Body)]++
	}
	require.Equal(t, want, rc.acceptedCounts(), "each logical message accepted exactly once")

	schedule := scaled(cfg.TimeScale)
	byKey := map[string][]request{}
	for _, r := range rc.seen() {
		byKey[key(r.topic, r.body)] = append(byKey[key(r.topic, r.body)], r)
	}
	retried := 0
	for k, rs := range byKey {
		if want[k] != 1 {
			continue // a body sent twice shares its first two answers
		}
		require.Len(t, rs, failures+1, k)
		retried += failures
		at := sends.times(k)
		require.Len(t, at, failures+1, k)
		for i, a := range at[1:] {
			// Retry i+1 is due schedule[i] after the clock was read for
			// the first attempt, which left a moment later, hence the
			// slack.
			require.GreaterOrEqual(t, a.Sub(at[0]), schedule[i]-schedule[0]/2, "%s: retry %d", k, i+1)
		}
		require.Equal(t, http.StatusOK, rs[failures].status)
	}

	st := s.Stats()
	require.Zero(t, st.GaveUp)
	require.Zero(t, st.Pending)
	require.EqualValues(t, len(expectedStream(cfg)), st.Sent)
	require.Equal(t, st.Sent, st.Acked)
	require.EqualValues(t, len(rc.seen()), st.Attempts)
	require.Equal(t, st.Attempts-st.Sent, st.Retried)
	require.GreaterOrEqual(t, st.Retried, int64(retried))
}

// stampingTransport notes when each post leaves the simulator, by topic
// and body.
type stampingTransport struct {
	mu   sync.Mutex
	sent map[string][]time.Time
}

func (st *stampingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	now := time.Now()
	body, err := r.GetBody()
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(body)
	k := key(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], b)
	st.mu.Lock()
	st.sent[k] = append(st.sent[k], now)
	st.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (st *stampingTransport) times(k string) []time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.sent[k])
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return true
}

// Any answer but 200, and a network error, is retried on the document's
// schedule, and the message is given up after the tenth retry.
func TestDeliverRetriesOnTheDocumentsScheduleAndGivesUp(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusTooManyRequests,
		http.StatusUnauthorized, http.StatusNotFound, http.StatusBadRequest, http.StatusCreated, http.StatusAccepted, http.StatusNoContent,
		http.StatusFound, http.StatusTemporaryRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: testStart}
			rc := newReceiver(t, always(status))
			rc.clock = clock
			var gaveUp []Message
			cfg := testConfig(rc.URL)
			cfg.TimeScale = 0 // the document's real minutes, on the fake clock
			cfg.Clock = clock
			cfg.OnGiveUp = func(m Message, err error) {
				gaveUp = append(gaveUp, m)
				assert.Error(t, err)
			}
			s, err := New(cfg)
			require.NoError(t, err)
			body, err := Example(TopicStock)
			require.NoError(t, err)
			m := Message{Topic: TopicStock, Body: body, Key: "CS1001"}

			err = s.Deliver(t.Context(), m)
			var gerr *GiveUpError
			require.ErrorAs(t, err, &gerr)
			require.Equal(t, MaxAttempts, gerr.Attempts)
			var herr *HTTPError
			require.ErrorAs(t, err, &herr)
			require.Equal(t, status, herr.StatusCode)

			reqs := rc.seen()
			require.Len(t, reqs, MaxAttempts)
			offsets := []time.Duration{0}
			for _, r := range reqs[1:] {
				offsets = append(offsets, r.at.Sub(reqs[0].at))
			}
			require.Equal(t, append([]time.Duration{0}, RetrySchedule()...), offsets)
			require.Equal(t, []Message{m}, gaveUp)

			st := s.Stats()
			require.Equal(t, TopicStats{Sent: 1, Attempts: 11, Retried: 10, GaveUp: 1}, st.Topics[TopicStock])
			require.Equal(t, TopicStats{Sent: 1, Attempts: 11, Retried: 10, GaveUp: 1}, st.TopicStats)
		})
	}
}

func TestRetryScheduleIsTheDocumentsTable(t *testing.T) {
	t.Parallel()
	min := func(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
	require.Equal(t, []time.Duration{min(1.5), min(4.5), min(10.5), min(22.5), min(46.5), min(94.5), min(190.5), min(382.5), min(766.5), min(1534.5)}, RetrySchedule())
	require.Len(t, RetrySchedule(), MaxAttempts-1, "ten retries")
	require.Equal(t, 90*time.Second, RetrySchedule()[0], `"the first retry is after 90 seconds"`)
	require.Equal(t, []time.Duration{900 * time.Microsecond, 2700 * time.Microsecond}, scaled(1.0 / 100_000)[:2])
}

func TestDeliverRetriesANetworkError(t *testing.T) {
	t.Parallel()
	// A listener that takes connections and closes them at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_ = c.Close()
		}
	}()
	clock := &fakeClock{now: testStart}
	cfg := testConfig("http://" + ln.Addr().String())
	cfg.Clock = clock
	s, err := New(cfg)
	require.NoError(t, err)
	err = s.Deliver(t.Context(), Message{Topic: TopicRMA, Body: []byte(`{}`)})
	var gerr *GiveUpError
	require.ErrorAs(t, err, &gerr)
	require.Equal(t, TopicStats{Sent: 1, Attempts: 11, Retried: 10, GaveUp: 1}, s.Stats().Topics[TopicRMA])
	require.Equal(t, testStart.Add(scaled(cfg.TimeScale)[9]), clock.Now(), "the last retry at the scaled last offset")
	require.GreaterOrEqual(t, conns.Load(), int64(MaxAttempts))
}

func TestDeliverUnknownTopic(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(http.StatusOK))
	s, err := New(testConfig(rc.URL))
	require.NoError(t, err)
	require.ErrorContains(t, s.Deliver(t.Context(), Message{Topic: "orders", Body: []byte(`{}`)}), "unknown topic")
	require.Empty(t, rc.seen())
}

// Run gives up the messages of a topic the hub never accepts, reports each,
// and still delivers the others.
func TestRunGivesUpAndReports(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(r request) int {
		if r.topic == TopicRMA {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	var mu sync.Mutex
	var gaveUp []Message
	cfg := testConfig(rc.URL)
	cfg.OnGiveUp = func(m Message, _ error) {
		mu.Lock()
		defer mu.Unlock()
		gaveUp = append(gaveUp, m)
	}
	s := runSim(t, cfg)

	st := s.Stats()
	rma := st.Topics[TopicRMA]
	require.Positive(t, rma.Sent)
	require.Equal(t, rma.Sent, rma.GaveUp)
	require.Zero(t, rma.Acked)
	require.Equal(t, rma.Sent*MaxAttempts, rma.Attempts)
	require.Equal(t, st.Sent, st.Acked+st.GaveUp)
	require.Zero(t, st.Pending)
	mu.Lock()
	require.Len(t, gaveUp, int(rma.Sent))
	mu.Unlock()
	attempts := 0
	for _, r := range rc.seen() {
		if r.topic == TopicRMA {
			attempts++
		}
	}
	require.EqualValues(t, rma.Attempts, attempts)
}

// A retried message does not hold back the next ones: WICS keeps sending
// while a message waits for its retry.
func TestARetryDoesNotHoldBackTheStream(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(r request) int {
		if r.topic == TopicShipment && r.attempt == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	cfg := testConfig(rc.URL)
	cfg.TimeScale = 1.0 / 60 // the first retry after 1.5s
	start := time.Now()
	s := runSim(t, cfg)
	reqs := rc.seen()
	// The example shipment (message 1) was refused; its retry came after
	// every other message of the stream.
	require.Equal(t, TopicShipment, reqs[0].topic)
	require.Equal(t, http.StatusServiceUnavailable, reqs[0].status)
	retry := slices.IndexFunc(reqs, func(r request) bool { return r.topic == TopicShipment && r.attempt == 2 })
	require.Positive(t, retry)
	require.Greater(t, retry, 9, "the other examples went first")
	require.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond)
	require.Equal(t, s.Stats().Sent, s.Stats().Acked)
}

// Ending the context ends Run promptly, with pending retries dropped.
func TestRunStopsWithTheContext(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(http.StatusServiceUnavailable))
	cfg := testConfig(rc.URL)
	cfg.TimeScale = 1 // real minutes: nothing is retried within the test
	cfg.Orders = 0
	cfg.Step = time.Millisecond
	s, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for range 3 {
		select {
		case <-rc.arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook arrived")
		}
	}
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
	st := s.Stats()
	require.Zero(t, st.Pending)
	require.Zero(t, st.Acked)
	require.Zero(t, st.Retried)
	require.Positive(t, st.Dropped)
	require.Equal(t, st.Sent, st.Dropped)
	require.ErrorContains(t, s.Run(t.Context()), "already")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := Config{URL: "http://127.0.0.1:8080/hooks/demo/wics", APIKey: "k", APISecret: "s"}
	require.NoError(t, valid.Validate())
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no url", func(c *Config) { c.URL = "" }, "url: is required"},
		{"relative url", func(c *Config) { c.URL = "/hooks/demo/wics" }, "not an absolute"},
		{"ftp url", func(c *Config) { c.URL = "ftp://host/x" }, "not an absolute"},
		{"query", func(c *Config) { c.URL += "?x=1" }, "query"},
		{"no key", func(c *Config) { c.APIKey = "" }, "api key: is required"},
		{"no secret", func(c *Config) { c.APISecret = "" }, "api secret: is required"},
		{"colon in key", func(c *Config) { c.APIKey = "a:b" }, "colon"},
		{"negative orders", func(c *Config) { c.Orders = -1 }, "orders"},
		{"negative interleave", func(c *Config) { c.Interleave = -1 }, "interleave"},
		{"negative return every", func(c *Config) { c.ReturnEvery = -1 }, "return every"},
		{"negative customer", func(c *Config) { c.CustomerNumber = -1 }, "customer number"},
		{"negative time scale", func(c *Config) { c.TimeScale = -1 }, "time scale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := valid
			tc.change(&c)
			require.ErrorContains(t, c.Validate(), tc.want)
			_, err := New(c)
			require.Error(t, err)
		})
	}
}

func TestHTTPErrorText(t *testing.T) {
	t.Parallel()
	err := error(&HTTPError{StatusCode: 503, Body: "busy"})
	require.Equal(t, "hub answered 503: busy", err.Error())
	g := &GiveUpError{Message: Message{Topic: TopicStock, Key: "16081"}, Attempts: 11, Last: err}
	require.True(t, errors.Is(g, err))
	require.Equal(t, "gave up stock 16081 after 11 attempts: hub answered 503: busy", g.Error())
}

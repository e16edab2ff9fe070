package couriersim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The document's field lists, in its order.
var (
	getFields  = []string{"order", "barcode", "container", "status", "statustime", "statuscode", "statusNL", "statusEN", "statusFR", "referentie"}
	postFields = append(append([]string(nil), getFields...), "comment", "oldlead", "newlead", "verifier", "signatures", "pictures")
)

// recorded is one request the fake hub received.
type recorded struct {
	method, apiKey, contentType string
	keys                        []string          // field names, in the order sent
	fields                      map[string]string // string values
	raw                         map[string]json.RawMessage
}

// hub is a fake webhook receiver that records requests and answers with
// the status its respond function picks.
type hub struct {
	mu       sync.Mutex
	requests []recorded
	respond  func(n int, r recorded) int
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := recorded{method: r.Method, apiKey: r.Header.Get("X-API-KEY"), contentType: r.Header.Get("Content-Type"), fields: map[string]string{}}
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		for _, pair := range strings.Split(r.URL.RawQuery, "&") {
			k, _, _ := strings.Cut(pair, "=")
			rec.keys = append(rec.keys, k)
			rec.fields[k] = q.Get(k)
		}
	case http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		rec.keys = jsonKeys(body)
		_ = json.Unmarshal(body, &rec.raw)
		for k, v := range rec.raw {
			var s string
			if json.Unmarshal(v, &s) == nil {
				rec.fields[k] = s
			}
		}
	}
	h.mu.Lock()
	h.requests = append(h.requests, rec)
	n := len(h.requests)
	h.mu.Unlock()
	code := http.StatusOK
	if h.respond != nil {
		code = h.respond(n, rec)
	}
	w.WriteHeader(code)
}

func (h *hub) all() []recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]recorded(nil), h.requests...)
}

// jsonKeys lists the top-level keys of a JSON object in order.
func jsonKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		require.True(t, time.Now().Before(deadline), what)
		<-tick.C
	}
}

func startHub(t *testing.T, h *hub) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/acme/courier"
}

func TestTheDocumentsExamplesAreReproduced(t *testing.T) {
	t.Parallel()
	get := Update{
		Order: "ASS123456789", Barcode: "ABC123", Container: "MSKU123", Status: "PROCESSING",
		StatusTime: "20230717094743", StatusCode: "take", StatusNL: "Mee met koerier",
		StatusEN: "Taken by courier", StatusFR: "En route avec courier",
	}
	require.Equal(t,
		"https://www.uwurl.be?order=ASS123456789&barcode=ABC123&container=MSKU123&status=PROCESSING&statustime=20230717094743&statuscode=take&statusNL=Mee+met+koerier&statusEN=Taken+by+courier&statusFR=En+route+avec+courier&referentie=",
		GetURL("https://www.uwurl.be", get))
	require.Contains(t, GetURL("https://hub.example/hooks/a/c?x=1", get), "?x=1&order=ASS123456789&")

	post := Update{
		Order: "ASK132456798", Status: "PROCESSING", StatusTime: "20230719110649", StatusCode: "take",
		StatusNL: "Mee met koerier", StatusEN: "Taken by courier", StatusFR: "En route avec courier",
		Referentie: "anc/20221588",
		Comment:    "TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024",
	}
	body := PostBody(post)
	require.JSONEq(t, `{"order":"ASK132456798", "barcode":"", "container":"", "status":"PROCESSING", "statustime":"20230719110649", "statuscode":"take", "statusNL":"Mee met koerier", "statusEN":"Taken by courier", "statusFR":"En route avec courier", "referentie":"anc/20221588", "comment":"TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024", "oldlead":"", "newlead":"", "verifier":"", "signatures":[], "pictures":[]}`, string(body))
	require.Equal(t, postFields, jsonKeys(body), "the POST keys come in the document's order")
}

func TestRunSendsTheDocumentsFieldsAndKey(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST", ""} {
		name := "Method " + method
		if method == "" {
			name = "AMixOfMethods"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &hub{}
			sim, err := New(Config{URL: startHub(t, h), APIKey: "k-123", Method: method, Shipments: 12, Step: -1, Seed: 7})
			require.NoError(t, err)
			require.NoError(t, sim.Run(context.Background()))

			reqs := h.all()
			require.NotEmpty(t, reqs)
			methods := map[string]int{}
			orderRE := regexp.MustCompile(`^ASK[0-9]{9}$`)
			for _, r := range reqs {
				methods[r.method]++
				require.Equal(t, "k-123", r.apiKey)
				require.Regexp(t, orderRE, r.fields["order"])
				require.Regexp(t, `^[0-9]{14}$`, r.fields["statustime"])
				require.NotEmpty(t, r.fields["statuscode"])
				require.NotEmpty(t, r.fields["status"])
				switch r.method {
				case http.MethodGet:
					require.Equal(t, getFields, r.keys, "a GET carries exactly the document's query fields")
				case http.MethodPost:
					require.Equal(t, "application/json", r.contentType)
					require.Equal(t, postFields, r.keys, "a POST carries exactly the document's JSON fields")
					require.JSONEq(t, "[]", string(r.raw["signatures"]))
				default:
					t.Fatalf("unexpected method %s", r.method)
				}
			}
			if method == "" {
				require.Positive(t, methods["GET"], "the mix uses GET")
				require.Positive(t, methods["POST"], "the mix uses POST")
			} else {
				require.Equal(t, len(reqs), methods[method])
			}
			st := sim.Stats()
			require.Equal(t, Stats{Sent: int64(len(reqs)), Acked: int64(len(reqs)), Journeys: 12}, st)
		})
	}
}

func TestJourneysAreRealistic(t *testing.T) {
	t.Parallel()
	h := &hub{}
	sim, err := New(Config{URL: startHub(t, h), Method: "POST", Shipments: 60, Step: -1, Seed: 42, Concurrency: 8})
	require.NoError(t, err)
	require.NoError(t, sim.Run(context.Background()))

	byOrder := map[string][]recorded{}
	for _, r := range h.all() {
		byOrder[r.fields["order"]] = append(byOrder[r.fields["order"]], r)
	}
	require.Len(t, byOrder, 60, "every journey has its own order number")
	brussels, err := time.LoadLocation("Europe/Brussels")
	require.NoError(t, err)
	last := map[string]int{}
	for order, reqs := range byOrder {
		require.Equal(t, "PICKUP_PLANNED", reqs[0].fields["statuscode"], "order %s starts with a planned pickup", order)
		var prev string
		for _, r := range reqs {
			st := r.fields["statustime"]
			require.Greater(t, st, prev, "order %s: statustimes increase", order)
			prev = st
			at, err := time.ParseInLocation("20060102150405", st, brussels)
			require.NoError(t, err)
			require.False(t, at.After(time.Now()), "statustimes are not in the future")
			code := r.fields["statuscode"]
			require.Equal(t, labels[code].nl, r.fields["statusNL"], "labels of %s", code)
			if scanned[code] {
				require.Regexp(t, `^[A-Z_0-9]+ on: \d{4}-\d{2}-\d{2} Time: \d{2}:\d{2}:\d{2} Scan by [A-Z ]+ GSM: \+32 4\d{8} Status: .+ GPS: lat 5\d\.\d{6} - lon [3-5]\.\d{6}$`, r.fields["comment"])
			} else {
				require.Empty(t, r.fields["comment"])
			}
		}
		last[reqs[len(reqs)-1].fields["statuscode"]]++
	}
	for code := range last {
		require.Contains(t, []string{"DELIVERED", "BPOST_205", "AN", "notOk_560"}, code, "journeys end in a final status")
	}
	require.Greater(t, last["DELIVERED"], last["AN"], "most parcels are delivered")
}

func TestJourneyIsReproducibleAndCrossesTheAutumnHour(t *testing.T) {
	t.Parallel()
	brussels, err := time.LoadLocation("Europe/Brussels")
	require.NoError(t, err)
	start := time.Date(2023, 10, 29, 1, 45, 0, 0, brussels)
	for n := int64(1); n <= 200; n++ {
		a, b := Journey(3, n, start), Journey(3, n, start)
		require.Equal(t, a, b, "journey %d is reproducible", n)
		for i := 1; i < len(a); i++ {
			require.Greater(t, a[i].StatusTime, a[i-1].StatusTime, "journey %d: local statustimes increase through the repeated hour", n)
		}
	}
}

func TestAFailedSendIsRetried(t *testing.T) {
	t.Parallel()
	h := &hub{}
	var mu sync.Mutex
	seen := map[string]bool{}
	h.respond = func(_ int, r recorded) int {
		mu.Lock()
		defer mu.Unlock()
		key := r.fields["order"] + r.fields["statuscode"] + r.fields["statustime"]
		if !seen[key] {
			seen[key] = true
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	sim, err := New(Config{URL: startHub(t, h), Method: "GET", Shipments: 3, Step: -1, Retries: 1, Backoff: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sim.Run(context.Background()))
	st := sim.Stats()
	require.Positive(t, st.Sent)
	require.Equal(t, Stats{Sent: st.Sent, Acked: st.Sent, Retried: st.Sent, Journeys: 3}, st)
	require.Len(t, h.all(), int(2*st.Sent), "every update was sent twice")
}

// TestByDefaultAFailedSendIsLost is the document's courier: it mails the
// merchant about a status that did not arrive and never sends it again, so
// an error answered by the hub loses the status.
func TestByDefaultAFailedSendIsLost(t *testing.T) {
	t.Parallel()
	h := &hub{respond: func(int, recorded) int { return http.StatusServiceUnavailable }}
	sim, err := New(Config{URL: startHub(t, h), Method: "POST", Shipments: 2, Step: -1, Backoff: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sim.Run(context.Background()))
	st := sim.Stats()
	require.Positive(t, st.Sent)
	require.Equal(t, Stats{Sent: st.Sent, Failed: st.Sent, Journeys: 2}, st, "nothing is retried")
	require.Len(t, h.all(), int(st.Sent), "every update was sent exactly once")
}

func TestSendGivesUpAfterItsRetries(t *testing.T) {
	t.Parallel()
	h := &hub{respond: func(int, recorded) int { return http.StatusServiceUnavailable }}
	sim, err := New(Config{URL: startHub(t, h), Retries: 2, Backoff: time.Millisecond})
	require.NoError(t, err)
	err = sim.Send(context.Background(), "post", Update{Order: "ASK000000001", StatusCode: "take", StatusTime: "20230717094743"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "503")
	require.Len(t, h.all(), 3, "one try and two retries")
	require.Equal(t, Stats{Sent: 1, Failed: 1, Retried: 2}, sim.Stats())

	require.Error(t, sim.Send(context.Background(), "PUT", Update{}), "the courier only GETs and POSTs")
}

func TestANetworkErrorIsRetried(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	sim, err := New(Config{URL: url, Retries: 1, Backoff: time.Millisecond})
	require.NoError(t, err)
	require.Error(t, sim.Send(context.Background(), "GET", Update{Order: "ASK000000001"}))
	require.Equal(t, Stats{Sent: 1, Failed: 1, Retried: 1}, sim.Stats())
}

func TestRunWithoutAShipmentCountStopsWithItsContext(t *testing.T) {
	t.Parallel()
	h := &hub{}
	sim, err := New(Config{URL: startHub(t, h), Step: time.Millisecond, Concurrency: 2})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()

	waitFor(t, func() bool { return sim.Stats().Journeys >= 3 }, "journeys keep coming")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	st := sim.Stats()
	require.GreaterOrEqual(t, st.Journeys, int64(3))
	require.Equal(t, int64(0), st.Failed)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"AURLIsRequired", Config{}, "url: is required"},
		{"ARelativeURLIsRefused", Config{URL: "/hooks/a/c"}, "not an absolute http(s) URL"},
		{"AnotherSchemeIsRefused", Config{URL: "ftp://hub.example/"}, "not an absolute http(s) URL"},
		{"PutIsNotACourierMethod", Config{URL: "http://h/", Method: "PUT"}, "method"},
		{"NegativeShipmentsAreRefused", Config{URL: "http://h/", Shipments: -1}, "shipments"},
		{"NegativeConcurrencyIsRefused", Config{URL: "http://h/", Concurrency: -1}, "concurrency"},
		{"AnUnknownTimezoneIsRefused", Config{URL: "http://h/", Timezone: "Mars/Base"}, `timezone: unknown IANA time zone "Mars/Base"`},
		{"TheHostsLocalZoneIsRefused", Config{URL: "http://h/", Timezone: "Local"}, `timezone: "Local" is not allowed`},
		{"ZeroValuesMeanDefaults", Config{URL: "http://h/"}, ""},
		{"LowerCaseMethodsAreFine", Config{URL: "http://h/", Method: "post"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

package winkelstraatsim

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// received is one request the test hook saw.
type received struct {
	header http.Header
	body   []byte
}

// hook is a test server that records requests and answers with respond.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
}

func newHook(t *testing.T, respond func(n int, w http.ResponseWriter)) *hook {
	t.Helper()
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, received{header: r.Header.Clone(), body: body})
		n := len(h.requests)
		h.mu.Unlock()
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		respond(n, w)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) seen() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

func ok(int, http.ResponseWriter) {}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// The key sets of the document's request example.
var (
	shipmentKeys = []string{"collected_at", "created_at", "currency", "delivered_at", "increment_id", "items", "order_increment_id", "origin_address", "po_number", "shipping_address", "status", "track", "updated_at"}
	itemKeys     = []string{"item_price_inc_tax", "manufacturer", "mpn", "parent_sku", "qty", "row_total_inc_tax", "size", "sku"}
	trackKeys    = []string{"carrier", "method", "tracking_number", "tracking_url"}
	originKeys   = []string{"city", "company_name", "country_id", "email", "house_number", "postcode", "region_code", "street", "telephone"}
	shippingKeys = []string{"city", "company_name", "country_id", "email", "first_name", "house_number", "last_name", "postcode", "region_code", "street", "telephone"}
)

func fastConfig(url string) Config {
	return Config{URL: url, APIKey: "ws-secret", Step: time.Millisecond, Backoff: time.Millisecond, Seed: 7}
}

func TestRunPushesDocumentShapedJourneys(t *testing.T) {
	t.Parallel()
	h := newHook(t, ok)
	cfg := fastConfig(h.URL)
	cfg.Shipments = 6
	cfg.Concurrency = 3
	sim, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, sim.Run(t.Context()))

	reqs := h.seen()
	require.NotEmpty(t, reqs)
	byShipment := map[string][]map[string]any{}
	for _, r := range reqs {
		require.Equal(t, "ws-secret", r.header.Get("x-api-key"))
		require.Equal(t, "1", r.header.Get("x-version"))
		require.Equal(t, "application/json", r.header.Get("Content-Type"))

		var m map[string]any
		require.NoError(t, json.Unmarshal(r.body, &m))
		require.Equal(t, shipmentKeys, keys(m), "top-level keys as in the document")
		require.Equal(t, trackKeys, keys(m["track"].(map[string]any)))
		require.Equal(t, originKeys, keys(m["origin_address"].(map[string]any)))
		require.Equal(t, shippingKeys, keys(m["shipping_address"].(map[string]any)))
		require.Equal(t, "Vianen", m["origin_address"].(map[string]any)["city"])
		require.Equal(t, "EUR", m["currency"])
		items := m["items"].([]any)
		require.NotEmpty(t, items)
		for _, it := range items {
			require.Equal(t, itemKeys, keys(it.(map[string]any)))
		}
		id := m["increment_id"].(string)
		require.Len(t, id, 9)
		byShipment[id] = append(byShipment[id], m)
	}
	require.Len(t, byShipment, 6)

	for id, pushes := range byShipment {
		prev := ""
		for i, m := range pushes {
			updated := m["updated_at"].(string)
			_, err := time.Parse(DateTimeLayout, updated)
			require.NoError(t, err, "updated_at is YYYY-MM-DD hh:mm:ss")
			require.Greater(t, updated, prev, "shipment %s push %d: updated_at must increase", id, i)
			prev = updated

			status := m["status"].(string)
			_, collected := m["collected_at"].(string)
			_, delivered := m["delivered_at"].(string)
			_, carrier := m["track"].(map[string]any)["carrier"].(string)
			switch status {
			case StatusUnknown:
				require.Zero(t, i, "UNKNOWN comes first")
				require.False(t, collected)
				require.False(t, carrier, "no carrier before a label exists")
			case StatusReadyForPickup:
				require.False(t, collected)
				require.True(t, carrier)
			case StatusInTransit, StatusException:
				require.True(t, collected, "collected_at is set from IN_TRANSIT on")
				require.False(t, delivered)
			case StatusDelivered:
				require.True(t, collected)
				require.True(t, delivered)
				require.Len(t, pushes, i+1, "DELIVERED is last")
			default:
				t.Fatalf("undocumented status %q", status)
			}
		}
	}

	st := sim.Stats()
	require.Equal(t, Stats{Sent: int64(len(reqs)), Acked: int64(len(reqs)), Journeys: 6}, st)
}

func TestSendRetriesA500(t *testing.T) {
	t.Parallel()
	h := newHook(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			http.Error(w, "storage down", http.StatusInternalServerError)
		}
	})
	sim, err := New(fastConfig(h.URL))
	require.NoError(t, err)
	sh := sim.Journey(0)[0]
	require.NoError(t, sim.Send(t.Context(), sh))

	reqs := h.seen()
	require.Len(t, reqs, 3)
	require.Equal(t, reqs[0].body, reqs[2].body, "a retry sends identical bytes")
	require.Equal(t, Stats{Sent: 1, Acked: 1, Retried: 2}, sim.Stats())
}

func TestSendGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	h := newHook(t, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
	cfg := fastConfig(h.URL)
	cfg.MaxAttempts = 3
	sim, err := New(cfg)
	require.NoError(t, err)
	err = sim.Send(t.Context(), sim.Journey(0)[0])
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
	require.Len(t, h.seen(), 3)
	require.Equal(t, Stats{Sent: 1, Failed: 1, Retried: 2}, sim.Stats())
}

func TestSendDoesNotRetryARefusal(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusUnsupportedMediaType} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			h := newHook(t, func(n int, w http.ResponseWriter) { http.Error(w, `{"title":"nope"}`, code) })
			sim, err := New(fastConfig(h.URL))
			require.NoError(t, err)
			err = sim.Send(t.Context(), sim.Journey(0)[0])
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, code, he.StatusCode)
			require.Contains(t, he.Body, "nope")
			require.Len(t, h.seen(), 1)
			require.Equal(t, Stats{Sent: 1, Failed: 1}, sim.Stats())
		})
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var n atomic.Int64
	h := newHook(t, func(int, http.ResponseWriter) {
		if n.Add(1) == 20 {
			cancel()
		}
	})
	cfg := fastConfig(h.URL)
	cfg.Shipments = 0 // until ctx ends
	sim, err := New(cfg)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
	require.GreaterOrEqual(t, len(h.seen()), 20)
	st := sim.Stats()
	// The request that cancelled, and one in flight on the other worker,
	// may be cut short.
	require.GreaterOrEqual(t, st.Acked, int64(20-DefaultConcurrency))
	require.LessOrEqual(t, st.Acked, st.Sent)
	require.Zero(t, st.Failed, "a push cut short by the context is not a failure")
}

func TestJourneys(t *testing.T) {
	t.Parallel()
	sim, err := New(Config{URL: "http://127.0.0.1:1/hooks/x/y", APIKey: "k"})
	require.NoError(t, err)
	exceptions, resolved := 0, 0
	carriers := map[string]bool{}
	for n := range 400 {
		pushes := sim.Journey(n)
		require.Equal(t, pushes, sim.Journey(n), "a journey is reproducible")
		require.Equal(t, StatusUnknown, *pushes[0].Status)
		require.Equal(t, pushes[0].IncrementID, pushes[len(pushes)-1].IncrementID)
		seenException := false
		for _, p := range pushes {
			if *p.Status == StatusException {
				seenException = true
			}
			created, err := time.ParseInLocation(DateTimeLayout, p.CreatedAt, amsterdam)
			require.NoError(t, err)
			updated, err := time.ParseInLocation(DateTimeLayout, p.UpdatedAt, amsterdam)
			require.NoError(t, err)
			require.True(t, updated.After(created))
			require.True(t, updated.Before(sim.start), "journeys lie in the past")
			for _, it := range p.Items {
				require.InDelta(t, it.ItemPriceIncTax*float64(it.Qty), it.RowTotalIncTax, 0.001)
			}
		}
		last := *pushes[len(pushes)-1].Status
		if seenException {
			exceptions++
			if last == StatusDelivered {
				resolved++
			}
		}
		if last != StatusDelivered {
			require.Equal(t, StatusException, last, "a journey ends delivered or in an exception")
		}
		carriers[*pushes[len(pushes)-1].Track.Carrier] = true
	}
	require.Positive(t, exceptions, "some journeys go through EXCEPTION")
	require.Positive(t, resolved, "some exceptions are resolved")
	require.Less(t, exceptions, 200, "most journeys go smoothly")
	require.Equal(t, map[string]bool{"ups": true, "dhl": true, "postnl": true}, carriers)

	first := sim.Journey(0)[0]
	second := sim.Journey(1)[0]
	require.Equal(t, "000000288", first.IncrementID, "seed 0 starts at the document's number")
	require.Equal(t, "000000289", second.IncrementID, "increment ids are sequential")
	require.Equal(t, "000000549", first.OrderIncrementID)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"MinimalConfigIsValid", Config{URL: "http://127.0.0.1:8080/hooks/demo/ws", APIKey: "k"}, ""},
		{"MissingURLIsNamed", Config{APIKey: "k"}, "url: is required"},
		{"RelativeURLIsRefused", Config{URL: "/hooks/demo/ws", APIKey: "k"}, "url:"},
		{"OtherSchemeIsRefused", Config{URL: "ftp://host/x", APIKey: "k"}, "url:"},
		{"MissingKeyIsNamed", Config{URL: "http://h/x"}, "api key: is required"},
		{"NegativeShipmentsAreRefused", Config{URL: "http://h/x", APIKey: "k", Shipments: -1}, "shipments"},
		{"NegativeConcurrencyIsRefused", Config{URL: "http://h/x", APIKey: "k", Concurrency: -1}, "concurrency"},
		{"NegativeStepIsRefused", Config{URL: "http://h/x", APIKey: "k", Step: -time.Second}, "step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			_, newErr := New(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, newErr, tt.wantErr)
		})
	}

	sim, err := New(Config{URL: "http://h/x", APIKey: "k"})
	require.NoError(t, err)
	require.Equal(t, DefaultVersion, sim.cfg.Version)
	require.Equal(t, DefaultConcurrency, sim.cfg.Concurrency)
	require.Equal(t, DefaultStep, sim.cfg.Step)
	require.NotNil(t, sim.cfg.Client)
}

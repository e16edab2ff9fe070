package wicssim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hub is a test webhook receiver: it records every post by path.
type hub struct {
	*httptest.Server
	mu    sync.Mutex
	posts []hubPost
	// fail answers 503 to the first n posts of a path.
	fail map[string]int
}

type hubPost struct {
	path, auth string
	body       []byte
}

func newHub(t *testing.T) *hub {
	t.Helper()
	h := &hub{fail: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.posts = append(h.posts, hubPost{path: r.URL.Path, auth: r.Header.Get("Authorization"), body: body})
		if h.fail[r.URL.Path] > 0 {
			h.fail[r.URL.Path]--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hub) at(path string) []hubPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hubPost
	for _, p := range h.posts {
		if p.path == path {
			out = append(out, p)
		}
	}
	return out
}

func subscribe(t *testing.T, a api, topic, url string) string {
	t.Helper()
	ans := a.do("POST", "/api/webhook", map[string]string{"topic": topic, "url": url})
	require.Equal(t, 201, ans.Status, "answer %s", ans.Raw)
	require.Equal(t, 200, ans.Code, "the document's create answer says code 200 with HTTP 201")
	return ans.id(t)
}

// An order created at the simulator moves on by itself on a compressed
// clock, and the subscriptions receive its webhooks, the Shipment last.
func TestSubscriptionsReceiveAnOrdersLife(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	s, base := startServer(t, func(c *ServerConfig) { c.Speed = 60000; c.ProgressStep = time.Minute }) // a step is 1ms
	a := api{t, base, keyA, secretA}
	for _, topic := range []string{"ORDERSTATUS", "orderLineStatus", "Pickslip Line Status", "SHIPMENT", "STOCK", "stock_mutation"} {
		path, _ := topicOf(topic)
		subscribe(t, a, topic, h.URL+"/hooks/acme/wics/"+path)
	}
	require.Equal(t, 201, a.do("POST", "/api/order", orderJSON("HOOK-1", `{"itemCode": "16081", "quantity": 2}`)).Status)
	waitFor(t, 10*time.Second, "the shipment webhook", func() bool { return len(h.at("/hooks/acme/wics/shipment")) == 1 })
	require.True(t, s.WaitDelivered(5*time.Second))

	var codes []string
	for _, p := range h.at("/hooks/acme/wics/orderstatus") {
		var st OrderStatus
		require.NoError(t, json.Unmarshal(p.body, &st))
		require.Equal(t, "HOOK-1", st.OrderReference)
		codes = append(codes, st.StatusCode)
		require.Equal(t, "Basic "+keyA+":"+secretA, p.auth, "the document's Authorization header")
	}
	require.Equal(t, []string{"00", "10", "20", "30", "40", "50", "60", "70"}, codes, "in order, each once")
	require.NotEmpty(t, h.at("/hooks/acme/wics/orderlinestatus"))
	require.Len(t, h.at("/hooks/acme/wics/picksliplinestatus"), 2, "40 when picking starts, 60 when the line is picked")
	require.Len(t, h.at("/hooks/acme/wics/stockmutation"), 1)
	var sh Shipment
	require.NoError(t, json.Unmarshal(h.at("/hooks/acme/wics/shipment")[0].body, &sh))
	require.Equal(t, "HOOK-1", sh.OrderReference)
	require.NotEmpty(t, sh.TrackAndTrace)
	var last Stock
	stock := h.at("/hooks/acme/wics/stock")
	require.NoError(t, json.Unmarshal(stock[len(stock)-1].body, &last))
	phys, sal, _, _ := s.StockLevel("16081")
	require.Equal(t, Stock{ItemCode: "16081", ItemDescription: "UTO Kabel", Physical: phys, NettoSalable: sal, CustomerNumber: 14}, last)
	require.Equal(t, DefaultInitialStock-2, phys)
	for _, sub := range s.Subscriptions() {
		require.Equal(t, sub.Stats.Sent, sub.Stats.Acked, sub.String())
	}
}

func TestSubscriptionsBelongToTheirLogin(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	s, base := startServer(t, nil)
	a, b := api{t, base, keyA, secretA}, api{t, base, keyB, secretB}
	idA := subscribe(t, a, "STOCK", h.URL+"/a")
	subscribe(t, b, "STOCK", h.URL+"/b")

	list := a.do("GET", "/api/webhook", nil)
	require.Equal(t, "List of Webhooks", list.Message, "the document's message, without a count")
	require.Equal(t, []map[string]any{{"id": float64(1), "topic": "STOCK", "url": h.URL + "/a"}}, list.list(t))
	require.Len(t, s.Subscriptions(), 2)

	dup := a.do("POST", "/api/webhook", map[string]string{"topic": "stock", "url": h.URL + "/a"})
	require.Equal(t, 422, dup.Status, "the same topic and url twice")
	require.Equal(t, 201, a.do("POST", "/api/webhook", map[string]string{"topic": "STOCK", "url": h.URL + "/a2"}).Status, "another url")

	require.Equal(t, 404, b.do("DELETE", "/api/webhook/"+idA, nil).Status, "another login can not delete it")
	del := a.do("DELETE", "/api/webhook/"+idA, nil)
	require.Equal(t, 200, del.Status)
	require.Equal(t, idA+" deleted succesfully", del.Message)
	require.Equal(t, 404, a.do("DELETE", "/api/webhook/"+idA, nil).Status)

	// A stock change now reaches b and a's second url, not the deleted one.
	require.Equal(t, 201, a.do("POST", "/api/order", orderJSON("OWN-1")).Status)
	require.True(t, s.WaitDelivered(5*time.Second))
	require.Empty(t, h.at("/a"))
	require.Len(t, h.at("/b"), 1)
	require.Equal(t, "Basic "+keyB+":"+secretB, h.at("/b")[0].auth, "each login's webhooks carry its own credentials")
	require.Len(t, h.at("/a2"), 1)
}

func TestInvalidSubscriptionsAreRefused(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	for _, tc := range []struct{ name, body, message string }{
		{"AnUnknownTopic", `{"topic": "ORDERS", "url": "http://hub.example/x"}`, `The topic "ORDERS" is not supported.`},
		{"NoTopic", `{"url": "http://hub.example/x"}`, "The topic field is required."},
		{"NoURL", `{"topic": "STOCK"}`, "The url field is required."},
		{"ARelativeURL", `{"topic": "STOCK", "url": "/hooks/x"}`, "is not a valid http(s) URL"},
		{"AnFTPURL", `{"topic": "STOCK", "url": "ftp://hub.example/x"}`, "is not a valid http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do("POST", "/api/webhook", tc.body)
			require.Equal(t, 422, ans.Status)
			require.Contains(t, ans.Message, tc.message)
		})
	}
	require.Equal(t, "[]", string(a.do("GET", "/api/webhook", nil).Data))
}

func TestAFailedWebhookIsRetriedOnTheCompressedSchedule(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.fail["/stock"] = 2
	clock := NewScaledClock(60000) // the first retry, 90s, in 1.5ms
	s, base := startServer(t, func(c *ServerConfig) { c.Clock = clock })
	a := api{t, base, keyA, secretA}
	subscribe(t, a, "STOCK", h.URL+"/stock")
	require.Equal(t, 201, a.do("POST", "/api/item", `{"code": "NEW-1", "internalDescription": "New"}`).Status)
	require.True(t, s.WaitDelivered(10*time.Second))
	require.Len(t, h.at("/stock"), 3, "two failures and the accepted retry")
	st := s.Subscriptions()[0].Stats
	require.EqualValues(t, 1, st.Acked)
	require.EqualValues(t, 2, st.Retried)
}

func TestADroppedWebhookIsOnlyFoundByPolling(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	subscribe(t, a, "SHIPMENT", h.URL+"/shipment")
	s.DropWebhooks(DropRule{Topic: TopicShipment, Key: "LOST-1"})
	for _, ref := range []string{"LOST-1", "KEPT-1"} {
		nr := a.do("POST", "/api/order", orderJSON(ref)).id(t)
		for !s.AdvanceOrder(nr) {
		}
	}
	require.True(t, s.WaitDelivered(5*time.Second))
	posts := h.at("/shipment")
	require.Len(t, posts, 1)
	require.Contains(t, string(posts[0].body), `"orderReference":"KEPT-1"`)
	var dropped []string
	for _, e := range s.Emitted() {
		if e.Dropped {
			dropped = append(dropped, e.Topic+" "+e.Key)
		}
	}
	require.Equal(t, []string{"shipment LOST-1"}, dropped)
	ships := a.do("GET", "/api/order/LOST-1/shipment", nil).list(t)
	require.Len(t, ships, 1, "the shipment is there for a poll to find")
}

func TestAWebhookThatNeverSucceedsIsGivenUpAfterTheTenthRetry(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.fail["/down"] = 1 << 30
	s, base := startServer(t, func(c *ServerConfig) { c.Speed = 120000 }) // 1534.5 minutes in 0.77s
	a := api{t, base, keyA, secretA}
	subscribe(t, a, "STOCK", h.URL+"/down")
	require.Equal(t, 201, a.do("POST", "/api/item", `{"code": "GONE-1", "internalDescription": "Gone"}`).Status)
	require.True(t, s.WaitDelivered(10*time.Second))
	st := s.Subscriptions()[0].Stats
	require.EqualValues(t, 1, st.GaveUp)
	require.EqualValues(t, MaxAttempts, st.Attempts)
	require.Len(t, h.at("/down"), MaxAttempts)
}

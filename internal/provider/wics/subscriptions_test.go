package wics

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeHooks is the Service Layer's subscriptions of one login, kept as
// WICS keeps them: list (paged), create, delete.
type fakeHooks struct {
	mu     sync.Mutex
	next   int
	hooks  map[string]map[string]any
	calls  map[string]int
	failOn string // "POST" or "DELETE": answer that method with a 500
}

func newFakeHooks(t *testing.T, initial ...map[string]any) (*fakeHooks, *docServer) {
	f := &fakeHooks{next: 100, hooks: map[string]map[string]any{}, calls: map[string]int{}}
	for _, h := range initial {
		f.next++
		id := strconv.Itoa(f.next)
		h["id"] = f.next
		f.hooks[id] = h
	}
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/webhook": func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["GET"]++
			ids := make([]string, 0, len(f.hooks))
			for id := range f.hooks {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
			data := []map[string]any{}
			for i := (page - 1) * size; i < len(ids) && i < page*size; i++ {
				data = append(data, f.hooks[ids[i]])
			}
			answer(http.StatusOK, envelopeOf(t, "List of Webhooks", data))(w, r)
		},
		"POST /api/webhook": func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["POST"]++
			if f.failOn == "POST" {
				answer(http.StatusInternalServerError, []byte(`{"code":500,"message":"boom","success":false}`))(w, r)
				return
			}
			var h map[string]any
			if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
				answer(http.StatusBadRequest, []byte(`{"code":400,"message":"bad body","success":false}`))(w, r)
				return
			}
			f.next++
			h["id"] = f.next
			f.hooks[strconv.Itoa(f.next)] = h
			answer(http.StatusCreated, []byte(`{"code":200,"message":"Webhook registered","success":true,"data":["`+strconv.Itoa(f.next)+`"]}`))(w, r)
		},
		"DELETE *": func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["DELETE"]++
			id := strings.TrimPrefix(r.URL.Path, "/api/webhook/")
			if _, ok := f.hooks[id]; !ok {
				answer(http.StatusNotFound, []byte(`{"code":404,"message":"not found","success":false}`))(w, r)
				return
			}
			delete(f.hooks, id)
			answer(http.StatusOK, []byte(`{"code":200,"message":"`+id+` deleted succesfully","success":true,"data":null}`))(w, r)
		},
	})
	return f, srv
}

// state is the subscriptions as "TOPIC url" lines, sorted.
func (f *fakeHooks) state() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range f.hooks {
		line := h["topic"].(string) + " " + h["url"].(string)
		if ws, ok := h["webshopId"]; ok {
			line += " shop=" + strconv.FormatFloat(ws.(float64), 'f', -1, 64)
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

const testHookURL = "https://hub.example.com/hooks/acme/wics"

func subscriber(t *testing.T, srv *docServer, mutate ...func(*Settings)) *Connector {
	return newConnector(t, append([]func(*Settings){func(s *Settings) { s.BaseURL = srv.URL }}, mutate...)...)
}

func hook(topic, url string) map[string]any { return map[string]any{"topic": topic, "url": url} }

func TestKeepSubscriptionsMakesWICSMatchTheTopics(t *testing.T) {
	t.Parallel()
	own := func(topic string) string { return testHookURL + "/" + topic }
	f, srv := newFakeHooks(t,
		hook("STOCK", own("stock")),                                                 // wanted: kept
		hook("STOCK", own("stock")),                                                 // a duplicate: deleted
		hook("RMA", own("rma")),                                                     // not configured: stale
		hook("SHIPMENT", own("orderstatus")),                                        // wrong topic at the URL: stale
		hook("STOCK", "http://mywebshop.shop.com/stock"),                            // the document's own example: foreign
		hook("ORDERSTATUS", "https://hub.example.com/hooks/acme/wics2/orderstatus"), // another connection: foreign
		hook("Order status", own("orderstatus")),                                    // another spelling of a wanted topic: kept
	)
	c := subscriber(t, srv, func(s *Settings) { s.Topics = []string{"stock", "orderstatus", "shipment"} })

	rep, err := c.KeepSubscriptions(context.Background(), nil, testHookURL)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Kept)
	require.Equal(t, 3, rep.Deleted)
	require.Equal(t, 2, rep.Foreign)
	require.Equal(t, 1, rep.Created)
	require.Equal(t, []string{
		"ORDERSTATUS https://hub.example.com/hooks/acme/wics2/orderstatus",
		"Order status " + own("orderstatus"),
		"SHIPMENT " + own("shipment"),
		"STOCK http://mywebshop.shop.com/stock",
		"STOCK " + own("stock"),
	}, f.state())

	t.Run("ASecondRunChangesNothing", func(t *testing.T) {
		before := f.calls["POST"] + f.calls["DELETE"]
		rep, err := c.KeepSubscriptions(context.Background(), nil, testHookURL)
		require.NoError(t, err)
		require.Equal(t, 3, rep.Kept)
		require.Zero(t, rep.Created+rep.Deleted)
		require.Equal(t, before, f.calls["POST"]+f.calls["DELETE"], "only the list was asked for")
	})

	t.Run("AChangedConfigurationReSyncs", func(t *testing.T) {
		changed := subscriber(t, srv, func(s *Settings) { s.Topics = []string{"stock", "stockmutation"} })
		rep, err := changed.KeepSubscriptions(context.Background(), nil, testHookURL)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Kept)
		require.Equal(t, 2, rep.Deleted, "orderstatus and shipment are no longer configured")
		require.Equal(t, 1, rep.Created)
		require.Equal(t, 2, rep.Foreign)
		require.Contains(t, f.state(), "STOCKMUTATION "+own("stockmutation"))
		require.NotEqual(t, c.SubscriptionDigest(), changed.SubscriptionDigest())
	})
}

func TestKeepSubscriptionsSubscribesPerWebshop(t *testing.T) {
	t.Parallel()
	f, srv := newFakeHooks(t)
	c := subscriber(t, srv, func(s *Settings) { s.Topics = []string{"stock"}; s.WebshopID = 2 })
	rep, err := c.KeepSubscriptions(context.Background(), nil, testHookURL)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Created)
	require.Equal(t, []string{"STOCK " + testHookURL + "/stock shop=2"}, f.state())

	// WICS's list (like the document's example) need not name the shop:
	// the subscription is still the one wanted.
	f.mu.Lock()
	for _, h := range f.hooks {
		delete(h, "webshopId")
	}
	f.mu.Unlock()
	rep, err = c.KeepSubscriptions(context.Background(), nil, testHookURL)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Kept)
	require.Zero(t, rep.Created+rep.Deleted)

	other := subscriber(t, srv, func(s *Settings) { s.Topics = []string{"stock"}; s.WebshopID = 3 })
	f.mu.Lock()
	for _, h := range f.hooks {
		h["webshopId"] = 2
	}
	f.mu.Unlock()
	rep, err = other.KeepSubscriptions(context.Background(), nil, testHookURL)
	require.NoError(t, err)
	require.Equal(t, [4]int{1, 1, 0, 0}, [4]int{rep.Created, rep.Deleted, rep.Kept, rep.Foreign}, "the shop changed: replaced")
}

func TestKeepSubscriptionsStopsAtAFailureAndReportsWhatItDid(t *testing.T) {
	t.Parallel()
	f, srv := newFakeHooks(t, hook("RMA", testHookURL+"/rma"))
	f.failOn = "POST"
	c := subscriber(t, srv, func(s *Settings) { s.Topics = []string{"stock"} })
	rep, err := c.KeepSubscriptions(context.Background(), nil, testHookURL)
	require.ErrorContains(t, err, "subscribing to wics topic STOCK")
	require.Equal(t, 1, rep.Deleted)
	require.Zero(t, rep.Created)
}

func TestWireTopicsCoverEveryTopicAndReadBack(t *testing.T) {
	t.Parallel()
	for _, tp := range Topics() {
		w := WireTopic(tp)
		require.NotEmpty(t, w, tp)
		got, ok := topicOfWire(w)
		require.True(t, ok, w)
		require.Equal(t, tp, got)
	}
	for in, want := range map[string]Topic{"STOCK_MUTATION": TopicStockMutation, "orderLineStatus": TopicOrderLineStatus, "Announcement status": TopicAnnouncementStatus} {
		got, ok := topicOfWire(in)
		require.True(t, ok, in)
		require.Equal(t, want, got)
	}
	_, ok := topicOfWire("PARCEL")
	require.False(t, ok)
}

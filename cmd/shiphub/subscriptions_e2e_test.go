package main

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// subscribeAt subscribes a login at the simulator, through its API, as a
// person or another system would.
func subscribeAt(t *testing.T, base, key, secret, topic, url string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/webhook", strings.NewReader(mustJSON(map[string]string{"topic": topic, "url": url})))
	require.NoError(t, err)
	req.SetBasicAuth(key, secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
}

// subscriptionSet is a login's subscriptions as "topic url" strings, the
// topic in the simulator's canonical path name, sorted.
func subscriptionSet(sim *wicssim.Server, user string) []string {
	var out []string
	for _, s := range sim.Subscriptions() {
		if s.User == user {
			out = append(out, strings.ToLower(s.Topic)+" "+s.URL)
		}
	}
	slices.Sort(out)
	return out
}

// TestWICSSubscriptionsAreMadeToMatch: at start the hub makes the login's
// subscriptions match its topics, at its hook URL: the missing ones are
// made, its own stale ones (a topic not configured, a topic at another
// topic's URL) deleted, the one that points elsewhere kept, and another
// login's never seen. A restart with fewer topics deletes the surplus.
func TestWICSSubscriptionsAreMadeToMatch(t *testing.T) {
	t.Parallel()
	sim, base := startWICSSim(t, nil)
	addr := freeAddr(t)
	hooks := "http://" + addr + "/hooks/acme/wics/"
	const shop = "https://shop.example/wics/stock"
	subscribeAt(t, base, wicsKey, wicsSecret, "STOCK", shop)                // foreign: kept
	subscribeAt(t, base, wicsKey, wicsSecret, "RMA", hooks+"rma")           // the hub's, a topic not configured
	subscribeAt(t, base, wicsKey, wicsSecret, "STOCK", hooks+"orderstatus") // the hub's, at another topic's URL
	subscribeAt(t, base, wicsKey, wicsSecret, "ORDERSTATUS", hooks+"orderstatus")
	subscribeAt(t, base, foreignKey, foreignSecret, "RMA", hooks+"rma") // another login's: not the hub's to see
	othersBefore := subscriptionSet(sim, foreignKey)

	dir := t.TempDir()
	database := "sqlite:" + filepath.Join(dir, "hub.db")
	topics := []string{"shipment", "orderstatus", "orderlinestatus", "stock"}
	h := startHub(t, writeSimConfig(t, dir, database, base, simHubOptions{Listen: addr, Topics: topics}))

	want := func(topics ...string) []string {
		out := []string{"stock " + shop}
		for _, tp := range topics {
			out = append(out, tp+" "+hooks+tp)
		}
		slices.Sort(out)
		return out
	}
	// The simulator keeps the topic as it was subscribed; the hub's are its
	// upper-case names, which subscriptionSet lowers.
	eventually(t, 15*time.Second, "the subscriptions match the four topics", func() bool {
		return slices.Equal(subscriptionSet(sim, wicsKey), want(topics...))
	})
	require.Equal(t, othersBefore, subscriptionSet(sim, foreignKey), "another login's subscriptions are untouched")

	// They are live: an order's webhooks reach the hub through them.
	oc := postOrder(t, h, orderJSON("E2E-SUBS-1"), nil)
	waitOrder(t, h, oc.Order.ID, 15*time.Second, "E2E-SUBS-1 moved by its webhooks", func(o model.Order) bool {
		return o.ProviderStatus != nil && o.ProviderRef != ""
	})

	// A restart with fewer topics deletes the surplus and keeps the rest.
	// (The operator stops the hub, which gives its leases up: a killed
	// hub's work moves over when they expire, 15s later.)
	h.stop(t)
	fewer := []string{"shipment", "orderstatus"}
	kept := map[string]int{}
	for _, s := range hubSubscriptions(sim) {
		kept[s.URL] = s.ID
	}
	h = startHub(t, writeSimConfig(t, dir, database, base, simHubOptions{Listen: addr, Topics: fewer}))
	eventually(t, 15*time.Second, "the subscriptions match the two topics", func() bool {
		return slices.Equal(subscriptionSet(sim, wicsKey), want(fewer...))
	})
	for _, s := range hubSubscriptions(sim) {
		require.Equal(t, kept[s.URL], s.ID, "%s is kept, not made again", s)
	}
	require.Equal(t, othersBefore, subscriptionSet(sim, foreignKey))
	oc = postOrder(t, h, orderJSON("E2E-SUBS-2"), nil)
	waitOrder(t, h, oc.Order.ID, 15*time.Second, "E2E-SUBS-2 moved by its webhooks", func(o model.Order) bool {
		return o.ProviderStatus != nil && o.ProviderStatus.Code != "00"
	})
}

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// demoWICS is the demo's WICS connection: its login, which the WICS
// simulator sends in the document's literal Basic header.
type demoWICS struct {
	key, secret string
}

func newDemoWICS() demoWICS { return demoWICS{key: "demo-" + randomHex(8), secret: randomHex(16)} }

// connection is the demo workspace's webhook-only wics connection, fed by
// the simulator's stand-alone sender. Its base_url is the demo's Service
// Layer simulator (which knows this login too), so that its health check
// has an answer on loopback; it calls nothing else there.
func (d demoWICS) connection(baseURL string) config.Connection {
	return config.Connection{ID: "wics", Provider: "wics", Settings: map[string]any{
		"base_url":   baseURL,
		"api_key":    d.key,
		"api_secret": d.secret,
		// Never call it: no reconciliation, no subscriptions.
		"reconcile":            false,
		"manage_subscriptions": false,
	}}
}

// sim is the WICS simulator posting to the connection at the hub's base
// URL. Its retry schedule is shrunk from minutes to a sixtieth (the first
// retry after 1.5s), so that a refused webhook is seen retried in the demo.
func (d demoWICS) sim(base string, step time.Duration, seed int64) (*wicssim.Sim, error) {
	return wicssim.New(wicssim.Config{
		URL: base + "/hooks/demo/wics", APIKey: d.key, APISecret: d.secret,
		Step: step, Seed: seed, TimeScale: 1.0 / 60,
	})
}

// wicsSummary is the demo's progress line of the WICS simulator: its totals
// and how many of each topic were acknowledged, in the document's order.
func wicsSummary(st wicssim.Stats) string {
	parts := make([]string, 0, len(st.Topics))
	for _, t := range wicssim.Topics() {
		parts = append(parts, fmt.Sprintf("%s %d", t, st.Topics[t].Acked))
	}
	return fmt.Sprintf("wics sent %d acked %d retried %d gave up %d, orders done %d (acked: %s)",
		st.Sent, st.Acked, st.Retried, st.GaveUp, st.Orders, strings.Join(parts, ", "))
}

package main

import (
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// The demo's WICS Service Layer: the simulator's server side, in the demo
// process, with compressed time. The demo's hub has a wics connection
// ("wics-sl") that calls it: the hub makes its webhook subscriptions there
// at start, sends the merchant's products and orders to it as commands
// within the login's rate budget, and reconciles against it; the
// simulator moves each order through its statuses and posts their webhooks
// back to the hub, ending with the Shipment and its track and trace.

// demoSLSpeed is how much faster than the wall clock the simulated Service
// Layer's time runs: a WICS minute passes in 6 seconds, so its rate limits
// (150 a minute), its blocks (1, 5 and 15 minutes) and its webhook retries
// all run 10 times faster, and the hub's rate_window is 6s to match. Not
// faster: at 150 requests a second the hub's own pace (one SQLite file, a
// few workers) would be the limit, and the demo would not show the budget
// at work.
const demoSLSpeed = 10

// demoSLConnection is the id of the demo's Service Layer connection.
const demoSLConnection = "wics-sl"

// demoServiceLayer is the running Service Layer simulator and the login of
// the demo's wics-sl connection.
type demoServiceLayer struct {
	srv         *wicssim.Server
	url         string
	key, secret string
}

// startDemoServiceLayer starts the Service Layer simulator on loopback.
// Besides wics-sl's own login it knows feed's, the login of the demo's
// webhook-only wics connection, so that that connection's health check
// (GET /api/login) has a Service Layer to ask too. An order moves one
// status every step of wall time (step × demoSLSpeed of simulated time).
func startDemoServiceLayer(step time.Duration, feed demoWICS) (*demoServiceLayer, error) {
	d := &demoServiceLayer{key: "demo-sl-" + randomHex(6), secret: randomHex(16)}
	progress := time.Duration(float64(step) * demoSLSpeed)
	if progress <= 0 {
		progress = -1 // a negative step stops the orders where they are
	}
	srv, err := wicssim.NewServer(wicssim.ServerConfig{
		Users: []wicssim.User{
			{Key: d.key, Secret: d.secret, Customer: "shiphub demo"},
			{Key: feed.key, Secret: feed.secret, Customer: "shiphub demo (webhook feed)"},
		},
		Company:      "shiphub demo warehouse",
		Speed:        demoSLSpeed,
		ProgressStep: progress,
	})
	if err != nil {
		return nil, err
	}
	if d.url, err = srv.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	d.srv = srv
	return d, nil
}

// connection is the demo workspace's wics-sl connection. Its rate budget
// is WICS's own, 150 requests a minute and 20,000 a day, with the minute
// compressed as the simulator's is. Reconciliation runs every minute (the
// least reconcile_interval) and the demo wakes it more often; its webhook
// subscriptions (every topic) are made at start at the hub's own address.
func (d *demoServiceLayer) connection() config.Connection {
	return config.Connection{ID: demoSLConnection, Provider: "wics", Settings: map[string]any{
		"base_url":           d.url,
		"api_key":            d.key,
		"api_secret":         d.secret,
		"rate_per_minute":    150,
		"rate_per_day":       20000,
		"rate_window":        (time.Minute / demoSLSpeed).String(),
		"reconcile_interval": "1m",
	}}
}

// subscriptions counts the login's webhook subscriptions at the simulator.
func (d *demoServiceLayer) subscriptions() int {
	n := 0
	for _, s := range d.srv.Subscriptions() {
		if s.User == d.key {
			n++
		}
	}
	return n
}

// Close stops the simulator.
func (d *demoServiceLayer) Close() error {
	if err := d.srv.Close(); err != nil {
		return fmt.Errorf("stopping the wics service layer simulator: %w", err)
	}
	return nil
}

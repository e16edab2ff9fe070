package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
	"github.com/shiphub/shiphub/internal/store"
)

// demoAASpeed is how much faster the demo's Active Ants warehouse runs
// than the wall clock: an hour in two seconds, so that orders are picked
// within seconds, journeys end within a minute and the hourly track-trace
// poll comes every two seconds. The connection is told (setting speed), so
// it keeps every interval in warehouse time.
const demoAASpeed = 1800

// demoAA is the demo's Active Ants warehouse: the simulator on loopback,
// whose shop plugin places orders of its own, and a merchant that places
// orders through the hub's API (POST /api/v1/orders).
type demoAA struct {
	sim  *activeantssim.Sim
	base string
	// Orders the demo posted, and how many the hub accepted (202).
	posted, accepted atomic.Int64
}

// startDemoActiveAnts serves the simulator and returns the demo workspace's
// connection to it.
func startDemoActiveAnts(seed int64) (*demoAA, config.Connection, error) {
	user, password := "demo-shop", randomHex(12)
	sim, err := activeantssim.New(activeantssim.Config{
		Username: user, Password: password, Seed: seed, Speed: demoAASpeed,
		ShopOrders: 12, ShopOrderEvery: 90 * time.Minute, AcceptUnknownSKUs: true,
	})
	if err != nil {
		return nil, config.Connection{}, err
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, config.Connection{}, err
	}
	conn := config.Connection{ID: "activeants", Provider: "activeants", Settings: map[string]any{
		"base_url": base, "username": user, "password": password,
		"speed": demoAASpeed, "sync_interval": "1m", "stock_interval": "1m", "track_trace_interval": "1h", "settings_refresh": "1h",
	}}
	return &demoAA{sim: sim, base: base}, conn, nil
}

// Close stops the simulator.
func (d *demoAA) Close() error { return d.sim.Close() }

// run places an order through the hub's API every interval until ctx
// ends, for the products of the warehouse.
func (d *demoAA) run(ctx context.Context, hub, apiKey string, every time.Duration, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 12))
	products := d.sim.Products()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var lines []string
		for range 1 + rng.IntN(3) {
			p := products[rng.IntN(len(products))]
			lines = append(lines, fmt.Sprintf(`{"sku": %q, "quantity": %d, "price": 12.50}`, p.SKU, 1+rng.IntN(2)))
		}
		city := demoCities[rng.IntN(len(demoCities))]
		body := fmt.Sprintf(`{"connection": "activeants", "reference": "DEMO-AA-%d-%04d", "lines": [%s],
			"delivery_address": {"first_name": "Sam", "last_name": "Jansen", "street": %q, "house_number": "%d",
				"postcode": %q, "city": %q, "country": "NL", "email": "sam@example.com"},
			"shipping_method": "POSTNL_NL", "order_type": "myshop_nl_orders", "language": "NL"}`,
			seed%10000, n, strings.Join(lines, ", "), city[0], 1+rng.IntN(200), city[1], city[2])
		d.posted.Add(1)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub+"/api/v1/orders", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the hub is stopping, or busy: the next tick tries again
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			d.accepted.Add(1)
		}
	}
}

// demoCities are delivery addresses of the demo's orders: street,
// postcode, city.
var demoCities = [][3]string{
	{"Keizersgracht", "1015CS", "Amsterdam"}, {"Coolsingel", "3011AD", "Rotterdam"}, {"Oudegracht", "3511AP", "Utrecht"},
	{"Grote Markt", "9711LV", "Groningen"}, {"Stratumseind", "5611ER", "Eindhoven"},
}

// summary is the demo's progress line of Active Ants: orders going in
// (the hub's, the shop plugin's), shipments, track-trace and stock coming
// out, at the warehouse and in the hub.
func (d *demoAA) summary(ctx context.Context, st store.Store) string {
	s := d.sim.Stats()
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	count := func(status model.Status) int {
		list, err := st.ListShipments(qctx, store.ShipmentFilter{Workspace: "demo", Connection: "activeants", Status: status, Limit: 10000})
		if err != nil {
			return -1
		}
		return len(list)
	}
	stock, _ := st.ListStock(qctx, store.StockFilter{Workspace: "demo", Connection: "activeants", Limit: 10000})
	return fmt.Sprintf("active ants orders posted %d accepted %d, at the warehouse %d (shop plugin %d, open %d) | shipments %d synced %d | "+
		"track-trace polls %d | stock mutations %d synced %d | hub: shipments %d (delivered %d), stock rows %d",
		d.posted.Load(), d.accepted.Load(), s.Orders, s.ShopOrders, s.OpenOrders, s.Shipments, s.ShipmentsSynced,
		s.TrackTracePolls, s.Mutations, s.MutationsSynced, count(""), count(model.StatusDelivered), len(stock))
}

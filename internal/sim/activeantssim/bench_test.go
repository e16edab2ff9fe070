package activeantssim

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkShipmentGetAndSync measures the simulator's side of a shipment
// sync: one GET v2/shipment/get of a page of 100 and the POST
// v2/shipment/sync of its ids, through ServeHTTP with JSON both ways. It
// shows that the simulator is not what limits a connector's throughput.
func BenchmarkShipmentGetAndSync(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.Products = 50 })
	for i := range 1000 {
		h.placeOrder(fmt.Sprintf("BENCH-%d", i), map[string]int{h.sim.Products()[i%50].SKU: 1})
		if i%100 == 99 {
			h.sim.Advance(5 * time.Hour)
			for _, p := range h.sim.Products() {
				_ = h.sim.SetStock(p.SKU, 10000)
			}
		}
	}
	h.sim.Advance(10 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		got := results(h.ok(http.MethodGet, "/v2/shipment/get", nil))
		if len(got) == 0 { // all synced: start over
			h.sim.mu.Lock()
			for _, s := range h.sim.w.shipments {
				s.synced = false
			}
			h.sim.mu.Unlock()
			continue
		}
		ids := make([]int64, 0, len(got))
		for _, s := range got {
			ids = append(ids, num(s["id"]))
		}
		h.ok(http.MethodPost, "/v2/shipment/sync", map[string]any{"ids": ids})
		n += len(ids)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "shipments/s")
}

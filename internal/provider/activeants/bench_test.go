package activeants_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider/activeants"
)

// BenchmarkShipmentSync measures the shipment sync: 1,000 unsynced
// shipments pulled from a fake ShopApi on loopback (ten pages of 100),
// each committed to a SQLite inbox, then marked synced. It reports
// shipments a second, committed and marked (BENCHMARKS.md).
func BenchmarkShipmentSync(b *testing.B) {
	const n = 1000
	h := newHub(b)
	next := int64(1)
	b.ResetTimer()
	total := 0
	for range b.N {
		b.StopTimer()
		var items []json.RawMessage
		for range n {
			items = append(items, shipmentJSON(next, fmt.Sprintf("B-%d", next), "SKU-1x1", "SKU-2x2"))
			next++
		}
		h.api.set(func(a *shopAPI) { a.shipments = items; a.synced["shipment"] = map[int64]bool{} })
		b.StartTimer()
		rep, err := h.svc.SyncShipments(ctxT(b))
		if err != nil || rep.Committed != n || rep.Marked != n {
			b.Fatalf("sync: %+v %v", rep, err)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "shipments/s")
}

// TestRequestsPerHourFor1000OpenOrders counts the ShopApi requests of one
// hour of the default schedule while 1,000 open orders ship (about 84
// every five minutes), with their stock mutations: the pulls read
// unsynced lists, so the count does not grow with the number of orders.
func TestRequestsPerHourFor1000OpenOrders(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) {
		a.settingsReply = doc(t, "settings.txt")
		a.stockAll = doc(t, "stock_bulk.txt")
		a.stockChanges = doc(t, "stock_bulk.txt")
		a.trackTrace = doc(t, "tracktrace.txt")
	})
	conn := h.conn
	_, err := conn.AccountSettings(ctxT(t))
	require.NoError(t, err)
	shipped := 0
	for slot := range 12 { // every sync_interval (5m) of the hour
		var items, muts []json.RawMessage
		for ; shipped < (slot+1)*1000/12; shipped++ {
			id := int64(10_000 + shipped)
			items = append(items, shipmentJSON(id, fmt.Sprintf("O-%d", shipped), "SKU-1x1"))
			muts = append(muts, json.RawMessage(fmt.Sprintf(`{"id": %d, "sku": "SKU-1", "quantity": -1, "type": 2, "createdAt": "2025-07-15T12:00:00", "warehouseCode": "NR"}`, id)))
		}
		h.api.set(func(a *shopAPI) {
			a.shipments = append(a.shipments, items...)
			a.mutations = append(a.mutations, muts...)
		})
		_, err := h.svc.SyncShipments(ctxT(t))
		require.NoError(t, err)
		_, err = h.svc.SyncStockMutations(ctxT(t))
		require.NoError(t, err)
		if slot == 0 {
			_, err = h.svc.SyncStock(ctxT(t))
			require.NoError(t, err)
			_, err = h.svc.SyncTrackTrace(ctxT(t))
			require.NoError(t, err)
		}
		h.clock.Add(activeants.DefaultSyncInterval)
	}
	total := 0
	h.api.mu.Lock()
	for k, n := range h.api.calls {
		total += n
		t.Logf("%-28s %d", k, n)
	}
	h.api.mu.Unlock()
	t.Logf("requests in the hour for 1,000 orders shipped: %d", total)
	require.Equal(t, 1000, shipped)
	require.LessOrEqual(t, total, 55)
}

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// shippedWorld is a stopped simulator (its clock moves only by Advance)
// whose shop plugin placed n orders, all shipped: more than a page of 100
// when n is large enough.
func shippedWorld(t *testing.T, n int) *aaSim {
	t.Helper()
	sim := startAASim(t, activeantssim.Config{Seed: 11, Speed: -1, ShopOrders: n, Products: 30, AcceptUnknownSKUs: true})
	sim.Advance(6 * time.Hour)
	_, unsynced := sim.ShipmentCounts()
	require.Positive(t, unsynced)
	return sim
}

// TestActiveAntsTokenExpiresInTheMiddleOfAShipmentSync: the token ends
// after the first page of unsynced shipments was fetched (a 401 on the
// mark or on the next page); the hub fetches a new one once and goes on,
// and every shipment is in the hub once and marked once. The orders were
// all placed by the shop's own plugin, outside shiphub: they are imported
// from their shipments and linked to them.
func TestActiveAntsTokenExpiresInTheMiddleOfAShipmentSync(t *testing.T) {
	t.Parallel()
	sim := shippedWorld(t, 160)
	_, unsynced := sim.ShipmentCounts()
	require.Greater(t, unsynced, 100, "more than one page")
	// settings/get, then shipment/get: the mark of the first page meets
	// the 401.
	sim.ExpireTokensAfter(2)

	dir := t.TempDir()
	h := startHub(t, aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, aaPassword, aaFast))
	got := requireEachShipmentOnceAndMarked(t, h, sim)
	require.GreaterOrEqual(t, sim.TokensIssued(), 2, "a new token after the expiry")

	t.Run("ShopOrdersAreImportedAndLinked", func(t *testing.T) {
		total, fromShop := sim.Orders()
		require.Equal(t, total, fromShop, "every order was placed outside shiphub")
		for _, w := range sim.Shipments()[:5] {
			s := got[fmt.Sprint(w.ID)]
			var orders page[model.Order]
			eventually(t, 10*time.Second, "order "+w.ExternalOrderNumber, func() bool {
				orders = page[model.Order]{}
				return apiGet(t, h, acmeKey, "/api/v1/orders?reference="+url.QueryEscape(w.ExternalOrderNumber), &orders) == http.StatusOK &&
					len(orders.Data) == 1 && len(orders.Data[0].ShipmentIDs) > 0
			})
			o := orders.Data[0]
			require.Equal(t, "aa", o.Connection)
			require.Contains(t, []model.OrderStatus{model.OrderShipped, model.OrderPartiallyShipped}, o.Status)
			require.Contains(t, o.ShipmentIDs, s.ID, "the order lists its shipment")
		}
	})
	t.Run("ColliAndProductsAreKept", func(t *testing.T) {
		w := sim.Shipments()[0]
		s := got[fmt.Sprint(w.ID)]
		require.Equal(t, w.PackageNumbers[0], s.Attributes["colli[0].package_number"])
		require.Equal(t, w.TrackTraceURLs[0], s.Attributes["colli[0].track_trace_url"])
		require.Equal(t, w.TrackTraceURLs[0], s.TrackingURL)
		require.NotEmpty(t, s.Items)
	})
}

// TestActiveAntsKillBetweenCommitAndMark: the hub commits a page of
// shipments and is killed (SIGKILL) while its mark, POST
// /v2/shipment/sync, is on the wire. Active Ants never saw the mark, so
// it serves the shipments again to the restarted hub, whose inbox has
// them: each is applied once, then marked once.
func TestActiveAntsKillBetweenCommitAndMark(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		database func(t *testing.T, dir string) string
	}{
		{"SQLite", func(_ *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "hub.db") }},
		{"PostgreSQL", func(t *testing.T, _ string) string { return postgres.TestDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			killBetweenCommitAndMark(t, tc.database(t, dir), dir)
		})
	}
}

func killBetweenCommitAndMark(t *testing.T, database, dir string) {
	sim := shippedWorld(t, 40)
	held := sim.holdPath("POST /v2/shipment/sync")
	cfg := aaConfig(t, dir, database, sim.URL, aaPassword, aaFast)
	h := startHub(t, cfg)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatalf("the hub never marked its shipments; output:\n%s", h.out.String())
	}
	h.kill(t)
	sim.release()
	synced, unsynced := sim.ShipmentCounts()
	require.Zero(t, synced, "the mark never reached Active Ants")
	require.Positive(t, unsynced)
	require.Equal(t, 1, sim.count("GET /v2/shipment/get"), "one page was fetched before the kill")

	h = startHub(t, cfg)
	got := requireEachShipmentOnceAndMarked(t, h, sim)
	for _, s := range got {
		n := 0
		for _, e := range trackOne(t, h, s.TrackingNumber, 1).Events {
			if e.ProviderCode == "shipped" {
				n++
			}
		}
		require.Equal(t, 1, n, "shipment %s left the warehouse once", s.ProviderRef)
	}
	steady(t, 2*time.Second, "nothing is marked twice", func() bool {
		for _, w := range sim.Shipments() {
			if w.Syncs != 1 {
				return false
			}
		}
		return true
	})
}

// TestActiveAntsStockFullThenChanges: the first run pulls all stock
// (bulk/true), later runs only the changes (bulk/false), also after a
// restart (the flag is in the store's sync cursors); a stock count at the
// warehouse becomes a stock mutation committed and then marked, and the
// product's new stock.
func TestActiveAntsStockFullThenChanges(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 5, Speed: -1, Products: 12})
	products := sim.Products()

	dir := t.TempDir()
	cfg := aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, aaPassword, aaFast)
	h := startHub(t, cfg)
	stock := listOf[model.Stock](t, h, "/api/v1/stock?limit=200", len(products))
	for _, s := range stock {
		require.Equal(t, "aa", s.Connection)
	}
	eventually(t, 10*time.Second, "a changes-only pull", func() bool { return sim.count("GET /stock/bulk/false") > 0 })
	require.Equal(t, 1, sim.count("GET /stock/bulk/true"), "one full sync")

	p := products[0]
	require.NoError(t, sim.SetStock(p.SKU, p.Physical+7))
	eventually(t, 10*time.Second, "the stock count's mutation", func() bool {
		var got page[model.StockMutation]
		return apiGet(t, h, acmeKey, "/api/v1/stock/mutations?sku="+url.QueryEscape(p.SKU), &got) == http.StatusOK &&
			len(got.Data) == 1 && got.Data[0].Quantity == 7
	})
	eventually(t, 10*time.Second, "the mutation marked", func() bool {
		synced, unsynced := sim.MutationCounts()
		return synced == 1 && unsynced == 0
	})
	want := 0.0
	for _, q := range sim.Products() {
		if q.SKU == p.SKU {
			want = float64(q.Stock)
		}
	}
	eventually(t, 10*time.Second, "the new stock of "+p.SKU, func() bool {
		var got page[model.Stock]
		return apiGet(t, h, acmeKey, "/api/v1/stock?sku="+url.QueryEscape(p.SKU), &got) == http.StatusOK &&
			len(got.Data) == 1 && got.Data[0].Available == want
	})

	h.kill(t)
	before := sim.count("GET /stock/bulk/false")
	h = startHub(t, cfg)
	eventually(t, 45*time.Second, "a changes-only pull after the restart (the killed hub's lease ends first)", func() bool { return sim.count("GET /stock/bulk/false") > before })
	require.Equal(t, 1, sim.count("GET /stock/bulk/true"), "no second full sync after a restart")
	listOf[model.Stock](t, h, "/api/v1/stock?limit=200", len(products))
}

// TestActiveAntsTrackTraceHourlyAndMapped: the warehouse runs 360 times
// faster than the wall clock and the hub's connection knows it (speed
// 360): track-trace is read at most once a warehouse hour, and the
// numeric statuses become the canonical ones of the shared table, up to
// delivered.
func TestActiveAntsTrackTraceHourlyAndMapped(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 3, Speed: 360, ShopOrders: 25, Products: 15})
	sim.Advance(6 * time.Hour)
	start := time.Now()

	dir := t.TempDir()
	h := startHub(t, aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, aaPassword, aaFast))
	requireEachShipmentOnceAndMarked(t, h, sim)
	eventually(t, 20*time.Second, "a first track-trace poll", func() bool { n, _ := sim.TrackTracePolls(); return n >= 1 })
	// A day and more later every journey but the longest has ended.
	sim.Advance(30 * time.Hour)
	eventually(t, 30*time.Second, "a delivered shipment", func() bool {
		for _, s := range hubShipments(t, h) {
			if s.Status == model.StatusDelivered {
				return true
			}
		}
		return false
	})
	polls, soon := sim.TrackTracePolls()
	elapsed := time.Since(start)
	require.Zero(t, soon, "no poll within a warehouse hour of the one before")
	require.LessOrEqual(t, polls, int(elapsed/(10*time.Second))+1, "at most one poll per 61 warehouse minutes")

	// After the next poll, every shipment the list still holds has the
	// status its number maps to.
	n := polls
	eventually(t, 30*time.Second, "the next poll", func() bool { p, _ := sim.TrackTracePolls(); return p > n })
	eventually(t, 10*time.Second, "the statuses of the last poll", func() bool {
		got := hubShipments(t, h)
		for _, w := range sim.Shipments() {
			if w.Status == 0 {
				continue
			}
			want := activeants.MapTrackTrace(activeants.Code(fmt.Sprint(w.Status)), "").Status
			if s := got[fmt.Sprint(w.ID)]; want != model.StatusException && s.Status != want {
				return false
			}
		}
		return true
	})
}

// TestActiveAntsBadLoginIsUnhealthyWithoutALoop: a refused login shows
// the connection unhealthy with Active Ants's reason in GET
// /api/v1/connections, and the hub does not ask for a token again and
// again.
func TestActiveAntsBadLoginIsUnhealthyWithoutALoop(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 1, Speed: -1})
	dir := t.TempDir()
	h := startHub(t, aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, "wrong-password", aaFast))

	var got struct {
		Data []model.ConnectionStatus `json:"data"`
	}
	eventually(t, 20*time.Second, "the connection unhealthy", func() bool {
		got.Data = nil
		return apiGet(t, h, acmeKey, "/api/v1/connections", &got) == http.StatusOK && len(got.Data) == 1 &&
			got.Data[0].Health.Status == "unhealthy"
	})
	reason := got.Data[0].Health.Reason
	require.Contains(t, reason, "invalid_grant", "Active Ants's error")
	require.NotContains(t, reason, "wrong-password", "the password is never shown")
	n := sim.count("POST /token")
	require.LessOrEqual(t, n, 2, "one login for the health check, at most one for the poll")
	steady(t, 3*time.Second, "no more logins", func() bool { return sim.count("POST /token") == n })
	require.Zero(t, sim.TokensIssued())
	require.False(t, strings.Contains(h.out.String(), "wrong-password"), "the password is never logged")
}

// TestActiveAntsOrderRoundTrip: POST /api/v1/orders to the Active Ants
// connection, the command creates it at the warehouse, which ships it; the
// hub pulls the shipment with its package number, the order becomes
// shipped, and track-trace carries the shipment to delivered.
func TestActiveAntsOrderRoundTrip(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 21, Speed: -1, Products: 10})
	sku := sim.Products()[0].SKU
	dir := t.TempDir()
	h := startHub(t, aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, aaPassword, aaFast))

	body := fmt.Sprintf(`{"connection": "aa", "reference": "RT-1001", "lines": [{"sku": %q, "quantity": 1, "price": 19.95}],
		"delivery_address": {"first_name": "Anna", "last_name": "de Vries", "street": "Keizersgracht", "house_number": "12",
			"postcode": "1015CS", "city": "Amsterdam", "country": "NL", "email": "anna@example.com"},
		"shipping_method": "POSTNL_NL", "order_type": "myshop_nl_orders", "language": "NL"}`, sku)
	auth := map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "application/json", "Idempotency-Key": "rt-1001"}
	var status int
	var answer []byte
	// The order's codes are resolved from the account's settings, which
	// the poll service fetches first.
	eventually(t, 20*time.Second, "the order accepted", func() bool {
		status, answer = do(t, http.MethodPost, h.URL+"/api/v1/orders", auth, body)
		return status == http.StatusAccepted
	})
	var created struct {
		Command model.Command `json:"command"`
	}
	require.NoError(t, json.Unmarshal(answer, &created), "%s", answer)
	eventually(t, 20*time.Second, "the command succeeded", func() bool {
		var c model.Command
		return apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/commands/%d", created.Command.ID), &c) == http.StatusOK &&
			c.Status == model.CommandSucceeded
	})
	require.Equal(t, 1, sim.OrderCount("RT-1001"), "created once at the warehouse")

	sim.Advance(4 * time.Hour) // picked and shipped
	var sh model.Shipment
	eventually(t, 20*time.Second, "the shipment of RT-1001", func() bool {
		for _, s := range hubShipments(t, h) {
			if s.OrderReference == "RT-1001" {
				sh = s
				return true
			}
		}
		return false
	})
	var w activeantssim.Shipment
	for _, x := range sim.Shipments() {
		if x.ExternalOrderNumber == "RT-1001" {
			w = x
		}
	}
	require.Equal(t, fmt.Sprint(w.ID), sh.ProviderRef)
	require.Equal(t, w.PackageNumbers[0], sh.TrackingNumber, "its package number")
	eventually(t, 10*time.Second, "the order shipped", func() bool {
		var orders page[model.Order]
		return apiGet(t, h, acmeKey, "/api/v1/orders?reference=RT-1001", &orders) == http.StatusOK && len(orders.Data) == 1 &&
			orders.Data[0].Status == model.OrderShipped && len(orders.Data[0].ShipmentIDs) == 1 && orders.Data[0].ShipmentIDs[0] == sh.ID
	})

	// A warehouse day at a time, so that an hourly poll sees the delivery
	// before the shipment leaves the list (DeliveredLinger, a day).
	for step := 0; ; step++ {
		polls, _ := sim.TrackTracePolls()
		sim.Advance(22 * time.Hour)
		eventually(t, 30*time.Second, "a track-trace poll", func() bool { p, _ := sim.TrackTracePolls(); return p > polls })
		var now int
		for _, x := range sim.Shipments() {
			if x.ID == w.ID {
				now = x.Status
			}
		}
		want := activeants.MapTrackTrace(activeants.Code(fmt.Sprint(now)), "").Status
		var got model.Shipment
		eventually(t, 10*time.Second, fmt.Sprintf("the shipment %s (status %d)", want, now), func() bool {
			got = trackOne(t, h, sh.TrackingNumber, 1)
			return got.Status == want
		})
		if got.Status == model.StatusDelivered {
			require.NotNil(t, got.DeliveredAt)
			break
		}
		require.Less(t, step, 3, "delivered within three warehouse days; status %s", got.Status)
	}
}

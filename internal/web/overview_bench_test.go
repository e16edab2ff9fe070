package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

// ovBenchShipments is how many shipments the overview benchmark seeds.
const ovBenchShipments = 100_000

// ovSeed puts n shipments of a realistic mix of statuses into the store
// (most delivered; a few in exception, some of them asking for action),
// in batches, and marks the quiet ones stuck.
func ovSeed(b *testing.B, st store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	mix := []model.Status{
		model.StatusDelivered, model.StatusDelivered, model.StatusDelivered, model.StatusDelivered, model.StatusDelivered,
		model.StatusDelivered, model.StatusInTransit, model.StatusInTransit, model.StatusOutForDelivery, model.StatusPending,
		model.StatusInfoReceived, model.StatusAvailableForPickup, model.StatusFailedAttempt, model.StatusException, model.StatusReturned,
		model.StatusCancelled, model.StatusDelivered, model.StatusDelivered, model.StatusInTransit, model.StatusDelivered,
	}
	const batch = 2000
	for start := 0; start < n; start += batch {
		web.InPipelineTx(b, st, 1, &model.InboxMessage{Workspace: "acme", Connection: "seed", Provider: "courier",
			Source: model.SourceWebhook, DedupKey: fmt.Sprintf("seed-%d", start), Body: []byte(`{}`), ReceivedAt: ovT0}, func(ctx context.Context, tx store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				status := mix[i%len(mix)]
				updated := ovT0.Add(time.Duration(i) * time.Second)
				sh := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: fmt.Sprintf("SEED-%06d", i),
					References:     []model.Reference{{Kind: model.RefOrder, Value: fmt.Sprintf("ORD-%06d", i)}},
					StatusPosition: model.StatusPosition{Status: status, ActionRequired: status == model.StatusException && (i/len(mix))%2 == 0, At: updated},
					Carrier:        "postnl", TrackingNumber: fmt.Sprintf("3S%010d", i), CreatedAt: updated, UpdatedAt: updated}
				if err := tx.InsertShipment(ctx, sh); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// A fifth of the in-transit ones have been quiet: the oldest.
	for {
		marked, err := st.MarkStuck(ctx, store.StuckScan{Workspace: "acme", Status: model.StatusInTransit,
			Before: ovT0.Add(time.Duration(n/5) * time.Second), Now: ovT0.Add(time.Duration(n) * time.Second), Limit: 500})
		require.NoError(b, err)
		if len(marked) < 500 {
			break
		}
	}
}

// BenchmarkOverview measures the server time of the overview page with
// 100,000 shipments, on SQLite and (with SHIPHUB_TEST_POSTGRES) PostgreSQL:
//
//	go test ./internal/web -run '^$' -bench Overview -benchtime 50x
func BenchmarkOverview(b *testing.B) {
	stores := map[string]func(testing.TB) store.Store{
		"sqlite": func(tb testing.TB) store.Store { return sqlite.OpenTest(tb) },
	}
	if os.Getenv("SHIPHUB_TEST_POSTGRES") != "" {
		stores["postgres"] = func(tb testing.TB) store.Store { return postgres.OpenTest(tb) }
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			ovSeed(b, st, ovBenchShipments)
			ui, err := web.New(web.Config{Store: st, Statuses: ovStatuses{}, Keys: []api.Key{{Workspace: "acme", Secret: ovKeyAcme}}})
			require.NoError(b, err)
			srv := httptest.NewServer(ui.Handler())
			b.Cleanup(srv.Close)
			h := &ovHub{store: st, srv: srv}
			c := h.client(b, ovKeyAcme)
			for _, p := range []string{"/ui/", "/ui/?fragment=counts", "/ui/stuck", "/ui/action-required"} {
				b.Run(p, func(b *testing.B) {
					var worst time.Duration
					for b.Loop() {
						start := time.Now()
						res, err := c.Get(srv.URL + p)
						require.NoError(b, err)
						_ = res.Body.Close()
						require.Equal(b, http.StatusOK, res.StatusCode)
						worst = max(worst, time.Since(start))
					}
					b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
				})
			}
		})
	}
}

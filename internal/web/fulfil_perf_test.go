package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

// BenchmarkFulfilPages fills a store with 100,000 orders,
// products, stock rows and stock mutations (all of one SKU, the worst case of its
// page) and 20,000 inbound goods and returns, and measures the server time
// of every fulfilment page (and its filters), on SQLite and PostgreSQL:
// `SHIPHUB_FULFIL_PERF=1 go test ./internal/web -run '^$' -bench FulfilPages`.
// Filling takes minutes, so it runs only with SHIPHUB_FULFIL_PERF=1.
func BenchmarkFulfilPages(b *testing.B) {
	if os.Getenv("SHIPHUB_FULFIL_PERF") == "" {
		b.Skip("set SHIPHUB_FULFIL_PERF=1 to fill a store with 100,000 rows a table and time the pages")
	}
	var pgURL string
	for _, tc := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"SQLite", func(b *testing.B) store.Store { return sqlite.OpenTest(b) }},
		{"PostgreSQL", func(b *testing.B) store.Store {
			url := postgres.TestDatabase(b)
			s, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 8, Secrets: secrets.NewRandomKeyring()})
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			pgURL = url
			return s
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.open(b)
			fillFulfil(b, s, 100_000, 20_000)
			if tc.name == "PostgreSQL" {
				// What autovacuum does a minute after a bulk load: the
				// planner needs the tables' statistics.
				db, err := sql.Open("pgx", pgURL)
				require.NoError(b, err)
				_, err = db.Exec("ANALYZE")
				require.NoError(b, err)
				_ = db.Close()
			}
			ui, err := web.New(web.Config{Store: s, Keys: []api.Key{{Workspace: "acme", Secret: "acme-key"}}})
			require.NoError(b, err)
			srv := httptest.NewServer(ui.Handler())
			defer srv.Close()
			c := web.SignedInClient(b, srv.URL, "acme-key")
			for _, path := range []string{
				"/ui/orders", "/ui/orders?status=shipped", "/ui/orders?connection=ants&status=cancelled", "/ui/inbound?connection=ants&status=received", "/ui/returns?connection=gcl&status=processed",
				"/ui/orders?q=R-50000", "/ui/orders?before=50000", "/ui/orders/50000",
				"/ui/stock", "/ui/stock?warehouse=W3", "/ui/stock?sku=SKU-3000", "/ui/stock?connection=ants&warehouse=W7",
				"/ui/stock/HOT", "/ui/stock/SKU-3000", "/ui/products", "/ui/products?connection=ants",
				"/ui/inbound", "/ui/inbound?status=received", "/ui/inbound/10000",
				"/ui/returns", "/ui/returns?status=processed", "/ui/returns?q=R-500", "/ui/returns/10000",
			} {
				b.Run(strings.TrimPrefix(path, "/ui/"), func(b *testing.B) {
					for b.Loop() {
						res, err := c.Get(srv.URL + path)
						require.NoError(b, err)
						_ = res.Body.Close()
						require.Equal(b, http.StatusOK, res.StatusCode, path)
					}
				})
			}
		})
	}
}

// fillFulfil writes n orders, products, stock rows and mutations and m inbound goods
// and returns to workspace acme, in transactions of 5,000.
func fillFulfil(t testing.TB, s store.Store, n, m int) {
	t.Helper()
	seq := 0
	batch := func(count int, fn func(ctx context.Context, tx store.Tx, i int) error) {
		for from := 0; from < count; from += 5000 {
			seq++
			web.InPipelineTx(t, s, 1, &model.InboxMessage{Workspace: "setup", Connection: "setup", Provider: "courier",
				Source: model.SourceWebhook, Topic: "setup", DedupKey: "fill-" + strconv.Itoa(seq), ContentType: "application/json",
				Body: []byte(`{}`), ReceivedAt: fulBase}, func(ctx context.Context, tx store.Tx) error {
				for i := from; i < min(from+5000, count); i++ {
					if err := fn(ctx, tx, i); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	conns := []string{"wics", "ants", "gcl"}
	start := time.Now()
	batch(n, func(ctx context.Context, tx store.Tx, i int) error {
		o := fulOrder("acme", conns[i%3], fmt.Sprintf("R-%d", i), model.OrderStatuses[i%len(model.OrderStatuses)])
		return tx.InsertOrder(ctx, o)
	})
	batch(n, func(ctx context.Context, tx store.Tx, i int) error {
		return tx.InsertProduct(ctx, &model.Product{Resource: fulResource("acme", conns[i%3]), SKU: fmt.Sprintf("SKU-%d", i/3),
			Name: fmt.Sprintf("Product %d", i/3), Barcodes: []string{fmt.Sprintf("871%010d", i)}})
	})
	batch(n, func(ctx context.Context, tx store.Tx, i int) error {
		return tx.InsertStock(ctx, fulStock("acme", conns[i%3], fmt.Sprintf("SKU-%d", i/30), fmt.Sprintf("W%d", i%10), float64(i%100)))
	})
	batch(n, func(ctx context.Context, tx store.Tx, i int) error {
		sku := "HOT"
		if i%2 == 0 {
			sku = fmt.Sprintf("SKU-%d", i/30)
		}
		_, err := tx.InsertStockMutation(ctx, &model.StockMutation{Resource: fulResource("acme", conns[i%3]), SKU: sku, Warehouse: "W1",
			Quantity: -1, ReasonCode: "PICK", OccurredAt: fulBase.Add(time.Duration(i) * time.Second)}, "m-"+strconv.Itoa(i))
		return err
	})
	batch(m, func(ctx context.Context, tx store.Tx, i int) error {
		in := &model.Inbound{Resource: fulResource("acme", conns[i%3]), Reference: fmt.Sprintf("PO-%d", i),
			Status: model.InboundStatuses[i%len(model.InboundStatuses)], Lines: []model.InboundLine{{LineNumber: 1, SKU: "SKU-1", Expected: 5, Received: 2}}}
		return tx.InsertInbound(ctx, store.InboundKey(in.Reference, ""), in)
	})
	batch(m, func(ctx context.Context, tx store.Tx, i int) error {
		r := &model.Return{Resource: fulResource("acme", conns[i%3]), Reference: fmt.Sprintf("R-%d", i),
			Status: model.ReturnStatuses[i%len(model.ReturnStatuses)], Lines: []model.ReturnLine{{LineNumber: 1, SKU: "SKU-1", Quantity: 1}}}
		r.ProviderRef = fmt.Sprintf("RMA-%d", i)
		return tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r)
	})
	t.Logf("filled in %s", time.Since(start).Round(time.Second))
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// inventory is what seedInventory stored, by name.
type inventory struct {
	products  map[string]*model.Product
	stock     map[string]*model.Stock
	mutations map[string]*model.StockMutation
}

// seedInventory stores products, stock rows and mutations of acme and
// globex on a real store, in one pipeline transaction.
func seedInventory(t *testing.T, st store.Store) inventory {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	res := func(ws, conn string) model.Resource {
		return model.Resource{Workspace: ws, Connection: conn, Provider: "wics", CreatedAt: at, UpdatedAt: at}
	}
	inv := inventory{
		products: map[string]*model.Product{
			"mug":    {Resource: res("acme", "wics"), SKU: "MUG-1", Name: "Mug", Barcodes: []string{"8710000000017"}, Attributes: map[string]string{"colour": "blue"}},
			"plate":  {Resource: res("acme", "wics"), SKU: "PLATE-1", Name: "Plate", Barcodes: []string{}},
			"mug-aa": {Resource: res("acme", "aa"), SKU: "MUG-1", Name: "Mug (AA)", Barcodes: []string{}},
			"globex": {Resource: res("globex", "wics"), SKU: "MUG-1", Name: "Globex mug", Barcodes: []string{}},
		},
		stock: map[string]*model.Stock{
			"only":   {Resource: res("acme", "wics"), SKU: "MUG-1", Physical: 10, Available: 8, Announced: 2, AsOf: at},
			"west":   {Resource: res("acme", "aa"), SKU: "MUG-1", Warehouse: "west", Physical: 3, AsOf: at},
			"east":   {Resource: res("acme", "aa"), SKU: "PLATE-1", Warehouse: "east", Physical: 4, AsOf: at},
			"globex": {Resource: res("globex", "wics"), SKU: "MUG-1", Physical: 99, AsOf: at},
		},
		mutations: map[string]*model.StockMutation{
			"pick":    {Resource: res("acme", "wics"), SKU: "MUG-1", Quantity: -2, ReasonCode: "PICK", OccurredAt: at.Add(2 * time.Hour), InboxID: 1},
			"same":    {Resource: res("acme", "aa"), SKU: "MUG-1", Quantity: -1, OccurredAt: at.Add(2 * time.Hour), InboxID: 1},
			"receipt": {Resource: res("acme", "wics"), SKU: "PLATE-1", Quantity: 10, ReasonCode: "RECEIPT", OccurredAt: at, InboxID: 1},
			"late":    {Resource: res("acme", "wics"), SKU: "MUG-1", Quantity: 5, OccurredAt: at.Add(time.Hour), InboxID: 1},
			"globex":  {Resource: res("globex", "wics"), SKU: "MUG-1", Quantity: 1, OccurredAt: at, InboxID: 1},
		},
	}
	_, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "wics", Provider: "wics", Source: model.SourceWebhook,
		DedupKey: "seed", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: at})
	require.NoError(t, err)
	n, err := st.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, k := range []string{"mug", "plate", "mug-aa", "globex"} {
			if err := tx.InsertProduct(ctx, inv.products[k]); err != nil {
				return err
			}
		}
		for _, k := range []string{"only", "west", "east", "globex"} {
			if err := tx.InsertStock(ctx, inv.stock[k]); err != nil {
				return err
			}
		}
		for _, k := range []string{"pick", "same", "receipt", "late", "globex"} {
			if _, err := tx.InsertStockMutation(ctx, inv.mutations[k], k); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	return inv
}

type idPage struct {
	Data []struct {
		ID        int64  `json:"id"`
		Workspace string `json:"workspace"`
	} `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (p idPage) ids() []int64 {
	out := make([]int64, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.ID
	}
	return out
}

// walk follows a listing's next_cursor with limit=1 and returns every id.
func walk(t *testing.T, h http.Handler, path string) []int64 {
	t.Helper()
	var ids []int64
	cursor := ""
	for range 20 {
		r := get(t, h, fmt.Sprintf("%s?limit=1&cursor=%s", path, cursor), acmeKey)
		require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
		p := decode[idPage](t, r)
		ids = append(ids, p.ids()...)
		require.NotNil(t, p.NextCursor)
		if *p.NextCursor == "" {
			return ids
		}
		cursor = *p.NextCursor
	}
	t.Fatalf("%s did not end", path)
	return nil
}

func TestInventoryListings(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	inv := seedInventory(t, st)
	h := newHandler(t, st, nil)
	p, s, m := inv.products, inv.stock, inv.mutations

	for _, c := range []struct {
		name, path string
		want       []int64
	}{
		{"every product, newest first", "/api/v1/products", []int64{p["mug-aa"].ID, p["plate"].ID, p["mug"].ID}},
		{"products by sku", "/api/v1/products?sku=MUG-1", []int64{p["mug-aa"].ID, p["mug"].ID}},
		{"products by connection", "/api/v1/products?connection=wics", []int64{p["plate"].ID, p["mug"].ID}},
		{"every stock row, newest first", "/api/v1/stock", []int64{s["east"].ID, s["west"].ID, s["only"].ID}},
		{"stock by sku", "/api/v1/stock?sku=MUG-1", []int64{s["west"].ID, s["only"].ID}},
		{"stock by connection", "/api/v1/stock?connection=aa", []int64{s["east"].ID, s["west"].ID}},
		{"stock by warehouse", "/api/v1/stock?warehouse=west", []int64{s["west"].ID}},
		{"an empty warehouse selects the provider's one warehouse", "/api/v1/stock?warehouse=", []int64{s["only"].ID}},
		{"stock filters combine", "/api/v1/stock?sku=MUG-1&connection=aa&warehouse=east", []int64{}},
		{"mutations, newest first by when they occurred", "/api/v1/stock/mutations", []int64{m["same"].ID, m["pick"].ID, m["late"].ID, m["receipt"].ID}},
		{"mutations by sku", "/api/v1/stock/mutations?sku=MUG-1", []int64{m["same"].ID, m["pick"].ID, m["late"].ID}},
		{"mutations by connection", "/api/v1/stock/mutations?connection=wics", []int64{m["pick"].ID, m["late"].ID, m["receipt"].ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, c.path, acmeKey)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			page := decode[idPage](t, r)
			require.Equal(t, c.want, page.ids())
			require.NotNil(t, page.NextCursor)
			require.Empty(t, *page.NextCursor, "one page holds them all")
		})
	}

	t.Run("a cursor walks every listing one by one", func(t *testing.T) {
		t.Parallel()
		for path, want := range map[string][]int64{
			"/api/v1/products":        {p["mug-aa"].ID, p["plate"].ID, p["mug"].ID},
			"/api/v1/stock":           {s["east"].ID, s["west"].ID, s["only"].ID},
			"/api/v1/stock/mutations": {m["same"].ID, m["pick"].ID, m["late"].ID, m["receipt"].ID},
		} {
			require.Equal(t, want, walk(t, h, path), path)
		}
	})

	t.Run("another workspace sees only its own", func(t *testing.T) {
		t.Parallel()
		for path, want := range map[string]int64{
			"/api/v1/products": p["globex"].ID, "/api/v1/stock": s["globex"].ID, "/api/v1/stock/mutations": m["globex"].ID,
		} {
			r := get(t, h, path, globexKey)
			require.Equal(t, http.StatusOK, r.code)
			require.Equal(t, []int64{want}, decode[idPage](t, r).ids(), path)
		}
	})

	t.Run("the resources carry the contract's fields", func(t *testing.T) {
		t.Parallel()
		var stock struct{ Data []map[string]any }
		require.NoError(t, json.Unmarshal(get(t, h, "/api/v1/stock?warehouse=", acmeKey).body, &stock))
		require.Len(t, stock.Data, 1)
		row := stock.Data[0]
		for k, v := range map[string]any{"sku": "MUG-1", "warehouse": "", "connection": "wics", "provider": "wics", "workspace": "acme",
			"physical": 10.0, "available": 8.0, "announced": 2.0, "as_of": "2026-11-30T09:00:00Z"} {
			require.Equal(t, v, row[k], k)
		}
		require.NotContains(t, row, "fact_times")
		var muts struct{ Data []map[string]any }
		require.NoError(t, json.Unmarshal(get(t, h, "/api/v1/stock/mutations?connection=wics&sku=PLATE-1", acmeKey).body, &muts))
		require.Len(t, muts.Data, 1)
		for k, v := range map[string]any{"sku": "PLATE-1", "quantity": 10.0, "reason_code": "RECEIPT", "occurred_at": "2026-11-30T09:00:00Z", "inbox_id": 1.0} {
			require.Equal(t, v, muts.Data[0][k], k)
		}
	})

	t.Run("a product is found by its id in its own workspace only", func(t *testing.T) {
		t.Parallel()
		r := get(t, h, fmt.Sprintf("/api/v1/products/%d", p["mug"].ID), acmeKey)
		require.Equal(t, http.StatusOK, r.code)
		got := decode[map[string]any](t, r)
		require.Equal(t, "MUG-1", got["sku"])
		require.Equal(t, []any{"8710000000017"}, got["barcodes"])
		require.Equal(t, map[string]any{"colour": "blue"}, got["attributes"])
		requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/products/%d", p["globex"].ID), acmeKey), http.StatusNotFound)
		requireProblem(t, get(t, h, "/api/v1/products/999999", acmeKey), http.StatusNotFound)
	})

	t.Run("bad parameters are problems", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{
			"/api/v1/products?cursor=nope", "/api/v1/products?limit=0", "/api/v1/products/0", "/api/v1/products/abc",
			"/api/v1/stock?cursor=nope", "/api/v1/stock?limit=201",
			"/api/v1/stock/mutations?cursor=nope", "/api/v1/stock/mutations?cursor=MTI", "/api/v1/stock/mutations?limit=x",
		} {
			requireProblem(t, get(t, h, path, acmeKey), http.StatusBadRequest)
		}
		for _, path := range []string{"/api/v1/products", "/api/v1/stock", "/api/v1/stock/mutations"} {
			requireProblem(t, get(t, h, path, ""), http.StatusUnauthorized)
		}
	})
}

func TestInventoryStoreFailureIsAProblem(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &fakeStore{err: store.ErrClosed}, nil)
	for _, path := range []string{"/api/v1/products", "/api/v1/products/1", "/api/v1/stock", "/api/v1/stock/mutations"} {
		r := get(t, h, path, acmeKey)
		require.GreaterOrEqual(t, r.code, 500, path)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), path)
	}
}

func FuzzMutationCursor(f *testing.F) {
	for _, s := range []string{"", "MTI", "MTcwMDAwMDAwMDAwMDAwMC40Mg", "-1.-1", "AAAA"} {
		f.Add(s)
	}
	a, err := api.New(api.Config{Store: &fakeStore{}, Keys: []api.Key{{Workspace: "acme", Secret: acmeKey}}})
	require.NoError(f, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	var h http.Handler = mux
	f.Fuzz(func(t *testing.T, cursor string) {
		r := get(t, h, "/api/v1/stock/mutations?cursor="+url.QueryEscape(cursor), acmeKey)
		if r.code != http.StatusOK && r.code != http.StatusBadRequest {
			t.Fatalf("cursor %q: status %d", cursor, r.code)
		}
	})
}

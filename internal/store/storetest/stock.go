package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// stockCases are the conformance cases of products, stock levels and stock
// mutations (store.Inventory and store.InventoryTx).
var stockCases = []conformanceCase{
	{"AProductRoundTripsThroughTxAndListsWithinItsWorkspace", testProductRoundTrip},
	{"AStockRowIsKeyedBySKUConnectionAndWarehouse", testStockKeyAndList},
	{"AStockMutationIsStoredOncePerDedupKeyAndListedNewestFirst", testStockMutations},
	{"AStockMutationOfAPrefetchedBatchIsStoredOncePerDedupKey", testStockMutationsPrefetched},
	{"ResetCanonicalKeepsProductAndStockIDsAndDeletesMutations", testResetInventory},
}

func resource(ws, conn string) model.Resource {
	return model.Resource{Workspace: ws, Connection: conn, Provider: "wics", CreatedAt: base, UpdatedAt: base}
}

func product(ws, conn, sku string) *model.Product {
	return &model.Product{
		Resource: resource(ws, conn), SKU: sku, Name: "Mug " + sku,
		Barcodes: []string{"8710000000017", "8710000000024"}, Attributes: map[string]string{"colour": "blue"},
	}
}

func stockRow(ws, conn, sku, warehouse string, physical float64) *model.Stock {
	return &model.Stock{Resource: resource(ws, conn), SKU: sku, Warehouse: warehouse, Physical: physical, Available: physical - 1, AsOf: base}
}

func productIDs(list []*model.Product) []int64 {
	out := make([]int64, len(list))
	for i, p := range list {
		out[i] = p.ID
	}
	return out
}

func stockIDs(list []*model.Stock) []int64 {
	out := make([]int64, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func testProductRoundTrip(t *testing.T, s store.Store) {
	p1, p2, p3, other := product("acme", "wics", "MUG-1"), product("acme", "wics", "MUG-2"), product("acme", "aa", "MUG-1"), product("globex", "wics", "MUG-1")
	p1.ProviderRef = "WICS-17"
	p1.FactTimes = map[string]time.Time{"name": base, "attributes.colour": base.Add(time.Minute)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, p := range []*model.Product{p1, p2, p3, other} {
			if err := tx.InsertProduct(ctx, p); err != nil {
				return err
			}
		}
		got, err := tx.ProductBySKU(ctx, "acme", "wics", "MUG-1")
		require.NoError(t, err)
		require.Equal(t, p1, got, "a product reads back as inserted, with its fields' times")
		_, err = tx.ProductBySKU(ctx, "acme", "wics", "MUG-3")
		require.ErrorIs(t, err, store.ErrNotFound)
		got.Name, got.UpdatedAt = "Big mug", base.Add(time.Hour)
		got.FactTimes["name"] = base.Add(time.Hour)
		return tx.UpdateProduct(ctx, got)
	})
	got, err := s.GetProduct(ctx(t), "acme", p1.ID)
	require.NoError(t, err)
	require.Equal(t, "Big mug", got.Name)
	require.Equal(t, "WICS-17", got.ProviderRef)
	require.Equal(t, base.Add(time.Hour), got.UpdatedAt)
	require.Equal(t, base.Add(time.Hour), got.FactTimes["name"])
	_, err = s.GetProduct(ctx(t), "globex", p1.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another workspace's product is not found")

	for _, c := range []struct {
		name string
		f    store.ProductFilter
		want []int64
	}{
		{"every product of the workspace, newest first", store.ProductFilter{Workspace: "acme"}, []int64{p3.ID, p2.ID, p1.ID}},
		{"by sku, of every connection", store.ProductFilter{Workspace: "acme", SKU: "MUG-1"}, []int64{p3.ID, p1.ID}},
		{"by connection", store.ProductFilter{Workspace: "acme", Connection: "wics"}, []int64{p2.ID, p1.ID}},
		{"a page continues before its last id", store.ProductFilter{Workspace: "acme", BeforeID: p3.ID, Limit: 1}, []int64{p2.ID}},
		{"an unknown sku finds nothing", store.ProductFilter{Workspace: "acme", SKU: "NOPE"}, []int64{}},
		{"another workspace has its own", store.ProductFilter{Workspace: "globex"}, []int64{other.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := s.ListProducts(ctx(t), c.f)
			require.NoError(t, err)
			require.Equal(t, c.want, productIDs(list))
		})
	}
}

func testStockKeyAndList(t *testing.T, s store.Store) {
	only := stockRow("acme", "wics", "MUG-1", "", 10)
	west, east := stockRow("acme", "aa", "MUG-1", "west", 20), stockRow("acme", "aa", "MUG-1", "east", 30)
	mug2, other := stockRow("acme", "aa", "MUG-2", "west", 40), stockRow("globex", "wics", "MUG-1", "", 50)
	only.FactTimes = map[string]time.Time{"physical": base, "available": base.Add(-time.Minute)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []*model.Stock{only, west, east, mug2, other} {
			if err := tx.InsertStock(ctx, r); err != nil {
				return err
			}
		}
		got, err := tx.StockByKey(ctx, "acme", "wics", "MUG-1", "")
		require.NoError(t, err)
		require.Equal(t, only, got, "a stock row reads back as inserted, with its figures' times")
		got, err = tx.StockByKey(ctx, "acme", "aa", "MUG-1", "east")
		require.NoError(t, err)
		require.Equal(t, east.ID, got.ID, "the warehouse is part of the key")
		_, err = tx.StockByKey(ctx, "acme", "aa", "MUG-1", "")
		require.ErrorIs(t, err, store.ErrNotFound)
		got.Announced, got.AsOf, got.UpdatedAt = 5, base.Add(time.Hour), base.Add(time.Hour)
		if err := tx.UpdateStock(ctx, got); err != nil {
			return err
		}
		again, err := tx.StockByKey(ctx, "acme", "aa", "MUG-1", "east")
		require.NoError(t, err)
		require.Equal(t, got, again, "an update reads back within its transaction")
		missing := *got
		missing.ID = got.ID + 1000
		require.ErrorIs(t, tx.UpdateStock(ctx, &missing), store.ErrNotFound)
		return nil
	})
	none, w := "", "west"
	for _, c := range []struct {
		name string
		f    store.StockFilter
		want []int64
	}{
		{"every row of the workspace, newest first", store.StockFilter{Workspace: "acme"}, []int64{mug2.ID, east.ID, west.ID, only.ID}},
		{"by sku", store.StockFilter{Workspace: "acme", SKU: "MUG-1"}, []int64{east.ID, west.ID, only.ID}},
		{"by connection", store.StockFilter{Workspace: "acme", Connection: "aa"}, []int64{mug2.ID, east.ID, west.ID}},
		{"by warehouse", store.StockFilter{Workspace: "acme", Warehouse: &w}, []int64{mug2.ID, west.ID}},
		{"the empty warehouse is a warehouse", store.StockFilter{Workspace: "acme", Warehouse: &none}, []int64{only.ID}},
		{"filters combine", store.StockFilter{Workspace: "acme", SKU: "MUG-1", Connection: "aa", Warehouse: &w}, []int64{west.ID}},
		{"a page continues before its last id", store.StockFilter{Workspace: "acme", BeforeID: east.ID, Limit: 1}, []int64{west.ID}},
		{"another workspace has its own", store.StockFilter{Workspace: "globex"}, []int64{other.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := s.ListStock(ctx(t), c.f)
			require.NoError(t, err)
			require.Equal(t, c.want, stockIDs(list))
		})
	}
	list, err := s.ListStock(ctx(t), store.StockFilter{Workspace: "acme", Connection: "aa", SKU: "MUG-1", Warehouse: ptr("east")})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, 5.0, list[0].Announced)
	require.Equal(t, base.Add(time.Hour), list[0].AsOf)
}

func mutation(ws, conn, sku string, qty float64, at time.Time) *model.StockMutation {
	bb := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	return &model.StockMutation{
		Resource: model.Resource{Workspace: ws, Connection: conn, Provider: "wics", CreatedAt: base, UpdatedAt: base},
		SKU:      sku, Warehouse: "west", Quantity: qty, ReasonCode: "PICK", Reason: "picked for order 1001",
		OccurredAt: at, Location: "A-01-02", Lot: "L42", BestBefore: &bb, InboxID: 7,
	}
}

// testStockMutationsPrefetched: in a batch's transaction that named its
// stock mutations ahead (prefetched where the store prefetches, so new
// ones are written behind), a mutation is added once per dedup key and
// connection, whether the key was stored before, added earlier in the
// transaction or not named ahead at all, and each added one reads back
// with its id.
func testStockMutationsPrefetched(t *testing.T, s store.Store) {
	stored := mutation("acme", "wics", "MUG-1", 1, base)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertStockMutation(ctx, stored, "m-1")
		return err
	})
	named := func(keys ...string) store.Prefetch {
		var p store.Prefetch
		for _, k := range keys {
			conn, key, _ := strings.Cut(k, "/")
			p.StockMutations = append(p.StockMutations, store.StockMutationKey{Workspace: "acme", Connection: conn, DedupKey: key})
		}
		return p
	}
	fresh := mutation("acme", "wics", "MUG-1", 2, base.Add(time.Minute))
	unnamed := mutation("acme", "wics", "MUG-2", 3, base.Add(2*time.Minute))
	otherConn := mutation("acme", "aa", "MUG-1", 4, base.Add(3*time.Minute))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if p, ok := tx.(store.Prefetcher); ok {
			require.NoError(t, p.Prefetch(ctx, named("wics/m-1", "wics/m-2", "aa/m-2")))
		}
		for _, c := range []struct {
			m    *model.StockMutation
			key  string
			want bool
		}{
			{mutation("acme", "wics", "MUG-1", 9, base), "m-1", false},
			{fresh, "m-2", true},
			{mutation("acme", "wics", "MUG-1", 9, base), "m-2", false},
			{unnamed, "m-9", true},
			{mutation("acme", "wics", "MUG-1", 9, base), "m-9", false},
			{otherConn, "m-2", true},
		} {
			inserted, err := tx.InsertStockMutation(ctx, c.m, c.key)
			require.NoError(t, err)
			require.Equal(t, c.want, inserted, "mutation %q of %s", c.key, c.m.Connection)
			if c.want {
				require.Positive(t, c.m.ID, "an added mutation has its id")
			}
		}
		return nil
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if p, ok := tx.(store.Prefetcher); ok {
			require.NoError(t, p.Prefetch(ctx, named("wics/m-2", "aa/m-2")))
		}
		inserted, err := tx.InsertStockMutation(ctx, mutation("acme", "wics", "MUG-1", 9, base), "m-2")
		require.NoError(t, err)
		require.False(t, inserted, "committed in the transaction before")
		return nil
	})
	all, err := s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Equal(t, []int64{otherConn.ID, unnamed.ID, fresh.ID, stored.ID}, mutationIDs(all))
	require.Equal(t, fresh, all[2], "a mutation written behind reads back as added")
	require.Len(t, slices.Compact(slices.Sorted(slices.Values(mutationIDs(all)))), 4, "distinct ids")
}

func testStockMutations(t *testing.T, s store.Store) {
	late := mutation("acme", "wics", "MUG-1", -2, base.Add(3*time.Hour))
	early := mutation("acme", "wics", "MUG-1", 10, base.Add(time.Hour))
	same := mutation("acme", "wics", "MUG-2", -1, base.Add(3*time.Hour))
	otherConn := mutation("acme", "aa", "MUG-1", 4, base)
	otherWs := mutation("globex", "wics", "MUG-1", 4, base)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []struct {
			m    *model.StockMutation
			key  string
			want bool
		}{
			{late, "m-3", true},
			{early, "m-1", true},
			{mutation("acme", "wics", "MUG-1", 99, base), "m-1", false},
			{same, "m-4", true},
			{otherConn, "m-1", true},
			{otherWs, "m-1", true},
		} {
			inserted, err := tx.InsertStockMutation(ctx, c.m, c.key)
			if err != nil {
				return err
			}
			require.Equal(t, c.want, inserted, "mutation %q of %s/%s", c.key, c.m.Workspace, c.m.Connection)
		}
		return nil
	})
	all, err := s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	// late and same occurred at the same instant: the higher id first.
	require.Equal(t, []int64{same.ID, late.ID, early.ID, otherConn.ID}, mutationIDs(all), "newest first by occurred_at, then id")
	require.Equal(t, late, all[1], "a mutation reads back as appended")
	require.Equal(t, 10.0, all[2].Quantity, "the same mutation again changed nothing")

	for _, c := range []struct {
		name string
		f    store.StockMutationFilter
		want []int64
	}{
		{"by sku", store.StockMutationFilter{Workspace: "acme", SKU: "MUG-1"}, []int64{late.ID, early.ID, otherConn.ID}},
		{"by connection", store.StockMutationFilter{Workspace: "acme", Connection: "aa"}, []int64{otherConn.ID}},
		{"a page continues after a mutation of the same instant", store.StockMutationFilter{Workspace: "acme", Before: same.OccurredAt, BeforeID: same.ID, Limit: 2}, []int64{late.ID, early.ID}},
		{"a page continues at an older instant", store.StockMutationFilter{Workspace: "acme", Before: early.OccurredAt, BeforeID: early.ID}, []int64{otherConn.ID}},
		{"another workspace has its own", store.StockMutationFilter{Workspace: "globex"}, []int64{otherWs.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := s.ListStockMutations(ctx(t), c.f)
			require.NoError(t, err)
			require.Equal(t, c.want, mutationIDs(list))
		})
	}
}

func mutationIDs(list []*model.StockMutation) []int64 {
	out := make([]int64, len(list))
	for i, m := range list {
		out[i] = m.ID
	}
	return out
}

func testResetInventory(t *testing.T, s store.Store) {
	seed := func(ws string) (*model.Product, *model.Stock) {
		p, r := product(ws, "wics", "MUG-1"), stockRow(ws, "wics", "MUG-1", "", 10)
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.InsertStockMutation(ctx, mutation(ws, "wics", "MUG-1", 1, base), "m-1")
			return errors.Join(err, tx.InsertProduct(ctx, p), tx.InsertStock(ctx, r))
		})
		return p, r
	}
	p, r := seed("acme")
	keptP, keptR := seed("globex")

	_, err := s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	got, err := s.GetProduct(ctx(t), "acme", p.ID)
	require.NoError(t, err, "a product keeps its id through a reset")
	require.Equal(t, "MUG-1", got.SKU)
	require.Empty(t, got.Name, "its fields are stated again by the rebuild")
	require.Empty(t, got.FactTimes)
	rows, err := s.ListStock(ctx(t), store.StockFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Equal(t, []int64{r.ID}, stockIDs(rows), "a stock row keeps its id through a reset")
	require.Zero(t, rows[0].Physical)
	require.True(t, rows[0].AsOf.IsZero())
	muts, err := s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, muts, "mutations are appended again by the rebuild")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		inserted, err := tx.InsertStockMutation(ctx, mutation("acme", "wics", "MUG-1", 1, base), "m-1")
		require.True(t, inserted, "a reset mutation's key is free again")
		return err
	})

	gp, err := s.GetProduct(ctx(t), "globex", keptP.ID)
	require.NoError(t, err)
	require.Equal(t, keptP.Name, gp.Name, "another workspace keeps its products")
	gr, err := s.ListStock(ctx(t), store.StockFilter{Workspace: "globex"})
	require.NoError(t, err)
	require.Equal(t, keptR.Physical, gr[0].Physical)
	gm, err := s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "globex"})
	require.NoError(t, err)
	require.Len(t, gm, 1)

	_, err = s.ResetCanonical(ctx(t), "")
	require.NoError(t, err)
	gm, err = s.ListStockMutations(ctx(t), store.StockMutationFilter{Workspace: "globex"})
	require.NoError(t, err)
	require.Empty(t, gm, "a reset of every workspace clears every workspace")
}

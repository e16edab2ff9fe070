package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/store"
)

// feedOfType lists acme's feed entries of one type.
func feedOfType(t *testing.T, st store.Store, typ string) []*model.FeedEvent {
	t.Helper()
	all, err := st.ListFeed(context.Background(), "acme", 0, 1000)
	require.NoError(t, err)
	var out []*model.FeedEvent
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestInventory(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				name string
				run  func(t *testing.T, st store.Store)
			}{
				{"AnOlderFigureArrivingLateNeverReplacesANewerOne", testLateStockFigure},
				{"StockOfAnUnknownSKUCreatesTheStockRowAndNoProduct", testStockOfUnknownSKU},
				{"TheSameMutationTwiceIsStoredOnceAndToldOnce", testMutationOnce},
				{"AValueTheDatabaseCannotStoreFailsOnlyItsMessage", testInventoryRefused},
				{"ARebuildKeepsStockAndProductIDsAndAppendsMutationsAgain", testInventoryRebuild},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, open(t))
				})
			}
		})
	}
}

func drain(t *testing.T, st store.Store, conns ...string) {
	t.Helper()
	_, err := inventoryPipeline(t, st, 4, conns...).Drain(context.Background())
	require.NoError(t, err)
}

func oneStock(t *testing.T, st store.Store) *model.Stock {
	t.Helper()
	rows, err := st.ListStock(context.Background(), store.StockFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]
}

func testLateStockFigure(t *testing.T, st store.Store) {
	figure := func(at time.Time, physical float64) model.Changes {
		return model.Changes{Stock: []model.StockUpdate{{AsOf: at, SKU: "MUG-1", Physical: num(physical), Available: num(physical - 1)}}}
	}
	steps := []struct {
		name     string
		changes  model.Changes
		physical float64
		asOf     time.Time
		told     int
	}{
		{"the first figure creates the row and is told", figure(hour(10), 12), 12, hour(10), 1},
		{"an older figure arriving late changes nothing and is not told", figure(hour(9), 50), 12, hour(10), 1},
		{"a newer figure replaces it and is told", figure(hour(11), 11), 11, hour(11), 2},
		{"the same figure stated again later is not told", figure(hour(12), 11), 11, hour(12), 2},
		{"an announced figure alone changes only itself", model.Changes{Stock: []model.StockUpdate{{AsOf: hour(8), SKU: "MUG-1", Announced: num(30)}}}, 11, hour(12), 3},
	}
	for _, s := range steps {
		commitChanges(t, st, "wics", s.changes)
		drain(t, st, "wics")
		r := oneStock(t, st)
		require.Equal(t, s.physical, r.Physical, s.name)
		require.Equal(t, s.physical-1, r.Available, s.name)
		require.Equal(t, s.asOf, r.AsOf, "%s: as_of is the newest figure's time", s.name)
		told := feedOfType(t, st, model.EventStockChanged)
		require.Len(t, told, s.told, s.name)
		var data model.Stock
		require.NoError(t, json.Unmarshal(told[len(told)-1].Data, &data))
		require.Equal(t, r.ID, data.ID, "the feed carries the stock row")
		require.Equal(t, r.ID, told[len(told)-1].SubjectID)
	}
	require.Equal(t, 30.0, oneStock(t, st).Announced)
}

func testStockOfUnknownSKU(t *testing.T, st store.Store) {
	commitChanges(t, st, "wics", model.Changes{Stock: []model.StockUpdate{
		{AsOf: hour(1), SKU: "NEW-1", Warehouse: "west", Physical: num(3)},
		{AsOf: hour(1), SKU: "NEW-1", Warehouse: "east", Physical: num(4)},
		{AsOf: hour(1), SKU: "NEW-2"}, // states no figure
	}})
	drain(t, st, "wics")
	rows, err := st.ListStock(context.Background(), store.StockFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, rows, 2, "one row per sku and warehouse; an update without figures makes none")
	require.Equal(t, []string{"east", "west"}, []string{rows[0].Warehouse, rows[1].Warehouse})
	require.Equal(t, "wics", rows[0].Connection)
	require.Equal(t, "inventorytest", rows[0].Provider)
	products, err := st.ListProducts(context.Background(), store.ProductFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, products, "stock creates no product")
}

func testMutationOnce(t *testing.T, st store.Store) {
	bb := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	pick := model.StockMutationUpdate{DedupKey: "MUT-1", SKU: "MUG-1", Warehouse: "west", Quantity: -2, ReasonCode: "PICK",
		Reason: "order 1001", OccurredAt: hour(9), Location: "A-1", Lot: "L1", BestBefore: &bb}
	receipt := model.StockMutationUpdate{DedupKey: "MUT-2", SKU: "MUG-1", Quantity: 10, OccurredAt: hour(8)}
	first := commitChanges(t, st, "wics", model.Changes{StockMutations: []model.StockMutationUpdate{pick, pick}})
	commitChanges(t, st, "wics", model.Changes{StockMutations: []model.StockMutationUpdate{receipt, pick}})
	commitChanges(t, st, "other", model.Changes{StockMutations: []model.StockMutationUpdate{pick}})
	drain(t, st, "wics", "other")

	list, err := st.ListStockMutations(context.Background(), store.StockMutationFilter{Workspace: "acme", Connection: "wics"})
	require.NoError(t, err)
	require.Len(t, list, 2, "the same mutation twice is stored once")
	got := list[0]
	require.Equal(t, first, got.InboxID, "the mutation keeps the message it came in")
	require.Equal(t, -2.0, got.Quantity)
	require.Equal(t, hour(9), got.OccurredAt)
	require.Equal(t, &bb, got.BestBefore)
	require.Equal(t, 10.0, list[1].Quantity, "newest first: the receipt occurred before the pick")
	all, err := st.ListStockMutations(context.Background(), store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, all, 3, "another connection's key is its own")
	told := feedOfType(t, st, model.EventStockMutationAdded)
	require.Len(t, told, 3, "each new mutation is told once")
	var data model.StockMutation
	require.NoError(t, json.Unmarshal(told[0].Data, &data))
	require.Equal(t, got.ID, data.ID)
	require.Equal(t, "PICK", data.ReasonCode)
}

func testInventoryRefused(t *testing.T, st store.Store) {
	bad := []struct {
		name, inject string
		changes      model.Changes
	}{
		{"a stock figure that is not a number", "nan", model.Changes{Stock: []model.StockUpdate{{SKU: "X", Physical: num(1)}}}},
		{"a sku with a NUL byte", "", model.Changes{Products: []model.ProductUpdate{{SKU: "X\x00"}}}},
		{"a warehouse longer than the hub indexes", "", model.Changes{Stock: []model.StockUpdate{{SKU: "X", Warehouse: strings.Repeat("w", pipeline.MaxKeyBytes+1), Physical: num(1)}}}},
		{"a stock update without a sku", "", model.Changes{Stock: []model.StockUpdate{{Physical: num(1)}}}},
		{"a product update without a sku", "", model.Changes{Products: []model.ProductUpdate{{Name: "X"}}}},
		{"a mutation without a dedup key", "", model.Changes{StockMutations: []model.StockMutationUpdate{{SKU: "X"}}}},
		{"a mutation in a year JSON cannot hold", "year10000", model.Changes{StockMutations: []model.StockMutationUpdate{{DedupKey: "k", SKU: "X"}}}},
	}
	for _, c := range bad {
		// Every bad message also states a good figure: nothing of it may
		// be applied.
		c.changes.Stock = append(c.changes.Stock, model.StockUpdate{SKU: "GOOD", Physical: num(1)})
		commitInjected(t, st, "wics", c.inject, c.changes)
	}
	commitChanges(t, st, "wics", model.Changes{Stock: []model.StockUpdate{{SKU: "FINE", Physical: num(2)}}})
	drain(t, st, "wics")
	failed, err := st.ListFailedInbox(context.Background(), store.FailedInboxFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, failed, len(bad), "each bad message is set aside as failed")
	for i, f := range failed {
		require.Contains(t, f.Failure, "normalizing: ", bad[len(bad)-1-i].name)
	}
	r := oneStock(t, st)
	require.Equal(t, "FINE", r.SKU, "only the good message is applied")
	products, err := st.ListProducts(context.Background(), store.ProductFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, products)
}

func testInventoryRebuild(t *testing.T, st store.Store) {
	commitChanges(t, st, "wics", model.Changes{
		Products:       []model.ProductUpdate{{AsOf: hour(1), SKU: "MUG-1", Name: "Mug", Barcodes: []string{"8710000000017"}}},
		Stock:          []model.StockUpdate{{AsOf: hour(1), SKU: "MUG-1", Physical: num(5)}},
		StockMutations: []model.StockMutationUpdate{{DedupKey: "M1", SKU: "MUG-1", Quantity: 5, OccurredAt: hour(1)}},
	})
	commitChanges(t, st, "wics", model.Changes{Stock: []model.StockUpdate{{AsOf: hour(2), SKU: "MUG-1", Physical: num(4)}}})
	p := inventoryPipeline(t, st, 4, "wics")
	_, err := p.Drain(context.Background())
	require.NoError(t, err)
	ctx := context.Background()
	before := oneStock(t, st)
	products, err := st.ListProducts(ctx, store.ProductFilter{Workspace: "acme"})
	require.NoError(t, err)
	feedBefore, err := st.ListFeed(ctx, "acme", 0, 100)
	require.NoError(t, err)

	rep, err := p.Rebuild(ctx, []string{"acme"}, nil)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Messages)
	after := oneStock(t, st)
	require.Equal(t, before.ID, after.ID, "a stock row keeps its id")
	require.Equal(t, canonicalStock(t, before), canonicalStock(t, after))
	rebuilt, err := st.GetProduct(ctx, "acme", products[0].ID)
	require.NoError(t, err, "a product keeps its id")
	require.Equal(t, canonicalProduct(t, products[0]), canonicalProduct(t, rebuilt))
	muts, err := st.ListStockMutations(ctx, store.StockMutationFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, muts, 1, "the mutation is appended again from the inbox")
	feedAfter, err := st.ListFeed(ctx, "acme", 0, 100)
	require.NoError(t, err)
	require.Len(t, feedAfter, len(feedBefore), "a rebuild tells merchants nothing the figures did not change")
}

// TestSimultaneousStatementsDoNotDependOnArrival merges two statements
// made at the same provider time in both orders: the greater value wins
// either way, for every figure and field.
func TestSimultaneousStatementsDoNotDependOnArrival(t *testing.T) {
	t.Parallel()
	t.Run("stock", func(t *testing.T) {
		t.Parallel()
		a := model.StockUpdate{AsOf: hour(5), SKU: "MUG-1", Physical: num(3), Available: num(9)}
		b := model.StockUpdate{AsOf: hour(5), SKU: "MUG-1", Physical: num(7), Available: num(1), Announced: num(2)}
		for _, order := range [][]model.StockUpdate{{a, b}, {b, a}} {
			var s model.Stock
			for i := range order {
				pipeline.MergeStock(&s, &order[i])
			}
			require.Equal(t, [3]float64{7, 9, 2}, [3]float64{s.Physical, s.Available, s.Announced})
			require.Equal(t, hour(5), s.AsOf)
		}
	})
	t.Run("product", func(t *testing.T) {
		t.Parallel()
		a := model.ProductUpdate{AsOf: hour(5), SKU: "MUG-1", Name: "Mug", Barcodes: []string{"2"}, Attributes: map[string]string{"colour": "red"}}
		b := model.ProductUpdate{AsOf: hour(5), SKU: "MUG-1", Name: "Beaker", Barcodes: []string{"1", "3"}, Attributes: map[string]string{"colour": "blue"}}
		for _, order := range [][]model.ProductUpdate{{a, b}, {b, a}} {
			var p model.Product
			for i := range order {
				pipeline.MergeProduct(&p, &order[i])
			}
			require.Equal(t, "Mug", p.Name)
			require.Equal(t, []string{"2"}, p.Barcodes)
			require.Equal(t, map[string]string{"colour": "red"}, p.Attributes)
		}
	})
}

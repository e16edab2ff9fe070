package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// stockLife is one stock row's figures as five messages state them: with
// different provider times, some stating only some figures, and the
// oldest (every figure 100) arriving wherever the order puts it.
var stockLife = []model.Changes{
	{Stock: []model.StockUpdate{{AsOf: hour(1), SKU: "MUG-1", Warehouse: "west", Physical: num(10), Available: num(8), Announced: num(0)}}},
	{Stock: []model.StockUpdate{{AsOf: hour(2), SKU: "MUG-1", Warehouse: "west", Available: num(6)}}},
	{Stock: []model.StockUpdate{{AsOf: hour(3), SKU: "MUG-1", Warehouse: "west", Physical: num(7)}}},
	{Stock: []model.StockUpdate{{AsOf: hour(4), SKU: "MUG-1", Warehouse: "west", Announced: num(20), Available: num(5)}}},
	{Stock: []model.StockUpdate{{AsOf: hour(0), SKU: "MUG-1", Warehouse: "west", Physical: num(100), Available: num(100), Announced: num(100)}}},
}

// canonicalStock is a stock row without what legitimately depends on
// arrival (its id, its connection, the hub's timestamps), with the times
// of its figures.
func canonicalStock(t *testing.T, s *model.Stock) string {
	t.Helper()
	c := *s
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt = 0, "", time.Time{}, time.Time{}
	b, err := json.Marshal(struct {
		*model.Stock
		Times map[string]time.Time
	}{&c, s.FactTimes})
	require.NoError(t, err)
	return string(b)
}

// TestAStockRowsFinalFiguresDoNotDependOnTheOrderItsMessagesArriveIn
// applies stockLife in every order (a sample on PostgreSQL) and requires
// the same final row each time: every figure from its newest statement,
// as_of the newest of them.
func TestAStockRowsFinalFiguresDoNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			orders := sampleOrders(name, len(stockLife))
			conns := applyEveryOrder(t, st, stockLife, orders, 3)
			var want string
			for i, conn := range conns {
				rows, err := st.ListStock(context.Background(), store.StockFilter{Workspace: "acme", Connection: conn})
				require.NoError(t, err)
				require.Len(t, rows, 1, "order %v makes one stock row", orders[i])
				if i == 0 {
					r := rows[0]
					require.Equal(t, [3]float64{7, 5, 20}, [3]float64{r.Physical, r.Available, r.Announced})
					require.Equal(t, hour(4), r.AsOf)
					want = canonicalStock(t, r)
					continue
				}
				require.Equal(t, want, canonicalStock(t, rows[0]), "messages applied in the order %v", orders[i])
			}
		})
	}
}

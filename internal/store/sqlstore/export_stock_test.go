package sqlstore

import (
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// InventoryListQueries are the statements of the product, stock and stock
// mutation listings, for every filter the API passes, for the plan test.
func InventoryListQueries(d Dialect) map[string]struct {
	Query string
	Args  []any
} {
	type stmt = struct {
		Query string
		Args  []any
	}
	out := map[string]stmt{}
	add := func(name string, q string, args []any) { out[name] = stmt{q, args} }
	w := "west"
	for name, f := range map[string]store.ProductFilter{
		"products":                 {Workspace: "acme"},
		"products by sku":          {Workspace: "acme", SKU: "S", BeforeID: 9},
		"products by connection":   {Workspace: "acme", Connection: "c", BeforeID: 9},
		"products by sku and conn": {Workspace: "acme", SKU: "S", Connection: "c"},
	} {
		q, args := productListSQL(d, f)
		add(name, q, args)
	}
	for name, f := range map[string]store.StockFilter{
		"stock":                {Workspace: "acme", BeforeID: 9},
		"stock by sku":         {Workspace: "acme", SKU: "S"},
		"stock by connection":  {Workspace: "acme", Connection: "c", BeforeID: 9},
		"stock by warehouse":   {Workspace: "acme", Warehouse: &w},
		"stock by every field": {Workspace: "acme", SKU: "S", Connection: "c", Warehouse: &w},
	} {
		q, args := stockListSQL(d, f)
		add(name, q, args)
	}
	for name, f := range map[string]store.StockMutationFilter{
		"mutations":               {Workspace: "acme"},
		"mutations continued":     {Workspace: "acme", Before: time.Unix(1, 0), BeforeID: 9},
		"mutations by sku":        {Workspace: "acme", SKU: "S", Before: time.Unix(1, 0), BeforeID: 9},
		"mutations by connection": {Workspace: "acme", Connection: "c"},
	} {
		q, args := mutationListSQL(d, f)
		add(name, q, args)
	}
	return out
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

func fulResource(ws, conn string) model.Resource {
	return model.Resource{Workspace: ws, Connection: conn, Provider: "wics", CreatedAt: fulBase, UpdatedAt: fulBase}
}

func fulStock(ws, conn, sku, warehouse string, physical float64) *model.Stock {
	return &model.Stock{Resource: fulResource(ws, conn), SKU: sku, Warehouse: warehouse, Physical: physical, Available: physical - 1, Announced: 5, AsOf: fulBase}
}

func TestStockPages(t *testing.T) {
	t.Parallel()
	e := newFulEnv(t)
	wicsMug := fulStock("acme", "wics", "MUG/1", "AMS", 10)
	antsMug := fulStock("acme", "ants", "MUG/1", "AMS", 4)
	antsMugRTM := fulStock("acme", "ants", "MUG/1", "RTM", 2.5)
	tea := fulStock("acme", "wics", "TEA-1", "", 7)
	foreign := fulStock("globex", "wics", "SECRET-1", "AMS", 99)
	var mutations []*model.StockMutation
	for i := range 52 {
		mutations = append(mutations, &model.StockMutation{
			Resource: fulResource("acme", "wics"), SKU: "MUG/1", Warehouse: "AMS", Quantity: float64(i%3 - 1),
			ReasonCode: "PICK", Reason: fmt.Sprintf("picked %d", i), OccurredAt: fulBase.Add(time.Duration(i) * time.Minute),
			Lot: "L-7", BestBefore: fulPtr(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)),
		})
	}
	e.inTx(func(ctx context.Context, tx store.Tx) error {
		for _, p := range []*model.Product{
			{Resource: fulResource("acme", "wics"), SKU: "MUG/1", Name: "Blue mug", Barcodes: []string{"8710000000017"}},
			{Resource: fulResource("acme", "ants"), SKU: "TEA-1", Name: "Green tea"},
			{Resource: fulResource("globex", "wics"), SKU: "SECRET-1", Name: "Secret thing"},
		} {
			if err := tx.InsertProduct(ctx, p); err != nil {
				return err
			}
		}
		for _, s := range []*model.Stock{wicsMug, antsMug, antsMugRTM, tea, foreign} {
			if err := tx.InsertStock(ctx, s); err != nil {
				return err
			}
		}
		for i, m := range mutations {
			if _, err := tx.InsertStockMutation(ctx, m, fmt.Sprintf("m-%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	id := func(s *model.Stock) string { return strconv.FormatInt(s.ID, 10) }

	t.Run("TheListShowsOneRowPerSKUConnectionAndWarehouse", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/stock")
		require.Equal(t, []string{id(tea), id(antsMugRTM), id(antsMug), id(wicsMug)}, fulRowIDs(t, body, "stock", "data-stock-id"))
		// The product's name, where its connection states it.
		fulHas(t, body, `<td class="product-name">Blue mug</td>`)
		fulHas(t, body, `<td class="num">2.5</td>`)
		fulHas(t, body, `href="/ui/stock/MUG%2F1"`)
		fulHas(t, body, `hx-trigger="sse:stock"`)
		fulHasNot(t, body, "SECRET-1")
	})

	filters := []struct {
		name, query string
		want        []string
	}{
		{"BySKU", "sku=TEA-1", []string{id(tea)}},
		{"ByConnection", "connection=ants", []string{id(antsMugRTM), id(antsMug)}},
		{"ByWarehouse", "warehouse=AMS", []string{id(antsMug), id(wicsMug)}},
		{"ByAllThree", "sku=MUG%2F1&connection=wics&warehouse=AMS", []string{id(wicsMug)}},
		{"ByCursor", "before=" + id(antsMug), []string{id(wicsMug)}},
		{"ToNothing", "sku=SECRET-1", nil},
	}
	for _, f := range filters {
		t.Run("FiltersNarrow"+f.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, f.want, fulRowIDs(t, e.getOK("/ui/stock?"+f.query), "stock", "data-stock-id"))
		})
	}

	t.Run("TheSKUPageTotalsPerWarehouseAcrossConnections", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/stock/" + url.PathEscape("MUG/1"))
		fulHas(t, body, `<dd class="product-name">Blue mug</dd>`)
		require.Equal(t, []string{"AMS", "RTM"}, fulRowIDs(t, body, "stock-totals", "data-warehouse"))
		fulHas(t, body, `<th scope="row">AMS</th>
        <td class="num">14</td><td class="num">12</td><td class="num">10</td>
        <td class="num">2</td>`) // AMS: 10+4 physical, 9+3 available, 5+5 announced, over two connections
		require.Equal(t, []string{id(antsMug), id(wicsMug), id(antsMugRTM)}, fulRowIDs(t, body, "sku-stock", "data-stock-id"), "by warehouse, then connection")
	})

	t.Run("TheSKUPageListsItsMutationsNewestFirstInPages", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/stock/MUG%2F1")
		ids := fulRowIDs(t, body, "stock-mutations", "data-mutation-id")
		require.Len(t, ids, 50)
		require.Equal(t, strconv.FormatInt(mutations[51].ID, 10), ids[0])
		fulHas(t, body, `<td class="num quantity">&#43;1</td>`)
		fulHas(t, body, `<td class="num quantity">-1</td>`)
		fulHas(t, body, "<code>PICK</code> picked 51")
		fulHas(t, body, "2027-03-01")
		fulHas(t, body, "L-7")
		next := url.Values{"before": {strconv.FormatInt(mutations[2].ID, 10)}, "at": {mutations[2].OccurredAt.Format(time.RFC3339Nano)}}
		fulHas(t, body, `href="/ui/stock/MUG%2F1?`+strings.ReplaceAll(next.Encode(), "&", "&amp;")+`"`)
		rest := fulRowIDs(t, e.getOK("/ui/stock/MUG%2F1?"+next.Encode()), "stock-mutations", "data-mutation-id")
		require.Equal(t, []string{strconv.FormatInt(mutations[1].ID, 10), strconv.FormatInt(mutations[0].ID, 10)}, rest)
	})

	t.Run("ASKUOfAnotherWorkspaceIsLikeAnUnknownOne", func(t *testing.T) {
		t.Parallel()
		for _, sku := range []string{"SECRET-1", "NOPE"} {
			body := e.getOK("/ui/stock/" + sku)
			fulHas(t, body, `<p id="stock-sku-unknown" role="status">This workspace has no product, stock or mutation of SKU `+sku+`.</p>`)
			require.Empty(t, fulRowIDs(t, body, "stock-totals", "data-warehouse"))
			fulHasNot(t, body, "Secret thing", ">99<", "data-mutation-id")
		}
		fulHasNot(t, e.getOK("/ui/stock/TEA-1"), "stock-sku-unknown")
	})

	t.Run("TheProductsListShowsTheWorkspacesProducts", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/products")
		require.Len(t, fulRowIDs(t, body, "products", "data-product-id"), 2)
		fulHas(t, body, "Blue mug", "Green tea", "<code>8710000000017</code>", `href="/ui/stock/MUG%2F1"`)
		fulHasNot(t, body, "Secret thing")
		filtered := e.getOK("/ui/products?connection=ants")
		require.Len(t, fulRowIDs(t, filtered, "products", "data-product-id"), 1)
		fulHas(t, filtered, "Green tea")
		require.Empty(t, fulRowIDs(t, e.getOK("/ui/products?sku=SECRET-1"), "products", "data-product-id"))
		fulHas(t, e.getOK("/ui/stock/MUG%2F1"), `<dd class="product-barcodes"><code>8710000000017</code></dd>`)
	})

	t.Run("TheSKUPageRefreshesItsBodyOnStockEvents", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/stock/MUG%2F1?partial=rows")
		fulHasNot(t, body, "<html", "<h1>")
		fulHas(t, body, `<div id="stock-sku-body" hx-get="/ui/stock/MUG%2F1?partial=rows" hx-trigger="sse:stock"`, "Blue mug")
	})

	t.Run("ABadMutationsCursorIs400", func(t *testing.T) {
		t.Parallel()
		code, _ := e.get("/ui/stock/MUG%2F1?before=3&at=yesterday")
		require.Equal(t, http.StatusBadRequest, code)
	})
}

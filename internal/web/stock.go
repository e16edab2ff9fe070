package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// stockFuncs are the template functions of the stock pages.
var stockFuncs = template.FuncMap{
	// stockSigned shows a mutation's quantity with its sign (+3, -2).
	"stockSigned": func(f float64) string {
		if f > 0 {
			return "+" + fulQty(f)
		}
		return fulQty(f)
	},
	// stockDate is a best-before date, or a dash.
	"stockDate": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
}

// stockSKUMaxRows is how many stock rows of one SKU its page reads: one
// per connection and warehouse, so a handful in practice.
const stockSKUMaxRows = 200

// stockRow is a stock row with its product's name, when known.
type stockRow struct {
	*model.Stock
	Name string
}

// stockPage is the data of /ui/stock.
type stockPage struct {
	Page
	SKU, Connection, Warehouse string
	Rows                       []stockRow
	fulList
}

// stockTotal is one warehouse's stock of a SKU, summed over connections.
type stockTotal struct {
	Warehouse                      string
	Physical, Available, Announced float64
	Connections                    int
}

// stockSKUPage is the data of /ui/stock/{sku}.
type stockSKUPage struct {
	Page
	SKU string
	// Names are the product's names, one per connection that states one;
	// Barcodes are all of its connections' barcodes.
	Names     []string
	Barcodes  []string
	Rows      []stockRow
	Totals    []stockTotal
	Mutations []*model.StockMutation
	// MutationsNext continues the mutations' listing; empty on the last page.
	MutationsNext  string
	MutationsFirst string
	MutationsLater bool
	BodyURL        string
	// Unknown is a SKU of which the workspace has no product, stock or mutation.
	Unknown bool
}

// routesStock registers the stock pages.
func (u *UI) routesStock(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/stock", u.authed(u.stockList))
	mux.HandleFunc("GET /ui/stock/{sku}", u.authed(u.stockSKU))
	mux.HandleFunc("GET /ui/products", u.authed(u.productsList))
}

// productsPage is the data of /ui/products.
type productsPage struct {
	Page
	SKU, Connection string
	Products        []*model.Product
	fulList
}

func (u *UI) productsList(w http.ResponseWriter, r *http.Request) {
	before, err := fulBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	q := r.URL.Query()
	d := productsPage{Page: u.page(r, "Products", "stock"), SKU: strings.TrimSpace(q.Get("sku")), Connection: strings.TrimSpace(q.Get("connection"))}
	list, err := u.cfg.Store.ListProducts(r.Context(), store.ProductFilter{
		Workspace: workspace(r), SKU: d.SKU, Connection: d.Connection, BeforeID: before, Limit: fulPageSize + 1,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing products: %w", err))
		return
	}
	d.Products, d.fulList = fulPage(r, list, func(p *model.Product) int64 { return p.ID })
	u.fulRender(w, r, "products", "products-rows", d)
}

func (u *UI) stockList(w http.ResponseWriter, r *http.Request) {
	before, err := fulBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	q := r.URL.Query()
	d := stockPage{
		Page: u.page(r, "Stock", "stock"),
		SKU:  strings.TrimSpace(q.Get("sku")), Connection: strings.TrimSpace(q.Get("connection")), Warehouse: strings.TrimSpace(q.Get("warehouse")),
	}
	f := store.StockFilter{Workspace: workspace(r), SKU: d.SKU, Connection: d.Connection, BeforeID: before, Limit: fulPageSize + 1}
	if d.Warehouse != "" {
		f.Warehouse = &d.Warehouse
	}
	rows, err := u.cfg.Store.ListStock(r.Context(), f)
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing stock: %w", err))
		return
	}
	rows, d.fulList = fulPage(r, rows, func(s *model.Stock) int64 { return s.ID })
	if d.Rows, err = u.stockNames(r.Context(), workspace(r), rows); err != nil {
		u.fail(w, r, err)
		return
	}
	u.fulRender(w, r, "stock", "stock-rows", d)
}

// stockNames pairs stock rows with their products' names: one indexed
// lookup per distinct SKU of the page (products_by_sku), at most a page's
// worth.
func (u *UI) stockNames(ctx context.Context, ws string, rows []*model.Stock) ([]stockRow, error) {
	type key struct{ conn, sku string }
	names := map[key]string{}
	seen := map[string]bool{}
	for _, s := range rows {
		if seen[s.SKU] {
			continue
		}
		seen[s.SKU] = true
		products, err := u.cfg.Store.ListProducts(ctx, store.ProductFilter{Workspace: ws, SKU: s.SKU, Limit: stockSKUMaxRows})
		if err != nil {
			return nil, fmt.Errorf("finding the products of sku %q: %w", s.SKU, err)
		}
		for _, p := range products {
			names[key{p.Connection, p.SKU}] = p.Name
		}
	}
	out := make([]stockRow, len(rows))
	for i, s := range rows {
		out[i] = stockRow{Stock: s, Name: names[key{s.Connection, s.SKU}]}
	}
	return out, nil
}

func (u *UI) stockSKU(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	ws := workspace(r)
	ctx := r.Context()
	q := r.URL.Query()
	mf := store.StockMutationFilter{Workspace: ws, SKU: sku, Limit: fulPageSize + 1}
	if v := q.Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		at, terr := time.Parse(time.RFC3339Nano, q.Get("at"))
		if err != nil || id <= 0 || terr != nil {
			u.badRequest(w, r, "the page cursor of the mutations is not valid")
			return
		}
		mf.BeforeID, mf.Before = id, at
	}
	rows, err := u.cfg.Store.ListStock(ctx, store.StockFilter{Workspace: ws, SKU: sku, Limit: stockSKUMaxRows})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing the stock of sku %q: %w", sku, err))
		return
	}
	muts, err := u.cfg.Store.ListStockMutations(ctx, mf)
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing the mutations of sku %q: %w", sku, err))
		return
	}
	products, err := u.cfg.Store.ListProducts(ctx, store.ProductFilter{Workspace: ws, SKU: sku, Limit: stockSKUMaxRows})
	if err != nil {
		u.fail(w, r, fmt.Errorf("finding the products of sku %q: %w", sku, err))
		return
	}
	// A SKU the workspace knows nothing of (an order line's, say, or
	// another workspace's) is a page that says so, the same for both: the
	// order pages link every line's SKU here.
	d := stockSKUPage{Page: u.page(r, "Stock of "+sku, "stock"), SKU: sku, MutationsLater: mf.BeforeID > 0,
		Unknown: len(rows) == 0 && len(muts) == 0 && len(products) == 0}
	byConn := map[string]string{}
	for _, p := range products {
		byConn[p.Connection] = p.Name
		if p.Name != "" && !slices.Contains(d.Names, p.Name) {
			d.Names = append(d.Names, p.Name)
		}
		for _, b := range p.Barcodes {
			if !slices.Contains(d.Barcodes, b) {
				d.Barcodes = append(d.Barcodes, b)
			}
		}
	}
	// Rows by warehouse, then connection; totals per warehouse across connections.
	slices.SortFunc(rows, func(a, b *model.Stock) int {
		if c := strings.Compare(a.Warehouse, b.Warehouse); c != 0 {
			return c
		}
		return strings.Compare(a.Connection, b.Connection)
	})
	for _, s := range rows {
		d.Rows = append(d.Rows, stockRow{Stock: s, Name: byConn[s.Connection]})
		if n := len(d.Totals); n == 0 || d.Totals[n-1].Warehouse != s.Warehouse {
			d.Totals = append(d.Totals, stockTotal{Warehouse: s.Warehouse})
		}
		t := &d.Totals[len(d.Totals)-1]
		t.Physical += s.Physical
		t.Available += s.Available
		t.Announced += s.Announced
		t.Connections++
	}
	base := "/ui/stock/" + url.PathEscape(sku)
	if len(muts) > fulPageSize {
		muts = muts[:fulPageSize]
		last := muts[len(muts)-1]
		d.MutationsNext = base + "?" + url.Values{
			"before": {strconv.FormatInt(last.ID, 10)}, "at": {last.OccurredAt.UTC().Format(time.RFC3339Nano)},
		}.Encode()
	}
	d.Mutations, d.MutationsFirst = muts, base
	d.BodyURL = base + "?partial=rows"
	if mf.BeforeID > 0 {
		d.BodyURL += "&" + url.Values{"before": {q.Get("before")}, "at": {q.Get("at")}}.Encode()
	}
	u.fulRender(w, r, "stocksku", "stock-sku-body", d)
}

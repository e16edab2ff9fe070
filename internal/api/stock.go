package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// StockPage is one page of a stock listing.
type StockPage struct {
	Data       []*model.Stock `json:"data" doc:"Stock rows (one per SKU, connection and warehouse), newest first."`
	NextCursor string         `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

// StockMutationPage is one page of a stock mutation listing.
type StockMutationPage struct {
	Data       []*model.StockMutation `json:"data" doc:"Stock mutations, newest first by occurred_at."`
	NextCursor string                 `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listStockInput struct {
	SKU        string `query:"sku" doc:"Only stock of this SKU, exactly."`
	Connection string `query:"connection" doc:"Only stock of this connection (its id in the configuration)."`
	Warehouse  string `query:"warehouse" doc:"Only stock in this warehouse, exactly; warehouse= (empty) selects the stock of connections whose provider has one warehouse."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.StockFilter
}

// Resolve checks the parameters and builds the store filter. A warehouse
// parameter that is present but empty selects the empty warehouse.
func (in *listStockInput) Resolve(ctx huma.Context) []error {
	in.filter = store.StockFilter{SKU: in.SKU, Connection: in.Connection}
	if u := ctx.URL(); u.Query().Has("warehouse") {
		w := in.Warehouse
		in.filter.Warehouse = &w
	}
	var errs []error
	in.filter.BeforeID, in.filter.Limit, errs = pageParams(ctx, in.Cursor, defaultInventoryPage, maxInventoryPage)
	return errs
}

type listStockMutationsInput struct {
	SKU        string `query:"sku" doc:"Only mutations of this SKU, exactly."`
	Connection string `query:"connection" doc:"Only mutations of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.StockMutationFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listStockMutationsInput) Resolve(ctx huma.Context) []error {
	in.filter = store.StockMutationFilter{SKU: in.SKU, Connection: in.Connection}
	var errs []error
	if in.Cursor != "" {
		at, id, ok := decodeMutationCursor(in.Cursor)
		if !ok {
			errs = append(errs, badParam("query.cursor", in.Cursor, "is not a cursor this API returned"))
		}
		in.filter.Before, in.filter.BeforeID = at, id
	}
	l, err := intParam("query.limit", ctx.Query("limit"), defaultInventoryPage, 1, maxInventoryPage)
	if err != nil {
		errs = append(errs, err)
	}
	in.filter.Limit = int(l)
	return errs
}

// encodeMutationCursor makes the opaque continuation of a mutation listing
// that ended at the mutation that occurred at with id: mutations are
// listed by time, so the id alone cannot say where to go on.
func encodeMutationCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

// decodeMutationCursor reverses encodeMutationCursor, accepting only what
// it produces.
func decodeMutationCursor(c string) (time.Time, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, false
	}
	us, ids, ok := strings.Cut(string(b), ".")
	if !ok {
		return time.Time{}, 0, false
	}
	micros, err1 := strconv.ParseInt(us, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return time.Time{}, 0, false
	}
	at := time.UnixMicro(micros).UTC()
	if encodeMutationCursor(at, id) != c {
		return time.Time{}, 0, false
	}
	return at, id, true
}

func (a *API) registerStock() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-stock",
		Method:      http.MethodGet,
		Path:        "/stock",
		Summary:     "List stock levels",
		Description: "Lists the workspace's stock levels, newest first: one row per SKU, connection and warehouse. " +
			"Each figure (physical, available, announced) is the provider's newest: an older figure arriving late " +
			"never replaces it; as_of is the provider's time of the newest figure.",
		Tags:               []string{"Stock"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listStock)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-stock-mutations",
		Method:      http.MethodGet,
		Path:        "/stock/mutations",
		Summary:     "List stock mutations",
		Description: "Lists the stock mutations the workspace's warehouses registered, newest first by occurred_at. " +
			"A mutation the provider reports twice is listed once.",
		Tags:               []string{"Stock"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listStockMutations)
}

func (a *API) listStock(ctx context.Context, in *listStockInput) (*body[StockPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListStock(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing stock", err)
	}
	list, next := trimPage(list, limit, func(s *model.Stock) int64 { return s.ID })
	page := StockPage{Data: make([]*model.Stock, 0, len(list)), NextCursor: next}
	for _, s := range list {
		if s.Workspace == ws { // Defence in depth: never show another workspace's data.
			page.Data = append(page.Data, s)
		}
	}
	return &body[StockPage]{Body: page}, nil
}

func (a *API) listStockMutations(ctx context.Context, in *listStockMutationsInput) (*body[StockMutationPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListStockMutations(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing stock mutations", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = encodeMutationCursor(last.OccurredAt, last.ID)
	}
	page := StockMutationPage{Data: make([]*model.StockMutation, 0, len(list)), NextCursor: next}
	for _, m := range list {
		if m.Workspace == ws { // Defence in depth: never show another workspace's data.
			page.Data = append(page.Data, m)
		}
	}
	return &body[StockMutationPage]{Body: page}, nil
}

package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// Page sizes of the product, stock and stock mutation listings.
const (
	defaultInventoryPage = 50
	maxInventoryPage     = 200
)

// ProductPage is one page of a product listing.
type ProductPage struct {
	Data       []*model.Product `json:"data" doc:"Products, newest first."`
	NextCursor string           `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listProductsInput struct {
	SKU        string `query:"sku" doc:"Only products of this SKU, exactly."`
	Connection string `query:"connection" doc:"Only products of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.ProductFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listProductsInput) Resolve(ctx huma.Context) []error {
	in.filter = store.ProductFilter{SKU: in.SKU, Connection: in.Connection}
	var errs []error
	in.filter.BeforeID, in.filter.Limit, errs = pageParams(ctx, in.Cursor, defaultInventoryPage, maxInventoryPage)
	return errs
}

type productIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The product's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *productIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerProducts() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-products",
		Method:      http.MethodGet,
		Path:        "/products",
		Summary:     "List products",
		Description: "Lists the products the workspace's warehouse connections state, newest first: one per SKU " +
			"and connection. Every field holds the provider's newest statement, whatever order they arrived in.",
		Tags:               []string{"Products"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listProducts)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "get-product",
		Method:             http.MethodGet,
		Path:               "/products/{id}",
		Summary:            "Get a product",
		Tags:               []string{"Products"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getProduct)
}

func (a *API) listProducts(ctx context.Context, in *listProductsInput) (*body[ProductPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListProducts(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing products", err)
	}
	list, next := trimPage(list, limit, func(p *model.Product) int64 { return p.ID })
	page := ProductPage{Data: make([]*model.Product, 0, len(list)), NextCursor: next}
	for _, p := range list {
		if p.Workspace == ws { // Defence in depth: never show another workspace's data.
			page.Data = append(page.Data, p)
		}
	}
	return &body[ProductPage]{Body: page}, nil
}

func (a *API) getProduct(ctx context.Context, in *productIDInput) (*body[*model.Product], error) {
	ws := workspaceFrom(ctx)
	p, err := a.store.GetProduct(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Workspace != ws) {
		return nil, huma.Error404NotFound("no product with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a product", err)
	}
	return &body[*model.Product]{Body: p}, nil
}

package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// Page sizes of the order listing.
const (
	defaultOrderPage = 50
	maxOrderPage     = 200
)

// OrderPage is one page of an order listing.
type OrderPage struct {
	Data       []*model.Order `json:"data" doc:"Orders, newest first, with their lines and linked shipments."`
	NextCursor string         `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listOrdersInput struct {
	Reference  string `query:"reference" doc:"Only orders with this reference (the merchant's order number) or this provider reference (the provider's own number), exactly."`
	Status     string `query:"status" enum:"pending,accepted,on_hold,processing,partially_shipped,shipped,cancelled,rejected,unknown" doc:"Only orders whose current status is this canonical order status."`
	Connection string `query:"connection" doc:"Only orders of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.OrderFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listOrdersInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.OrderFilter{Reference: in.Reference, Connection: in.Connection}
	if in.Status != "" {
		st := model.OrderStatus(in.Status)
		if !isOrderStatus(st) {
			errs = append(errs, badParam("query.status", in.Status, "must be one of %s", orderStatusList()))
		}
		in.filter.Status = st
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultOrderPage, maxOrderPage)
	return append(errs, pageErrs...)
}

type orderIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The order's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *orderIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerOrders() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-orders",
		Method:      http.MethodGet,
		Path:        "/orders",
		Summary:     "List orders",
		Description: "Lists the workspace's orders as the fulfilment providers state them, newest first. " +
			"Follow next_cursor until it is empty to walk all of them.",
		Tags:               []string{"Orders"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listOrders)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "get-order",
		Method:      http.MethodGet,
		Path:        "/orders/{id}",
		Summary:     "Get an order",
		Description: "Returns one order of the workspace with its lines, its provider's status and the " +
			"shipments linked to it by their order reference.",
		Tags:               []string{"Orders"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getOrder)
}

func (a *API) listOrders(ctx context.Context, in *listOrdersInput) (*body[OrderPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListOrders(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing orders", err)
	}
	list, next := trimPage(list, limit, func(o *model.Order) int64 { return o.ID })
	page := OrderPage{Data: make([]*model.Order, 0, len(list)), NextCursor: next}
	for _, o := range list {
		if o.Workspace != ws {
			continue // Defence in depth: never show another workspace's data.
		}
		page.Data = append(page.Data, orderBody(o))
	}
	return &body[OrderPage]{Body: page}, nil
}

func (a *API) getOrder(ctx context.Context, in *orderIDInput) (*body[*model.Order], error) {
	ws := workspaceFrom(ctx)
	o, err := a.store.GetOrder(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.Workspace != ws) {
		return nil, huma.Error404NotFound("no order with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting an order", err)
	}
	return &body[*model.Order]{Body: orderBody(o)}, nil
}

// orderBody makes the lists of an order lists, never null, which is what
// clients iterate over.
func orderBody(o *model.Order) *model.Order {
	c := *o
	if c.Lines == nil {
		c.Lines = []model.OrderLine{}
	}
	if c.ShipmentIDs == nil {
		c.ShipmentIDs = []int64{}
	}
	return &c
}

func isOrderStatus(s model.OrderStatus) bool {
	for _, known := range model.OrderStatuses {
		if s == known {
			return true
		}
	}
	return false
}

func orderStatusList() string {
	names := make([]string, len(model.OrderStatuses))
	for i, s := range model.OrderStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

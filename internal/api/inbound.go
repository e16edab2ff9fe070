package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// InboundPage is one page of an inbound listing.
type InboundPage struct {
	Data       []*model.Inbound `json:"data" doc:"Inbound goods, newest first, with their lines and receipts."`
	NextCursor string           `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listInboundInput struct {
	Reference  string `query:"reference" doc:"Only inbound goods with this reference or provider reference, exactly."`
	Status     string `query:"status" enum:"announced,receiving,received,cancelled,unknown" doc:"Only inbound goods in this status."`
	Connection string `query:"connection" doc:"Only inbound goods of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.InboundFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listInboundInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.InboundFilter{Reference: in.Reference, Connection: in.Connection}
	if st := model.InboundStatus(in.Status); in.Status != "" {
		if !slices.Contains(model.InboundStatuses, st) {
			errs = append(errs, badParam("query.status", in.Status, "must be one of %s", inboundStatusList()))
		}
		in.filter.Status = st
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultShipmentLimit, maxShipmentLimit)
	return append(errs, pageErrs...)
}

func inboundStatusList() string {
	names := make([]string, len(model.InboundStatuses))
	for i, s := range model.InboundStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

type inboundIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The inbound goods' id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *inboundIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerInbound() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-inbound",
		Method:      http.MethodGet,
		Path:        "/inbound",
		Summary:     "List inbound goods",
		Description: "Lists the workspace's inbound goods (announcements to the warehouse), newest first, with " +
			"their lines and the receipts against them. Follow next_cursor until it is empty to walk all of them.",
		Tags:               []string{"Inbound"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listInbound)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "get-inbound",
		Method:      http.MethodGet,
		Path:        "/inbound/{id}",
		Summary:     "Get inbound goods",
		Description: "Returns one announcement of the workspace with its lines, what was received of each, " +
			"and its receipts.",
		Tags:               []string{"Inbound"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getInbound)
}

func (a *API) listInbound(ctx context.Context, in *listInboundInput) (*body[InboundPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListInbound(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing inbound goods", err)
	}
	list, next := trimPage(list, limit, func(i *model.Inbound) int64 { return i.ID })
	page := InboundPage{Data: make([]*model.Inbound, 0, len(list)), NextCursor: next}
	for _, i := range list {
		if i.Workspace == ws {
			page.Data = append(page.Data, i)
		}
	}
	a.graded(ws, page.Data...)
	return &body[InboundPage]{Body: page}, nil
}

func (a *API) getInbound(ctx context.Context, in *inboundIDInput) (*body[*model.Inbound], error) {
	ws := workspaceFrom(ctx)
	i, err := a.store.GetInbound(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && i.Workspace != ws) {
		return nil, huma.Error404NotFound("no inbound goods with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting inbound goods", err)
	}
	a.graded(ws, i)
	return &body[*model.Inbound]{Body: i}, nil
}

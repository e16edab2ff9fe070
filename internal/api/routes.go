package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// ShipmentPage is one page of a shipment listing.
type ShipmentPage struct {
	Data       []*model.Shipment `json:"data" doc:"Shipments, newest first, without their events."`
	NextCursor string            `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

// ShipmentDetail is a shipment with all of its events. Events shadows the
// model's optional field so that a shipment without events still has
// "events": [], which is what clients iterate over.
type ShipmentDetail struct {
	model.Shipment
	Events []model.Event `json:"events" doc:"The shipment's tracking events, oldest first."`
}

// Tracking is every shipment one reference identifies.
type Tracking struct {
	Reference string           `json:"reference" doc:"The reference that was looked up."`
	Shipments []ShipmentDetail `json:"shipments" doc:"The shipments with this reference, newest first, with their events."`
	Orders    []*model.Order   `json:"orders" doc:"The orders whose reference or provider reference is this one, newest first, with their lines and linked shipments."`
	Inbound   []*model.Inbound `json:"inbound" doc:"The inbound goods whose reference or provider reference is this one, newest first, with their lines and receipts."`
	Returns   []*model.Return  `json:"returns" doc:"The returns whose reference (the order's) or RMA number is this one, newest first."`
}

// FeedPage is one page of the workspace's event feed.
type FeedPage struct {
	Data      []*model.FeedEvent `json:"data" doc:"Feed events with an id greater than after, oldest first."`
	NextAfter int64              `json:"next_after" doc:"Pass as after to continue: the last event's id, or the given after when there is nothing new."`
}

type listShipmentsInput struct {
	Reference  string `query:"reference" doc:"Only shipments with this reference, exactly: an order number, barcode, container, tracking number, merchant reference or external order number."`
	Status     string `query:"status" doc:"Only shipments whose current status is this canonical status."`
	Connection string `query:"connection" doc:"Only shipments of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.ShipmentFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listShipmentsInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.ShipmentFilter{Reference: in.Reference, Connection: in.Connection}
	if in.Status != "" {
		s, err := model.ParseStatus(in.Status)
		if err != nil {
			errs = append(errs, badParam("query.status", in.Status, "must be one of %s", statusList()))
		}
		in.filter.Status = s
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultShipmentLimit, maxShipmentLimit)
	return append(errs, pageErrs...)
}

type getShipmentInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The shipment's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *getShipmentInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

type trackInput struct {
	Reference string `path:"reference" doc:"Any reference of a shipment (order number, barcode, container, tracking number, merchant reference, external order number), or the reference or provider reference of an order, inbound goods or a return."`
}

type listFeedInput struct {
	After int64 `query:"after" minimum:"0" default:"0" doc:"Only events with a greater id: the next_after of the previous page, or 0 to start."`
	Limit int64 `query:"limit" minimum:"1" maximum:"500" default:"100" doc:"The page size."`
}

// Resolve checks the bounds of after and limit.
func (in *listFeedInput) Resolve(ctx huma.Context) []error {
	var errs []error
	after, err := intParam("query.after", ctx.Query("after"), 0, 0, maxInt64)
	if err != nil {
		errs = append(errs, err)
	}
	limit, err := intParam("query.limit", ctx.Query("limit"), defaultFeedLimit, 1, maxFeedLimit)
	if err != nil {
		errs = append(errs, err)
	}
	in.After, in.Limit = after, limit
	return errs
}

type body[T any] struct {
	Body T
}

var secured = []map[string][]string{{securityScheme: {}}}

func (a *API) register() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-shipments",
		Method:      http.MethodGet,
		Path:        "/shipments",
		Summary:     "List shipments",
		Description: "Lists the workspace's shipments, newest first, without their events. " +
			"Follow next_cursor until it is empty to walk all of them.",
		Tags:               []string{"Shipments"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listShipments)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "get-shipment",
		Method:             http.MethodGet,
		Path:               "/shipments/{id}",
		Summary:            "Get a shipment",
		Description:        "Returns one shipment of the workspace with all of its tracking events, oldest first.",
		Tags:               []string{"Shipments"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getShipment)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "track",
		Method:      http.MethodGet,
		Path:        "/tracking/{reference}",
		Summary:     "Track by reference",
		Description: "Returns every shipment of the workspace that has this reference, of any kind, " +
			"newest first, with their events; and the workspace's orders, inbound goods and returns whose reference " +
			"or provider reference it is. Each list holds at most 50, newest first; 404 when all four are empty.",
		Tags:               []string{"Shipments"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.track)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-events",
		Method:      http.MethodGet,
		Path:        "/events",
		Summary:     "Read the event feed",
		Description: "Returns the workspace's feed events (the same events merchant webhooks deliver) " +
			"after a given id, oldest first. Poll with the returned next_after to follow the feed.",
		Tags:               []string{"Events"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listFeed)

	a.registerIntakeErrors()
	a.registerInbox()
	a.registerTrackers()
	a.registerOrders()
	a.registerProducts()
	a.registerStock()
	a.registerInbound()
	a.registerReturns()
	a.registerCommands()
	a.registerOrderCommands()
	a.registerProductCommands()
	a.registerProductRefresh()
	a.registerInboundCommands()
	a.registerOrderRelease()
	a.registerInboundUpdate()
	a.registerReturnCommands()
	a.registerConnections()
}

func (a *API) listShipments(ctx context.Context, in *listShipmentsInput) (*body[ShipmentPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListShipments(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing shipments", err)
	}
	list, next := trimPage(list, limit, func(s *model.Shipment) int64 { return s.ID })
	page := ShipmentPage{Data: make([]*model.Shipment, 0, len(list)), NextCursor: next}
	for _, s := range list {
		if s.Workspace != ws {
			continue // Defence in depth: never show another workspace's data.
		}
		c := *s
		c.Events = nil
		page.Data = append(page.Data, &c)
	}
	return &body[ShipmentPage]{Body: page}, nil
}

func (a *API) getShipment(ctx context.Context, in *getShipmentInput) (*body[ShipmentDetail], error) {
	ws := workspaceFrom(ctx)
	s, err := a.store.GetShipment(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Workspace != ws) {
		return nil, huma.Error404NotFound("no shipment with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a shipment", err)
	}
	return &body[ShipmentDetail]{Body: detail(s)}, nil
}

func (a *API) track(ctx context.Context, in *trackInput) (*body[Tracking], error) {
	ws := workspaceFrom(ctx)
	list, err := a.store.ListShipments(ctx, store.ShipmentFilter{Workspace: ws, Reference: in.Reference, Limit: maxTracked})
	if err != nil {
		return nil, a.storeError(ctx, ws, "looking up a reference", err)
	}
	t := Tracking{Reference: in.Reference, Shipments: make([]ShipmentDetail, 0, len(list))}
	for _, found := range list {
		s, err := a.store.GetShipment(ctx, ws, found.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // Deleted since the listing (a reprocess); it is gone.
		}
		if err != nil {
			return nil, a.storeError(ctx, ws, "getting a tracked shipment", err)
		}
		if s.Workspace != ws {
			continue
		}
		t.Shipments = append(t.Shipments, detail(s))
	}
	if err := a.trackFulfilment(ctx, ws, &t); err != nil {
		return nil, err
	}
	if len(t.Shipments)+len(t.Orders)+len(t.Inbound)+len(t.Returns) == 0 {
		return nil, huma.Error404NotFound("no shipment, order, inbound goods or return with this reference in the workspace")
	}
	return &body[Tracking]{Body: t}, nil
}

// trackFulfilment fills the orders, inbound goods and returns of a tracking
// answer: those of the workspace whose reference or provider reference is
// the one looked up (the stores' Reference filters match both).
func (a *API) trackFulfilment(ctx context.Context, ws string, t *Tracking) error {
	orders, err := a.store.ListOrders(ctx, store.OrderFilter{Workspace: ws, Reference: t.Reference, Limit: maxTracked})
	if err != nil {
		return a.storeError(ctx, ws, "looking up a reference's orders", err)
	}
	inbound, err := a.store.ListInbound(ctx, store.InboundFilter{Workspace: ws, Reference: t.Reference, Limit: maxTracked})
	if err != nil {
		return a.storeError(ctx, ws, "looking up a reference's inbound goods", err)
	}
	returns, err := a.store.ListReturns(ctx, store.ReturnFilter{Workspace: ws, Reference: t.Reference, Limit: maxTracked})
	if err != nil {
		return a.storeError(ctx, ws, "looking up a reference's returns", err)
	}
	t.Orders = make([]*model.Order, 0, len(orders))
	for _, o := range orders {
		if o.Workspace == ws {
			t.Orders = append(t.Orders, orderBody(o))
		}
	}
	t.Inbound = make([]*model.Inbound, 0, len(inbound))
	for _, i := range inbound {
		if i.Workspace == ws {
			t.Inbound = append(t.Inbound, i)
		}
	}
	t.Returns = make([]*model.Return, 0, len(returns))
	for _, r := range returns {
		if r.Workspace == ws {
			t.Returns = append(t.Returns, r)
		}
	}
	return nil
}

func (a *API) listFeed(ctx context.Context, in *listFeedInput) (*body[FeedPage], error) {
	ws := workspaceFrom(ctx)
	events, err := a.store.ListFeed(ctx, ws, in.After, int(in.Limit))
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing the event feed", err)
	}
	page := FeedPage{Data: make([]*model.FeedEvent, 0, len(events)), NextAfter: in.After}
	for _, e := range events {
		if e.Workspace != ws {
			continue
		}
		page.Data = append(page.Data, e)
		page.NextAfter = max(page.NextAfter, e.ID)
	}
	return &body[FeedPage]{Body: page}, nil
}

func detail(s *model.Shipment) ShipmentDetail {
	d := ShipmentDetail{Shipment: *s, Events: s.Events}
	d.Shipment.Events = nil
	if d.Events == nil {
		d.Events = []model.Event{}
	}
	return d
}

// storeError logs a store failure and hides it from the client behind a
// 503, which tells well-behaved clients to retry.
func (a *API) storeError(ctx context.Context, ws, doing string, err error) error {
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads the answer and nothing failed.
		a.log.DebugContext(ctx, "merchant API request canceled while "+doing, slog.String("workspace", ws))
	} else {
		a.log.ErrorContext(ctx, "merchant API store failure while "+doing,
			slog.String("workspace", ws), slog.Any("error", err))
	}
	return huma.ErrorWithHeaders(
		huma.Error503ServiceUnavailable("the hub's storage is unavailable; try again shortly"),
		http.Header{"Retry-After": {"5"}},
	)
}

func statusList() string {
	names := make([]string, len(model.Statuses))
	for i, s := range model.Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// OrderInput is a merchant's order for POST /orders: the canonical order
// request and the connection whose provider is to fulfil it.
type OrderInput struct {
	Connection string `json:"connection" minLength:"1" doc:"The id of the connection (in the configuration) whose provider fulfils the order."`
	model.OrderRequest
}

// OrderCommand is the answer of a request that creates or cancels an
// order: the order as it stands and the command that carries the request
// out at the provider.
type OrderCommand struct {
	Order   *model.Order   `json:"order" doc:"The order; a new one is pending until the provider accepts it."`
	Command *model.Command `json:"command" doc:"The command that carries the request out; follow it at /commands/{id}."`
}

// idempotencyDoc documents the Idempotency-Key header of the creating routes.
const idempotencyDoc = "A key of the client's choosing (a UUID, say) that makes the request safe to repeat: the same key " +
	"with the same request gives the same answer and queues nothing again; with a different request it is refused (422)."

type createOrderInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
	RawBody        []byte
}

// Resolve checks the Idempotency-Key.
func (in *createOrderInput) Resolve(huma.Context) []error {
	return checkIdempotencyKey(in.IdempotencyKey)
}

type cancelOrderInput struct {
	ID             int64  `path:"id" minimum:"1" doc:"The order's id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
}

// Resolve checks the id and the Idempotency-Key.
func (in *cancelOrderInput) Resolve(ctx huma.Context) []error {
	return append(pathID(ctx, &in.ID), checkIdempotencyKey(in.IdempotencyKey)...)
}

func (a *API) registerOrderCommands() {
	registerCreate(a, huma.Operation{
		OperationID: "create-order",
		Method:      http.MethodPost,
		Path:        "/orders",
		Summary:     "Create an order",
		Description: "Commits the order (pending) and the command that sends it to the connection's provider, in one " +
			"transaction, and answers 202 with both; the order moves on as the provider states its progress. " +
			"Invalid content is refused (422) with every invalid field named, and nothing is queued. " +
			"The same reference on the connection again is 409, unless it comes with the Idempotency-Key of the first request. " +
			idempotencyDoc,
		Tags: []string{"Orders"},
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity,
			http.StatusServiceUnavailable},
	}, reflect.TypeFor[OrderInput](), a.createOrder)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "cancel-order",
		Method:      http.MethodPost,
		Path:        "/orders/{id}/cancel",
		Summary:     "Cancel an order",
		Description: "Queues the command that cancels the order at its provider and answers 202 with the order and the " +
			"command; the order is cancelled when the provider says so. 409 when the order is already cancelled, " +
			"shipped or rejected. " + idempotencyDoc,
		Tags:               []string{"Orders"},
		Security:           secured,
		SkipValidateParams: true,
		DefaultStatus:      http.StatusAccepted,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, a.cancelOrder)
}

// validateOrderRequest checks and normalises an order request as far as no
// provider is needed: a reference, at least one line, each with a SKU and
// a quantity above 0, a delivery address with an ISO country, dates as
// YYYY-MM-DD. It returns every invalid field, by its path in the body.
func validateOrderRequest(r *model.OrderRequest) provider.FieldErrors {
	var c fieldCheck
	c.reference("reference", r.Reference)
	if len(r.Lines) == 0 {
		c.add("lines", nil, "must have at least one line")
	} else if len(r.Lines) > maxRequestLines {
		c.add("lines", len(r.Lines), "must have at most %d lines", maxRequestLines)
	}
	for i := range r.Lines {
		if i >= maxRequestLines {
			break
		}
		l := &r.Lines[i]
		field := fmt.Sprintf("lines[%d]", i)
		c.reference(field+".sku", l.SKU)
		c.quantity(field+".quantity", l.Quantity)
		c.text(field+".description", l.Description)
		if l.Price < 0 || l.Price != l.Price || l.Price > maxQuantity {
			c.add(field+".price", l.Price, "must be 0 or more")
		}
	}
	c.address("delivery_address", &r.DeliveryAddress)
	if r.InvoiceAddress != nil {
		c.address("invoice_address", r.InvoiceAddress)
	}
	c.date("delivery_date", r.DeliveryDate)
	for _, f := range []struct{ name, v string }{
		{"shipping_method", r.ShippingMethod}, {"note", r.Note}, {"order_type", r.OrderType},
		{"language", r.Language}, {"pickup_point_id", r.PickupPointID},
		{"currency", r.Currency}, {"vat_number", r.VATNumber},
	} {
		c.text(f.name, f.v)
	}
	if pp := r.PickupPoint; pp != nil {
		c.text("pickup_point.name", pp.Name)
		c.address("pickup_point.address", &pp.Address)
	}
	if len(r.Attributes) > maxAttributes {
		c.add("attributes", len(r.Attributes), "must have at most %d attributes", maxAttributes)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
		if k == "" {
			c.add("attributes", k, "must not have an attribute without a name")
			continue
		}
		c.text("attributes."+k, r.Attributes[k])
	}
	return c.errs
}

func (a *API) createOrder(ctx context.Context, in *createOrderInput) (*body[OrderCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	var req OrderInput
	if err := decodeBody(in.RawBody, &req); err != nil {
		return nil, err
	}
	fe := validateOrderRequest(&req.OrderRequest)
	prep, err := a.prepare(ws, req.Connection, model.CommandOrderCreate, req.OrderRequest, fe)
	if err != nil {
		return nil, err
	}
	conn, cmd, now := prep.conn, prep.cmd, prep.now
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, 0, req.OrderRequest), now)
	sub.Order = newOrder(cmd, &req.OrderRequest, now)
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting an order", err)
	}
	o, err := a.subjectOrder(ctx, ws, res, sub.Order)
	if err != nil {
		return nil, err
	}
	return &body[OrderCommand]{Body: OrderCommand{Order: o, Command: res.Command}}, nil
}

func (a *API) cancelOrder(ctx context.Context, in *cancelOrderInput) (*body[OrderCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	o, err := a.store.GetOrder(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.Workspace != ws) {
		return nil, huma.Error404NotFound("no order with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting an order", err)
	}
	switch o.Status {
	case model.OrderCancelled, model.OrderShipped, model.OrderRejected:
		return nil, huma.Error409Conflict(fmt.Sprintf("the order is %s: there is nothing to cancel", o.Status))
	}
	conn, sender, fe := a.sender(ws, o.Connection, "connection", model.CommandOrderCancel)
	if fe != nil {
		return nil, invalid(fe)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, model.CommandOrderCancel, nil, now)
	cmd.SubjectID = o.ID
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, o.ID, nil), now)
	sub.SubjectID = o.ID
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting an order cancellation", err)
	}
	o, err = a.subjectOrder(ctx, ws, res, o)
	if err != nil {
		return nil, err
	}
	return &body[OrderCommand]{Body: OrderCommand{Order: o, Command: res.Command}}, nil
}

// subjectOrder reads the order a submission concerns as it now stands, with
// its last command; fallback (what was submitted) when it cannot be read
// back, which only a concurrent reset can cause.
func (a *API) subjectOrder(ctx context.Context, ws string, res *store.SubmitResult, fallback *model.Order) (*model.Order, error) {
	o, err := a.store.GetOrder(ctx, ws, res.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		c := *fallback
		c.ID = res.SubjectID
		o = &c
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "reading a submitted order back", err)
	}
	if o.LastCommand == nil || o.LastCommand.ID < res.Command.ID {
		o.LastCommand = res.Command.Ref()
	}
	return orderBody(o), nil
}

// newCommand is a queued command of a connection.
func newCommand(ws string, conn *connections.Conn, kind model.CommandKind, payload json.RawMessage, now time.Time) *model.Command {
	return &model.Command{Workspace: ws, Connection: conn.ID, Provider: conn.Provider, Kind: kind,
		Status: model.CommandQueued, Payload: payload, CreatedAt: now, UpdatedAt: now}
}

// submission is the store submission of a validated command.
func submission(cmd *model.Command, key, hash string, now time.Time) *store.Submission {
	return &store.Submission{Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider, Kind: cmd.Kind,
		Payload: cmd.Payload, SubjectID: cmd.SubjectID, IdempotencyKey: key, RequestHash: hash, Now: now}
}

// newOrder is the order an order.create creates: pending, its lines
// numbered from 1, the delivery address as the invoice address when none
// is given.
func newOrder(cmd *model.Command, r *model.OrderRequest, now time.Time) *model.Order {
	o := &model.Order{
		Resource: model.Resource{Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider,
			CreatedAt: now, UpdatedAt: now},
		Reference: r.Reference, Status: model.OrderPending, ShippingMethod: r.ShippingMethod, Note: r.Note,
		Lines: make([]model.OrderLine, len(r.Lines)), ShipmentIDs: []int64{},
	}
	for i, l := range r.Lines {
		o.Lines[i] = model.OrderLine{LineNumber: i + 1, SKU: l.SKU, Description: l.Description, Quantity: l.Quantity}
	}
	delivery := r.DeliveryAddress
	o.DeliveryAddress = &delivery
	invoice := delivery
	if r.InvoiceAddress != nil {
		invoice = *r.InvoiceAddress
	}
	o.InvoiceAddress = &invoice
	return o
}

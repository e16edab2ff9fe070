package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// InboundInput is an announcement of goods for POST /inbound: the canonical
// inbound request and the connection whose warehouse is to receive them.
type InboundInput struct {
	Connection string `json:"connection" minLength:"1" doc:"The id of the connection (in the configuration) whose warehouse receives the goods."`
	model.InboundRequest
}

// InboundCommand is the answer of a request that creates or cancels
// inbound goods.
type InboundCommand struct {
	Inbound *model.Inbound `json:"inbound" doc:"The inbound goods as the hub holds them."`
	Command *model.Command `json:"command" doc:"The command that carries the request out at the provider."`
}

type createInboundInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
	RawBody        []byte
}

// Resolve checks the Idempotency-Key.
func (in *createInboundInput) Resolve(huma.Context) []error {
	return checkIdempotencyKey(in.IdempotencyKey)
}

type cancelInboundInput struct {
	ID             int64  `path:"id" minimum:"1" doc:"The inbound goods' id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
}

// Resolve checks the id and the Idempotency-Key.
func (in *cancelInboundInput) Resolve(ctx huma.Context) []error {
	return append(pathID(ctx, &in.ID), checkIdempotencyKey(in.IdempotencyKey)...)
}

func (a *API) registerInboundCommands() {
	registerCreate(a, huma.Operation{
		OperationID: "create-inbound",
		Method:      http.MethodPost,
		Path:        "/inbound",
		Summary:     "Announce inbound goods",
		Description: "Commits the announcement (a purchase order) and the command that sends it to the connection's " +
			"warehouse, in one transaction, and answers 202 with both. Invalid content is refused (422) with every " +
			"invalid field named, and nothing is queued. The same reference on the connection again is 409, unless it " +
			"comes with the Idempotency-Key of the first request. " + idempotencyDoc,
		Tags: []string{"Inbound"},
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity,
			http.StatusServiceUnavailable},
	}, reflect.TypeFor[InboundInput](), a.createInbound)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "cancel-inbound",
		Method:      http.MethodPost,
		Path:        "/inbound/{id}/cancel",
		Summary:     "Cancel inbound goods",
		Description: "Queues the command that cancels the announcement at its warehouse and answers 202 with it and the " +
			"command. 409 when it is already cancelled or received. " + idempotencyDoc,
		Tags:               []string{"Inbound"},
		Security:           secured,
		SkipValidateParams: true,
		DefaultStatus:      http.StatusAccepted,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, a.cancelInbound)
}

// validateInboundRequest checks an inbound request: a reference, at least
// one line with a SKU and a quantity above 0, a YYYY-MM-DD expected day.
func validateInboundRequest(r *model.InboundRequest) provider.FieldErrors {
	var c fieldCheck
	c.reference("reference", r.Reference)
	if len(r.Lines) == 0 {
		c.add("lines", nil, "must have at least one line")
	} else if len(r.Lines) > maxRequestLines {
		c.add("lines", len(r.Lines), "must have at most %d lines", maxRequestLines)
	}
	for i, l := range r.Lines {
		if i >= maxRequestLines {
			break
		}
		c.reference(fmt.Sprintf("lines[%d].sku", i), l.SKU)
		c.quantity(fmt.Sprintf("lines[%d].quantity", i), l.Quantity)
	}
	c.date("expected_at", r.ExpectedAt)
	c.text("supplier", r.Supplier)
	c.text("note", r.Note)
	return c.errs
}

func (a *API) createInbound(ctx context.Context, in *createInboundInput) (*body[InboundCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	var req InboundInput
	if err := decodeBody(in.RawBody, &req); err != nil {
		return nil, err
	}
	fe := validateInboundRequest(&req.InboundRequest)
	prep, err := a.prepare(ws, req.Connection, model.CommandInboundCreate, req.InboundRequest, fe)
	if err != nil {
		return nil, err
	}
	conn, cmd, now := prep.conn, prep.cmd, prep.now
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, 0, req.InboundRequest), now)
	sub.Inbound = newInbound(cmd, &req.InboundRequest, now)
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting inbound goods", err)
	}
	i, err := a.subjectInbound(ctx, ws, res, sub.Inbound)
	if err != nil {
		return nil, err
	}
	a.graded(ws, i)
	return &body[InboundCommand]{Body: InboundCommand{Inbound: i, Command: res.Command}}, nil
}

func (a *API) cancelInbound(ctx context.Context, in *cancelInboundInput) (*body[InboundCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	i, err := a.store.GetInbound(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && i.Workspace != ws) {
		return nil, huma.Error404NotFound("no inbound goods with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting inbound goods", err)
	}
	switch i.Status {
	case model.InboundCancelled, model.InboundReceived:
		return nil, huma.Error409Conflict(fmt.Sprintf("the inbound goods are %s: there is nothing to cancel", i.Status))
	}
	conn, sender, fe := a.sender(ws, i.Connection, "connection", model.CommandInboundCancel)
	if fe != nil {
		return nil, invalid(fe)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, model.CommandInboundCancel, nil, now)
	cmd.SubjectID = i.ID
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	if err := a.precheck(ctx, sender, cmd); err != nil {
		return nil, err
	}
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, i.ID, nil), now)
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting an inbound cancellation", err)
	}
	i, err = a.subjectInbound(ctx, ws, res, i)
	if err != nil {
		return nil, err
	}
	a.graded(ws, i)
	return &body[InboundCommand]{Body: InboundCommand{Inbound: i, Command: res.Command}}, nil
}

// subjectInbound reads the inbound goods a submission concerns as they now
// stand; fallback when they cannot be read back.
func (a *API) subjectInbound(ctx context.Context, ws string, res *store.SubmitResult, fallback *model.Inbound) (*model.Inbound, error) {
	i, err := a.store.GetInbound(ctx, ws, res.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		c := *fallback
		c.ID = res.SubjectID
		i = &c
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "reading submitted inbound goods back", err)
	}
	c := *i
	if c.Lines == nil {
		c.Lines = []model.InboundLine{}
	}
	if c.Receipts == nil {
		c.Receipts = []model.Receipt{}
	}
	return &c, nil
}

// newInbound is the announcement an inbound.create creates: announced (the
// inbound taxonomy has no state before it), its lines numbered from 1.
func newInbound(cmd *model.Command, r *model.InboundRequest, now time.Time) *model.Inbound {
	i := &model.Inbound{
		Resource: model.Resource{Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider,
			CreatedAt: now, UpdatedAt: now},
		Reference: r.Reference, Status: model.InboundAnnounced,
		Lines: make([]model.InboundLine, len(r.Lines)), Receipts: []model.Receipt{},
	}
	for n, l := range r.Lines {
		i.Lines[n] = model.InboundLine{LineNumber: n + 1, SKU: l.SKU, Expected: l.Quantity}
	}
	if r.ExpectedAt != "" {
		if t, err := time.Parse(time.DateOnly, r.ExpectedAt); err == nil {
			i.ExpectedAt = &t
		}
	}
	return i
}

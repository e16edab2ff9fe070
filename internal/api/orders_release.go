package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

type releaseOrderInput struct {
	ID             int64  `path:"id" minimum:"1" doc:"The order's id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
}

// Resolve checks the id and the Idempotency-Key.
func (in *releaseOrderInput) Resolve(ctx huma.Context) []error {
	return append(pathID(ctx, &in.ID), checkIdempotencyKey(in.IdempotencyKey)...)
}

// registerOrderRelease adds POST /orders/{id}/release.
func (a *API) registerOrderRelease() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "release-order",
		Method:      http.MethodPost,
		Path:        "/orders/{id}/release",
		Summary:     "Release an order on hold",
		Description: "Queues the command that releases an order created on hold (on_hold: true) at its provider, which " +
			"then picks and ships it, and answers 202 with the order and the command. 409 when the order is not on hold " +
			"(or not yet accepted on hold by the provider); 422 when its connection's provider has no hold. " + idempotencyDoc,
		Tags:               []string{"Orders"},
		Security:           secured,
		SkipValidateParams: true,
		DefaultStatus:      http.StatusAccepted,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, a.releaseOrder)
}

func (a *API) releaseOrder(ctx context.Context, in *releaseOrderInput) (*body[OrderCommand], error) {
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
	if o.Status != model.OrderOnHold {
		return nil, huma.Error409Conflict(fmt.Sprintf("the order is %s, not on_hold: there is nothing to release", o.Status))
	}
	conn, sender, fe := a.sender(ws, o.Connection, "connection", model.CommandOrderRelease)
	if fe != nil {
		return nil, invalid(fe)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, model.CommandOrderRelease, nil, now)
	cmd.SubjectID = o.ID
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, o.ID, nil), now)
	sub.SubjectID = o.ID
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting an order release", err)
	}
	o, err = a.subjectOrder(ctx, ws, res, o)
	if err != nil {
		return nil, err
	}
	return &body[OrderCommand]{Body: OrderCommand{Order: o, Command: res.Command}}, nil
}

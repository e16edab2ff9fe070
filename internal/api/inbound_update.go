package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

type updateInboundInput struct {
	ID             int64  `path:"id" minimum:"1" doc:"The inbound goods' id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
	RawBody        []byte
}

// Resolve checks the id and the Idempotency-Key.
func (in *updateInboundInput) Resolve(ctx huma.Context) []error {
	return append(pathID(ctx, &in.ID), checkIdempotencyKey(in.IdempotencyKey)...)
}

// registerInboundUpdate adds PUT /inbound/{id}.
func (a *API) registerInboundUpdate() {
	registerCreate(a, huma.Operation{
		OperationID: "update-inbound",
		Method:      http.MethodPut,
		Path:        "/inbound/{id}",
		Summary:     "Change inbound goods",
		Description: "Queues the command that changes the announcement (purchase order) at its warehouse to what the body " +
			"states: its expected day, note and lines (a line not listed is dropped), and answers 202 with the inbound " +
			"goods and the command. The reference cannot change. A change the provider's rules forbid in the goods' " +
			"present state, as the hub knows it, is refused (409) before anything is sent (Active Ants: by the purchase " +
			"order's colour, shown as colour). " + idempotencyDoc,
		Tags: []string{"Inbound"},
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, reflect.TypeFor[model.InboundRequest](), a.updateInbound)
	if item := a.humaAP.OpenAPI().Paths["/inbound/{id}"]; item != nil && item.Put != nil && item.Put.RequestBody != nil {
		delete(item.Put.RequestBody.Content, "application/octet-stream")
	}
}

func (a *API) updateInbound(ctx context.Context, in *updateInboundInput) (*body[InboundCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	var req model.InboundRequest
	if err := decodeBody(in.RawBody, &req); err != nil {
		return nil, err
	}
	i, err := a.store.GetInbound(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && i.Workspace != ws) {
		return nil, huma.Error404NotFound("no inbound goods with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting inbound goods", err)
	}
	if req.Reference == "" {
		req.Reference = i.Reference
	}
	fe := validateInboundRequest(&req)
	if req.Reference != i.Reference {
		fe = append(fe, provider.FieldError{Field: "reference", Value: req.Reference, Message: fmt.Sprintf("cannot change: it is the goods' key (%q)", i.Reference)})
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	switch i.Status {
	case model.InboundCancelled, model.InboundReceived:
		return nil, huma.Error409Conflict(fmt.Sprintf("the inbound goods are %s: they can no longer change", i.Status))
	}
	conn, sender, cfe := a.sender(ws, i.Connection, "connection", model.CommandInboundUpdate)
	if cfe != nil {
		return nil, invalid(cfe)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding an inbound request: %w", err)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, model.CommandInboundUpdate, payload, now)
	cmd.SubjectID = i.ID
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	if err := a.precheck(ctx, sender, cmd); err != nil {
		return nil, err
	}
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, i.ID, req), now)
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting an inbound change", err)
	}
	i, err = a.subjectInbound(ctx, ws, res, i)
	if err != nil {
		return nil, err
	}
	a.graded(ws, i)
	return &body[InboundCommand]{Body: InboundCommand{Inbound: i, Command: res.Command}}, nil
}

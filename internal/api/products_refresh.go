package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

type refreshProductInput struct {
	ID             int64  `path:"id" minimum:"1" doc:"The product's id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
}

// Resolve checks the id and the Idempotency-Key.
func (in *refreshProductInput) Resolve(ctx huma.Context) []error {
	return append(pathID(ctx, &in.ID), checkIdempotencyKey(in.IdempotencyKey)...)
}

// registerProductRefresh adds POST /products/{id}/refresh: the get of a
// product as a command (product.get), so that it is paced by the
// connection's budget, retried, and its answer applied through the inbox
// like every other provider statement.
func (a *API) registerProductRefresh() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "refresh-product",
		Method:      http.MethodPost,
		Path:        "/products/{id}/refresh",
		Summary:     "Read a product back from its provider",
		Description: "Queues the command that reads the product from its connection's provider (product.get; Active Ants: " +
			"the product search by SKU) and answers 202 with the product and the command. The provider's answer updates the " +
			"product (its name, barcode and fields) when the command succeeds. 422 when the connection's provider cannot " +
			"read products back. " + idempotencyDoc,
		Tags:               []string{"Products"},
		Security:           secured,
		SkipValidateParams: true,
		DefaultStatus:      http.StatusAccepted,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity,
			http.StatusServiceUnavailable},
	}, a.refreshProduct)
}

func (a *API) refreshProduct(ctx context.Context, in *refreshProductInput) (*body[ProductCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	p, err := a.store.GetProduct(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Workspace != ws) {
		return nil, huma.Error404NotFound("no product with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a product", err)
	}
	conn, sender, fe := a.sender(ws, p.Connection, "connection", model.CommandProductGet)
	if fe != nil {
		return nil, invalid(fe)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, model.CommandProductGet, nil, now)
	cmd.SubjectID = p.ID
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, p.ID, nil), now)
	sub.SubjectID = p.ID
	res, err := a.queue.Submit(ctx, sub)
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting a product refresh", err)
	}
	if p.Barcodes == nil {
		p.Barcodes = []string{}
	}
	return &body[ProductCommand]{Body: ProductCommand{Product: p, Command: res.Command}}, nil
}

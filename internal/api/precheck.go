package api

import (
	"context"
	"errors"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// hubView is the narrow read view of the store a connector's precheck gets
// (provider.HubView): the rows of the command's own connection only.
type hubView struct {
	a              *API
	ws, connection string
}

var _ provider.HubView = hubView{}

// Stock implements provider.HubView.
func (v hubView) Stock(ctx context.Context, sku string) ([]*model.Stock, error) {
	rows, err := v.a.store.ListStock(ctx, store.StockFilter{Workspace: v.ws, Connection: v.connection, SKU: sku, Limit: 100})
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, s := range rows {
		if s.Workspace == v.ws && s.Connection == v.connection && s.SKU == sku {
			out = append(out, s)
		}
	}
	return out, nil
}

// Product implements provider.HubView.
func (v hubView) Product(ctx context.Context, sku string) (*model.Product, error) {
	list, err := v.a.store.ListProducts(ctx, store.ProductFilter{Workspace: v.ws, Connection: v.connection, SKU: sku, Limit: 1})
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if p.Workspace == v.ws && p.Connection == v.connection && p.SKU == sku {
			return p, nil
		}
	}
	return nil, nil
}

// Inbound implements provider.HubView.
func (v hubView) Inbound(ctx context.Context, id int64) (*model.Inbound, error) {
	i, err := v.a.store.GetInbound(ctx, v.ws, id)
	if err == nil && (i.Workspace != v.ws || i.Connection != v.connection) {
		return nil, store.ErrNotFound
	}
	return i, err
}

// precheck runs the connector's precheck of a command, when it has one
// (provider.CommandPrecheck): a conflict with what the hub knows of the
// subject is 409, and nothing is queued.
func (a *API) precheck(ctx context.Context, s provider.CommandSender, cmd *model.Command) error {
	p, ok := s.(provider.CommandPrecheck)
	if !ok {
		return nil
	}
	err := p.PrecheckCommand(ctx, cmd, hubView{a: a, ws: cmd.Workspace, connection: cmd.Connection})
	var fe provider.FieldErrors
	switch {
	case err == nil:
		return nil
	case errors.Is(err, provider.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.As(err, &fe):
		return invalid(fe)
	default:
		return a.storeError(ctx, cmd.Workspace, "checking a command against the hub's state", err)
	}
}

// graded sets the colour of inbound goods whose connector grades them
// (provider.InboundGrader).
func (a *API) graded(ws string, list ...*model.Inbound) {
	if a.conns == nil {
		return
	}
	for _, i := range list {
		if i == nil {
			continue
		}
		c, ok := a.conns.Lookup(ws, i.Connection)
		if !ok {
			continue
		}
		if g, ok := c.Connector.(provider.InboundGrader); ok {
			i.Colour = g.InboundColour(i)
		}
	}
}

package api_test

import (
	"context"
	"slices"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// fakeOrders is the fake store's orders (store.Orders), with the same read
// semantics as its shipments: workspace isolation (unless leak is set),
// newest-first listings continued by BeforeID, exact reference matching.
type fakeOrders struct {
	orders []*model.Order
	// lastOrderFilter is the filter of the latest ListOrders call.
	lastOrderFilter store.OrderFilter
}

func (f *fakeStore) GetOrder(_ context.Context, workspace string, id int64) (*model.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, o := range f.orders {
		if o.ID == id && (o.Workspace == workspace || f.leak) {
			c := *o
			return &c, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListOrders(_ context.Context, filter store.OrderFilter) ([]*model.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastOrderFilter = filter
	if f.err != nil {
		return nil, f.err
	}
	var out []*model.Order
	for _, o := range f.orders {
		if (o.Workspace != filter.Workspace && !f.leak) ||
			(filter.Reference != "" && o.Reference != filter.Reference && o.ProviderRef != filter.Reference) ||
			(filter.Status != "" && o.Status != filter.Status) ||
			(filter.Connection != "" && o.Connection != filter.Connection) ||
			(filter.BeforeID > 0 && o.ID >= filter.BeforeID) {
			continue
		}
		c := *o
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *model.Order) int { return int(b.ID - a.ID) })
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[:filter.Limit]
	}
	return out, nil
}

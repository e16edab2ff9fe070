package api_test

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The inventory methods of fakeStore (store.Inventory): the API tests of
// products and stock run on a real store, so these fail with the store's
// error when one is set and otherwise find nothing.

func (f *fakeStore) GetProduct(_ context.Context, workspace string, id int64) (*model.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, p := range f.products { // those the fake queue created
		if p.ID == id && p.Workspace == workspace {
			c := *p
			return &c, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListProducts(_ context.Context, filter store.ProductFilter) ([]*model.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []*model.Product{}
	for _, p := range f.products {
		if p.Workspace == filter.Workspace && (filter.SKU == "" || p.SKU == filter.SKU) &&
			(filter.Connection == "" || p.Connection == filter.Connection) {
			c := *p
			out = append(out, &c)
		}
	}
	return out, f.err
}

func (f *fakeStore) ListStock(context.Context, store.StockFilter) ([]*model.Stock, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []*model.Stock{}, f.err
}

func (f *fakeStore) ListStockMutations(context.Context, store.StockMutationFilter) ([]*model.StockMutation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []*model.StockMutation{}, f.err
}

package api_test

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The inbound and return methods of fakeStore: the API tests of inbound
// goods and returns run on a real store, so these only refuse.

// GetInbound finds the inbound goods the fake queue created.
func (f *fakeStore) GetInbound(_ context.Context, workspace string, id int64) (*model.Inbound, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, i := range f.inbound {
		if i.ID == id && (i.Workspace == workspace || f.leak) {
			c := *i
			return &c, nil
		}
	}
	return nil, store.ErrNotFound
}

// ListInbound finds nothing: the fake holds no inbound goods (the tracking
// route asks it); the inbound routes are tested on SQLite.
func (f *fakeStore) ListInbound(context.Context, store.InboundFilter) ([]*model.Inbound, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return []*model.Inbound{}, nil
}

func (f *fakeStore) GetReturn(context.Context, string, int64) (*model.Return, error) {
	return nil, errReadOnly
}

// ListReturns finds nothing, like ListInbound.
func (f *fakeStore) ListReturns(context.Context, store.ReturnFilter) ([]*model.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return []*model.Return{}, nil
}

package api_test

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The inbound and return methods of fakeStore: the API tests of inbound
// goods and returns run on a real store, so these only refuse.

func (f *fakeStore) GetInbound(context.Context, string, int64) (*model.Inbound, error) {
	return nil, errReadOnly
}

func (f *fakeStore) ListInbound(context.Context, store.InboundFilter) ([]*model.Inbound, error) {
	return nil, errReadOnly
}

func (f *fakeStore) GetReturn(context.Context, string, int64) (*model.Return, error) {
	return nil, errReadOnly
}

func (f *fakeStore) ListReturns(context.Context, store.ReturnFilter) ([]*model.Return, error) {
	return nil, errReadOnly
}

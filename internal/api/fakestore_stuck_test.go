package api_test

import (
	"context"
	"errors"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The stuck scan and the overview's counts are the dashboard's; the API
// does not use them.
var (
	_ store.Stuck    = (*fakeStore)(nil)
	_ store.Overview = (*fakeStore)(nil)
)

func (f *fakeStore) MarkStuck(context.Context, store.StuckScan) ([]*model.Shipment, error) {
	return nil, errReadOnly
}

func (f *fakeStore) ListStuck(context.Context, string, int64, int) ([]*model.Shipment, error) {
	return nil, errors.New("not used by the API")
}

func (f *fakeStore) CountOverview(context.Context, string) (*store.OverviewCounts, error) {
	return nil, errors.New("not used by the API")
}

func (f *fakeStore) ListActionRequired(context.Context, string, int64, int) ([]*model.Shipment, error) {
	return nil, errors.New("not used by the API")
}

package api_test

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The fake store has no webhooks: the webhook routes are tested against a
// real SQLite store (webhooks_test.go).

func (f *fakeStore) CreateEndpoint(context.Context, *model.Endpoint) error { return errReadOnly }
func (f *fakeStore) SyncConfigEndpoints(context.Context, string, []*model.Endpoint) error {
	return errReadOnly
}
func (f *fakeStore) GetEndpoint(context.Context, string, int64) (*model.Endpoint, error) {
	return nil, store.ErrNotFound
}
func (f *fakeStore) ListEndpoints(context.Context, string) ([]*model.Endpoint, error) {
	return []*model.Endpoint{}, nil
}
func (f *fakeStore) DeleteEndpoint(context.Context, string, int64) error { return store.ErrNotFound }
func (f *fakeStore) RotateEndpointSecret(context.Context, string, int64, string, time.Time) error {
	return store.ErrNotFound
}
func (f *fakeStore) DisableEndpoint(context.Context, int64, string) (bool, error) { return false, nil }
func (f *fakeStore) RecoverEndpoint(context.Context, string, int64, time.Time) (int64, error) {
	return 0, store.ErrNotFound
}
func (f *fakeStore) ClaimAlert(context.Context, int64, time.Duration) (bool, error) {
	return false, nil
}
func (f *fakeStore) ClaimDeliveries(context.Context, int, time.Duration) ([]*store.DeliveryJob, error) {
	return nil, nil
}
func (f *fakeStore) NextDeliveryDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (f *fakeStore) RecordAttempts(context.Context, []store.AttemptResult) ([]store.EndpointHealth, error) {
	return nil, errReadOnly
}
func (f *fakeStore) ListDeliveries(context.Context, store.DeliveryFilter) ([]*model.Delivery, error) {
	return []*model.Delivery{}, nil
}
func (f *fakeStore) GetDelivery(context.Context, string, int64) (*model.Delivery, error) {
	return nil, store.ErrNotFound
}
func (f *fakeStore) RetryDelivery(context.Context, string, int64) error    { return store.ErrNotFound }
func (f *fakeStore) DeliveriesQueued() <-chan struct{}                     { return nil }
func (f *fakeStore) CountDisabledEndpoints(context.Context) (int64, error) { return 0, nil }

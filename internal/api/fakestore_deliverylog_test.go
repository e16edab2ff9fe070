package api_test

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The fake store has no webhooks, so no endpoint has deliveries.

func (f *fakeStore) ListEndpointDeliveries(context.Context, store.EndpointDeliveryFilter) ([]*model.Delivery, error) {
	return []*model.Delivery{}, nil
}

func (f *fakeStore) ListDeliveryAttempts(context.Context, string, []int64, int) ([]model.DeliveryAttempt, error) {
	return []model.DeliveryAttempt{}, nil
}

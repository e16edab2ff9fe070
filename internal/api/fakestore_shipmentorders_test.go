package api_test

import (
	"context"
	"slices"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// OrderForShipment is the fake store's store.ShipmentOrders: the first
// order of the workspace whose ShipmentIDs hold the shipment.
func (f *fakeStore) OrderForShipment(_ context.Context, workspace string, shipmentID int64) (*model.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, o := range f.orders {
		if o.Workspace == workspace && slices.Contains(o.ShipmentIDs, shipmentID) {
			c := *o
			return &c, nil
		}
	}
	return nil, store.ErrNotFound
}

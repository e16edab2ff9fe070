package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// ShipmentOrders reads the order a shipment belongs to, for the
// dashboard's shipment page.
type ShipmentOrders interface {
	// OrderForShipment returns the workspace's order whose ShipmentIDs
	// hold the shipment (see OrderTx.LinkShipment), with its lines and
	// linked shipments, or ErrNotFound when the shipment names no order,
	// names one that does not exist, or belongs to another workspace.
	OrderForShipment(ctx context.Context, workspace string, shipmentID int64) (*model.Order, error)
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// orderOfShipment finds the id of the order a shipment belongs to, by the
// rule of orderShipmentsOf: the order of its order reference in its own
// connection or, when that connection has none, the workspace's first
// order of the reference. It reads the link by its primary key and the
// orders through orders_by_reference.
const orderOfShipment = `SELECT o.id FROM order_shipments l
	JOIN orders o ON o.workspace = l.workspace AND o.reference = l.order_reference
	WHERE l.shipment_id = ? AND l.workspace = ?
	ORDER BY CASE WHEN o.connection = l.connection THEN 0 ELSE 1 END, o.id
	LIMIT 1`

// OrderForShipment returns the order the shipment belongs to, or
// store.ErrNotFound.
func (s *Store) OrderForShipment(ctx context.Context, workspace string, shipmentID int64) (*model.Order, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	var id int64
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(orderOfShipment), shipmentID, workspace).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding the order of shipment %d: %w", shipmentID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding the order of shipment %d: %w", shipmentID, err)
	}
	return s.GetOrder(ctx, workspace, id)
}

package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// Orders reads the canonical orders for the merchant API. An order's
// ShipmentIDs are the shipments linked to it (see OrderTx.LinkShipment),
// worked out when the order is read, so the link does not depend on
// whether the order or the shipment arrived first.
type Orders interface {
	// GetOrder returns one order of the workspace with its lines and
	// linked shipments, or ErrNotFound (also for another workspace's id).
	GetOrder(ctx context.Context, workspace string, id int64) (*model.Order, error)
	// ListOrders lists a workspace's orders, newest (highest id) first.
	ListOrders(ctx context.Context, f OrderFilter) ([]*model.Order, error)
}

// OrderTx is the orders' part of the pipeline's transaction (Tx).
type OrderTx interface {
	// OrderByRef returns the order with this reference in the connection,
	// locked for update, or ErrNotFound. Within one transaction it returns
	// the same *Order again, with the changes made to it.
	OrderByRef(ctx context.Context, workspace, connection, reference string) (*model.Order, error)
	// InsertOrder stores a new order and sets its ID (and zero CreatedAt
	// and UpdatedAt to now). Its reference and ProviderRef become
	// searchable by ListOrders.
	InsertOrder(ctx context.Context, o *model.Order) error
	// UpdateOrder stores a changed order: everything but its identity
	// (workspace, connection, reference) and its ShipmentIDs, which are
	// derived from the links.
	UpdateOrder(ctx context.Context, o *model.Order) error
	// LinkShipment records that the shipment names the order reference
	// (its OrderReference), replacing what it named before; an empty
	// reference removes the link. The shipment then belongs to the order
	// of that reference in its own connection or, when its connection has
	// none, to the first order of the workspace with that reference.
	LinkShipment(ctx context.Context, workspace, connection string, shipmentID int64, orderReference string) error
	// OrderRefByID returns the connection and reference of the
	// workspace's order with this id, or ErrNotFound (also for another
	// workspace's id): a provider that hands shiphub's order id back links
	// its shipment through it.
	OrderRefByID(ctx context.Context, workspace string, id int64) (connection, reference string, err error)
	// OrderShipmentIDs returns the ids of the shipments that belong to the
	// order (see LinkShipment), in ascending order, as this transaction
	// sees them.
	OrderShipmentIDs(ctx context.Context, o *model.Order) ([]int64, error)
}

// OrderFilter selects orders for ListOrders.
type OrderFilter struct {
	Workspace string
	// Reference matches an order's reference or its provider reference,
	// exactly.
	Reference  string
	Status     model.OrderStatus
	Connection string
	// BeforeID continues a listing: only orders with a smaller id.
	BeforeID int64
	Limit    int
}

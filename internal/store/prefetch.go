package store

import "context"

// Prefetch names what the messages of one apply batch will look up, so
// that a store that pays a round trip per statement (PostgreSQL) can load
// all of it with a few statements before the first message is applied.
// It is a hint: what it leaves out is still found, one look-up at a time.
type Prefetch struct {
	// Shipments are the shipments the batch's updates name by provider
	// reference in their own connection (Tx.ShipmentByRef).
	Shipments []RefKey
	// Orders are the orders the batch's order updates name (OrderByRef).
	Orders []RefKey
	// Stock are the stock rows the batch's stock figures name (StockByKey).
	Stock []StockKey
	// StockMutations are the batch's stock mutations by their dedup keys
	// (InsertStockMutation).
	StockMutations []StockMutationKey
	// EventKeys are the dedup keys of the batch's shipment events, and
	// Events how many events the batch holds in all (an upper bound of the
	// InsertEvent calls to come).
	EventKeys []string
	Events    int
}

// RefKey names a shipment or an order by its reference in a connection.
type RefKey struct {
	Workspace, Connection, Reference string
}

// StockMutationKey names a stock mutation by its dedup key in a connection.
type StockMutationKey struct {
	Workspace, Connection, DedupKey string
}

// StockKey names a stock row: a SKU in a warehouse of a connection.
type StockKey struct {
	Workspace, Connection, SKU, Warehouse string
}

// Prefetcher is a Tx that can load what a batch will look up ahead of it.
type Prefetcher interface {
	// Prefetch loads (and locks) what p names into the transaction, and
	// remembers what it did not find, so that the look-ups that follow
	// answer without a round trip.
	Prefetch(ctx context.Context, p Prefetch) error
}

package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// Returns is the read side of returns (RMAs), for the API. A return's
// OrderID is resolved on read from the orders of its reference.
type Returns interface {
	// GetReturn returns one return of the workspace, or ErrNotFound.
	GetReturn(ctx context.Context, workspace string, id int64) (*model.Return, error)
	// ListReturns lists a workspace's returns, newest (highest id) first.
	ListReturns(ctx context.Context, f ReturnFilter) ([]*model.Return, error)
}

// ReturnsTx is how the pipeline writes returns within its transaction.
type ReturnsTx interface {
	// ReturnByKey returns the connection's return with this lookup key
	// (ReturnKey), locked for update; or ErrNotFound.
	ReturnByKey(ctx context.Context, workspace, connection, key string) (*model.Return, error)
	// InsertReturn stores a new return under its lookup key and sets its
	// ID. Zero CreatedAt and UpdatedAt are set to now.
	InsertReturn(ctx context.Context, key string, r *model.Return) error
	// UpdateReturn stores a changed return: everything but its identity
	// (workspace, connection, provider, lookup key, creation time).
	UpdateReturn(ctx context.Context, r *model.Return) error
	// ReturnOrderID returns the id of the order the return belongs to (of
	// its reference, preferably in its own connection), as the transaction
	// sees it; zero when there is none yet. Reads resolve the same link,
	// so it does not depend on which of the two arrived first.
	ReturnOrderID(ctx context.Context, r *model.Return) (int64, error)
}

// ReturnKey is the lookup key of a return within a connection: the
// provider's RMA number or, for a message that names none, the order's
// reference. A return first known by the reference alone stays keyed by it.
func ReturnKey(providerRef, reference string) string {
	if providerRef != "" {
		return "provider_ref:" + providerRef
	}
	return "reference:" + reference
}

// ReturnFilter selects returns for ListReturns.
type ReturnFilter struct {
	Workspace string
	// Reference matches the order's reference or the RMA number exactly.
	Reference  string
	Status     model.ReturnStatus
	Connection string
	// BeforeID continues a listing: only rows with a smaller id.
	BeforeID int64
	Limit    int
}

package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// Inbound is the read side of inbound goods (announcements and their
// receipts), for the API.
type Inbound interface {
	// GetInbound returns one inbound resource of the workspace, or ErrNotFound.
	GetInbound(ctx context.Context, workspace string, id int64) (*model.Inbound, error)
	// ListInbound lists a workspace's inbound goods, newest (highest id) first.
	ListInbound(ctx context.Context, f InboundFilter) ([]*model.Inbound, error)
}

// InboundTx is how the pipeline writes inbound goods within its transaction.
type InboundTx interface {
	// InboundByKey returns the connection's inbound resource with this
	// lookup key (InboundKey), locked for update; or ErrNotFound.
	InboundByKey(ctx context.Context, workspace, connection, key string) (*model.Inbound, error)
	// InsertInbound stores a new inbound resource under its lookup key and
	// sets its ID. Zero CreatedAt and UpdatedAt are set to now.
	InsertInbound(ctx context.Context, key string, in *model.Inbound) error
	// UpdateInbound stores a changed inbound resource: everything but its
	// identity (workspace, connection, provider, lookup key, creation time).
	UpdateInbound(ctx context.Context, in *model.Inbound) error
}

// InboundKey is the lookup key of inbound goods within a connection: the
// merchant's reference, which is what a receipt names to link to its
// announcement; or, for a message that names no reference, the provider's
// own number. Goods first known by the provider's number alone stay keyed
// by it.
func InboundKey(reference, providerRef string) string {
	if reference != "" {
		return "reference:" + reference
	}
	return "provider_ref:" + providerRef
}

// InboundFilter selects inbound goods for ListInbound.
type InboundFilter struct {
	Workspace string
	// Reference matches the reference or the provider's number exactly.
	Reference  string
	Status     model.InboundStatus
	Connection string
	// BeforeID continues a listing: only rows with a smaller id.
	BeforeID int64
	Limit    int
}

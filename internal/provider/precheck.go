package provider

import (
	"context"
	"errors"

	"github.com/shiphub/shiphub/internal/model"
)

// CommandPrecheck is a command sender that can refuse a command before it is
// queued because of what the hub already knows of its subject (Active
// Ants: a product's barcode may change only while it is out of stock; a
// purchase order may change only as its colour allows). The API calls it
// after ValidateCommand, and answers 409 when it returns an error wrapping
// ErrConflict; nothing is queued then. Unlike ValidateCommand it may read
// the hub's store, through view, but it must not ask the provider.
type CommandPrecheck interface {
	PrecheckCommand(ctx context.Context, cmd *model.Command, view HubView) error
}

// HubView is the narrow read view of the hub's store a precheck gets: the
// command's own connection's rows only.
type HubView interface {
	// Stock lists the connection's stock rows of a SKU (one per warehouse);
	// none when the hub knows no stock of it.
	Stock(ctx context.Context, sku string) ([]*model.Stock, error)
	// Product returns the connection's product of a SKU, or nil.
	Product(ctx context.Context, sku string) (*model.Product, error)
	// Inbound returns the workspace's inbound goods of an id, or an error
	// wrapping store.ErrNotFound.
	Inbound(ctx context.Context, id int64) (*model.Inbound, error)
}

// ErrConflict means a command conflicts with the state of its subject as
// the hub knows it (the API's 409). Wrap it with the reason:
// fmt.Errorf("%w: %s", provider.ErrConflict, why).
var ErrConflict = errors.New("conflicts with the subject's state")

// InboundGrader is a connector whose provider grades inbound goods by what
// was received (Active Ants's colours); the API shows the grade as the
// inbound resource's colour.
type InboundGrader interface {
	InboundColour(in *model.Inbound) string
}

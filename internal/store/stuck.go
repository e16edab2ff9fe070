package store

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Stuck finds shipments that have had no update for too long. A shipment is
// stuck from the moment MarkStuck marks it until its next update (anything
// that changes its updated_at): that is one episode, with one
// shipment.stuck feed event.
type Stuck interface {
	// MarkStuck marks, in one transaction, up to Limit shipments of the
	// workspace in Status whose last update is older than Before and that
	// are not marked for their current episode yet (oldest update first),
	// and appends a shipment.stuck feed event for each, with its webhook
	// deliveries. It returns the shipments it marked; fewer than Limit
	// means there are no more. A final status (delivered, returned,
	// cancelled, expired) is never scanned.
	MarkStuck(ctx context.Context, scan StuckScan) ([]*model.Shipment, error)
	// ListStuck lists the workspace's shipments that are stuck now (marked,
	// and not updated since), newest shipment first; beforeID > 0 continues
	// a listing with the shipments of smaller id.
	ListStuck(ctx context.Context, workspace string, beforeID int64, limit int) ([]*model.Shipment, error)
}

// StuckScan is one batch of MarkStuck.
type StuckScan struct {
	Workspace string
	Status    model.Status
	// Before is the cutoff: shipments last updated before it are stuck.
	Before time.Time
	// Now is when they are marked, and the feed events' time.
	Now   time.Time
	Limit int
}

// StuckFinal are the statuses a shipment ends in: it cannot be stuck there.
var StuckFinal = []model.Status{model.StatusDelivered, model.StatusReturned, model.StatusCancelled, model.StatusExpired}

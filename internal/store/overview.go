package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// Overview answers the dashboard's overview: counts of everything by
// status and of what needs action, each from an index.
type Overview interface {
	// CountOverview counts the workspace's shipments, orders, inbound
	// goods, returns and commands by status, and what needs action.
	CountOverview(ctx context.Context, workspace string) (*OverviewCounts, error)
	// ListActionRequired lists the workspace's shipments whose current
	// status asks the merchant to act (action_required), newest first;
	// beforeID > 0 continues a listing with the shipments of smaller id.
	ListActionRequired(ctx context.Context, workspace string, beforeID int64, limit int) ([]*model.Shipment, error)
}

// OverviewCounts are a workspace's counts for the overview.
type OverviewCounts struct {
	Shipments map[model.Status]int64
	Orders    map[model.OrderStatus]int64
	Inbound   map[model.InboundStatus]int64
	Returns   map[model.ReturnStatus]int64
	Commands  map[model.CommandStatus]int64
	// ActionRequired counts the shipments whose current status asks the
	// merchant to act.
	ActionRequired int64
	// Stuck counts the shipments that are stuck now (Stuck.ListStuck).
	Stuck int64
	// DeadDeliveries counts the webhook deliveries that gave up (failed).
	DeadDeliveries int64
	// IntakeErrors counts the refused inbound messages kept (quarantined
	// FTP files among them).
	IntakeErrors int64
}

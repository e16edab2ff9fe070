package store

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// DeliveryLog is how the dashboard reads one endpoint's deliveries and
// their attempts. ListDeliveries walks a workspace's deliveries by id and
// filters the endpoint out of them, which reads every delivery of the
// workspace for an endpoint that receives few of them; these read the
// endpoint's own index range (deliveries_by_endpoint) instead.
type DeliveryLog interface {
	// ListEndpointDeliveries lists one endpoint's deliveries in one status,
	// newest first by creation time (then id): the order of the index on
	// (endpoint_id, status, created_at).
	ListEndpointDeliveries(ctx context.Context, f EndpointDeliveryFilter) ([]*model.Delivery, error)
	// ListDeliveryAttempts returns the attempts of the given deliveries of
	// the workspace, newest first (by attempt time, then id), at most limit
	// of them. Ids of another
	// workspace's deliveries add nothing.
	ListDeliveryAttempts(ctx context.Context, workspace string, deliveryIDs []int64, limit int) ([]model.DeliveryAttempt, error)
}

// EndpointDeliveryFilter selects deliveries for ListEndpointDeliveries.
type EndpointDeliveryFilter struct {
	Workspace  string
	EndpointID int64
	// Status is required: pending, succeeded or failed.
	Status string
	// BeforeCreated and BeforeID continue a listing after its last
	// delivery: only deliveries created before it, or at the same time
	// with a smaller id. Zero BeforeID: from the newest.
	BeforeCreated time.Time
	BeforeID      int64
	Limit         int
}

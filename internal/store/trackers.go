package store

import (
	"context"
	"errors"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Trackers stores the parcels that pull connections poll, with their
// adaptive schedule. Only one instance polls a connection at a time (its
// poller runs under a lease), so schedule updates need no row claiming.
type Trackers interface {
	// CreateTracker stores a new tracker and sets its ID, CreatedAt and
	// UpdatedAt. When the connection already tracks the number it changes
	// nothing, loads the existing tracker into t and reports created=false:
	// asking twice to track a parcel must not poll it twice. A number whose
	// tracker was deleted stays deleted: CreateTracker returns
	// ErrTrackerDeleted and changes nothing, unless t.Origin is "api" (a
	// merchant asked again), which tracks it anew.
	CreateTracker(ctx context.Context, t *model.Tracker) (created bool, err error)
	// GetTracker returns one tracker of the workspace, or ErrNotFound.
	GetTracker(ctx context.Context, workspace string, id int64) (*model.Tracker, error)
	// ListTrackers lists a workspace's trackers, newest (highest id) first.
	ListTrackers(ctx context.Context, f TrackerFilter) ([]*model.Tracker, error)
	// DeleteTracker stops tracking: it removes the tracker, or returns
	// ErrNotFound, and remembers that the number was deleted, so that a
	// carrier rule does not attach it again (see CreateTracker). The
	// shipment its polls built stays.
	DeleteTracker(ctx context.Context, workspace string, id int64) error
	// DueTrackers lists up to limit trackers of a connection whose
	// NextPollAt is not after now, most useful first: by Priority, then
	// the longest overdue.
	DueTrackers(ctx context.Context, workspace, connection string, now time.Time, limit int) ([]*model.Tracker, error)
	// SaveTrackerPoll stores the outcome of a poll: every schedule and
	// state field of t (not its identity, reference or origin). A tracker
	// deleted meanwhile is ErrNotFound.
	SaveTrackerPoll(ctx context.Context, t *model.Tracker) error
	// ShipmentsUpdatedSince lists a workspace's shipments, without events,
	// whose updated_at is at or after since, in (updated_at, id) order,
	// continuing after the shipment (since, afterID) was seen. Carrier rules
	// scan it for shipments to attach a tracker to.
	ShipmentsUpdatedSince(ctx context.Context, workspace string, since time.Time, afterID int64, limit int) ([]*model.Shipment, error)
}

// TrackerFilter selects trackers for ListTrackers.
type TrackerFilter struct {
	Workspace  string
	Connection string
	// TrackingNumber matches exactly.
	TrackingNumber string
	State          model.TrackerState
	// BeforeID continues a listing: only trackers with a smaller id.
	BeforeID int64
	Limit    int
}

// ErrTrackerDeleted is CreateTracker's answer for a number whose tracker was
// deleted through the API, when it is asked for by anything but the API.
var ErrTrackerDeleted = errors.New("tracker was deleted")

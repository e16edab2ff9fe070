package store

import (
	"context"
	"errors"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// ErrConflict means the request contradicts the row's state: retrying a
// delivery that is not a dead letter, deleting an endpoint the
// configuration manages.
var ErrConflict = errors.New("conflict")

// Webhooks is the storage of merchant webhook delivery: endpoints, and the
// deliveries queue that apply transactions fill (one row per feed event and
// matching endpoint, in the transaction that writes the event: a
// transactional outbox, so an event is never committed without its
// deliveries).
type Webhooks interface {
	// CreateEndpoint stores a new endpoint and sets its ID and times. Its
	// Secret must be set.
	CreateEndpoint(ctx context.Context, e *model.Endpoint) error
	// SyncConfigEndpoints makes the workspace's configured endpoints (Source
	// config) exactly eps, matched by ConfigKey: new ones are created,
	// changed ones updated (a configured secret replaces the stored one; an
	// empty one keeps it, or generates one for a new endpoint), and
	// configured endpoints no longer listed are deleted. Running it again
	// with the same eps changes nothing.
	SyncConfigEndpoints(ctx context.Context, workspace string, eps []*model.Endpoint) error
	// GetEndpoint returns one endpoint of the workspace, secrets included,
	// or ErrNotFound.
	GetEndpoint(ctx context.Context, workspace string, id int64) (*model.Endpoint, error)
	// ListEndpoints lists the workspace's endpoints, oldest first.
	ListEndpoints(ctx context.Context, workspace string) ([]*model.Endpoint, error)
	// DeleteEndpoint deletes an endpoint with its deliveries and their log.
	DeleteEndpoint(ctx context.Context, workspace string, id int64) error
	// RotateEndpointSecret makes secret the endpoint's secret and keeps the
	// current one valid until graceUntil.
	RotateEndpointSecret(ctx context.Context, workspace string, id int64, secret string, graceUntil time.Time) error
	// DisableEndpoint stops deliveries to an endpoint: it is marked disabled
	// with the reason, and its pending deliveries become dead letters. It
	// reports false when the endpoint was already disabled or is gone.
	DisableEndpoint(ctx context.Context, id int64, reason string) (bool, error)
	// RecoverEndpoint enables the endpoint again and puts its dead letters
	// created at or after since back in the queue, due now. It returns how
	// many were requeued.
	RecoverEndpoint(ctx context.Context, workspace string, id int64, since time.Time) (int64, error)
	// ClaimAlert reports whether an operator alert about the endpoint may be
	// sent now, at most one per interval, and if so records it. Instances
	// sharing the database share the limit.
	ClaimAlert(ctx context.Context, endpointID int64, interval time.Duration) (bool, error)

	// ClaimDeliveries takes up to limit due deliveries for sending and hides
	// them from other claims for lease. A delivery is due when it is pending,
	// its next attempt time has come, and no earlier delivery of the same
	// subject to the same endpoint is still pending: events of one shipment
	// reach an endpoint in order, and other shipments are not held up.
	// Instances sharing PostgreSQL never claim the same delivery.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*DeliveryJob, error)
	// NextDeliveryDue returns when the earliest pending delivery becomes
	// claimable; ok is false when nothing is pending.
	NextDeliveryDue(ctx context.Context) (at time.Time, ok bool, err error)
	// RecordAttempts stores the outcome of sent attempts in one transaction:
	// each delivery's new state, its attempt log entry, and the health of the
	// endpoints involved, which it returns. A delivery that is no longer
	// pending (deleted, disabled meanwhile) is left alone.
	RecordAttempts(ctx context.Context, results []AttemptResult) ([]EndpointHealth, error)
	// ListDeliveries lists deliveries of a workspace, newest first.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*model.Delivery, error)
	// GetDelivery returns one delivery of the workspace with its attempt
	// log, or ErrNotFound.
	GetDelivery(ctx context.Context, workspace string, id int64) (*model.Delivery, error)
	// RetryDelivery puts a dead letter back in the queue, due now, for a new
	// round of attempts; ErrConflict when it is not a dead letter.
	RetryDelivery(ctx context.Context, workspace string, id int64) error
	// DeliveriesQueued signals, without blocking, after this process
	// committed new deliveries, so the sender need not wait for its poll.
	DeliveriesQueued() <-chan struct{}
	// CountDisabledEndpoints counts the disabled endpoints of every
	// workspace, for the operator's gauge.
	CountDisabledEndpoints(ctx context.Context) (int64, error)
}

// DeliveryJob is a claimed delivery with what sending it needs.
type DeliveryJob struct {
	Delivery model.Delivery
	// Endpoint is the endpoint as stored when the claim was made. The
	// store may share it between jobs and claims (it keeps the endpoints
	// it read), so it is read-only.
	Endpoint *model.Endpoint
	Event    *model.FeedEvent
}

// AttemptResult is the outcome of one attempt, as RecordAttempts stores it.
type AttemptResult struct {
	DeliveryID int64
	EndpointID int64
	Attempt    model.DeliveryAttempt
	// Status is the delivery's new status: succeeded, pending (retry at
	// NextAttemptAt) or failed (a dead letter).
	Status        string
	NextAttemptAt time.Time
	// Healthy says whether the endpoint answered 2xx.
	Healthy bool
}

// EndpointHealth is an endpoint's failure state after recorded attempts.
type EndpointHealth struct {
	EndpointID int64
	Workspace  string
	URL        string
	// FailingSince is zero when the endpoint's latest attempt succeeded.
	FailingSince time.Time
	// StartedFailing is true when these attempts turned a healthy endpoint
	// into a failing one.
	StartedFailing bool
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	Workspace  string
	Status     string
	EndpointID int64
	// BeforeID continues a listing: only deliveries with a smaller id.
	BeforeID int64
	Limit    int
}

// Package store is the storage port of shiphub: the interfaces the pipeline,
// the intake and the API need from a database. Package sqlite and package
// postgres implement it (both on the shared SQL of package sqlstore), and
// package storetest runs one conformance suite against each.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means the requested row does not exist (in the caller's workspace).
	ErrNotFound = errors.New("not found")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store closed")
)

// Store is everything shiphub needs from a database. SQLite and PostgreSQL
// implement it; storetest.Exercise runs the same cases against both.
type Store interface {
	// AppendInbox commits one raw inbound message durably before returning.
	// Concurrent calls are group-committed. It reports duplicate=true, and no
	// error, when the message's (workspace, connection, dedup key) was seen
	// before: providers retry, and a retry must be acknowledged, not applied
	// twice. id is then the first message's id.
	AppendInbox(ctx context.Context, m *model.InboxMessage) (id int64, duplicate bool, err error)

	// ProcessInbox claims up to limit unprocessed inbox messages, oldest
	// first, and calls fn with them inside one transaction. When fn returns
	// nil, every message it did not mark failed is marked processed; fn's
	// writes and those marks commit together, so a message is applied
	// exactly once even when several hub instances share the database (only
	// one processes at a time). fn must not call AppendInbox (on SQLite its
	// transaction holds the one writer connection). It returns how many messages fn was given;
	// 0 means nothing is pending or another instance holds the work.
	ProcessInbox(ctx context.Context, limit int, fn func(ctx context.Context, tx Tx, msgs []*model.InboxMessage) error) (int, error)
	// ProcessWorkspaces is ProcessInbox restricted to the messages of the
	// given workspaces (every workspace when none is given). A rebuild of
	// one workspace uses it, so it never applies another workspace's
	// pending messages: those must be applied by the running pipeline, with
	// their feed entries.
	ProcessWorkspaces(ctx context.Context, workspaces []string, limit int, fn func(ctx context.Context, tx Tx, msgs []*model.InboxMessage) error) (int, error)

	// GetShipment returns one shipment of the workspace with its events,
	// oldest first (events of the same instant by dedup key, so the order
	// does not depend on the order of arrival), or ErrNotFound.
	GetShipment(ctx context.Context, workspace string, id int64) (*model.Shipment, error)
	// ListShipments lists shipments of a workspace, newest first (last
	// updated first with a range of update times), without events.
	ListShipments(ctx context.Context, f ShipmentFilter) ([]*model.Shipment, error)
	// AppendFeedEvents adds entries to the event feed in one transaction of
	// their own, with their deliveries, outside the pipeline (reprocessing
	// reports the differences it made this way).
	AppendFeedEvents(ctx context.Context, events []*model.FeedEvent) error
	// CountShipments counts a workspace's shipments by status.
	CountShipments(ctx context.Context, workspace string) (map[model.Status]int64, error)
	// ListFeed lists feed events of a workspace with id > after, oldest first.
	ListFeed(ctx context.Context, workspace string, after int64, limit int) ([]*model.FeedEvent, error)
	// GetInbox returns one raw message, or ErrNotFound.
	GetInbox(ctx context.Context, id int64) (*model.InboxMessage, error)
	// InboxStats counts inbox messages by state. It is cheap enough to be
	// sampled every few seconds: no count reads the processed messages.
	InboxStats(ctx context.Context) (InboxStats, error)
	// ListFailedInbox lists a workspace's failed messages (those the
	// pipeline could not normalise), newest first.
	ListFailedInbox(ctx context.Context, f FailedInboxFilter) ([]*FailedMessage, error)
	// RetryInbox makes one failed message of the workspace pending again,
	// for example after a mapping fix. It returns ErrNotFound when the
	// workspace has no such message and ErrConflict when it has not failed.
	RetryInbox(ctx context.Context, workspace string, id int64) error
	// InboxConnections lists the connections a workspace's inbox holds
	// messages of, in order. A rebuild checks them against the
	// configuration before it resets anything.
	InboxConnections(ctx context.Context, workspace string) ([]string, error)
	// RetryFailedInbox makes every failed message of the workspace (of one
	// connection, when connection is not empty) pending again and reports
	// how many.
	RetryFailedInbox(ctx context.Context, workspace, connection string) (int64, error)

	// ResetCanonical clears the state derived from the inbox of a
	// workspace, or of every workspace when workspace is empty, and marks
	// its inbox unprocessed, so the pipeline rebuilds it from the raw
	// messages. Events and references are deleted; each shipment keeps its
	// id, provider reference and creation time and goes back to pending, so
	// ids a merchant stored stay valid; each order likewise keeps its id,
	// reference and creation time, and its shipment links are rebuilt with
	// the shipments; so do products and stock rows, whose fields and
	// figures are cleared, while stock mutations are deleted and appended
	// again by the rebuild; inbound goods and returns keep their id and
	// lookup key likewise and lose everything messages stated. The feed and
	// its deliveries are kept: they record what merchants were told. It
	// runs in one transaction.
	ResetCanonical(ctx context.Context, workspace string) (messages int64, err error)

	Inventory
	Coordination
	Webhooks
	DeliveryLog
	Trackers
	IntakeErrors
	Retention
	Inbound
	Returns
	Orders
	Commands
	Activity
	ShipmentOrders
	Stuck
	Overview
	Sessions
	Insights

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close flushes pending appends and releases the database.
	Close() error
}

// Coordination is how hub instances sharing one database divide scheduled
// work (pollers, retries, cleanup) and share providers' rate limits. With a
// single instance on SQLite it costs a statement and always succeeds.
type Coordination interface {
	// AcquireLease takes or renews the named lease for holder until ttl from
	// now. It reports false, and changes nothing, while another holder's
	// lease has not expired. A holder that stops renewing loses the lease
	// after ttl, so work moves over when an instance dies.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// LiveLeases lists the leases whose name starts with prefix and which
	// have not expired, by name. It is how one kind of work sees whether
	// another is running anywhere (reprocess and running hubs).
	LiveLeases(ctx context.Context, prefix string) ([]Lease, error)
	// TakeBudget counts one use of key in the current fixed window of the
	// given length, if fewer than limit were counted; otherwise it reports
	// false and when the next window opens. Every instance counts in the
	// same row, so a provider's limit holds for all of them together.
	TakeBudget(ctx context.Context, key string, window time.Duration, limit int) (granted bool, next time.Time, err error)
}

// Tx is the unit of work the pipeline applies one batch of inbox messages in.
type Tx interface {
	// ShipmentByRef returns the shipment with this provider reference in the
	// connection, locked for update, without events; or ErrNotFound. Within
	// one transaction it returns the same *Shipment again, with the changes
	// made to it.
	ShipmentByRef(ctx context.Context, workspace, connection, providerRef string) (*model.Shipment, error)
	// ShipmentByID returns one shipment of the workspace, locked for
	// update, without events; or ErrNotFound. Within one transaction it
	// returns the same *Shipment as ShipmentByRef.
	ShipmentByID(ctx context.Context, workspace string, id int64) (*model.Shipment, error)
	// ShipmentByTrackingNumber returns the oldest shipment of the workspace
	// whose tracking number is number, of any connection but except, locked
	// for update, without events; or ErrNotFound. The pipeline links a
	// tracking connection's updates to it (model.ShipmentLink), so that one
	// parcel is one shipment. Shipments written earlier in the transaction
	// count as they stand.
	ShipmentByTrackingNumber(ctx context.Context, workspace, number, except string) (*model.Shipment, error)
	// InsertShipment stores a new shipment and sets its ID.
	InsertShipment(ctx context.Context, s *model.Shipment) error
	// UpdateShipment stores a changed shipment (everything but its events).
	UpdateShipment(ctx context.Context, s *model.Shipment) error
	// InsertEvent adds an event to a shipment and sets its ID. It reports
	// inserted=false, and changes nothing, when the shipment already has an
	// event with the same DedupKey.
	InsertEvent(ctx context.Context, shipmentID int64, e *model.Event) (inserted bool, err error)
	// AppendFeed adds an entry to the workspace's event feed. Its ID is
	// assigned when the transaction writes it, at the end.
	AppendFeed(ctx context.Context, e *model.FeedEvent) error
	// MarkProcessed records that an inbox message was applied, or, with a
	// non-empty failure, that it could not be (it is then listed by
	// ListFailedInbox and not retried until RetryInbox or a reprocess).
	MarkProcessed(ctx context.Context, inboxID int64, failure string) error
	// DeferConnection sets every pending message of the connection aside
	// until the given time, those of this batch included: they stay
	// pending (counted, and never marked processed by this batch) but are
	// not handed out again before then. The pipeline uses it for a
	// connection this instance does not have in its configuration (yet),
	// so those messages neither get lost nor hold up the rest.
	DeferConnection(ctx context.Context, workspace, connection string, until time.Time) (int64, error)

	InventoryTx
	InboundTx
	ReturnsTx
	OrderTx
}

// ShipmentFilter selects shipments for ListShipments.
type ShipmentFilter struct {
	Workspace string
	// Reference matches any of a shipment's references exactly.
	Reference  string
	Status     model.Status
	Connection string
	// Provider selects the shipments of one provider (of any connection).
	Provider string
	// UpdatedFrom and UpdatedTo, when not zero, select the shipments last
	// updated at or after UpdatedFrom and before UpdatedTo. Either one
	// lists the shipments by their last update, newest first (then by id),
	// instead of by id.
	UpdatedFrom time.Time
	UpdatedTo   time.Time
	// BeforeID continues a listing: only shipments with a smaller id. In
	// update order, with BeforeUpdatedAt (the last shipment's UpdatedAt),
	// it continues after that shipment: updated before BeforeUpdatedAt,
	// or at it with a smaller id.
	BeforeID        int64
	BeforeUpdatedAt time.Time
	Limit           int
}

// InboxStats counts the inbox.
type InboxStats struct {
	// Total is every message kept, in any state.
	Total int64
	// Pending is the messages not yet applied, deferred ones included.
	Pending int64
	// Deferred is the pending messages set aside for a connection this
	// instance lacked (Tx.DeferConnection).
	Deferred int64
	// Failed is the messages that could not be normalised and wait for a
	// retry (ListFailedInbox).
	Failed int64
	// OldestPending is when the oldest pending message was received; zero
	// when none is pending.
	OldestPending time.Time
}

// FailedInboxFilter selects failed messages for ListFailedInbox.
type FailedInboxFilter struct {
	Workspace string
	// Connection, when not empty, selects one connection's messages.
	Connection string
	// BeforeID continues a listing: only messages with a smaller id.
	BeforeID int64
	Limit    int
}

// FailedMessage is a message the pipeline could not normalise, with why.
type FailedMessage struct {
	model.InboxMessage
	// Failure is the reason the pipeline gave.
	Failure string
	// FailedAt is when it failed.
	FailedAt time.Time
}

// Lease is one named lease and who holds it until when.
type Lease struct {
	Name      string
	Holder    string
	ExpiresAt time.Time
}

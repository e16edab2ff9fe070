package provider

import (
	"context"
	"log/slog"
	"time"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/store"
)

// Puller is a connector that pulls from its provider: package poll builds
// and runs its service for every connection (poll.NewManager).
type Puller interface {
	Connector
	// NewService builds the connection's polling service.
	NewService(env PollEnv) (PollService, error)
}

// ParcelTracker is a pull connector that keeps parcels current through
// trackers: the merchant API's POST /trackers accepts its connections.
type ParcelTracker interface {
	Puller
	// TracksParcels marks the capability.
	TracksParcels()
}

// PollService is a connection's background polling.
type PollService interface {
	Start(ctx context.Context)
	Stop(ctx context.Context) error
	// Wake makes it look for due work now.
	Wake()
}

// PollEnv is what a pull connector's service polls with.
type PollEnv struct {
	Workspace  string
	Connection string
	// Store is the inbox every poll response is committed to, the trackers'
	// home and the shared coordination.
	Store store.Store
	// Committed wakes the pipeline after new messages were committed.
	Committed func()
	// Holder is this instance's lease holder id.
	Holder string
	// Logger is the structured logger.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Metrics counts provider requests, rate budgets and recovered panics;
	// nil counts nothing.
	Metrics *metrics.Metrics
	// Limiters returns a connection's share of its credential's rate
	// budget (the budget registry's), for pullers that wait on it (WICS's
	// reconciliation, at background priority). Nil, or a nil Limiter,
	// means unlimited.
	Limiters func(workspace, connection string) Limiter
}

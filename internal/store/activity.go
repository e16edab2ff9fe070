package store

import (
	"context"
	"time"
)

// Activity answers when connections were last heard from, for
// GET /api/v1/connections (package connstatus).
type Activity interface {
	// LastInboxMessages returns, for each of the named connections of the
	// workspace that has any message in the inbox, when its newest message
	// was received; connections without one are absent from the map. It
	// reads the inbox's (workspace, connection, …) index, one connection at
	// a time, never the whole inbox.
	LastInboxMessages(ctx context.Context, workspace string, connections []string) (map[string]time.Time, error)
}

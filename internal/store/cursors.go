package store

import (
	"context"
	"time"
)

// Cursors keeps the small durable state of a connection's background sync
// (a reconciliation's watermark, the digest of the configuration its
// webhook subscriptions were last made to match), so that a restart, or
// another instance taking the work over, goes on where the last one
// stopped. Both SQL stores implement it (package sqlstore); it is not
// embedded in Store, so that test fakes of Store need not grow with it:
// callers assert it (open.Cursors). Only the leader of a connection's sync writes its cursors (it
// runs under a lease), so a cursor is set, not compared and swapped.
type Cursors interface {
	// GetCursor returns the connection's cursor of that name, or
	// ErrNotFound when it was never saved.
	GetCursor(ctx context.Context, workspace, connection, name string) (Cursor, error)
	// SaveCursor sets the cursor's value, creating it if need be, and sets
	// c.UpdatedAt to the time it was saved. Call it only once what the
	// value records is committed (the inbox messages a watermark passed).
	SaveCursor(ctx context.Context, c *Cursor) error
	// ListCursors lists a connection's cursors by name.
	ListCursors(ctx context.Context, workspace, connection string) ([]Cursor, error)
}

// Cursor is one named sync cursor of a connection. Value is opaque to the
// store: the connector that owns the name encodes it.
type Cursor struct {
	Workspace  string
	Connection string
	Name       string
	Value      string
	UpdatedAt  time.Time
}

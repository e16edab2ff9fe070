package store

import (
	"context"
	"time"
)

// RetentionTable names what a retention rule prunes. The names are also the
// table label of the shiphub_retention_deleted_total metric.
type RetentionTable string

// The tables a retention rule prunes, and the rows each one may delete.
// Nothing that is still pending, retrying, failed or dead-lettered is ever
// deleted: only finished work older than the cutoff.
const (
	// RetainDeliveries deletes delivered (succeeded) deliveries whose
	// delivery time is before the cutoff, with their attempt log. Pending,
	// retrying and dead-lettered deliveries are kept.
	RetainDeliveries RetentionTable = "deliveries"
	// RetainFeed deletes feed entries written before the cutoff once none of
	// their deliveries is pending, retrying or a dead letter. Their delivered
	// deliveries and attempt logs go with them: a feed entry's personal data
	// lives no longer than the feed keeps it.
	RetainFeed RetentionTable = "feed"
	// RetainInbox deletes processed inbox messages received before the
	// cutoff. Pending and failed messages are kept: they still have to be
	// applied (or retried after a mapping fix).
	RetainInbox RetentionTable = "inbox"
	// RetainIntakeErrors deletes intake errors received before the cutoff.
	RetainIntakeErrors RetentionTable = "intake_errors"
	// RetainTrackers deletes done and expired trackers whose last change is
	// before the cutoff. Active and not-found trackers are still polled and
	// are kept.
	RetainTrackers RetentionTable = "trackers"
	// RetainShipments deletes delivered, returned and cancelled shipments
	// whose last change is before the cutoff, with their events and
	// references.
	RetainShipments RetentionTable = "shipments"
	// RetainStockMutations deletes stock mutations recorded before the
	// cutoff. They are an append-only log (the stock figures themselves are
	// rows per SKU and stay); a rebuild appends again only the mutations
	// whose raw messages the inbox still keeps.
	RetainStockMutations RetentionTable = "stock_mutations"
	// RetainCommands deletes succeeded and dead commands whose last change
	// is before the cutoff, with their idempotency keys: a key is honoured
	// as long as its command is kept. Queued, running and failed commands
	// are still at work and are kept.
	RetainCommands RetentionTable = "commands"
)

// RetentionTables lists every table a retention rule prunes, in the order
// the retention service prunes them (deliveries before the feed they point
// to).
var RetentionTables = []RetentionTable{
	RetainDeliveries, RetainFeed, RetainInbox, RetainIntakeErrors, RetainTrackers, RetainShipments,
	RetainStockMutations, RetainCommands,
}

// Retention deletes what the retention policy no longer keeps, a small batch
// at a time, so no call holds the writer (SQLite) or many row locks
// (PostgreSQL) for long.
type Retention interface {
	// Prune deletes at most limit rows of table that its rule lets go and
	// that are older than before, starting after cursor (the zero cursor
	// starts at the oldest). It returns what it deleted, by table (related
	// rows that go with them, such as a delivery's attempts, are counted
	// under their own table), and the cursor to continue from. Rows the rule
	// keeps are passed over, not read again by the next call. Done is true
	// when nothing older than before is left after the cursor.
	Prune(ctx context.Context, table RetentionTable, before time.Time, cursor PruneCursor, limit int) (PruneResult, error)
	// ReclaimSpace lets the database reuse the space that deleted (and
	// updated) rows of the named tables (names as in PruneResult.Deleted)
	// take, so the database stops growing once retention deletes as much as
	// arrives. PostgreSQL vacuums the tables (needed where autovacuum is off
	// or behind); SQLite reuses freed pages by itself and does nothing. An
	// unknown table is an error.
	ReclaimSpace(ctx context.Context, tables []string) error
}

// PruneCursor is where a prune continues: after the row with this age and
// id, in (age, id) order.
type PruneCursor struct {
	At time.Time
	ID int64
}

// PruneResult is the outcome of one Prune call.
type PruneResult struct {
	// Deleted counts the rows deleted, by table name.
	Deleted map[string]int64
	// Next is the cursor of the next call.
	Next PruneCursor
	// Done means nothing older than the cutoff is left after Next.
	Done bool
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Retention = (*Store)(nil)

// pruneRule is what one retention rule reads and deletes. Its candidates
// come from a partial index of migration 00008 that holds only the rows the
// rule may delete, in (age, id) order, so a batch reads no row it keeps.
type pruneRule struct {
	// table is the table pruned; age is its time column.
	table, age string
	// where is the rule's condition: the predicate of its index.
	where string
	// keep, when set, is checked at delete time for each candidate (with
	// the table's name as the row): rows it matches are passed over.
	keep string
	// related lists the rows deleted with the table's rows, first: a
	// DELETE … WHERE <column> IN (ids) per related table, counted under it.
	related []relatedRows
}

// relatedRows are rows of another table that go with a pruned row.
type relatedRows struct {
	table string
	// where selects them by the pruned ids, which replace %s.
	where string
}

var pruneRules = map[store.RetentionTable]pruneRule{
	store.RetainDeliveries: {
		table: "deliveries", age: "delivered_at", where: "status = 'succeeded'",
		related: []relatedRows{{"delivery_attempts", "delivery_id IN (%s)"}},
	},
	store.RetainFeed: {
		table: "feed", age: "created_at", where: "1 = 1",
		// An entry with a delivery still pending, retrying or dead-lettered
		// is kept: its merchant has not been told yet.
		keep: "EXISTS (SELECT 1 FROM deliveries d WHERE d.feed_id = feed.id AND d.status <> 'succeeded')",
		related: []relatedRows{
			{"delivery_attempts", "delivery_id IN (SELECT id FROM deliveries WHERE feed_id IN (%s))"},
			{"deliveries", "feed_id IN (%s)"},
		},
	},
	store.RetainInbox: {
		table: "inbox", age: "received_at", where: "processed_at IS NOT NULL AND failure IS NULL",
	},
	store.RetainIntakeErrors: {
		table: "intake_errors", age: "received_at", where: "1 = 1",
	},
	store.RetainTrackers: {
		table: "trackers", age: "updated_at", where: "state IN ('done', 'expired')",
	},
	store.RetainShipments: {
		table: "shipments", age: "updated_at", where: "status IN ('delivered', 'returned', 'cancelled')",
		related: []relatedRows{
			{"events", "shipment_id IN (%s)"},
			{"shipment_refs", "shipment_id IN (%s)"},
		},
	},
	store.RetainStockMutations: {
		table: "stock_mutations", age: "created_at", where: "1 = 1",
	},
	store.RetainCommands: {
		table: "commands", age: "updated_at", where: "status IN ('succeeded', 'dead')",
		related: []relatedRows{{"idempotency_keys", "command_id IN (%s)"}},
	},
}

// Prune deletes one batch of what table's rule lets go. The candidates are
// read and locked (PostgreSQL: FOR UPDATE SKIP LOCKED, so a row the pipeline
// is changing is passed over rather than waited for) and deleted in one
// transaction, with the rows that go with them.
func (s *Store) Prune(ctx context.Context, table store.RetentionTable, before time.Time, cursor store.PruneCursor, limit int) (store.PruneResult, error) {
	res := store.PruneResult{Deleted: map[string]int64{}, Next: cursor}
	if s.isClosed.Load() {
		return res, store.ErrClosed
	}
	r, ok := pruneRules[table]
	if !ok {
		return res, fmt.Errorf("pruning: unknown table %q", table)
	}
	if limit <= 0 {
		limit = 500
	}
	lock := ""
	if s.dialect.LockSuffix != "" {
		lock = s.dialect.LockSuffix + " SKIP LOCKED"
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("pruning %s: %w", table, err)
	}
	defer rollback(wtx)

	// The zero cursor starts before every row: ages are never that old.
	after := int64(-1 << 62)
	if !cursor.At.IsZero() {
		after = micros(cursor.At)
	}
	rows, err := wtx.QueryContext(ctx, s.dialect.bind(fmt.Sprintf(`SELECT id, %[2]s FROM %[1]s
		WHERE %[3]s AND %[2]s < ? AND (%[2]s > ? OR (%[2]s = ? AND id > ?))
		ORDER BY %[2]s, id LIMIT ?`, r.table, r.age, r.where)+lock),
		micros(before), after, after, cursor.ID, limit)
	if err != nil {
		return res, fmt.Errorf("pruning %s: finding candidates: %w", table, err)
	}
	var ids []any
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			_ = rows.Close()
			return res, fmt.Errorf("pruning %s: finding candidates: %w", table, err)
		}
		ids = append(ids, id)
		res.Next = store.PruneCursor{At: fromMicros(at), ID: id}
	}
	if err := rows.Close(); err != nil {
		return res, fmt.Errorf("pruning %s: finding candidates: %w", table, err)
	}
	res.Done = len(ids) < limit
	if len(ids) == 0 {
		return res, nil
	}
	if r.keep != "" {
		if ids, err = s.dropKept(ctx, wtx, r, ids); err != nil {
			return res, fmt.Errorf("pruning %s: %w", table, err)
		}
	}
	if len(ids) > 0 {
		in := placeholders(len(ids))
		for _, rel := range r.related {
			n, err := execCount(ctx, wtx, s.dialect.bind(`DELETE FROM `+rel.table+` WHERE `+strings.ReplaceAll(rel.where, "%s", in)), repeatArgs(ids, strings.Count(rel.where, "%s"))...)
			if err != nil {
				return res, fmt.Errorf("pruning %s: deleting its %s: %w", table, rel.table, err)
			}
			res.Deleted[rel.table] += n
		}
		n, err := execCount(ctx, wtx, s.dialect.bind(`DELETE FROM `+r.table+` WHERE id IN (`+in+`)`), ids...)
		if err != nil {
			return res, fmt.Errorf("pruning %s: %w", table, err)
		}
		res.Deleted[r.table] += n
	}
	if err := wtx.Commit(); err != nil {
		return store.PruneResult{Deleted: map[string]int64{}, Next: cursor}, fmt.Errorf("pruning %s: committing: %w", table, err)
	}
	return res, nil
}

// dropKept returns the candidates the rule's keep condition does not hold.
func (s *Store) dropKept(ctx context.Context, wtx *sql.Tx, r pruneRule, ids []any) ([]any, error) {
	rows, err := wtx.QueryContext(ctx, s.dialect.bind(`SELECT id FROM `+r.table+` WHERE id IN (`+placeholders(len(ids))+`) AND NOT `+r.keep), ids...)
	if err != nil {
		return nil, fmt.Errorf("checking what is still needed: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("checking what is still needed: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checking what is still needed: %w", err)
	}
	return out, nil
}

// execCount runs a statement and returns how many rows it changed.
func execCount(ctx context.Context, wtx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := wtx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// repeatArgs is ids n times over, for a statement that names them n times.
func repeatArgs(ids []any, n int) []any {
	out := make([]any, 0, n*len(ids))
	for range n {
		out = append(out, ids...)
	}
	return out
}

// reclaimable are the tables ReclaimSpace accepts: those Prune deletes from.
var reclaimable = func() map[string]bool {
	out := map[string]bool{}
	for _, r := range pruneRules {
		out[r.table] = true
		for _, rel := range r.related {
			out[rel.table] = true
		}
	}
	return out
}()

// ReclaimSpace vacuums the tables where the dialect needs it. Each VACUUM
// runs on its own (it cannot run in a transaction) and takes no lock that
// stops reads or writes.
func (s *Store) ReclaimSpace(ctx context.Context, tables []string) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	for _, t := range tables {
		if !reclaimable[t] {
			return fmt.Errorf("reclaiming space: unknown table %q", t)
		}
	}
	if s.dialect.VacuumTable == "" {
		return nil
	}
	for _, t := range tables {
		if _, err := s.writer.ExecContext(ctx, s.dialect.VacuumTable+t); err != nil {
			return fmt.Errorf("reclaiming the space of %s: %w", t, err)
		}
	}
	return nil
}

package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// The statistics keeper. PostgreSQL plans every query from table statistics,
// and a table that was empty when last analysed is planned as if it still
// were: sequential scans and hash joins over tables that have since grown to
// thousands of rows. Autovacuum re-analyses a table only after a tenth of it
// changed and at most once a minute, so a new hub that takes a burst of
// traffic spends that minute scanning (measured: deliveries 644/s before,
// 2,713/s with fresh statistics). The keeper looks at the hot tables every
// few seconds and analyses one
//   - once more rows changed since its last analysis than it then had (and
//     at least 500): a growing table is analysed at 500 rows, 1,000, 2,000
//     and so on, so its plans are never made for a table less than half its
//     size;
//   - or once a fifth of it changed, at most every staleAfter: in a table
//     of about constant size the mix of its rows moves (deliveries go from
//     pending to succeeded and back into a backlog when an endpoint is down),
//     and statistics from before a backlog plan for a few pending rows.
//
// It also vacuums the queue tables, whose rows are updated as they move
// through the queue (deliveries: claimed, then recorded; inbox: processed),
// once their dead rows pass a tenth of the live ones (and 10,000). Each
// finished row leaves a dead entry at the head of the partial index its
// claim reads in due order (deliveries_due, inbox_pending), which every
// later claim walks past until a vacuum removes it: during a soak at 300
// messages a second, with autovacuum off as on this project's CI server,
// a delivery claim spent 10–18 ms walking past 583,000 dead rows, and
// 0.02 ms after one VACUUM (1.3 s). Autovacuum, where it is on, comes at
// most once a minute and after a fifth of the table died.
//
// (A fifth, every 2 s, the first rule, analysed the growing tables of a
// burst on every pass: ANALYZE was running in a third of the PostgreSQL
// server's samples during the end-to-end benchmark, 7 % with the doubling rule alone.)

// staleAfter is how long the statistics of a table whose size has not
// doubled may lag behind a fifth of it changing.
const staleAfter = 30 * time.Second

// statsInterval is how often the keeper looks (Config.statsEvery, for
// tests, overrides it).
const statsInterval = 2 * time.Second

// statsLockKey keeps instances from analysing the same tables at once.
const statsLockKey = 0x5348495048554231 // "SHIPHUB1"

// keeperStatisticsTarget is the statistics target of the keeper's
// analyses: a sample of 300 times it rows (3,000), ten common values and a
// histogram of ten buckets a column. What the hot paths' plans turn on is a
// table's size and the shares of its few states (pending, succeeded…), and a
// sample of 3,000 gives those to within a few per cent; the default target
// (100, a sample of 30,000) made the keeper's analyses 12–15 % of the
// server's CPU in the end-to-end benchmark, a 60,000-row table taking 45–75
// ms instead of 7–13. Columns whose target is set in the schema keep it
// (the documents': none, migration 00027), and autovacuum's or an
// operator's ANALYZE still uses the server's default.
const keeperStatisticsTarget = 10

// hotTables are the tables whose plans matter on the hot paths.
var hotTables = []string{"inbox", "shipments", "shipment_refs", "events", "feed", "deliveries", "trackers"}

// keepStatistics is the keeper's loop: every interval, until ctx ends, it
// analyses the stale hot tables and vacuums the queue tables with many
// dead rows.
func (s *Store) keepStatistics(ctx context.Context, db *sql.DB, every time.Duration) {
	defer close(s.statsDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := analyzeStale(ctx, db, staleAfter); err != nil && ctx.Err() == nil {
			slog.Debug("refreshing table statistics failed", "error", err)
		}
		if err := vacuumDead(ctx, db, queueTables); err != nil && ctx.Err() == nil {
			slog.Debug("vacuuming the queue tables failed", "error", err)
		}
	}
}

// queueTables are the hot tables whose rows move through a queue and die
// fast (see the keeper's comment).
var queueTables = []string{"deliveries", "inbox"}

// vacuumLockKey keeps instances from vacuuming the same tables at once.
const vacuumLockKey = statsLockKey + 1

// quotedList is names as SQL string literals, for an IN list. The names
// are the package's own, not outside input.
func quotedList(names []string) string {
	quoted := make([]string, len(names))
	for i, t := range names {
		quoted[i] = "'" + t + "'"
	}
	return strings.Join(quoted, ", ")
}

// tablesWhere lists the tables of names whose pg_stat_user_tables row (as
// t, joined with its pg_class row as c) meets cond.
func tablesWhere(ctx context.Context, db *sql.DB, names []string, cond string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT t.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
		WHERE t.schemaname = current_schema() AND t.relname IN (`+quotedList(names)+`) AND (`+cond+`)`)
	if err != nil {
		return nil, fmt.Errorf("reading table statistics: %w", err)
	}
	var found []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return nil, err
		}
		found = append(found, name)
	}
	return found, rows.Close()
}

// analyzeStale analyses the hot tables whose statistics are stale, under a
// transaction-scoped advisory lock so one instance does it at a time.
func analyzeStale(ctx context.Context, db *sql.DB, staleAfter time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// reltuples is the row count of the last analysis (or vacuum); -1
	// before the first. The keeper's analyses are last_analyze.
	stale, err := tablesWhere(ctx, db, hotTables, `t.n_mod_since_analyze > GREATEST(500, c.reltuples)
		OR (t.n_mod_since_analyze > GREATEST(500, 0.2 * c.reltuples)
			AND GREATEST(t.last_analyze, t.last_autoanalyze) < now() - `+strconv.FormatFloat(staleAfter.Seconds(), 'f', 3, 64)+` * interval '1 second')`)
	if err != nil || len(stale) == 0 {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var got bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock("+strconv.FormatInt(statsLockKey, 10)+")").Scan(&got); err != nil || !got {
		return err
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL default_statistics_target = "+strconv.Itoa(keeperStatisticsTarget)); err != nil {
		return fmt.Errorf("analysing %v: %w", stale, err)
	}
	// The names come from hotTables, not from outside input.
	if _, err := tx.ExecContext(ctx, "ANALYZE "+strings.Join(stale, ", ")); err != nil {
		return fmt.Errorf("analysing %v: %w", stale, err)
	}
	return tx.Commit()
}

// vacuumDead vacuums the tables of names whose dead rows pass a tenth of
// the live ones (and 10,000), under a session advisory lock (VACUUM cannot
// run in a transaction) so one instance does it at a time.
func vacuumDead(ctx context.Context, db *sql.DB, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	dead, err := tablesWhere(ctx, db, names, `t.n_dead_tup > GREATEST(10000, t.n_live_tup / 10)`)
	if err != nil || len(dead) == 0 {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	key := strconv.FormatInt(vacuumLockKey, 10)
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock("+key+")").Scan(&got); err != nil || !got {
		return err
	}
	defer func() {
		// After a cancelled ctx the pool drops the connection, which ends
		// the lock with its session; otherwise it is released here.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+key+")")
	}()
	for _, table := range dead {
		// The names come from the package's own lists, not outside input.
		if _, err := conn.ExecContext(ctx, "VACUUM "+table); err != nil {
			return fmt.Errorf("vacuuming %s: %w", table, err)
		}
	}
	return nil
}

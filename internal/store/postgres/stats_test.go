package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestAnalyzeStaleWhenTheTableDoubled drives the statistics keeper's rules
// directly (no keeper runs: the database is migrated by hand): a table is
// analysed at 500 changed rows, then again once more rows changed than it
// had at its last analysis, or once a fifth of it changed and its last
// analysis is older than staleAfter.
func TestAnalyzeStaleWhenTheTableDoubled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := migratedDB(ctx, t)
	// Autovacuum would analyse the table too, at its own moments.
	if _, err := db.ExecContext(ctx, "ALTER TABLE feed SET (autovacuum_enabled = false); ANALYZE feed"); err != nil {
		t.Fatal(err)
	}
	total := 0
	insert := func(n int) {
		t.Helper()
		if n == 0 {
			return
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'ws', 'shipment.created', g, g, '{}' FROM generate_series(1, $1::int) g`, n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	waitForCounters := func(modified int) {
		t.Helper()
		feedStats(ctx, t, db, "every change since the last analysis counted", func(st tableStats) bool { return st.modified >= modified })
	}
	analysedRows := func() int {
		t.Helper()
		var n float64
		if err := db.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE relname = 'feed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	steps := []struct {
		insert       int
		sinceAnalyze int
		staleAfter   time.Duration
		wantAnalysed int // reltuples after analyzeStale
	}{
		{insert: 400, sinceAnalyze: 400, staleAfter: time.Hour, wantAnalysed: 0},      // under 500 changes: not yet
		{insert: 200, sinceAnalyze: 600, staleAfter: time.Hour, wantAnalysed: 600},    // 600 > 500: analysed
		{insert: 500, sinceAnalyze: 500, staleAfter: time.Hour, wantAnalysed: 600},    // 500 changes of a 600-row table: not yet
		{insert: 200, sinceAnalyze: 700, staleAfter: time.Hour, wantAnalysed: 1300},   // 700 > 600: analysed
		{insert: 1000, sinceAnalyze: 1000, staleAfter: time.Hour, wantAnalysed: 1300}, // a fifth, but analysed less than staleAfter ago
		{insert: 0, sinceAnalyze: 1000, staleAfter: 0, wantAnalysed: 2300},            // a fifth, analysed longer ago than staleAfter
	}
	for i, st := range steps {
		insert(st.insert)
		waitForCounters(st.sinceAnalyze)
		if err := analyzeStale(ctx, db, st.staleAfter); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := analysedRows(); got != st.wantAnalysed {
			t.Fatalf("step %d (%d rows in all): the last analysis saw %d rows, want %d", i, total, got, st.wantAnalysed)
		}
	}
}

// TestVacuumDeadWhenATenthDied drives the keeper's vacuum rule directly: a
// table is vacuumed once its dead rows pass 10,000 and a tenth of the live.
func TestVacuumDeadWhenATenthDied(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := migratedDB(ctx, t)
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE feed SET (autovacuum_enabled = false);
		INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'ws', 'shipment.created', g, g, '{}' FROM generate_series(1, 40000) g`)
	deadRows := func(n int) func(tableStats) bool { return func(st tableStats) bool { return st.dead >= n } }
	now := func(tableStats) bool { return true }

	exec(`DELETE FROM feed WHERE id <= 5000`)
	feedStats(ctx, t, db, "5,000 dead rows", deadRows(5000))
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	if feedStats(ctx, t, db, "", now).vacuumed {
		t.Fatal("5,000 dead rows of 35,000 (under 10,000) were vacuumed")
	}

	exec(`DELETE FROM feed WHERE id <= 15000`)
	feedStats(ctx, t, db, "15,000 dead rows", deadRows(15000))
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	feedStats(ctx, t, db, "the 15,000 dead rows of 25,000 vacuumed", func(st tableStats) bool { return st.vacuumed && st.dead == 0 })
}

// migratedDB is a fresh test database with the hub's schema and no store
// (so no statistics keeper runs beside the test), closed when it ends.
func migratedDB(ctx context.Context, t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", TestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// tableStats is a table's row of pg_stat_user_tables, in part.
type tableStats struct {
	modified, dead int  // n_mod_since_analyze, n_dead_tup
	vacuumed       bool // last_vacuum is set
}

// feedStats reads feed's statistics until done accepts them, and fails the
// test with want after 30 s: PostgreSQL publishes a backend's table
// counters about once a second, so they are polled.
func feedStats(ctx context.Context, t *testing.T, db *sql.DB, want string, done func(tableStats) bool) tableStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		var st tableStats
		var last sql.NullTime
		if err := db.QueryRowContext(ctx, `SELECT n_mod_since_analyze, n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = 'feed'`).Scan(&st.modified, &st.dead, &last); err != nil {
			t.Fatal(err)
		}
		st.vacuumed = last.Valid
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed's statistics after 30 s: %+v; want %s", st, want)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

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
	// PostgreSQL publishes a backend's table counters about once a second:
	// wait until they show every change since the last analysis.
	waitForCounters := func(modified int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'feed'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n >= modified {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("feed shows %d modified rows after 30 s, want %d", n, modified)
			}
			time.Sleep(50 * time.Millisecond) // polling the server's counters, with the deadline above
		}
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
	// The table counters are published about once a second: poll them.
	stats := func(wantDead int) (dead int, vacuumed bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var last sql.NullTime
			if err := db.QueryRowContext(ctx, `SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = 'feed'`).Scan(&dead, &last); err != nil {
				t.Fatal(err)
			}
			if dead >= wantDead || time.Now().After(deadline) {
				return dead, last.Valid
			}
			time.Sleep(50 * time.Millisecond) // polling the server's counters, with the deadline above
		}
	}

	exec(`DELETE FROM feed WHERE id <= 5000`)
	if dead, _ := stats(5000); dead < 5000 {
		t.Fatalf("feed shows %d dead rows after 30 s, want 5,000", dead)
	}
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	if _, vacuumed := stats(0); vacuumed {
		t.Fatal("5,000 dead rows of 35,000 (under 10,000) were vacuumed")
	}

	exec(`DELETE FROM feed WHERE id <= 15000`)
	if dead, _ := stats(15000); dead < 15000 {
		t.Fatalf("feed shows %d dead rows after 30 s, want 15,000", dead)
	}
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if dead, vacuumed := stats(0); vacuumed && dead == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("15,000 dead rows of 25,000 were not vacuumed")
		}
		time.Sleep(50 * time.Millisecond) // polling the server's counters, with the deadline above
	}
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

package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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
		waitForStats(ctx, t, db, "feed", "every change since the last analysis counted", func(st tableStats) bool { return st.modified >= modified })
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
	waitForStats(ctx, t, db, "feed", "5,000 dead rows", deadRows(5000))
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	if waitForStats(ctx, t, db, "feed", "", now).vacuumed {
		t.Fatal("5,000 dead rows of 35,000 (under 10,000) were vacuumed")
	}

	exec(`DELETE FROM feed WHERE id <= 15000`)
	waitForStats(ctx, t, db, "feed", "15,000 dead rows", deadRows(15000))
	if err := vacuumDead(ctx, db, []string{"feed"}); err != nil {
		t.Fatal(err)
	}
	waitForStats(ctx, t, db, "feed", "the 15,000 dead rows of 25,000 vacuumed", func(st tableStats) bool { return st.vacuumed && st.dead == 0 })
}

// TestKeeperAnalysesAndVacuumsOnItsTicks starts a store, whose statistics
// keeper looks every 50 ms here (every 2 s by default), and waits for it
// to analyse a table that grew and to vacuum a queue table of which most
// rows died: the rules' own tests above call analyzeStale and vacuumDead
// themselves, and would pass with a keeper that never called them. With
// autovacuum off, as on this project's CI server and for these tables
// here, only the keeper runs VACUUM and ANALYZE on them (and autovacuum's
// would not count: vacuum_count and analyze_count are the others).
func TestKeeperAnalysesAndVacuumsOnItsTicks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := TestDatabase(t)
	s, err := New(ctx, Config{URL: url, MaxConns: 4, statsEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(ctx, `ALTER TABLE deliveries SET (autovacuum_enabled = false);
		ALTER TABLE feed SET (autovacuum_enabled = false);
		INSERT INTO endpoints (workspace, url, events, secret, source, created_at, updated_at)
			VALUES ('ws', 'https://example.com/hooks', '["*"]', 'x', 'api', 1, 1);
		INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'ws', 'shipment.created', g, g, '{}' FROM generate_series(1, 30000) g;
		INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, created_at, updated_at)
			SELECT 'ws', (SELECT id FROM endpoints), f.id, f.type, 'shipment:' || f.subject_id, 'succeeded', f.id, f.id, f.id FROM feed f`); err != nil {
		t.Fatal(err)
	}
	waitForStats(ctx, t, db, "feed", "30,000 new rows analysed by the keeper", func(st tableStats) bool { return st.analyses > 0 && st.modified == 0 })

	// Retention deletes the finished deliveries: 30,000 dead rows, none live.
	before := waitForStats(ctx, t, db, "deliveries", "", func(tableStats) bool { return true })
	if _, err := db.ExecContext(ctx, `DELETE FROM deliveries`); err != nil {
		t.Fatal(err)
	}
	waitForStats(ctx, t, db, "deliveries", "the 30,000 dead rows vacuumed by the keeper", func(st tableStats) bool {
		return st.vacuums > before.vacuums && st.dead == 0
	})
}

// migratedDB is a fresh test database with the hub's schema and no store
// (so no statistics keeper runs beside the test), closed when it ends.
func migratedDB(ctx context.Context, t *testing.T) *sql.DB {
	t.Helper()
	return tracedMigratedDB(ctx, t, nil)
}

// tracedMigratedDB is migratedDB with tracer (when not nil) told of every
// statement, and JIT off, as on the store's connections.
func tracedMigratedDB(ctx context.Context, t *testing.T, tracer pgx.QueryTracer) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(TestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["jit"] = "off"
	if tracer != nil {
		cfg.Tracer = tracer
	}
	db := stdlib.OpenDB(*cfg)
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
	// vacuums and analyses are vacuum_count and analyze_count: VACUUM and
	// ANALYZE run by hand (or by the keeper), not by autovacuum.
	vacuums, analyses int
}

// waitForStats reads table's statistics until done accepts them, and
// fails the test with want after 30 s: PostgreSQL publishes a backend's
// table counters about once a second, so they are polled.
func waitForStats(ctx context.Context, t *testing.T, db *sql.DB, table, want string, done func(tableStats) bool) tableStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		var st tableStats
		var last sql.NullTime
		if err := db.QueryRowContext(ctx, `SELECT n_mod_since_analyze, n_dead_tup, last_vacuum, vacuum_count, analyze_count
			FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = $1`, table).Scan(
			&st.modified, &st.dead, &last, &st.vacuums, &st.analyses); err != nil {
			t.Fatal(err)
		}
		st.vacuumed = last.Valid
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's statistics after 30 s: %+v; want %s", table, st, want)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

// TestDocumentColumnsHaveNoStatistics analyses the hot tables with rows in
// them and checks which columns PostgreSQL kept statistics of: the keys the
// hub filters on, and none of the JSON documents and raw bodies
// (migration 00027), whose sorting was most of an analysis's work.
func TestDocumentColumnsHaveNoStatistics(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := migratedDB(ctx, t)
	for _, q := range []string{
		`INSERT INTO inbox (workspace, connection, provider, source, dedup_key, meta, body, received_at)
			SELECT 'ws', 'courier', 'courier', 'webhook', 'k' || g, '{"h":' || g || '}', convert_to('{"n":' || g || '}', 'UTF8'), g FROM generate_series(1, 200) g`,
		`INSERT INTO shipments (workspace, connection, provider, provider_ref, ref_key, status, doc, created_at, updated_at)
			SELECT 'ws', 'courier', 'courier', 'r' || g, 'ws/courier/r' || g, 'in_transit', '{"id":' || g || '}', g, g FROM generate_series(1, 200) g`,
		`INSERT INTO events (shipment_id, occurred_at, doc, status) SELECT id, id, '{"e":' || id || '}', 'in_transit' FROM shipments`,
		`INSERT INTO feed (workspace, type, subject_id, occurred_at, data) SELECT 'ws', 'shipment.created', id, id, '{"f":' || id || '}' FROM shipments`,
		`ANALYZE inbox, shipments, events, feed`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT tablename || '.' || attname FROM pg_stats
		WHERE schemaname = current_schema() AND tablename IN ('inbox', 'shipments', 'events', 'feed')`)
	if err != nil {
		t.Fatal(err)
	}
	analysed := map[string]bool{}
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		analysed[col] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"inbox.workspace", "inbox.processed_at", "shipments.status", "shipments.updated_at", "events.shipment_id", "feed.subject_id"} {
		if !analysed[col] {
			t.Errorf("%s has no statistics; analysed: %v", col, analysed)
		}
	}
	for _, col := range []string{"inbox.body", "inbox.meta", "shipments.doc", "events.doc", "feed.data"} {
		if analysed[col] {
			t.Errorf("%s has statistics", col)
		}
	}
}

// TestKeeperAnalysesWithASmallSample: the keeper's analysis of a stale
// table keeps a histogram of keeperStatisticsTarget buckets (a sample of
// 300 times as many rows), where an ANALYZE at the server's default
// target (100 unless set otherwise) keeps that many.
func TestKeeperAnalysesWithASmallSample(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := migratedDB(ctx, t)
	if _, err := db.ExecContext(ctx, `ALTER TABLE feed SET (autovacuum_enabled = false);
		INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'ws', 'shipment.created', g, g, '{}' FROM generate_series(1, 5000) g`); err != nil {
		t.Fatal(err)
	}
	buckets := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(array_length(histogram_bounds::text::bigint[], 1) - 1, 0) FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = 'feed' AND attname = 'subject_id'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitForStats(ctx, t, db, "feed", "the inserts counted", func(st tableStats) bool { return st.modified >= 5000 })
	if err := analyzeStale(ctx, db, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := buckets(); got != keeperStatisticsTarget {
		t.Fatalf("after the keeper's analysis: %d histogram buckets of feed.subject_id, want %d", got, keeperStatisticsTarget)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE feed`); err != nil {
		t.Fatal(err)
	}
	var serverTarget int
	if err := db.QueryRowContext(ctx, `SELECT current_setting('default_statistics_target')::int`).Scan(&serverTarget); err != nil {
		t.Fatal(err)
	}
	if got := buckets(); got != serverTarget {
		t.Fatalf("after an ANALYZE at the server's default target: %d histogram buckets, want %d", got, serverTarget)
	}
}

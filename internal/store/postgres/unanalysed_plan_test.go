package postgres

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// TestClaimBeforeTheFirstAnalyze plans the delivery claim against a
// deliveries table that was filled after it was created and never
// analysed, as on a new hub in its first burst, before the statistics
// keeper's first pass: the subject-ordering check must go through
// deliveries_pending_subject. Through deliveries_by_endpoint (what the
// planner picked for NOT EXISTS) it read every pending delivery of the
// endpoint for each candidate, and a claim over 50,000 of them took more
// than a minute.
func TestClaimBeforeTheFirstAnalyze(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", TestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE deliveries SET (autovacuum_enabled = false);
		ALTER TABLE feed SET (autovacuum_enabled = false);
		INSERT INTO endpoints (workspace, url, events, secret, source, created_at, updated_at)
			VALUES ('ws', 'https://example.com/hooks', '*', 'x', 'api', 1, 1);
		INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'ws', 'shipment.created', g / 3, g, '{}' FROM generate_series(1, 30000) g;
		INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, created_at, updated_at)
			SELECT 'ws', (SELECT id FROM endpoints), f.id, f.type, 'shipment:' || f.subject_id, 'pending', f.id, f.id, f.id FROM feed f`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.New(sqlstore.Options{Dialect: Dialect, Writer: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	claim := s.DeliveryStatementsForPlanTests()["claim"]
	rows, err := db.QueryContext(ctx, "EXPLAIN "+claim, int64(1)<<60, int64(1)<<50, int64(1)<<50, 128)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	if strings.Contains(all, "deliveries_by_endpoint") || !strings.Contains(all, "deliveries_pending_subject") {
		t.Fatalf("the claim's ordering check does not read deliveries_pending_subject alone:\n%s", all)
	}
}

package postgres

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// subjectCheckByIndex is the claim's ordering check read as it must be:
// deliveries_pending_subject searched for the candidate's endpoint and
// subject (the next plan line), not walked whole beside a join filter.
var subjectCheckByIndex = regexp.MustCompile(`deliveries_pending_subject on deliveries p[^\n]*\n\s*Index Cond: \(\(endpoint_id = d\.endpoint_id\) AND \(subject = d\.subject\)`)

// TestClaimPlanWithStaleStatistics plans the delivery claim against a
// backlog of pending deliveries for one endpoint that the table's
// statistics do not know of: never analysed (a new hub's first burst,
// before the statistics keeper's first pass), and analysed while nothing
// was pending (a backlog that built up since). The subject-ordering check
// must search deliveries_pending_subject for each candidate. Read through
// deliveries_by_endpoint (the planner's choice without statistics) or as
// an anti join walking the whole pending index (its choice with the stale
// ones), a claim took more than a minute and 1.4 s.
func TestClaimPlanWithStaleStatistics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// setup runs after the migrations, with autovacuum off.
		setup string
	}{
		{"never analysed", `
			INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
				SELECT 'ws', 'shipment.created', g / 3, g, '{}' FROM generate_series(1, 30000) g;
			INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, created_at, updated_at)
				SELECT 'ws', (SELECT id FROM endpoints), f.id, f.type, 'shipment:' || f.subject_id, 'pending', f.id, f.id, f.id FROM feed f`},
		{"analysed before the backlog", `
			INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
				SELECT 'ws', 'shipment.created', g / 3, g, '{}' FROM generate_series(1, 90000) g;
			INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, created_at, updated_at)
				SELECT 'ws', (SELECT id FROM endpoints), f.id, f.type, 'shipment:' || f.subject_id, 'succeeded', f.id, f.id, f.id FROM feed f;
			ANALYZE deliveries;
			UPDATE deliveries SET status = 'pending' WHERE id > 60000`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
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
					VALUES ('ws', 'https://example.com/hooks', '*', 'x', 'api', 1, 1);`+c.setup); err != nil {
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
			if strings.Contains(all, "deliveries_by_endpoint") || !subjectCheckByIndex.MatchString(all) {
				t.Fatalf("the claim's ordering check does not search deliveries_pending_subject by endpoint and subject:\n%s", all)
			}
		})
	}
}

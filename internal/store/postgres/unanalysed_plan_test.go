package postgres

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// subjectSearched are the delivery statements whose reads of a subject's
// pending deliveries must be searches of deliveries_pending_subject by
// endpoint and subject (the plan line after the scan), not walks of it
// beside a join filter, with what each is explained with.
var subjectSearched = []struct {
	statement string
	args      []any
	search    *regexp.Regexp
}{
	// The claim's ordering check, for each candidate d.
	{"claim", []any{int64(1) << 60, int64(1) << 50, int64(1) << 50, 128},
		regexp.MustCompile(`deliveries_pending_subject on deliveries p[^\n]*\n\s*Index Cond: \(\(endpoint_id = d\.endpoint_id\) AND \(subject = d\.subject\)`)},
	// Unparking: the deliveries behind each finished head f.
	{"unpark", []any{int64(1) << 50, int64(1) << 50, []int64{60010, 60020, 60030, 60040, 60050, 60060, 60070, 60080}},
		regexp.MustCompile(`deliveries_pending_subject on deliveries q[^\n]*\n\s*Index Cond: \(\(endpoint_id = f\.endpoint_id\) AND \(subject = f\.subject\)`)},
}

// TestDeliveryPlansWithStaleStatistics plans the delivery claim and
// unparking against a backlog of pending deliveries for one endpoint that the table's
// statistics do not know of: never analysed (a new hub's first burst,
// before the statistics keeper's first pass), and analysed while nothing
// was pending (a backlog that built up since). The subject-ordering check
// must search deliveries_pending_subject for each candidate, and unparking
// for each finished head. Read through deliveries_by_endpoint (the
// planner's choice without statistics) or as a join walking the whole
// pending index (its choice with the stale ones), a claim took more than a
// minute and 1.4 s, and an unpark of 8 heads 3.0 s.
func TestDeliveryPlansWithStaleStatistics(t *testing.T) {
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
			db := migratedDB(ctx, t)
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
			for _, st := range subjectSearched {
				query := s.DeliveryStatementsForPlanTests()[st.statement]
				rows, err := db.QueryContext(ctx, "EXPLAIN "+query, st.args...)
				if err != nil {
					t.Fatalf("%s: %v", st.statement, err)
				}
				var plan []string
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, line)
				}
				if err := rows.Close(); err != nil {
					t.Fatal(err)
				}
				all := strings.Join(plan, "\n")
				if strings.Contains(all, "deliveries_by_endpoint") || !st.search.MatchString(all) {
					t.Errorf("%s does not search deliveries_pending_subject by endpoint and subject:\n%s", st.statement, all)
				}
			}
		})
	}
}

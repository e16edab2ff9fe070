package postgres

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// staleChecked are the delivery statements whose plans
// TestDeliveryPlansWithStaleStatistics checks, with what each is explained
// with and the plan lines it must have: each a search of an index by the
// statement's own keys. A statement is a name of
// DeliveryStatementsForPlanTests, or "record", the attempt record (from
// unnested arrays), explained as the store sent it (args nil) in the
// test's claim and record cycle.
var staleChecked = []struct {
	statement string
	args      []any
	want      []*regexp.Regexp
}{
	// The claim's ordering check, for each candidate d.
	{"claim", []any{int64(1) << 60, int64(1) << 50, int64(1) << 50, 128}, []*regexp.Regexp{
		regexp.MustCompile(`deliveries_pending_subject on deliveries p[^\n]*\n\s*Index Cond: \(\(endpoint_id = d\.endpoint_id\) AND \(subject = d\.subject\)`),
	}},
	// Unparking: the deliveries behind each finished head f.
	{"unpark", []any{int64(1) << 50, int64(1) << 50, []int64{60010, 60020, 60030, 60040, 60050, 60060, 60070, 60080}}, []*regexp.Regexp{
		regexp.MustCompile(`deliveries_pending_subject on deliveries q[^\n]*\n\s*Index Cond: \(\(endpoint_id = f\.endpoint_id\) AND \(subject = f\.subject\)`),
	}},
	// Parking, after a claim that fell short of its limit: the due range
	// up to now, each blocked delivery's head searched by its subject.
	{"park", []any{int64(1) << 50, int64(1) << 50, int64(1) << 50, int64(1) << 50, int64(1) << 50}, []*regexp.Regexp{
		regexp.MustCompile(`deliveries_due[^\n]*\n\s*Index Cond: \(next_attempt_at <= `),
		regexp.MustCompile(`deliveries_pending_subject on deliveries h\w*[^\n]*\n\s*Index Cond: \(\(endpoint_id = d\.endpoint_id\) AND \(subject = d\.subject\)`),
	}},
	// Parking after a claim that took its limit: the due range up to the
	// last claimed delivery (due at 61,000, id 61,000), in two ranges.
	{"park full", []any{int64(1) << 50, int64(61000), int64(1) << 50, int64(1) << 50, int64(1) << 50, int64(61000), int64(61000), int64(1) << 50, int64(1) << 50, int64(1) << 50}, []*regexp.Regexp{
		regexp.MustCompile(`deliveries_due[^\n]*\n\s*Index Cond: \(next_attempt_at < `),
		regexp.MustCompile(`deliveries_due[^\n]*\n\s*Index Cond: \(\(next_attempt_at = '61000'::bigint\) AND \(id < `),
	}},
	// Recording: each result's delivery looked up by its id.
	{"record", nil, []*regexp.Regexp{
		regexp.MustCompile(`deliveries_pkey on deliveries[^\n]*\n\s*Index Cond: \(id = `),
	}},
}

// TestDeliveryPlansWithStaleStatistics plans the delivery claim, parking,
// the attempt record and unparking against a backlog of pending
// deliveries for one endpoint that the table's statistics do not know of:
// never analysed (a new hub's first burst, before the statistics keeper's
// first pass), and analysed while nothing was pending (a backlog that
// built up since). Each must search its index by its own keys
// (staleChecked): the subject-ordering check deliveries_pending_subject
// for each candidate, unparking for each finished head, parking the due
// range it was given, recording the primary key for each result. Read
// through deliveries_by_endpoint (the planner's choice without statistics)
// or as a join walking the whole pending index (its choice with the stale
// ones), a claim took more than a minute and 1.4 s, and an unpark of 8
// heads 3.0 s. No plan reads deliveries whole.
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
			var sent StatementLog
			db := tracedMigratedDB(ctx, t, &sent)
			if _, err := db.ExecContext(ctx, `ALTER TABLE deliveries SET (autovacuum_enabled = false);
				ALTER TABLE feed SET (autovacuum_enabled = false);
				INSERT INTO endpoints (workspace, url, events, secret, source, created_at, updated_at)
					VALUES ('ws', 'https://example.com/hooks', '["*"]', 'x', 'api', 1, 1);`+c.setup); err != nil {
				t.Fatal(err)
			}
			s, err := sqlstore.New(sqlstore.Options{Dialect: Dialect, Writer: db})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })

			// One claim and record cycle, for the statements built per call.
			sent.On.Store(true)
			jobs, err := s.ClaimDeliveries(ctx, 8, time.Minute)
			if err != nil || len(jobs) != 8 {
				t.Fatalf("claimed %d of 8: %v", len(jobs), err)
			}
			var rs []store.AttemptResult
			for _, j := range jobs {
				rs = append(rs, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: j.Delivery.EndpointID, Status: model.DeliverySucceeded, Healthy: true,
					Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), DurationMS: 12, StatusCode: 200}})
			}
			if _, err := s.RecordAttempts(ctx, rs); err != nil {
				t.Fatal(err)
			}
			sent.On.Store(false)
			statements := s.DeliveryStatementsForPlanTests()
			if statements["record"], _ = sent.Find("UPDATE deliveries SET status = v.status"); statements["record"] == "" {
				t.Fatal("the attempt record was not sent")
			}

			for _, st := range staleChecked {
				query, args := statements[st.statement], st.args
				if args == nil {
					_, args = sent.Find(query)
				}
				rows, err := db.QueryContext(ctx, "EXPLAIN "+query, args...)
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
				if os.Getenv("SHIPHUB_TEST_PLANS") != "" {
					t.Logf("%s:\n%s", st.statement, all)
				}
				if strings.Contains(all, "Seq Scan on deliveries") || strings.Contains(all, "deliveries_by_endpoint") {
					t.Errorf("%s reads deliveries whole or by endpoint:\n%s", st.statement, all)
				}
				for _, want := range st.want {
					if !want.MatchString(all) {
						t.Errorf("%s does not search as %s:\n%s", st.statement, want, all)
					}
				}
			}
		})
	}
}

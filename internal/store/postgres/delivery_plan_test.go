package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The backlog TestDeliveryStatementsHaveIndexedGenericPlans fills: for one
// endpoint, planSubjects shipments with three events each, the older ones
// delivered, the rest pending and due, and planRetrying subjects whose
// head failed and waits an hour for its retry; next to it, planEndpoints
// endpoints of other workspaces.
const (
	planSubjects  = 25000
	planDelivered = 10000 // feed entries (of 3 × planSubjects) delivered
	planRetrying  = 40
	planEndpoints = 2000
)

// TestDeliveryStatementsHaveIndexedGenericPlans checks the delivery
// worker's statements as PostgreSQL runs them: prepared (pgx's statement
// cache), so after five runs planned once for any arguments. Such a
// generic plan does not see now or the ids, and for
// "EXISTS (… next_attempt_at > $1 …)" it was a sequential scan of
// deliveries on every claim and every record (17 ms at 60,000 rows, the
// PostgreSQL server's CPU the end-to-end limit). Against a realistic
// backlog, freshly analysed, each statement of a claim and record cycle
// (those the store sends, and the fixed ones of
// DeliveryStatementsForPlanTests) must have a generic plan that reads no
// large table whole and checks a subject's order on
// deliveries_pending_subject, not deliveries_by_endpoint.
func TestDeliveryStatementsHaveIndexedGenericPlans(t *testing.T) {
	t.Parallel()
	var log statementLog
	s, conn := planStore(t, &log)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	require.NoError(t, s.CreateEndpoint(ctx, e))
	now := time.Now().UnixMicro()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO endpoints (workspace, url, events, secret, source, created_at, updated_at)
			SELECT 'other-' || g, 'https://other.example/' || g, '["*"]', 'sealed', 'api', $1, $1 FROM generate_series(1, $2) g`,
			[]any{now, planEndpoints}},
		// Three events a shipment, one a second, oldest first.
		{`INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'acme', (ARRAY['shipment.created', 'shipment.event_added', 'shipment.status_changed'])[g % 3 + 1], g / 3 + 1,
				$1::bigint - (3 * $2 - g) * 1000000::bigint, '{"shipment":{"id":' || (g / 3 + 1) || ',"status":"in_transit"}}'
			FROM generate_series(0, 3 * $2 - 1) g`, []any{now, planSubjects}},
		{`INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, attempts, next_attempt_at,
				last_status_code, created_at, updated_at, delivered_at)
			SELECT f.workspace, $1, f.id, f.type, 'shipment/' || f.subject_id,
				CASE WHEN f.id <= $2 THEN 'succeeded' ELSE 'pending' END, CASE WHEN f.id <= $2 THEN 1 ELSE 0 END,
				f.occurred_at, CASE WHEN f.id <= $2 THEN 200 ELSE 0 END, f.occurred_at, f.occurred_at,
				CASE WHEN f.id <= $2 THEN f.occurred_at + 50000 END
			FROM feed f ORDER BY f.id`, []any{e.ID, planDelivered}},
		// The heads of the first planRetrying pending subjects failed
		// twice and retry in an hour.
		{`UPDATE deliveries SET attempts = 2, next_attempt_at = $1::bigint + 3600000000, last_status_code = 503, last_error = 'HTTP 503'
			WHERE id IN (SELECT min(id) FROM deliveries WHERE status = 'pending' GROUP BY subject ORDER BY min(id) LIMIT $2)`,
			[]any{now, planRetrying}},
		{`ANALYZE`, nil},
	} {
		_, err := conn.Exec(ctx, q.sql, q.args...)
		require.NoError(t, err, "%s", q.sql)
	}

	// A few claim and record cycles, as the worker runs them: most
	// attempts succeed, one fails and will be retried, one retrying head
	// is given up (dead-lettered), which releases what was parked behind it.
	log.On.Store(true)
	var retryingHead int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT min(id) FROM deliveries WHERE attempts = 2`).Scan(&retryingHead))
	for cycle := range 4 {
		jobs, err := s.ClaimDeliveries(ctx, 32, time.Minute)
		require.NoError(t, err)
		require.Len(t, jobs, 32)
		at := time.Now()
		var rs []store.AttemptResult
		for i, j := range jobs {
			r := store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: e.ID, Status: model.DeliverySucceeded, Healthy: true,
				Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 12, StatusCode: 200}}
			if cycle == 1 && i == 0 {
				r.Status, r.Healthy, r.NextAttemptAt = model.DeliveryPending, false, at.Add(time.Hour)
				r.Attempt.StatusCode, r.Attempt.Error = 503, "HTTP 503"
			}
			rs = append(rs, r)
		}
		if cycle == 2 {
			rs = append(rs, store.AttemptResult{DeliveryID: retryingHead, EndpointID: e.ID, Status: model.DeliveryFailed,
				Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 30, StatusCode: 503, Error: "HTTP 503"}})
		}
		_, err = s.RecordAttempts(ctx, rs)
		require.NoError(t, err)
		_, _, err = s.NextDeliveryDue(ctx)
		require.NoError(t, err)
	}
	log.On.Store(false)

	_, err := conn.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)
	large := largeTables(t, conn, 1000)
	require.True(t, large["deliveries"] && large["feed"] && large["endpoints"], "large tables: %v", large)

	// The fixed statements by name: those a claim that took its limit
	// does not send (the park of a claim that did not) get arguments made
	// up here. A claim falls short of its limit when little of the due
	// range is claimable: the park then reads the due range, here its
	// first hundred deliveries.
	fixed := s.DeliveryStatementsForPlanTests()
	var rangeEnd int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT next_attempt_at FROM deliveries WHERE status = 'pending' ORDER BY next_attempt_at OFFSET 100 LIMIT 1`).Scan(&rangeEnd))
	at := time.Now().UnixMicro()
	made := map[string][]any{"park": {at, rangeEnd, at, at, at}}
	named := map[string]bool{}
	for name, q := range fixed {
		named[q] = true
		args, ok := log.Sent(q)
		if !ok {
			args, ok = made[name]
			require.True(t, ok, "the cycles never sent %q:\n%s", name, q)
		}
		t.Run(name, func(t *testing.T) {
			requireIndexedGenericPlan(t, conn, large, name, q, args)
		})
	}
	for _, st := range log.Statements() {
		if named[st.SQL] {
			continue
		}
		name := shortName(st.SQL)
		t.Run(name, func(t *testing.T) {
			requireIndexedGenericPlan(t, conn, large, name, st.SQL, st.Args)
		})
	}

	// NextDeliveryDue walks the due index, not every pending delivery:
	// the same answer as the least of every pending delivery's later of
	// next_attempt_at and locked_until, with a batch in flight, and with
	// nothing else due before that batch's leases end.
	for _, step := range []string{"a batch in flight", "the backlog due after it"} {
		if step == "the backlog due after it" {
			_, err = conn.Exec(ctx, `UPDATE deliveries SET next_attempt_at = $1::bigint + 7200000000 WHERE status = 'pending' AND locked_until = 0`, now)
			require.NoError(t, err)
		}
		_, err = s.ClaimDeliveries(ctx, 8, time.Minute)
		require.NoError(t, err)
		var want int64
		require.NoError(t, conn.QueryRow(ctx, `SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)
			FROM deliveries WHERE status = 'pending'`).Scan(&want))
		at, ok, err := s.NextDeliveryDue(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, at.UnixMicro(), "with %s", step)
	}
}

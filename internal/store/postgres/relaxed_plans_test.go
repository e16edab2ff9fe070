package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestClaimsAndRecordsArePlannedGenerically runs claim and record cycles
// on a store of one pooled connection and reads that connection's
// pg_prepared_statements: every run of the claim, of the endpoint lookups
// and of the record must have used the generic plan. Left to choose
// (plan_cache_mode auto), PostgreSQL plans a prepared statement for its
// arguments in its first five runs at least, and kept doing so for these
// on nearly every run in the end-to-end benchmark (2,874 plans in 2,962
// claims), a tenth of the server's CPU. Their generic plans are checked by
// TestDeliveryStatementsHaveIndexedGenericPlans.
func TestClaimsAndRecordsArePlannedGenerically(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, conn := planStoreOf(t, &statementLog{}, 1)

	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	require.NoError(t, s.CreateEndpoint(ctx, e))
	const subjects, cycles, perClaim = 300, 8, 16
	past := time.Now().Add(-time.Hour).UnixMicro()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'acme', 'shipment.created', g, $1::bigint + g, '{"shipment":{"id":' || g || '}}' FROM generate_series(1, $2) g`,
			[]any{past, subjects}},
		{`INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, created_at, updated_at)
			SELECT f.workspace, $1, f.id, f.type, 'shipment/' || f.subject_id, 'pending', f.occurred_at, f.occurred_at, f.occurred_at
			FROM feed f ORDER BY f.id`, []any{e.ID}},
		{`ANALYZE`, nil},
	} {
		_, err := conn.Exec(ctx, q.sql, q.args...)
		require.NoError(t, err, "%s", q.sql)
	}

	for range cycles {
		jobs, err := s.ClaimDeliveries(ctx, perClaim, time.Minute)
		require.NoError(t, err)
		require.Len(t, jobs, perClaim)
		at := time.Now()
		rs := make([]store.AttemptResult, 0, len(jobs))
		for _, j := range jobs {
			rs = append(rs, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: e.ID, Status: model.DeliverySucceeded, Healthy: true,
				Attempt: model.DeliveryAttempt{AttemptedAt: at, DurationMS: 12, StatusCode: 200}})
		}
		_, err = s.RecordAttempts(ctx, rs)
		require.NoError(t, err)
	}
	var delivered int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = 'succeeded'`).Scan(&delivered))
	require.Equal(t, cycles*perClaim, delivered)

	for _, st := range []struct {
		name, text string
		runs       int64
	}{
		{"claim", "SET locked_until", cycles},
		{"claim endpoints", "SELECT id, updated_at, failing_since FROM endpoints", cycles},
		{"record", "UPDATE deliveries SET status = v.status", cycles},
	} {
		generic, custom, err := s.PreparedPlansForTests(ctx, st.text)
		require.NoError(t, err)
		require.Zero(t, custom, "%s: %d runs planned for their arguments, %d generically", st.name, custom, generic)
		require.GreaterOrEqual(t, generic, st.runs, "%s: generic plans", st.name)
	}
}

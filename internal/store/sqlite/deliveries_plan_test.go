package sqlite_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// wholeTableScan matches a plan step that reads a table from end to end:
// "SCAN deliveries", "SCAN d" (an alias), but not a scan of a virtual table
// (json_each), of a materialised subquery, or one in order of an index.
var wholeTableScan = regexp.MustCompile(`^SCAN (\w+)$`)

// TestDeliveryStatementsHaveAnIndex checks, with EXPLAIN QUERY PLAN, the
// fixed statements of the delivery worker's claim and record cycle (as the
// store sends them, from DeliveryStatementsForPlanTests): every read of
// deliveries, feed and endpoints is a search of an index or of the primary
// key, or an ordered walk of the due index that a LIMIT ends, and nothing
// is sorted. How far NextDeliveryDue's walk goes, a plan does not say;
// TestNextDeliveryDueReadsTheHeadOfTheDueIndex counts it. PostgreSQL's
// generic plans of the same statements are checked by
// TestDeliveryStatementsHaveIndexedGenericPlans.
func TestDeliveryStatementsHaveAnIndex(t *testing.T) {
	t.Parallel()
	s, db := planStore(t)

	statements := s.DeliveryStatementsForPlanTests()
	require.Contains(t, statements, "claim")
	require.Contains(t, statements, "next due")
	for name, query := range statements {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := make([]any, strings.Count(query, "?"))
			for i := range args {
				args[i] = 0
			}
			all := queryPlan(t, db, query, args...)
			require.NotContains(t, all, "TEMP B-TREE", "plan: %s", all)
			for _, step := range strings.Split(all, "; ") {
				if m := wholeTableScan.FindStringSubmatch(step); m != nil && m[1] != "f" {
					t.Errorf("%q reads a table whole; plan: %s", step, all)
				}
				if strings.HasPrefix(step, "SCAN ") && strings.Contains(step, "USING") && !strings.Contains(step, "USING INDEX deliveries_due") {
					t.Errorf("%q walks a whole index; plan: %s", step, all)
				}
			}
		})
	}
}

// The backlog of TestNextDeliveryDueReadsTheHeadOfTheDueIndex: the worker's
// slots in flight, due now with leases that end in a minute, and behind
// them nextDueBacklog pending deliveries parked until after the leases end.
const (
	nextDueInFlight = 8
	nextDueBacklog  = 20000
)

// TestNextDeliveryDueReadsTheHeadOfTheDueIndex counts the database pages
// NextDeliveryDue's statement reads over a backlog that only its in-flight
// head keeps from being due. The plan check above allows an ordered walk
// of deliveries_due, which nextDueSQL needs (a LIMIT ends it at the first
// delivery not in flight), but so would a plan of the query it replaced,
// "MIN(CASE …) FROM deliveries WHERE status = 'pending'", which walked the
// same index to its end and looked up every pending row: 21 ms at 65,000
// pending on every idle turn of the worker. The statement must read a few
// pages for the in-flight head, not the backlog's hundreds, and answer what
// that query answered: the leases' end.
func TestNextDeliveryDueReadsTheHeadOfTheDueIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.New(ctx, sqlite.Config{Path: path, Synchronous: "NORMAL"})
	require.NoError(t, err)
	defer func() { _ = s.Close() }()
	w, err := sqlite.OpenDB(path, false)
	require.NoError(t, err)
	defer func() { _ = w.Close() }()
	now := time.Now().UnixMicro()
	leaseEnd := now + time.Minute.Microseconds()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO endpoints (workspace, url, events, secret, source, created_at, updated_at)
			VALUES ('acme', 'https://acme.example/hooks', '["*"]', 'sealed', 'api', ?, ?)`, []any{now, now}},
		{`WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
			INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT 'acme', 'shipment.created', n, ?, '{"shipment":{"id":' || n || ',"status":"in_transit"}}' FROM g`,
			[]any{nextDueInFlight + nextDueBacklog, now}},
		// The first deliveries are claimed; the rest wait two hours and more.
		{`INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, locked_until, created_at, updated_at)
			SELECT 'acme', (SELECT id FROM endpoints), f.id, f.type, 'shipment/' || f.subject_id, 'pending',
				CASE WHEN f.id <= ? THEN ? - 1000 + f.id ELSE ? + 7200000000 + f.id * 1000 END,
				CASE WHEN f.id <= ? THEN ? ELSE 0 END, ?, ?
			FROM feed f ORDER BY f.id`, []any{nextDueInFlight, now, now, nextDueInFlight, leaseEnd, now, now}},
	} {
		_, err := w.ExecContext(ctx, q.sql, q.args...)
		require.NoError(t, err, "%s", q.sql)
	}
	at, ok, err := s.NextDeliveryDue(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, leaseEnd, at.UnixMicro(), "NextDeliveryDue")
	nextDue := s.DeliveryStatementsForPlanTests()["next due"]
	storePlan := queryPlan(t, w, nextDue)
	// The counting library must not open the file while the store's has it
	// open (see sqlite.OpenDB).
	require.NoError(t, w.Close())
	require.NoError(t, s.Close())

	r := pageReader(t, path)
	require.Equal(t, storePlan, queryPlan(t, r.db, nextDue), "the plan of the counting library")
	// The walk of the whole due index, which the replaced query did with a
	// lookup of each row besides, to show the count sees a backlog.
	whole := r.pages(t, `SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending'`)
	read := r.pages(t, nextDue)
	t.Logf("next due read %d pages; the due index alone is %d", read, whole)
	require.Greater(t, whole, 50, "pages of a walk of the due index")
	// 9 pages: the due index's root and first leaf, and the table's pages
	// of the in-flight deliveries, each part of the statement reading them.
	require.LessOrEqual(t, read, 20, "pages NextDeliveryDue read, against %d of the due index alone", whole)
}

package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPeriodicScansHaveAnIndex checks, with EXPLAIN QUERY PLAN, that the
// queries the hub runs on a schedule (the shapes sqlstore sends) read a
// range of an index in the order they want: no scan of a whole table or a
// whole workspace, no sort of what they read.
func TestPeriodicScansHaveAnIndex(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	cases := []struct{ name, query, index string }{
		{"carrier rules page through a workspace's shipments by update", `SELECT id, updated_at FROM shipments
			WHERE workspace = 'a' AND updated_at >= 5 AND (updated_at > 5 OR id > 3) ORDER BY updated_at, id LIMIT 100`, "shipments_by_update_filters"},
		{"the pipeline takes pending messages", `SELECT id FROM inbox WHERE processed_at IS NULL AND deferred_until IS NULL ORDER BY id LIMIT 100`, "inbox_pending"},
		{"a merchant pages through the feed", `SELECT id FROM feed WHERE workspace = 'a' AND id > 7 ORDER BY id LIMIT 100`, "feed_by_workspace"},
		{"retention: delivered deliveries", `SELECT id, delivered_at FROM deliveries WHERE status = 'succeeded' AND delivered_at < 9
			AND (delivered_at > 1 OR (delivered_at = 1 AND id > 0)) ORDER BY delivered_at, id LIMIT 500`, "deliveries_delivered_by_age"},
		{"retention: the feed", `SELECT id, created_at FROM feed WHERE 1 = 1 AND created_at < 9
			AND (created_at > 1 OR (created_at = 1 AND id > 0)) ORDER BY created_at, id LIMIT 500`, "feed_by_age"},
		{"retention: the processed inbox", `SELECT id, received_at FROM inbox WHERE processed_at IS NOT NULL AND failure IS NULL AND received_at < 9
			AND (received_at > 1 OR (received_at = 1 AND id > 0)) ORDER BY received_at, id LIMIT 500`, "inbox_processed_by_age"},
		{"retention: intake errors", `SELECT id, received_at FROM intake_errors WHERE 1 = 1 AND received_at < 9
			AND (received_at > 1 OR (received_at = 1 AND id > 0)) ORDER BY received_at, id LIMIT 500`, "intake_errors_by_age"},
		{"retention: finished trackers", `SELECT id, updated_at FROM trackers WHERE state IN ('done', 'expired') AND updated_at < 9
			AND (updated_at > 1 OR (updated_at = 1 AND id > 0)) ORDER BY updated_at, id LIMIT 500`, "trackers_finished_by_age"},
		{"retention: stock mutations", `SELECT id, created_at FROM stock_mutations WHERE 1 = 1 AND created_at < 9
			AND (created_at > 1 OR (created_at = 1 AND id > 0)) ORDER BY created_at, id LIMIT 500`, "stock_mutations_by_age"},
		{"retention: finished shipments", `SELECT id, updated_at FROM shipments WHERE status IN ('delivered', 'returned', 'cancelled') AND updated_at < 9
			AND (updated_at > 1 OR (updated_at = 1 AND id > 0)) ORDER BY updated_at, id LIMIT 500`, "shipments_finished_by_age"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			all := queryPlan(t, db, c.query)
			require.Contains(t, all, "INDEX "+c.index, "plan: %s", all)
			require.NotContains(t, all, "TEMP B-TREE", "plan: %s", all)
		})
	}
}

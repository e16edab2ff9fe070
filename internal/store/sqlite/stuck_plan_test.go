package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStuckAndOverviewQueriesReadTheirIndexes checks, with EXPLAIN QUERY
// PLAN, that the stuck scan and the overview's shipment queries (the
// shapes sqlstore/stuck.go sends) read the partial indexes of migration
// 00020, in the order they want, rather than a workspace's shipments.
func TestStuckAndOverviewQueriesReadTheirIndexes(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	cases := []struct{ name, query, index string }{
		{"the stuck scan", `SELECT id, updated_at FROM shipments WHERE workspace = 'a' AND status = 'in_transit'
			AND status NOT IN ('delivered', 'returned', 'cancelled', 'expired') AND (stuck_at IS NULL OR stuck_at < updated_at) AND updated_at < 9
			ORDER BY updated_at, id LIMIT 200`, "shipments_stuck_scan"},
		{"the stuck list", `SELECT id FROM shipments WHERE workspace = 'a' AND stuck_at >= updated_at AND id < 99 ORDER BY id DESC LIMIT 10`, "shipments_stuck"},
		{"the stuck count", `SELECT COUNT(*) FROM shipments WHERE workspace = 'a' AND stuck_at >= updated_at`, "shipments_stuck"},
		{"the action-required list", `SELECT id FROM shipments WHERE workspace = 'a' AND instr(doc, '"action_required":true') > 0 AND id < 99 ORDER BY id DESC LIMIT 10`, "shipments_action_required"},
		{"the action-required count", `SELECT COUNT(*) FROM shipments WHERE workspace = 'a' AND instr(doc, '"action_required":true') > 0`, "shipments_action_required"},
		{"the dead deliveries count", `SELECT COUNT(*) FROM deliveries WHERE workspace = 'a' AND status = 'failed'`, "deliveries_by_status"},
		{"the commands by status", `SELECT status, COUNT(*) FROM commands WHERE workspace = 'a' GROUP BY status`, "commands_by_status"},
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

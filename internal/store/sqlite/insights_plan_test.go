package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInsightsReadIndexes checks, with EXPLAIN QUERY PLAN, that the
// carrier rates find the problem events in the partial index
// events_problems (its condition repeated word for word, or SQLite does
// not use it) and the window's shipments in shipments_by_update_filters: never a
// scan of events or shipments. The queries are those of
// sqlstore/insights.go.
func TestInsightsReadIndexes(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	cases := []struct {
		name, query string
		want        []string
	}{
		{"ProblemEvents", `SELECT e.shipment_id, e.status, min(e.occurred_at)
			FROM events e JOIN shipments s ON s.id = e.shipment_id
			WHERE e.status IN ('exception', 'failed_attempt') AND s.workspace = 'a' AND s.updated_at >= 0
			GROUP BY e.shipment_id, e.status`, []string{"events_problems", "shipments_by_update_filters"}},
		{"WindowShipments", `SELECT s.id, json_extract(s.doc, '$.carrier'), s.provider, s.status FROM shipments s
			WHERE s.workspace = 'a' AND s.updated_at >= 0`, []string{"shipments_by_update_filters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			all := queryPlan(t, db, c.query)
			for _, w := range c.want {
				require.Contains(t, all, w, "plan: %s", all)
			}
			require.NotContains(t, all, "SCAN e", "plan: %s", all)
			require.NotContains(t, all, "SCAN s", "plan: %s", all)
		})
	}
}

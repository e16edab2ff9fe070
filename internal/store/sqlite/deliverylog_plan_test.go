package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDeliveryLogReadsTheEndpointsIndex checks, with EXPLAIN QUERY PLAN,
// that the dashboard's reads of one endpoint's deliveries (the shapes
// sqlstore's DeliveryLog sends) walk the endpoint's own index range in the
// order they want, with no sort, and read attempts by delivery.
func TestDeliveryLogReadsTheEndpointsIndex(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	cases := []struct {
		name, query, index string
		sorts              bool
	}{
		{"the newest deliveries of an endpoint in one status", `SELECT id FROM deliveries WHERE endpoint_id = 1 AND status = 'failed' AND workspace = 'a'
			ORDER BY created_at DESC, id DESC LIMIT 51`, "deliveries_by_endpoint", false},
		{"the next page of them", `SELECT id FROM deliveries WHERE endpoint_id = 1 AND status = 'failed' AND workspace = 'a'
			AND created_at <= 9 AND (created_at < 9 OR id < 5) ORDER BY created_at DESC, id DESC LIMIT 51`, "deliveries_by_endpoint", false},
		// The attempts of at most a few deliveries are sorted: a handful of rows.
		{"the attempts of a few deliveries", `SELECT a.id FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
			WHERE a.delivery_id IN (1, 2, 3) AND d.id IN (1, 2, 3) AND d.workspace = 'a' ORDER BY a.attempted_at DESC, a.id DESC LIMIT 10`, "delivery_attempts_by_delivery", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			all := queryPlan(t, db, c.query)
			require.Contains(t, all, "INDEX "+c.index, "plan: %s", all)
			if !c.sorts {
				require.NotContains(t, all, "TEMP B-TREE", "plan: %s", all)
			}
			require.NotContains(t, all, "SCAN d", "plan: %s", all)
		})
	}
}

package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestShipmentFiltersHaveAnIndex checks, with EXPLAIN QUERY PLAN, that the
// shapes ListShipments sends for the dashboard's filters read one index
// range without a sort: in id order for the equality filters, in update
// order for a date range.
func TestShipmentFiltersHaveAnIndex(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	const cols = `id, workspace, connection, provider, provider_ref, status, status_event_id, doc, created_at`
	plain := func(where string) string {
		return `SELECT ` + cols + ` FROM shipments WHERE workspace = 'a'` + where + ` ORDER BY id DESC LIMIT 51`
	}
	// dated is the inner query of a range of updates, which finds the
	// page's ids (the outer one reads their rows by id and sorts those).
	dated := func(where string) string {
		return `SELECT id FROM shipments WHERE workspace = 'a'` + where + ` ORDER BY updated_at DESC, id DESC LIMIT 51`
	}
	cases := []struct {
		name, query, index string
		sorts              bool
	}{
		{"no filter", plain(``), "shipments_by_workspace", false},
		{"status", plain(` AND status = 'x'`), "shipments_by_status", false},
		{"provider", plain(` AND provider = 'x'`), "shipments_by_provider", false},
		{"connection", plain(` AND connection = 'x'`), "shipments_by_connection", false},
		{"provider and status", plain(` AND status = 'x' AND provider = 'y'`), "shipments_by_provider_status", false},
		{"connection and status", plain(` AND status = 'x' AND connection = 'y'`), "shipments_by_connection_status", false},
		{"a later page of a status", plain(` AND status = 'x' AND id < 500`), "shipments_by_status", false},
		{"a reference", plain(` AND status = 'x' AND id IN (SELECT shipment_id FROM shipment_refs WHERE workspace = 'a' AND value = 'r')`), "shipment_refs", true},
		{"a range of updates with a status", dated(` AND status = 'x' AND updated_at >= 1 AND updated_at < 9`), "shipments_by_update_filters", false},
		{"a range of updates with a connection and a status", dated(` AND status = 'x' AND connection = 'c' AND updated_at >= 1`), "shipments_by_update_filters", false},
		{"a range of updates with a provider", dated(` AND provider = 'p' AND updated_at < 9`), "shipments_by_update_filters", false},
		{"a later page of a range of updates", dated(` AND provider = 'p' AND updated_at < 9 AND (updated_at < 5 OR (updated_at = 5 AND id < 7))`), "shipments_by_update_filters", false},
		{"a range of updates alone", dated(` AND updated_at >= 1 AND updated_at < 9`), "COVERING INDEX shipments_by_update_filters", false},
		{"a range of updates with a reference", dated(` AND updated_at >= 1 AND id IN (SELECT shipment_id FROM shipment_refs WHERE workspace = 'a' AND value = 'r')`), "shipment_refs", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			all := queryPlan(t, db, c.query)
			require.Contains(t, all, c.index, "plan: %s", all)
			require.NotContains(t, all, "SCAN shipments", "plan: %s", all)
			if !c.sorts {
				require.NotContains(t, all, "TEMP B-TREE", "plan: %s", all)
			}
		})
	}
}

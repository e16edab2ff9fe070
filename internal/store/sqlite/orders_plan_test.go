package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrderByReferenceReadsTheReferenceIndexes: ListOrders by reference
// and connection (the shape sqlstore sends; an Active Ants sync sends one
// per shipment) reads the reference and provider-reference indexes, not
// every order of the connection.
func TestOrderByReferenceReadsTheReferenceIndexes(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	all := queryPlan(t, db, `SELECT id FROM orders WHERE workspace = 'a' AND connection = 'aa'
		AND id IN (SELECT id FROM orders WHERE workspace = 'a' AND reference = 'x' UNION ALL SELECT id FROM orders WHERE workspace = 'a' AND provider_ref = 'x')
		ORDER BY id DESC LIMIT 5`)
	require.Contains(t, all, "INDEX orders_by_reference (workspace=? AND reference=?)", "plan: %s", all)
	require.Contains(t, all, "INDEX orders_by_provider_ref (workspace=? AND provider_ref=?)", "plan: %s", all)
	require.Contains(t, all, "id=?", "the outer query takes the ids it is given: %s", all)
}

package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestOrderByReferenceReadsTheReferenceIndexes: ListOrders by reference
// and connection (the shape sqlstore sends; an Active Ants sync sends one
// per shipment) reads the reference and provider-reference indexes, not
// every order of the connection.
func TestOrderByReferenceReadsTheReferenceIndexes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT id FROM orders WHERE workspace = 'a' AND connection = 'aa'
		AND id IN (SELECT id FROM orders WHERE workspace = 'a' AND reference = 'x' UNION ALL SELECT id FROM orders WHERE workspace = 'a' AND provider_ref = 'x')
		ORDER BY id DESC LIMIT 5`)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	all := strings.Join(plan, "; ")
	require.Contains(t, all, "INDEX orders_by_reference (workspace=? AND reference=?)", "plan: %s", all)
	require.Contains(t, all, "INDEX orders_by_provider_ref (workspace=? AND provider_ref=?)", "plan: %s", all)
	require.Contains(t, all, "id=?", "the outer query takes the ids it is given: %s", all)
}

package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// TestTheReturnOrderLinkUsesAnIndex checks SQLite's plan of the link every
// return read resolves: the returns by primary key, their orders from the
// reference index, never a scan of either table.
func TestTheReturnOrderLinkUsesAnIndex(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	st, err := sqlite.New(context.Background(), sqlite.Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	// Parallel subtests open connections at once: they wait for each
	// other (busy_timeout) instead of failing with "database is locked".
	db, err := sqlite.OpenDB(path, true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	rows, err := db.Query("EXPLAIN QUERY PLAN "+fmt.Sprintf(sqlstore.ReturnOrdersOf, "?, ?, ?"), 1, 2, 3)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	joined := strings.Join(plan, "\n")
	require.NotRegexp(t, `SCAN (r|o|returns|orders)\b`, joined, "no table scan: %s", joined)
	require.Contains(t, joined, "orders_by_reference", "the workspace's first order comes from the reference index: %s", joined)
	require.Regexp(t, `SEARCH o USING (COVERING )?INDEX sqlite_autoindex_orders_1 \(workspace=\? AND connection=\? AND reference=\?\)`, joined,
		"the connection's order comes from the whole unique key: %s", joined)
}

package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLastInboxMessageReadsAnIndex checks, with EXPLAIN QUERY PLAN, that
// GET /api/v1/connections finds a connection's newest message in the
// inbox's (workspace, connection, dedup_key) index, covering (the row id is
// in it), and then by primary key: never a scan of the inbox.
func TestLastInboxMessageReadsAnIndex(t *testing.T) {
	t.Parallel()
	db := planDB(t)

	all := queryPlan(t, db, `SELECT received_at FROM inbox
		WHERE id = (SELECT max(id) FROM inbox WHERE workspace = 'a' AND connection = 'b')`)
	require.Contains(t, all, "SEARCH inbox USING INTEGER PRIMARY KEY", "plan: %s", all)
	require.Contains(t, all, "SEARCH inbox USING COVERING INDEX", "plan: %s", all)
	require.NotContains(t, all, "SCAN inbox", "plan: %s", all)
}

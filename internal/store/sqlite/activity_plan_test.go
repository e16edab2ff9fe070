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

// TestLastInboxMessageReadsAnIndex checks, with EXPLAIN QUERY PLAN, that
// GET /api/v1/connections finds a connection's newest message in the
// inbox's (workspace, connection, dedup_key) index, covering (the row id is
// in it), and then by primary key: never a scan of the inbox.
func TestLastInboxMessageReadsAnIndex(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT received_at FROM inbox
		WHERE id = (SELECT max(id) FROM inbox WHERE workspace = 'a' AND connection = 'b')`)
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
	require.Contains(t, all, "SEARCH inbox USING INTEGER PRIMARY KEY", "plan: %s", all)
	require.Contains(t, all, "SEARCH inbox USING COVERING INDEX", "plan: %s", all)
	require.NotContains(t, all, "SCAN inbox", "plan: %s", all)
}

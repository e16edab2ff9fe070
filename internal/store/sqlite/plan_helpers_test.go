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

// planDB opens a new, migrated store in a temporary file and returns a
// second, read-only connection to it, for EXPLAIN QUERY PLAN. Both are
// closed when the test ends.
func planDB(t *testing.T) *sql.DB {
	t.Helper()
	_, db := planStore(t)
	return db
}

// planStore is planDB with the store as well, for the statements it
// builds.
func planStore(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	db, err := sqlite.OpenDB(path, true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return s, db
}

// queryPlan returns the details of SQLite's EXPLAIN QUERY PLAN of query
// (with args for its placeholders), joined by "; ".
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
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
	return strings.Join(plan, "; ")
}

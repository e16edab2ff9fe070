package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

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

// pageCounter is a read-only connection to a database file through
// modernc.org/sqlite (the store's driver when built without cgo), which,
// unlike mattn/go-sqlite3, reports the connection's page cache counters
// (sqlite3_db_status): each page a statement reads is a cache hit or a
// miss, the same count on every run, where a timing is not. Both drivers
// are SQLite 3.54.1. The file must not be open through the store's driver
// meanwhile (see sqlite.OpenDB): pageReader's caller closes that first.
type pageCounter struct{ db *sql.DB }

// pageReader opens a pageCounter on path, closed when the test ends.
func pageReader(t *testing.T, path string) pageCounter {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	// One connection, so every statement shares its page cache.
	db.SetMaxOpenConns(1)
	return pageCounter{db}
}

// pages runs query (its rows read to the end) and returns how many pages
// it read. It runs the query once before it counts, so the count leaves
// out loading the schema, which a connection's first statement does.
func (c pageCounter) pages(t *testing.T, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := c.db.Conn(ctx)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	run := func() {
		rows, err := conn.QueryContext(ctx, query, args...)
		require.NoError(t, err)
		for rows.Next() {
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	counted := func() (n int) {
		require.NoError(t, conn.Raw(func(dc any) error {
			for _, op := range []msqlite.DBStatusOp{msqlite.DBStatusCacheHit, msqlite.DBStatusCacheMiss} {
				cur, _, err := dc.(msqlite.DBStatus).Status(op, true)
				if err != nil {
					return err
				}
				n += cur
			}
			return nil
		}))
		return n
	}
	run()
	counted()
	run()
	return counted()
}

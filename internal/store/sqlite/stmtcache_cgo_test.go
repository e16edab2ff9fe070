//go:build cgo && !shiphub_puregosqlite

package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConnectionsKeepTheirPreparedStatements: a statement the store runs
// as text is prepared once per connection and then taken from the
// connection's cache (stmtCacheSize), not parsed and planned on every run.
// mattn/go-sqlite3 allocates a statement for each prepare, so a run from the
// cache allocates less than one of a connection without it.
// Not parallel: testing.AllocsPerRun refuses to run beside other tests.
func TestConnectionsKeepTheirPreparedStatements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	cached, err := OpenDB(path, false)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cached.Close() })
	uncached, err := sql.Open(driverName, path+"?_stmt_cache_size=0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = uncached.Close() })

	allocs := func(db *sql.DB) float64 {
		db.SetMaxOpenConns(1)
		var n int
		return testing.AllocsPerRun(200, func() {
			if err := db.QueryRow(`SELECT 1 + ?`, 1).Scan(&n); err != nil {
				t.Fatal(err)
			}
		})
	}
	withCache, withoutCache := allocs(cached), allocs(uncached)
	require.Less(t, withCache, withoutCache, "a cached statement is not prepared again")
}

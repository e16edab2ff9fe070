package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriterCheckpointsEveryTenThousandPages: the writer's connections take
// the checkpoint interval, on either driver (mattn/go-sqlite3 through the
// registered driver's hook, modernc.org/sqlite through its connection
// string); CI runs this package's tests on both.
func TestWriterCheckpointsEveryTenThousandPages(t *testing.T) {
	t.Parallel()
	db, err := OpenDB(filepath.Join(t.TempDir(), "hub.db"), false)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var pages int
	require.NoError(t, db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&pages))
	require.Equal(t, walCheckpointPages, pages)
}

// TestTheWriterHasTheLargerPageCache: the writer's connections take
// Config.WriterCacheKiB, on either driver; the readers keep SQLite's default.
func TestTheWriterHasTheLargerPageCache(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	for _, tc := range []struct {
		name     string
		readOnly bool
		want     int
	}{
		{"writer", false, -DefaultWriterCacheKiB},
		{"reader", true, -2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := OpenDB(path, tc.readOnly)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			var size int
			require.NoError(t, db.QueryRow("PRAGMA cache_size").Scan(&size))
			require.Equal(t, tc.want, size)
		})
	}
}

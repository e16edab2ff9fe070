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

package sqlstore_test

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

// TestInboxMonitoringNeverReadsTheProcessedMessages checks SQLite's plans of
// the statements InboxStats and every claim run: they may read the partial
// indexes of pending, deferred and failed messages, and the trigger-kept
// total, but never walk the whole inbox, which is nearly all processed
// messages. A sampler calls InboxStats every few seconds.
func TestInboxMonitoringNeverReadsTheProcessedMessages(t *testing.T) {
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

	partial := regexp.MustCompile(`^(SEARCH|SCAN) inbox USING (COVERING )?INDEX (inbox_pending|inbox_deferred|inbox_deferred_by_id|inbox_failed)\b`)
	for name, q := range sqlstore.InboxMonitoringQueries(sqlite.Dialect) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q.Query, q.Args...)
			require.NoError(t, err)
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				if regexp.MustCompile(`^(SEARCH|SCAN) inbox\b`).MatchString(detail) &&
					!regexp.MustCompile(`USING INTEGER PRIMARY KEY \(rowid=\?\)`).MatchString(detail) {
					require.Regexp(t, partial, detail, "%s reads the inbox only through a partial index", name)
				}
			}
			require.NoError(t, rows.Err())
		})
	}
}

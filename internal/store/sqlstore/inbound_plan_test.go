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

// TestInboundAndReturnListingsUseAnIndex checks SQLite's plans of the
// listings the API runs: every filter is answered from an index, never by
// reading the whole table, however many inbound goods and returns the hub
// keeps.
func TestInboundAndReturnListingsUseAnIndex(t *testing.T) {
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

	cases := []struct {
		name                          string
		reference, connection, status string
		before                        int64
	}{
		{"every row", "", "", "", 0},
		{"a page further", "", "", "", 100},
		{"by reference", "PO-1", "", "", 0},
		{"by connection", "", "wics", "", 0},
		{"by status", "", "", "received", 0},
		{"by everything", "PO-1", "wics", "received", 100},
	}
	for _, table := range []string{"inbound", "returns"} {
		for _, c := range cases {
			t.Run(table+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				q, args := sqlstore.ListQuery(sqlite.Dialect, `SELECT id, doc FROM `+table, "acme", c.reference, c.connection, c.status, c.before, 50)
				rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
				require.NoError(t, err)
				defer rows.Close()
				steps, plan := 0, ""
				for rows.Next() {
					var id, parent, unused int
					var detail string
					require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
					if regexp.MustCompile(`^(SEARCH|SCAN) ` + table + `\b`).MatchString(detail) {
						steps++
						plan += detail + "\n"
						require.Regexp(t, `^SEARCH `+table+` USING (COVERING )?INDEX `+table+`_by_|^SEARCH `+table+` USING INTEGER PRIMARY KEY`, detail, "the plan: %s", detail)
					}
				}
				require.NoError(t, rows.Err())
				require.Positive(t, steps)
				if c.reference != "" {
					require.Contains(t, plan, table+"_by_reference", "the reference is looked up in its index")
					require.Contains(t, plan, table+"_by_provider_ref", "and so is the provider's number")
				}
			})
		}
	}
}

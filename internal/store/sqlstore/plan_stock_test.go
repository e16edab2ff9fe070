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

// TestInventoryListingsUseAnIndex checks SQLite's plans of the product,
// stock and stock mutation listings for every filter the API passes: each
// searches an index of its workspace and needs no sort of its own, so a
// page costs its rows, not the table.
func TestInventoryListingsUseAnIndex(t *testing.T) {
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

	// What each listing's index search must name: the filtered columns,
	// and the continuation, so a later page does not walk the earlier ones.
	want := map[string]string{
		"products":                 "(workspace=?)",
		"products by sku":          "(workspace=? AND sku=? AND id<?)",
		"products by connection":   "(workspace=? AND connection=? AND id<?)",
		"products by sku and conn": "(workspace=? AND connection=? AND sku=?)",
		"stock":                    "(workspace=? AND id<?)",
		"stock by sku":             "(workspace=? AND sku=?)",
		"stock by connection":      "(workspace=? AND connection=? AND id<?)",
		"stock by warehouse":       "(workspace=? AND warehouse=?)",
		"stock by every field":     "(workspace=? AND connection=? AND sku=? AND warehouse=?)",
		"mutations":                "(workspace=?)",
		"mutations continued":      "(workspace=? AND occurred_at<?)",
		"mutations by sku":         "(workspace=? AND sku=? AND occurred_at<?)",
		"mutations by connection":  "(workspace=? AND connection=?)",
	}
	search := regexp.MustCompile(`^SEARCH (products|stock|stock_mutations) USING (COVERING )?INDEX \w+ \(workspace=\?`)
	for name, q := range sqlstore.InventoryListQueries(sqlite.Dialect) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q.Query, q.Args...)
			require.NoError(t, err)
			defer rows.Close()
			n := 0
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				require.Regexp(t, search, detail, "%s: %s", name, q.Query)
				require.Contains(t, detail, want[name], "%s searches by what it filters", name)
				n++
			}
			require.NoError(t, rows.Err())
			require.Equal(t, 1, n, "%s: one index search and no sort", name)
		})
	}
}

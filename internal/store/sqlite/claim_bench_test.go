package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkClaimBacklog compares one due-delivery claim with a failing
// endpoint's backlog queued against the claim query it replaced.
func BenchmarkClaimBacklog(b *testing.B) {
	s, legacy, db := claimStores(b)
	storetest.BenchmarkClaimBacklog(b, s, legacy, db, func(q string) string { return q })
}

// BenchmarkClaimHealthy checks that parking costs a healthy backlog nothing.
func BenchmarkClaimHealthy(b *testing.B) {
	s, legacy, db := claimStores(b)
	storetest.BenchmarkClaimHealthy(b, s, legacy, db, func(q string) string { return q })
}

// claimStores opens the store under test, a second one for the legacy
// query, and a plain connection to the second one's file.
func claimStores(b *testing.B) (*sqlite.Store, *sqlite.Store, *sql.DB) {
	dir := b.TempDir()
	s := sqlite.OpenTest(b)
	legacyPath := filepath.Join(dir, "legacy.db")
	legacy, err := sqlite.New(context.Background(), sqlite.Config{Path: legacyPath, Synchronous: "NORMAL", Secrets: secrets.NewRandomKeyring()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = legacy.Close() })
	db, err := sqlite.OpenDB(legacyPath, false)
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	return s, legacy, db
}

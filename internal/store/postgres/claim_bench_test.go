package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkClaimBacklog compares one due-delivery claim with a failing
// endpoint's backlog queued against the claim query it replaced.
func BenchmarkClaimBacklog(b *testing.B) {
	s, legacy, db := claimStores(b)
	storetest.BenchmarkClaimBacklog(b, s, legacy, db, sqlstore.Rebind)
}

// BenchmarkClaimHealthy checks that parking costs a healthy backlog nothing.
func BenchmarkClaimHealthy(b *testing.B) {
	s, legacy, db := claimStores(b)
	storetest.BenchmarkClaimHealthy(b, s, legacy, db, sqlstore.Rebind)
}

// claimStores opens the store under test, a second one for the legacy
// query, and a plain connection to the second one's database.
func claimStores(b *testing.B) (*postgres.Store, *postgres.Store, *sql.DB) {
	s := postgres.OpenTest(b)
	url := postgres.TestDatabase(b)
	legacy, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 4, Secrets: secrets.NewRandomKeyring()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = legacy.Close() })
	db, err := sql.Open("pgx", url)
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	return s, legacy, db
}

package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkClaimBacklog compares one due-delivery claim with a failing
// endpoint's backlog queued against the claim query it replaced.
func BenchmarkClaimBacklog(b *testing.B) {
	s := postgres.OpenTest(b)
	url := postgres.TestDatabase(b)
	legacy, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 4})
	require.NoError(b, err)
	b.Cleanup(func() { _ = legacy.Close() })
	db, err := sql.Open("pgx", url)
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	storetest.BenchmarkClaimBacklog(b, s, legacy, db, sqlstore.Rebind)
}

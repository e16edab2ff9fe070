package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func BenchmarkShipmentFilters(b *testing.B) {
	url := postgres.TestDatabase(b)
	s, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 8, Secrets: secrets.NewRandomKeyring()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	db, err := sql.Open("pgx", url)
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	storetest.BenchmarkShipmentFilters(b, s, 100000, func() {
		_, err := db.Exec("ANALYZE shipments")
		require.NoError(b, err)
	})
}

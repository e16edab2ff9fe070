package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	storetest.ExerciseSecretsAtRest(t, func(t *testing.T) storetest.Opener {
		dbURL := postgres.TestDatabase(t)
		return func(t *testing.T, keys *secrets.Keyring) (store.Store, *sql.DB, error) {
			s, err := postgres.New(context.Background(), postgres.Config{URL: dbURL, MaxConns: 4, Secrets: keys})
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(func() { _ = s.Close() })
			raw, err := sql.Open("pgx", dbURL)
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(func() { _ = raw.Close() })
			return s, raw, nil
		}
	})
}

package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	storetest.ExerciseSecretsAtRest(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "hub.db")
		return func(t *testing.T, keys *secrets.Keyring) (store.Store, *sql.DB, error) {
			s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL", Secrets: keys})
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(func() { _ = s.Close() })
			raw, err := sqlite.OpenDB(path, false)
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(func() { _ = raw.Close() })
			return s, raw, nil
		}
	})
}

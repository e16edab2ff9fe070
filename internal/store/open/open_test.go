package open_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/open"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

func TestOpenChoosesTheAdapterByPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"a sqlite path opens the embedded database", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "data", "hub.db") }},
		{"a postgres url opens PostgreSQL", func(t *testing.T) string { return postgres.TestDatabase(t) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := open.Open(ctx, c.database(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.Ping(ctx))
			_, dup, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", DedupKey: "k"})
			require.NoError(t, err)
			require.False(t, dup)
		})
	}
}

func TestOpenRefusesWhatItCannotOpen(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, database, wantErr string
	}{
		{"an empty string names no database", "", "none configured"},
		{"sqlite without a path names no file", "sqlite:", "names no file"},
		{"an unknown kind is refused", "mysql://hub:s3cret@db/hub", `unsupported kind "mysql"`},
		{"a bare path is refused", "./hub.db", "unsupported kind"},
		{"an unreachable server is reported without its password", "postgres://hub:s3cret@127.0.0.1:1/hub?sslmode=disable", "connecting to postgres://hub:xxxxx@127.0.0.1:1/hub"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := open.Open(context.Background(), c.database)
			require.ErrorContains(t, err, c.wantErr)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

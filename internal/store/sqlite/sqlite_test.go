package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     sqlite.Config
		wantErr string
	}{
		{"a path alone is enough", sqlite.Config{Path: "hub.db"}, ""},
		{"normal synchronous is accepted in any case", sqlite.Config{Path: "hub.db", Synchronous: "normal"}, ""},
		{"a missing path is refused", sqlite.Config{}, "path is required"},
		{"a path with a question mark is refused", sqlite.Config{Path: "hub.db?mode=memory"}, "must not contain"},
		{"an unknown synchronous mode is refused", sqlite.Config{Path: "hub.db", Synchronous: "OFF"}, "synchronous must be FULL or NORMAL"},
		{"a writer cache of its own size is accepted", sqlite.Config{Path: "hub.db", WriterCacheKiB: 4096}, ""},
		{"a negative writer cache is refused", sqlite.Config{Path: "hub.db", WriterCacheKiB: -1}, "writer cache must be between"},
		{"a writer cache above 1 GiB is refused", sqlite.Config{Path: "hub.db", WriterCacheKiB: 2 << 20}, "writer cache must be between"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.cfg.Validate()
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.wantErr)
		})
	}
}

// TestDataSurvivesReopening checks what the suite cannot: that Close
// flushed queued appends to the file and that a second open keeps the data
// and does not migrate twice.
func TestDataSurvivesReopening(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "hub.db")

	s, err := sqlite.New(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	results := make(chan error, 100)
	for i := range 100 {
		go func() {
			_, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier", DedupKey: fmt.Sprintf("k%d", i), Body: []byte("x")})
			results <- err
		}()
	}
	for range 100 {
		require.NoError(t, <-results)
	}
	require.NoError(t, s.Close())

	s, err = sqlite.New(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	st, err := s.InboxStats(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 100, st.Total)
	_, dup, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", DedupKey: "k7"})
	require.NoError(t, err)
	require.True(t, dup, "dedup holds across restarts")
}

// BenchmarkAppendInbox measures group-committed appends with 64 concurrent
// callers per core, at the default synchronous=FULL.
func BenchmarkAppendInbox(b *testing.B) {
	storetest.BenchmarkAppendInbox(b, func(tb testing.TB) store.Store {
		s, err := sqlite.New(context.Background(), sqlite.Config{Path: filepath.Join(tb.TempDir(), "hub.db")})
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = s.Close() })
		return s
	})
}

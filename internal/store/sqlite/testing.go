package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiphub/shiphub/internal/secrets"
)

// OpenTest returns a store on a fresh database file in t.TempDir(), with a
// random secrets key, closed when the test ends. It uses synchronous=NORMAL: tests need no protection
// from power loss, and it keeps them fast on slow disks.
func OpenTest(t testing.TB) *Store {
	t.Helper()
	s, err := New(context.Background(), Config{Path: filepath.Join(t.TempDir(), "hub.db"), Synchronous: "NORMAL", Secrets: secrets.NewRandomKeyring()})
	if err != nil {
		t.Fatalf("opening test sqlite store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing test sqlite store: %v", err)
		}
	})
	return s
}

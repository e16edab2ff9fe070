package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryBacklog times claim and record against a backlog of
// storetest.BacklogDeliveries pending deliveries, with synchronous=FULL as
// shiphub serve runs it.
func BenchmarkDeliveryBacklog(b *testing.B) {
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "hub.db"), Synchronous: "FULL", Secrets: secrets.NewRandomKeyring()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	storetest.BenchmarkDeliveryBacklog(b, s, nil)
}

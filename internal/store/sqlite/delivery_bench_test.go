package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryCycle times the store's part of delivering an event
// (claim, then record), with synchronous=FULL as shiphub serve runs it.
func BenchmarkDeliveryCycle(b *testing.B) {
	storetest.BenchmarkDeliveryCycle(b, func(b *testing.B) store.Store {
		s, err := sqlite.New(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "hub.db"), Synchronous: "FULL", Secrets: secrets.NewRandomKeyring()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// BenchmarkInsertShipments times new shipments and their first events,
// eight to a transaction, with apply's synchronous=NORMAL.
func BenchmarkInsertShipments(b *testing.B) {
	storetest.BenchmarkInsertShipments(b, sqlite.OpenTest(b))
}

// BenchmarkApplyNewShipments adds the status update the pipeline makes after
// a new shipment's first event (the numbered insert writes it once).
func BenchmarkApplyNewShipments(b *testing.B) {
	storetest.BenchmarkApplyNewShipments(b, sqlite.OpenTest(b))
}

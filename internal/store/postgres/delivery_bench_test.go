package postgres_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryCycle times the store's part of delivering an event
// (claim, then record).
func BenchmarkDeliveryCycle(b *testing.B) {
	storetest.BenchmarkDeliveryCycle(b, func(b *testing.B) store.Store { return postgres.OpenTest(b) })
}

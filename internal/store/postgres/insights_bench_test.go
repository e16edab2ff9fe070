package postgres_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkInsights measures the insights aggregates at 100,000 shipments
// and 1,000,000 events. Seeding takes minutes: run it alone, with
// -benchtime=3x.
func BenchmarkInsights(b *testing.B) {
	storetest.BenchmarkInsights(b, postgres.OpenTest(b), 100000)
}

func BenchmarkInsightsSmall(b *testing.B) {
	storetest.BenchmarkInsights(b, postgres.OpenTest(b), 2000)
}

package postgres_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func BenchmarkShipmentFilters(b *testing.B) {
	storetest.BenchmarkShipmentFilters(b, postgres.OpenTest(b), 100000)
}

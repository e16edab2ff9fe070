package sqlite_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func BenchmarkShipmentFilters(b *testing.B) {
	storetest.BenchmarkShipmentFilters(b, sqlite.OpenTest(b), 100000, nil)
}

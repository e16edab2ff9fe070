package sqlite_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func BenchmarkLastInboxMessages(b *testing.B) {
	storetest.BenchmarkLastInboxMessages(b, sqlite.OpenTest(b), 50000)
}

package postgres_test

import (
	"testing"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func BenchmarkLastInboxMessages(b *testing.B) {
	storetest.BenchmarkLastInboxMessages(b, postgres.OpenTest(b), 50000)
}

package postgres_test

import (
	"os"
	"testing"

	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryCycle times the store's part of delivering an event
// (claim, then record). SHIPHUB_BENCH_STATEMENTS=1 logs what each
// statement cost (the untimed refills of the queue included).
func BenchmarkDeliveryCycle(b *testing.B) {
	statements := postgres.NewStatementCounter()
	storetest.BenchmarkDeliveryCycle(b, func(b *testing.B) store.Store { return postgres.OpenTestTraced(b, statements) })
	if os.Getenv("SHIPHUB_BENCH_STATEMENTS") != "" {
		for _, st := range statements.Times() {
			b.Logf("%7d × %6.0f µs  %s", st.Count, st.Took.Seconds()*1e6/float64(st.Count), st.SQL)
		}
	}
}

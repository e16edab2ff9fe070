package postgres_test

import (
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryBacklog times claim and record against a backlog of
// storetest.BacklogDeliveries pending deliveries, with the statements sent
// and the CPU of the server processes that ran them (when the server runs
// on this machine) per delivered event.
func BenchmarkDeliveryBacklog(b *testing.B) {
	c := postgres.NewStatementCounter()
	s := postgres.OpenTestTraced(b, c)
	storetest.BenchmarkDeliveryBacklog(b, s, func() (int64, time.Duration) { return c.Statements(), c.ServerCPU() })
}

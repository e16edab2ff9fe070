package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/sim/mixed"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// BenchmarkApplyMixed times the pipeline draining an inbox of mixed real
// provider messages (WICS's nine webhook topics from the simulator, courier
// URL/POST journeys and Winkelstraat shipment pushes, interleaved), with
// nothing else running: apply alone, which the whole-binary benches only
// see behind intake. Each iteration fills a fresh store untimed and drains
// it timed; msg/s is the figure to compare, on SQLite and on PostgreSQL
// (with SHIPHUB_TEST_POSTGRES reachable). SHIPHUB_BENCH_BATCH sets the
// pipeline's BatchSize (default: the store's), and SHIPHUB_BENCH_PROFILE=P
// writes a CPU profile of the drains alone to P-sqlite.pprof and
// P-postgres.pprof (go test's -cpuprofile would include the filling), and
// SHIPHUB_BENCH_STATEMENTS=1 logs what each PostgreSQL statement cost.
func BenchmarkApplyMixed(b *testing.B) {
	conns, msgs := mixedInbox(b)
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var applied int
			var took time.Duration
			statements := postgres.NewStatementCounter()
			statements.On(false) // counting only the drains
			var hubCPU, dbCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				st := openBenchStore(b, kind, statements)
				fillInbox(b, st, msgs)
				p, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, BatchSize: benchBatch()})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				stop := profileDrain(b, kind)
				statements.On(true)
				hub0, db0 := postgres.ProcessCPU("self"), statements.ServerCPU()
				n, err := p.Drain(context.Background())
				hubCPU += postgres.ProcessCPU("self") - hub0
				dbCPU += statements.ServerCPU() - db0
				statements.On(false)
				took += time.Since(start)
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if n != len(msgs) {
					b.Fatalf("drained %d of %d messages", n, len(msgs))
				}
				applied += n
				b.StopTimer()
				failedInbox(b, st)
				b.StartTimer()
			}
			b.ReportMetric(float64(applied)/took.Seconds(), "msg/s")
			b.ReportMetric(hubCPU.Seconds()*1e6/float64(applied), "hub-cpu-us/msg")
			if kind == "postgres" {
				b.ReportMetric(float64(statements.Statements())/float64(applied), "statements/msg")
				b.ReportMetric(dbCPU.Seconds()*1e6/float64(applied), "db-cpu-us/msg")
				if os.Getenv("SHIPHUB_BENCH_STATEMENTS") != "" {
					for _, st := range statements.Times() {
						b.Logf("%8.1f µs/msg %7d × %6.0f µs  %s", st.Took.Seconds()*1e6/float64(applied), st.Count, st.Took.Seconds()*1e6/float64(st.Count), st.SQL)
					}
				}
			}
		})
	}
}

func openBenchStore(b *testing.B, kind string, c *postgres.StatementCounter) store.Store {
	if kind == "postgres" {
		return postgres.OpenTestTraced(b, c)
	}
	return sqlite.OpenTest(b)
}

// failedInbox fails the benchmark when a message was not applied: a bench
// of messages set aside measures nothing.
func failedInbox(b *testing.B, st store.Store) {
	stats, err := st.InboxStats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if stats.Failed > 0 || stats.Pending > 0 {
		b.Fatalf("after the drain: %d failed, %d pending", stats.Failed, stats.Pending)
	}
}

// benchMessages sizes the mixed inbox: about this many of each provider.
const benchMessages = 2000

// mixedInbox builds the connections and the messages of the mixed bench,
// interleaved.
func mixedInbox(b *testing.B) (*connections.Set, []*model.InboxMessage) {
	b.Helper()
	in, err := mixed.New(mixed.Config{Workspace: "bench", WICSOrders: benchMessages / 19, Messages: benchMessages})
	if err != nil {
		b.Fatal(err)
	}
	return in.Connections, in.Interleaved()
}

// fillInbox appends the messages, one stream (connection) per goroutine
// so that each stream's messages keep their order in the inbox, as the
// provider's senders keep it.
func fillInbox(b *testing.B, st store.Store, msgs []*model.InboxMessage) {
	byConn := map[string][]*model.InboxMessage{}
	for _, m := range msgs {
		byConn[m.Connection] = append(byConn[m.Connection], m)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(byConn))
	for _, ms := range byConn {
		wg.Go(func() {
			for _, m := range ms {
				c := *m
				if _, _, err := st.AppendInbox(context.Background(), &c); err != nil {
					errs <- fmt.Errorf("appending a message of %s: %w", m.Connection, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchBatch is SHIPHUB_BENCH_BATCH, or 0.
func benchBatch() int {
	n, _ := strconv.Atoi(os.Getenv("SHIPHUB_BENCH_BATCH"))
	return n
}

// profileDrain starts a CPU profile of one drain when SHIPHUB_BENCH_PROFILE
// names a file prefix; the returned function stops it.
func profileDrain(b *testing.B, kind string) func() {
	prefix := os.Getenv("SHIPHUB_BENCH_PROFILE")
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + "-" + kind + ".pprof")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

package postgres_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkDeliveryBacklog times claim and record against a backlog of
// storetest.BacklogDeliveries pending deliveries, with the statements sent
// and the CPU of the server processes that ran them (when the server runs
// on this machine) per delivered event.
func BenchmarkDeliveryBacklog(b *testing.B) {
	var c serverCounter
	s := postgres.OpenTestTraced(b, &c)
	storetest.BenchmarkDeliveryBacklog(b, s, c.counters)
}

// serverCounter is a pgx tracer that counts statements and remembers the
// server processes that ran them.
type serverCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	pids map[uint32]bool
}

func (c *serverCounter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.mu.Lock()
	if c.pids == nil {
		c.pids = map[uint32]bool{}
	}
	c.pids[conn.PgConn().PID()] = true
	c.mu.Unlock()
	return ctx
}

func (c *serverCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// counters is a storetest.ServerCounters: the statements so far and the
// CPU time of the server processes seen so far, from /proc/PID/stat.
func (c *serverCounter) counters() (int64, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cpu time.Duration
	for pid := range c.pids {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		user, _ := strconv.ParseInt(f[11], 10, 64)
		sys, _ := strconv.ParseInt(f[12], 10, 64)
		cpu += time.Duration(user+sys) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return c.n.Load(), cpu
}

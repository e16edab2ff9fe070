package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shiphub/shiphub/internal/secrets"
)

// TestServerEnv names the environment variable with the URL of the
// PostgreSQL server tests create their databases on.
const TestServerEnv = "SHIPHUB_TEST_POSTGRES"

// DefaultTestServer is used when TestServerEnv is unset.
const DefaultTestServer = "postgres://127.0.0.1:5432/postgres?sslmode=disable"

// OpenTest returns a store on a fresh database from TestDatabase, with a
// random secrets key, closed when the test ends.
func OpenTest(t testing.TB) *Store {
	t.Helper()
	return OpenTestTraced(t, nil)
}

// OpenTestTraced is OpenTest with a tracer on the store's connections
// (Config.Tracer), which may be nil.
func OpenTestTraced(t testing.TB, tracer pgx.QueryTracer) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := New(ctx, Config{URL: TestDatabase(t), MaxConns: 8, Secrets: secrets.NewRandomKeyring(), Tracer: tracer})
	if err != nil {
		t.Fatalf("opening test postgres store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing test postgres store: %v", err)
		}
	})
	return s
}

// TestDatabase creates a fresh, uniquely named database
// (shiphub_test_<random>) on the server named by SHIPHUB_TEST_POSTGRES,
// returns its URL, and drops it when the test ends (after the cleanups
// registered later, such as closing a store on it). When the server cannot
// be reached the test is skipped, unless CI is set: CI must really run the
// PostgreSQL tests, so there it fails instead.
func TestDatabase(t testing.TB) string {
	t.Helper()
	server := os.Getenv(TestServerEnv)
	if server == "" {
		server = DefaultTestServer
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a valid URL", TestServerEnv)
	}
	if u.User == nil {
		// Trust authentication still needs a role name; the driver would
		// otherwise use the OS user, which rarely has one.
		u.User = url.User("postgres")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", u.String())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			_ = admin.Close()
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres test server %s unreachable: %v", Redact(u.String()), err)
		}
		t.Skipf("postgres test server %s unreachable (set %s): %v", Redact(u.String()), TestServerEnv, err)
	}
	t.Cleanup(func() { _ = admin.Close() })

	var raw [8]byte
	_, _ = rand.Read(raw[:])
	name := "shiphub_test_" + hex.EncodeToString(raw[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})

	dbURL := *u
	dbURL.Path = "/" + name
	return dbURL.String()
}

// StatementCounter is a pgx tracer (OpenTestTraced) for benchmarks: it
// counts the statements the store sends while it is on (each one a round
// trip) and remembers the server processes that ran them, so ServerCPU can
// read their CPU time when the server runs on this machine.
type StatementCounter struct {
	on    atomic.Bool
	n     atomic.Int64
	mu    sync.Mutex
	pids  map[uint32]bool
	times map[string]*StatementTime
}

// StatementTime is what the statements that begin alike cost while the
// counter was on: how many ran and the time from sending each to its end
// (the round trip, the server's work in it).
type StatementTime struct {
	SQL   string
	Count int
	Took  time.Duration
}

type statementStart struct{}

type started struct {
	sql string
	at  time.Time
}

// NewStatementCounter returns a counter that counts from the start (On).
func NewStatementCounter() *StatementCounter {
	c := &StatementCounter{}
	c.on.Store(true)
	return c
}

// On starts or stops the counting of statements; the server processes are
// remembered either way.
func (c *StatementCounter) On(on bool) { c.on.Store(on) }

// Statements is the number of statements counted so far.
func (c *StatementCounter) Statements() int64 { return c.n.Load() }

// TraceQueryStart implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	on := c.on.Load()
	if on {
		c.n.Add(1)
	}
	c.mu.Lock()
	if c.pids == nil {
		c.pids = map[uint32]bool{}
	}
	c.pids[conn.PgConn().PID()] = true
	c.mu.Unlock()
	if !on {
		return ctx
	}
	return context.WithValue(ctx, statementStart{}, started{sql: data.SQL, at: time.Now()})
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	st, ok := ctx.Value(statementStart{}).(started)
	if !ok {
		return
	}
	took := time.Since(st.at)
	key := strings.Join(strings.Fields(st.sql), " ")
	if len(key) > 90 {
		key = key[:90]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.times == nil {
		c.times = map[string]*StatementTime{}
	}
	t := c.times[key]
	if t == nil {
		t = &StatementTime{SQL: key}
		c.times[key] = t
	}
	t.Count++
	t.Took += took
}

// Times are the statements' costs so far, by their first 90 characters
// (whitespace folded), the costliest first.
func (c *StatementCounter) Times() []StatementTime {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]StatementTime, 0, len(c.times))
	for _, t := range c.times {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b StatementTime) int { return cmp.Compare(b.Took, a.Took) })
	return out
}

// ServerCPU is the CPU time, so far, of the server processes that ran the
// store's statements (0 for those not on this machine).
func (c *StatementCounter) ServerCPU() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var total time.Duration
	for pid := range c.pids {
		total += ProcessCPU(strconv.Itoa(int(pid)))
	}
	return total
}

// ProcessCPU is the CPU time (user and system) a process ("self", or a
// pid) has used so far, from /proc/PID/stat, or 0 where there is none: on
// a shared machine the CPU an operation costs moves less than its time.
func ProcessCPU(pid string) time.Duration {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// Package postgres is shiphub's shared storage: store.Store on PostgreSQL
// (through pgx's database/sql driver), using the shared SQL of package
// sqlstore. Several hub instances may use one database: appends from all of
// them are deduplicated by the inbox's unique key, and an advisory lock lets
// exactly one instance apply inbox messages at a time. When that instance
// dies its session ends, the lock is released, and another takes the work
// over on its next ProcessInbox.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// processLockKey is the advisory lock that makes one instance at a time the
// one that applies inbox messages ("shiphub" in ASCII).
const processLockKey int64 = 0x73686970687562

// Dialect is PostgreSQL's sqlstore dialect.
var Dialect = sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	LockSuffix:           " FOR UPDATE",
	// An apply transaction commits its messages' processed marks with the
	// state it derived from them: if a crash loses it, the messages are
	// pending again and are applied anew. So it need not wait for its WAL
	// flush; inbox appends, which acknowledge providers, still do.
	ApplySetup: "SET LOCAL synchronous_commit = off",
	// Claims and attempt records: the same, and generic plans (see
	// sqlstore.Dialect.RelaxedSetup). One statement, one round trip, run
	// where a store has no relaxed pool (New gives it one whose sessions
	// have these settings).
	RelaxedSetup:   "SELECT set_config('synchronous_commit', '" + relaxedSettings["synchronous_commit"] + "', true), set_config('plan_cache_mode', '" + relaxedSettings["plan_cache_mode"] + "', true)",
	TryProcessLock: "SELECT pg_try_advisory_xact_lock(" + strconv.FormatInt(processLockKey, 10) + ")",
	ProcessLock:    "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(processLockKey, 10) + ")",
	VacuumTable:    "VACUUM (ANALYZE) ",
	// Apply is bound by round trips here, not by a lock: under MVCC an
	// apply transaction blocks no append (SQLite's single writer does,
	// hence its small default), and the statements a transaction writes
	// behind (shipment updates, references, feed, deliveries, processed
	// marks) and its commit are one round trip each however many messages
	// it carries. Batches of 256 apply the mixed bench about 1.6 times as
	// fast as batches of 32 (BenchmarkApplyMixed in internal/pipeline).
	ApplyBatch:  256,
	Prefetch:    true,
	NextIDs:     "WITH s (seq) AS (SELECT pg_get_serial_sequence($1, 'id')) SELECT nextval(s.seq) FROM s, generate_series(1, $2)",
	OverrideIDs: " OVERRIDING SYSTEM VALUE",
}

// relaxedSettings are the settings of the delivery claims and attempt
// records: the session parameters of their pool (New), and
// Dialect.RelaxedSetup's.
var relaxedSettings = map[string]string{"synchronous_commit": "off", "plan_cache_mode": "force_generic_plan"}

// relaxedConns caps the pool of the delivery claims and attempt records
// (see New), beside Config.MaxConns (and at most it): one delivery worker
// holds at most a claim and a record at a time, and a few instances may
// share a server.
const relaxedConns = 4

// Config configures a PostgreSQL store.
type Config struct {
	// URL is the connection URL, postgres://user:password@host:port/db?….
	URL string
	// MaxConns caps the pool; default 10. The append committer and the
	// pipeline hold one connection each while they work. The delivery
	// claims and attempt records have a pool of their own, of up to four
	// (no more than MaxConns).
	MaxConns int
	// Secrets seals the endpoint secrets in the database; see
	// sqlstore.Options.Secrets.
	Secrets *secrets.Keyring
	// Tracer, when set, is told of every statement the store's connections
	// run: benchmarks count round trips with it.
	Tracer pgx.QueryTracer

	// statsEvery is how often the statistics keeper looks; zero is
	// statsInterval. Tests shorten it, to see the keeper's passes.
	statsEvery time.Duration
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("postgres: url is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Parse's error quotes the URL, password and all.
		return errors.New("postgres: url is not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("postgres: url scheme must be postgres or postgresql, not %q", u.Scheme)
	}
	if c.MaxConns < 0 {
		return fmt.Errorf("postgres: max conns must not be negative, got %d", c.MaxConns)
	}
	return nil
}

// Store is store.Store on PostgreSQL.
type Store struct {
	*sqlstore.Store
	stopStats context.CancelFunc
	statsDone chan struct{}
}

var _ store.Store = (*Store)(nil)

// New connects, brings the schema up to date (several instances starting at
// once take turns through goose's session lock) and returns a store.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 10
	}
	where := Redact(cfg.URL)
	connCfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: opening %s: %w", where, err)
	}
	if _, set := connCfg.RuntimeParams["jit"]; !set {
		// The hub's statements are short; JIT compiling one whose estimate
		// passes jit_above_cost (the delivery park on a young table) took
		// 100 ms of a 260 ms statement that runs without it in 10 ms.
		connCfg.RuntimeParams["jit"] = "off"
	}
	if cfg.Tracer != nil {
		connCfg.Tracer = cfg.Tracer
	}
	db := stdlib.OpenDB(*connCfg)
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connecting to %s: %w", where, err)
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	// The delivery claims and attempt records run on connections of their
	// own whose sessions have RelaxedSetup's settings, so that they skip
	// its round trip: a claim or a record is otherwise begin, setup, two
	// to five statements and commit, a pair for every few deliveries.
	relaxedCfg := connCfg.Copy()
	maps.Copy(relaxedCfg.RuntimeParams, relaxedSettings)
	relaxed := stdlib.OpenDB(*relaxedCfg)
	relaxed.SetMaxOpenConns(min(relaxedConns, cfg.MaxConns))
	relaxed.SetMaxIdleConns(min(relaxedConns, cfg.MaxConns))
	s, err := sqlstore.New(sqlstore.Options{Dialect: Dialect, Writer: db, Relaxed: relaxed, Secrets: cfg.Secrets})
	if err != nil {
		_ = relaxed.Close()
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	st := &Store{Store: s, statsDone: make(chan struct{})}
	var statsCtx context.Context
	statsCtx, st.stopStats = context.WithCancel(context.Background())
	every := cfg.statsEvery
	if every == 0 {
		every = statsInterval
	}
	go st.keepStatistics(statsCtx, db, every)
	return st, nil
}

// Close stops the statistics keeper and closes the store.
func (s *Store) Close() error {
	s.stopStats()
	<-s.statsDone
	return s.Store.Close()
}

// migrate applies the embedded migrations under goose's advisory session lock.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: reading embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("postgres: preparing migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: preparing migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrating: %w", err)
	}
	return nil
}

// Redact returns the URL with its password (in the user info or a password
// parameter) replaced by "xxxxx", for error messages and logs. A URL that
// does not parse is replaced entirely.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

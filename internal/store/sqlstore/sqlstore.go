// Package sqlstore is the one SQL implementation of store.Store, written
// against database/sql and shared by package sqlite and package postgres. The
// few places where the two databases differ are described by a Dialect; the
// schema itself lives with each driver package as an embedded migration.
//
// Conventions both schemas follow: times are BIGINT unix microseconds (so no
// driver converts them, and both databases sort them the same way), JSON
// documents are TEXT, and ids are 64-bit and never reused.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
)

// Dialect describes what differs between the SQL databases shiphub runs on.
// Queries in this package are written with ? placeholders and rebound once,
// when the Store is built.
type Dialect struct {
	// Name names the database in error messages ("sqlite", "postgres").
	Name string
	// NumberedPlaceholders rewrites ? placeholders to $1, $2, … (PostgreSQL).
	NumberedPlaceholders bool
	// LockSuffix is appended to a SELECT whose rows the transaction will
	// update, such as " FOR UPDATE". SQLite has a single writer and needs none.
	LockSuffix string
	// TryProcessLock, when not empty, is the first statement of every
	// ProcessInbox transaction. It returns one boolean: false means another
	// instance holds the work, and ProcessInbox returns 0 without waiting.
	// The lock must be released by the transaction's end.
	TryProcessLock string
	// ProcessLock, when not empty, takes the same lock as TryProcessLock but
	// waits for it; ResetCanonical runs it so it never races an instance that
	// is applying messages.
	ProcessLock string
	// ApplyPragmas, when set, are run on the writer connection before and
	// after each ProcessInbox transaction (SQLite: relax synchronous for
	// transactions whose content the inbox can rebuild).
	ApplyPragmas [2]string
	// ApplySetup, when not empty, runs first in each ProcessInbox
	// transaction (PostgreSQL: SET LOCAL synchronous_commit = off, for the
	// same reason as ApplyPragmas).
	ApplySetup string
	// RelaxedSetup, when not empty, runs first in each delivery claim and
	// attempt record transaction (beginRelaxed) instead of ApplySetup:
	// PostgreSQL turns off the commit's flush wait there too, and plans
	// the transaction's prepared statements generically. Left to choose,
	// it planned the claim, the endpoint lookups and the park's probes
	// anew on every run (pg_stat_statements: 2,874 plans in 2,962 claims,
	// a tenth of the server's CPU in the end-to-end benchmark), though
	// their generic plans are the ones wanted
	// (TestDeliveryStatementsHaveIndexedGenericPlans).
	RelaxedSetup string
	// DetachInTx means the hot path's statements inside a transaction get
	// their context without its cancellation (Store.stmtCtx).
	// mattn/go-sqlite3 starts a goroutine for every Exec whose context can
	// be cancelled, to interrupt the statement should it end: in the
	// end-to-end benchmark's apply phase, waking threads for those
	// goroutines and starting and ending them was about a tenth of the
	// hub's CPU, and the applying goroutine, which holds the one writer,
	// waited for each handover. Nothing is lost inside a transaction:
	// database/sql rolls it back when its context ends, as soon as the
	// running statement returns, and every statement after that fails with
	// sql.ErrTxDone. The hot path's statements take microseconds; long ones
	// (retention's deletes, a rebuild's reset) keep their context, so a
	// timeout still interrupts them.
	DetachInTx bool
	// LastInsertID means the driver reports the id of the row a
	// single-row INSERT wrote (SQLite's last_insert_rowid), so the hot
	// single-row inserts leave out RETURNING id (see insertID).
	LastInsertID bool
	// VacuumTable, when not empty, is the statement (followed by a table
	// name) that lets the database reuse the space of a table's deleted
	// and updated rows (PostgreSQL: VACUUM, for when autovacuum is off or
	// behind). SQLite reuses freed pages by itself.
	VacuumTable string
	// SingleWriter means appends and apply transactions share one
	// connection (SQLite), so ProcessInbox gives way to waiting appends.
	SingleWriter bool
	// NoIndex, written before a column in a comparison, keeps the planner
	// from answering that comparison from an index ("+" on SQLite), where
	// a partial index is the better path and the planner has no
	// statistics to see it; empty where the planner's statistics choose
	// well (PostgreSQL).
	NoIndex string
	// ApplyBatch, when not zero, is how many messages one apply
	// transaction should take when the pipeline is not told otherwise
	// (see Store.ApplyBatchSize).
	ApplyBatch int
	// Prefetch turns on Tx.Prefetch (prefetch.go): the shipments and orders
	// an apply batch names are loaded with one statement per kind, and new
	// events are written behind, with ids NextIDs allocates, in the flush's
	// multi-row INSERT. Worth it where every statement is a round trip
	// over the network (PostgreSQL); SQLite runs statements in process.
	// Its statements are PostgreSQL's: = ANY($1) and unnest($1) with
	// array parameters, numbered placeholders.
	Prefetch bool
	// NextIDs, with Prefetch, is a query returning $2 new ids of the
	// identity column id of the table named $1, and OverrideIDs what
	// follows the column list of an INSERT that states such ids.
	NextIDs, OverrideIDs string
	// LastID, where Prefetch is off, is a query returning the last id the
	// table named by its one parameter has handed out (SQLite: the
	// table's sqlite_sequence row; AUTOINCREMENT never hands one out
	// twice). The transaction, which holds the only write lock, then
	// numbers its new shipments and events itself and inserts a new
	// shipment, with its events after it, at flush as it stands
	// (numbered.go). A new shipment changes right after its insert (its
	// first event gives it its status), so this writes its row and its
	// indexes once where an insert and an update wrote them twice.
	LastID string
}

// Options builds a Store.
type Options struct {
	// Dialect describes the database.
	Dialect Dialect
	// Writer runs every write: the append committer and the transactions of
	// ProcessInbox and ResetCanonical. On SQLite it must hold a single
	// connection so writers queue in Go instead of failing on the file lock.
	Writer *sql.DB
	// Reader runs the query methods; nil means Writer. On SQLite it is a
	// separate read-only pool, so reads never wait for the writer.
	Reader *sql.DB
	// Relaxed, when set, runs the delivery claim and attempt record
	// transactions (beginRelaxed) on connections whose session already
	// has Dialect.RelaxedSetup's settings, so those transactions, a pair
	// for every few deliveries, skip its round trip; it must run nothing
	// else. nil means Writer, with RelaxedSetup run in each transaction.
	Relaxed *sql.DB
	// MaxBatch caps how many appends one commit carries; default 256.
	MaxBatch int
	// CommitLinger is the longest a group commit waits for more appends
	// when it holds fewer than recent commits did (see commitLoop);
	// default 500µs, negative: never wait.
	CommitLinger time.Duration
	// CommitTimeout bounds one group commit; default 30s. It does not come
	// from any one caller's context, because a commit serves many callers.
	CommitTimeout time.Duration
	// Now is the clock; default time.Now. Tests may fix it.
	Now func() time.Time
	// Secrets seals the endpoint secrets the store keeps. When it is set,
	// New seals again every secret not sealed with its current key (see
	// ResealSecrets). Without it the store refuses to store a secret and to
	// read a sealed one (ErrNoSecretsKey): tools that never touch secrets,
	// such as a read of the inbox, need no key.
	Secrets *secrets.Keyring
}

// Store is store.Store on a SQL database. Build it with New; the Store owns
// the databases it was given and closes them on Close.
type Store struct {
	dialect       Dialect
	writer        *sql.DB
	reader        *sql.DB
	relaxed       *sql.DB // Options.Relaxed; nil: the writer
	maxBatch      int
	commitTimeout time.Duration
	commitLinger  time.Duration
	now           func() time.Time
	q             queries
	secrets       *secrets.Keyring

	// mu guards closed and the closing of reqs: AppendInbox holds it for
	// reading while it hands a request over, Close for writing while it
	// stops accepting, so no request is left behind in the channel.
	mu        sync.RWMutex
	closed    bool
	isClosed  atomic.Bool
	reqs      chan *appendReq
	committed chan struct{}
	closeErr  error
	closeOnce sync.Once

	// appending counts AppendInbox calls waiting for their commit.
	appending atomic.Int64
	// applyYieldedInFull is writerTurns' memory between apply batches.
	applyYieldedInFull atomic.Bool
	// stmts holds the statements prepared on the writer, by query text.
	// It is filled by New before the store is shared and only read after.
	stmts map[string]*sql.Stmt
	// insertSQL caches the multi-row inbox INSERT by row count. Only the
	// committer goroutine touches it.
	insertSQL map[int]string

	// queued signals the webhook sender that this process committed new
	// deliveries (webhooks.go).
	queued     chan struct{}
	queuedOnce sync.Once
	// endpoints keeps the endpoints ClaimDeliveries loaded (webhooks.go).
	endpoints endpointCache
}

var _ store.Store = (*Store)(nil)

// New builds a Store on already migrated databases and starts its append
// committer.
func New(opts Options) (*Store, error) {
	if opts.Writer == nil {
		return nil, errors.New("sqlstore: no writer database")
	}
	if opts.Reader == nil {
		opts.Reader = opts.Writer
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.CommitLinger == 0 {
		opts.CommitLinger = 500 * time.Microsecond
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{
		dialect:       opts.Dialect,
		writer:        opts.Writer,
		reader:        opts.Reader,
		relaxed:       opts.Relaxed,
		maxBatch:      opts.MaxBatch,
		commitTimeout: opts.CommitTimeout,
		commitLinger:  opts.CommitLinger,
		now:           opts.Now,
		secrets:       opts.Secrets,
		reqs:          make(chan *appendReq, opts.MaxBatch*4),
		committed:     make(chan struct{}),
		insertSQL:     map[int]string{},
	}
	s.q = newQueries(s.dialect)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opts.Dialect.SingleWriter {
		// With one writer connection, statements prepared on the pool are
		// prepared on that connection and every transaction reuses them. A
		// pool of several (PostgreSQL) would re-prepare them per
		// transaction; pgx caches its statements by itself there.
		if err := s.prepareHot(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Secrets != nil {
		if _, err := s.ResealSecrets(ctx); err != nil {
			for _, st := range s.stmts {
				_ = st.Close()
			}
			return nil, err
		}
	}
	go s.commitLoop(s.commitBatch)
	return s, nil
}

// prepareHot prepares, on the writer, the statements the pipeline runs for
// every message. It must run before any transaction: on SQLite the writer has
// one connection, which a transaction holds.
func (s *Store) prepareHot(ctx context.Context) error {
	s.stmts = map[string]*sql.Stmt{}
	hot := []string{s.q.shipmentByRef, s.q.shipmentInsert, s.q.shipmentUpdate, s.q.eventInsert, s.q.markProcessed,
		s.claimSQL(), s.parkSQL(false), s.parkSQL(true), recordAttemptSQL, logAttemptSQL, unparkOneSQL,
		s.claimEndpointVersionsSQL(), s.claimEndpointsSQL(), s.claimFeedSQL(), s.endpointsRecoveredSQL(), anyRetryingSQL, anyParkedSQL}
	if s.dialect.LastID != "" {
		hot = append(hot, s.q.shipmentInsertID, s.q.eventInsertID, s.dialect.LastID)
	}
	for _, q := range hot {
		st, err := s.writer.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("preparing %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// prepared returns the writer's prepared statement for query, if it is one
// of the hot ones.
func (s *Store) prepared(query string) (*sql.Stmt, bool) {
	st, ok := s.stmts[query]
	return st, ok
}

// stmtCtx is the context for a short statement of the hot path inside a
// transaction begun with ctx: ctx itself, or, where Dialect.DetachInTx says
// so, ctx without its cancellation, which the transaction still obeys.
func (s *Store) stmtCtx(ctx context.Context) context.Context {
	if s.dialect.DetachInTx {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// execTx runs query in wtx, prepared when it is one of the hot statements.
func (s *Store) execTx(ctx context.Context, wtx *sql.Tx, query string, args ...any) (sql.Result, error) {
	ctx = s.stmtCtx(ctx)
	if ps, ok := s.prepared(query); ok {
		return wtx.StmtContext(ctx, ps).ExecContext(ctx, args...)
	}
	return wtx.ExecContext(ctx, query, args...)
}

// queryTx is execTx for a query that returns rows.
func (s *Store) queryTx(ctx context.Context, wtx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if ps, ok := s.prepared(query); ok {
		return wtx.StmtContext(ctx, ps).QueryContext(ctx, args...)
	}
	return wtx.QueryContext(ctx, query, args...)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging %s: %w", s.dialect.Name, err)
	}
	if s.reader != s.writer {
		if err := s.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("pinging %s read pool: %w", s.dialect.Name, err)
		}
	}
	return nil
}

// ApplyBatchSize is the number of messages an apply transaction should take
// on this database when the pipeline is not configured otherwise
// (Dialect.ApplyBatch); 0 leaves the pipeline's own default.
func (s *Store) ApplyBatchSize() int { return s.dialect.ApplyBatch }

// Close stops accepting appends, commits those already queued, and closes the
// databases. Later calls return nil and do nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.isClosed.Store(true)
		close(s.reqs)
		s.mu.Unlock()
		<-s.committed

		var errs []error
		for _, st := range s.stmts {
			_ = st.Close()
		}
		if s.reader != s.writer {
			if err := s.reader.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing %s read pool: %w", s.dialect.Name, err))
			}
		}
		if s.relaxed != nil {
			if err := s.relaxed.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing %s relaxed pool: %w", s.dialect.Name, err))
			}
		}
		if err := s.writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s: %w", s.dialect.Name, err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Rebind rewrites the ? placeholders of query to $1, $2, … in order. It does
// not look inside string literals: shiphub's queries have no ? in them.
func Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// bind adapts a query written with ? placeholders to the dialect.
func (d Dialect) bind(query string) string {
	if d.NumberedPlaceholders {
		return Rebind(query)
	}
	return query
}

// micros is how times are stored: unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros turns a stored time back into a UTC time.Time.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// rollback ends a transaction that is being abandoned; its error adds nothing
// to the one that caused the abandonment.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }

// Package sqlite is shiphub's embedded storage: store.Store on one SQLite
// file (modernc.org/sqlite, pure Go), using the shared SQL of package
// sqlstore.
//
// All writes go through one connection, so the append committer and the
// pipeline queue in Go instead of failing on SQLite's file lock; reads use a
// separate read-only pool, which WAL mode lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config configures a SQLite store.
type Config struct {
	// Path is the database file. Its directory is created when missing.
	Path string
	// Synchronous is SQLite's synchronous setting: FULL (the default) makes
	// every acknowledged append survive a power cut; NORMAL survives a crash
	// of the process but may lose the last commits on power loss, and is
	// faster on slow disks.
	Synchronous string
	// ReadConns is the size of the read-only pool; default 4.
	ReadConns int
	// BusyTimeoutMillis is how long a connection waits for another process's
	// lock before failing; default 10000.
	BusyTimeoutMillis int
	// WriterCacheKiB is the page cache of the one writer connection, which
	// every append, apply and delivery record goes through; default 16384
	// (16 MiB, SQLite's own default is 2 MiB). With the default, the pages
	// those transactions descend on a large store (the upper levels and
	// right-hand edges of the inbox's, shipments' and feed's indexes) were
	// evicted by one another and read again from the file: on a store of 10
	// million messages, acknowledgements at 0.67x of an empty store's,
	// against 0.90-0.91x with 16 MiB, and apply at 0.80x against
	// 0.97-0.98x (BENCHMARKS.md, issue 14, the ninth round). The hub's
	// resident memory grows by up to this much.
	WriterCacheKiB int
	// Secrets seals the endpoint secrets in the database; see
	// sqlstore.Options.Secrets.
	Secrets *secrets.Keyring
}

// withDefaults fills in the defaults of unset fields.
func (c Config) withDefaults() Config {
	if c.Synchronous == "" {
		c.Synchronous = "FULL"
	}
	c.Synchronous = strings.ToUpper(c.Synchronous)
	if c.ReadConns <= 0 {
		c.ReadConns = 4
	}
	if c.BusyTimeoutMillis <= 0 {
		c.BusyTimeoutMillis = 10000
	}
	if c.WriterCacheKiB == 0 {
		c.WriterCacheKiB = DefaultWriterCacheKiB
	}
	return c
}

// Validate checks the configuration after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Path == "" {
		return errors.New("sqlite: path is required")
	}
	if strings.ContainsAny(c.Path, "?#") {
		// The driver reads everything after '?' as connection parameters.
		return fmt.Errorf("sqlite: path %q must not contain '?' or '#'", c.Path)
	}
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		return fmt.Errorf("sqlite: synchronous must be FULL or NORMAL, not %q", c.Synchronous)
	}
	if c.WriterCacheKiB < 0 || c.WriterCacheKiB > 1<<20 {
		return fmt.Errorf("sqlite: writer cache must be between 1 KiB and 1 GiB, got %d KiB", c.WriterCacheKiB)
	}
	return nil
}

// DefaultWriterCacheKiB is Config.WriterCacheKiB's default.
const DefaultWriterCacheKiB = 16 << 10

// Store is store.Store on SQLite.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Dialect is SQLite's sqlstore dialect: plain ? placeholders, and no row or
// processing locks, because the single writer connection already serialises
// every write transaction.
var Dialect = sqlstore.Dialect{Name: "sqlite", SingleWriter: true, NoIndex: "+", LastInsertID: true, DetachInTx: true,
	LastID: `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)`}

// New opens (creating if needed) the database file, brings its schema up to
// date and returns a store on it.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: creating directory of %s: %w", cfg.Path, err)
		}
	}

	writer, err := sql.Open(driverName, dsn(cfg, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", cfg.Path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", cfg.Path, err)
	}
	if err := migrate(ctx, writer); err != nil {
		_ = writer.Close()
		return nil, err
	}

	reader, err := sql.Open(driverName, dsn(cfg, true))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: opening %s for reading: %w", cfg.Path, err)
	}
	reader.SetMaxOpenConns(cfg.ReadConns)
	reader.SetMaxIdleConns(cfg.ReadConns)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		_ = reader.Close()
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: opening %s for reading: %w", cfg.Path, err)
	}

	d := Dialect
	if cfg.Synchronous == "FULL" {
		// Canonical state can always be rebuilt from the inbox, and a
		// batch's processed marks commit with it: if a power loss takes an
		// apply transaction, its messages are simply pending again. So apply
		// transactions skip their fsync; the next inbox commit (FULL) syncs
		// the write-ahead log, theirs included.
		d.ApplyPragmas = [2]string{"PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"}
	}
	s, err := sqlstore.New(sqlstore.Options{Dialect: d, Writer: writer, Reader: reader, Secrets: cfg.Secrets})
	if err != nil {
		_ = reader.Close()
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &Store{Store: s}, nil
}

// walCheckpointPages is how long the write-ahead log grows (in pages of
// 4 KiB: 40 MiB) before the writer's commit copies it into the database
// file (SQLite's default is 1,000). The hub's transactions rewrite the same
// pages again and again (the right-hand leaves of the inbox, feed and
// delivery indexes), and a checkpoint copies each page once however often it
// was written since the last, so fewer, larger checkpoints copy and sync far
// less: e2e --rounds 2 at 10,000, hub CPU a message 0.85x, end-to-end 1.17x
// (BENCHMARKS.md, issue 14). It costs up to 40 MiB of log on disk, and its
// scan when the database opens after a crash.
const walCheckpointPages = 10000

// migrate applies the embedded migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: reading embedded migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: preparing migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrating: %w", err)
	}
	return nil
}

// OpenDB opens the database file with the store's driver and connection
// settings (busy timeout, foreign keys; WAL and IMMEDIATE transactions for
// a writer), outside any Store: for tools and tests that read or seed the
// file directly. Using the store's driver matters while a Store has the
// file open: two SQLite libraries in one process do not see each other's
// POSIX locks, and closing one's file descriptor drops the other's locks.
// readOnly makes every connection query-only.
func OpenDB(path string, readOnly bool) (*sql.DB, error) {
	cfg := Config{Path: path}.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, dsn(cfg, readOnly))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	return db, nil
}

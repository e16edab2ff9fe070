package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shiphub/shiphub/internal/benchseed"
	_ "modernc.org/sqlite" // the seed writes the SQLite file directly
)

// bulkWriter writes the seed's rows in large transactions, on either store.
type bulkWriter interface {
	begin(ctx context.Context) error
	insert(ctx context.Context, table string, cols []string, rows [][]any) error
	commit(ctx context.Context) error
	// exec runs a statement outside the rows (the seed's stamp, VACUUM).
	exec(ctx context.Context, q string) error
	close()
}

// sqliteBulk writes a SQLite file with multi-row INSERTs through one
// connection that owns the file (no journal, no sync: a failed seed is
// thrown away, and the seed's key is written last).
type sqliteBulk struct {
	db *sql.DB
	// conn is the one connection: its transactions are plain BEGIN and
	// COMMIT, so that the statements prepared on it serve every batch.
	conn *sql.Conn
	ins  *benchseed.Inserter
}

func openSQLiteBulk(ctx context.Context, path string) (*sqliteBulk, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(30000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=foreign_keys(0)&_pragma=cache_size(-2000000)&_pragma=temp_store(MEMORY)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &sqliteBulk{db: db, conn: conn, ins: benchseed.NewInserter(conn, benchseed.SQLite)}, nil
}

func (b *sqliteBulk) begin(ctx context.Context) error { return b.exec(ctx, "BEGIN") }

func (b *sqliteBulk) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	return b.ins.Insert(ctx, benchseed.Table{Name: table, Cols: cols}, rows)
}

func (b *sqliteBulk) commit(ctx context.Context) error { return b.exec(ctx, "COMMIT") }

func (b *sqliteBulk) exec(ctx context.Context, q string) error {
	_, err := b.conn.ExecContext(ctx, q)
	return err
}

func (b *sqliteBulk) close() {
	b.ins.Close()
	_ = b.conn.Close()
	_ = b.db.Close()
}

// pgBulk writes a PostgreSQL database with COPY, without waiting for each
// commit's flush (synchronous_commit off: a failed seed is thrown away).
type pgBulk struct {
	conn *pgx.Conn
	tx   pgx.Tx
}

func openPGBulk(ctx context.Context, url string) (*pgBulk, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to the seed database: %w", err)
	}
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return &pgBulk{conn: conn}, nil
}

func (b *pgBulk) begin(ctx context.Context) (err error) {
	b.tx, err = b.conn.Begin(ctx)
	return err
}

func (b *pgBulk) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if _, err := b.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copying into %s: %w", table, err)
	}
	return nil
}

func (b *pgBulk) commit(ctx context.Context) error {
	err := b.tx.Commit(ctx)
	b.tx = nil
	return err
}

func (b *pgBulk) exec(ctx context.Context, q string) error {
	_, err := b.conn.Exec(ctx, q)
	return err
}

func (b *pgBulk) close() { b.conn.Close(context.Background()) }

package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
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
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
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
	return &sqliteBulk{db: db, conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

func (b *sqliteBulk) begin(ctx context.Context) error { return b.exec(ctx, "BEGIN") }

func (b *sqliteBulk) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := max(1, min(500, 32000/len(cols)))
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		key := fmt.Sprintf("%s/%d", table, len(part))
		st, ok := b.stmts[key]
		if !ok {
			var err error
			if st, err = b.conn.PrepareContext(ctx, multiInsert(table, cols, len(part), false)); err != nil {
				return fmt.Errorf("preparing the insert into %s: %w", table, err)
			}
			b.stmts[key] = st
		}
		args := make([]any, 0, len(part)*len(cols))
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
	}
	return nil
}

func (b *sqliteBulk) commit(ctx context.Context) error { return b.exec(ctx, "COMMIT") }

func (b *sqliteBulk) exec(ctx context.Context, q string) error {
	_, err := b.conn.ExecContext(ctx, q)
	return err
}

func (b *sqliteBulk) close() {
	for _, st := range b.stmts {
		_ = st.Close()
	}
	b.stmts = map[string]*sql.Stmt{}
	_ = b.conn.Close()
	_ = b.db.Close()
}

// multiInsert is an INSERT of n rows of cols.
func multiInsert(table string, cols []string, n int, pg bool) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range cols {
			if j > 0 {
				sb.WriteString(", ")
			}
			p++
			if pg {
				fmt.Fprintf(&sb, "$%d", p)
			} else {
				sb.WriteByte('?')
			}
		}
		sb.WriteByte(')')
	}
	return sb.String()
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

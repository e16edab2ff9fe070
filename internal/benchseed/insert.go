package benchseed

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Dialect is the database a statement is written for.
type Dialect int

// The dialects: they number their placeholders differently, and
// PostgreSQL takes an explicit identity only when told to.
const (
	SQLite Dialect = iota
	PostgreSQL
)

// The limits of one multi-row INSERT: SQLite takes at most 32,766
// parameters a statement and PostgreSQL 65,535, and at most 500 rows is
// what the large store's seed has always written at once.
const (
	MaxParams = 32000
	MaxRows   = 500
)

// Preparer is where an Inserter prepares its statements: a *sql.DB,
// *sql.Conn or *sql.Tx.
type Preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// Table is a table rows are inserted into.
type Table struct {
	Name string
	Cols []string
	// Identity is set when the columns include the table's identity
	// column, given explicitly: PostgreSQL then needs OVERRIDING SYSTEM
	// VALUE, and its sequence moved past the rows after (see
	// MoveIdentity).
	Identity bool
}

// Inserter writes rows with multi-row INSERTs, each within MaxParams and
// MaxRows. It prepares one statement for each table and number of rows and
// reuses it, so that a seed of many batches of the same size parses each
// statement once. It is not safe for concurrent use; Close closes its
// statements, and it is closed before the Preparer is (a *sql.Tx closes
// them itself when it ends).
type Inserter struct {
	db      Preparer
	dialect Dialect
	stmts   map[string]*sql.Stmt
}

// NewInserter returns an Inserter on db.
func NewInserter(db Preparer, d Dialect) *Inserter {
	return &Inserter{db: db, dialect: d, stmts: map[string]*sql.Stmt{}}
}

// Insert writes rows, each a value for every column of t, in order.
func (w *Inserter) Insert(ctx context.Context, t Table, rows [][]any) error {
	per := RowsPerStatement(len(t.Cols))
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		key := fmt.Sprintf("%s/%d", t.Name, len(part))
		st, ok := w.stmts[key]
		if !ok {
			var err error
			if st, err = w.db.PrepareContext(ctx, InsertStatement(w.dialect, t, len(part))); err != nil {
				return fmt.Errorf("preparing the insert into %s: %w", t.Name, err)
			}
			w.stmts[key] = st
		}
		args := make([]any, 0, len(part)*len(t.Cols))
		for _, r := range part {
			if len(r) != len(t.Cols) {
				return fmt.Errorf("inserting into %s: a row of %d values for %d columns", t.Name, len(r), len(t.Cols))
			}
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("inserting into %s: %w", t.Name, err)
		}
	}
	return nil
}

// Close closes the prepared statements.
func (w *Inserter) Close() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	clear(w.stmts)
}

// RowsPerStatement is how many rows of cols columns one INSERT takes.
func RowsPerStatement(cols int) int { return max(1, min(MaxRows, MaxParams/max(1, cols))) }

// InsertStatement is an INSERT of n rows into t.
func InsertStatement(d Dialect, t Table, n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + t.Name + " (" + strings.Join(t.Cols, ", ") + ")")
	if t.Identity && d == PostgreSQL {
		sb.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	sb.WriteString(" VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range t.Cols {
			if j > 0 {
				sb.WriteString(", ")
			}
			p++
			if d == PostgreSQL {
				fmt.Fprintf(&sb, "$%d", p)
			} else {
				sb.WriteByte('?')
			}
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// MoveIdentity is the statement that moves a PostgreSQL table's identity
// past the explicit ids a seed gave it, so that the hub's next row gets a
// new one.
func MoveIdentity(table string) string {
	return fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 1) FROM %s))", table, table)
}

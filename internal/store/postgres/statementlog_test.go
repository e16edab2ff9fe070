package postgres

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementLog is a pgx tracer that keeps, while on, every distinct
// statement text the store sends with the arguments of its first run: the
// plan tests explain what the store really sends, including the statements
// it builds per call.
type StatementLog struct {
	On    atomic.Bool
	mu    sync.Mutex
	args  map[string][]any
	order []string
}

func (l *StatementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !l.On.Load() {
		return ctx
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.args == nil {
		l.args = map[string][]any{}
	}
	if _, seen := l.args[d.SQL]; !seen {
		// database/sql's driver puts pgx's options before the arguments.
		args := slices.DeleteFunc(slices.Clone(d.Args), func(a any) bool {
			switch a.(type) {
			case pgx.QueryResultFormats, pgx.QueryResultFormatsByOID, pgx.QueryExecMode:
				return true
			}
			return false
		})
		l.args[d.SQL] = args
		l.order = append(l.order, d.SQL)
	}
	return ctx
}

func (l *StatementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Find returns the first sent statement that begins with prefix, and its
// arguments.
func (l *StatementLog) Find(prefix string) (string, []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range l.order {
		if strings.HasPrefix(q, prefix) {
			return q, l.args[q]
		}
	}
	return "", nil
}

// LoggedStatement is one statement text the store sent, with arguments.
type LoggedStatement struct {
	SQL  string
	Args []any
}

// Statements returns the logged queries and writes (not SET, not the
// statistics keeper's look at pg_stat_user_tables), in first-sent order.
func (l *StatementLog) Statements() []LoggedStatement {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []LoggedStatement
	for _, q := range l.order {
		verb, _, _ := strings.Cut(strings.TrimSpace(q), " ")
		switch strings.ToUpper(verb) {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH":
		default:
			continue
		}
		if strings.Contains(q, "pg_stat_user_tables") || strings.Contains(q, "pg_try_advisory") {
			continue
		}
		out = append(out, LoggedStatement{q, l.args[q]})
	}
	return out
}

// Sent returns the arguments a statement text was first sent with.
func (l *StatementLog) Sent(query string) ([]any, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	args, ok := l.args[query]
	return args, ok
}

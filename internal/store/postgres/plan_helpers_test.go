package postgres_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// statementLog is the plan tests' tracer (statementlog_test.go).
type statementLog = postgres.StatementLog

// planStore opens a store on a fresh database, with log tracing its
// connections, and a separate connection to the same database for EXPLAIN.
func planStore(t *testing.T, log *statementLog) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	return planStoreOf(t, log, 4)
}

// planStoreOf is planStore with a pool of maxConns connections.
func planStoreOf(t *testing.T, log *statementLog, maxConns int) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	url := postgres.TestDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.New(ctx, postgres.Config{URL: url, MaxConns: maxConns, Secrets: secrets.NewRandomKeyring(), Tracer: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	cfg.RuntimeParams["jit"] = "off" // as the store's connections run
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return s, conn
}

// statementPlan is a statement's plan as PostgreSQL runs it prepared: the
// generic plan (planned once for any arguments, which PostgreSQL switches
// to after five runs of a prepared statement when it looks no costlier)
// next to the custom plan for the arguments at hand, with their execution
// times when the statement could be run (in a transaction rolled back).
type statementPlan struct {
	generic, custom     string
	genericMS, customMS float64
	analyzed            bool
	// autoGeneric is whether PostgreSQL itself (plan_cache_mode auto)
	// took the generic plan by the sixth run.
	autoGeneric bool
}

// explainPrepared prepares query on conn, as pgx's statement cache does,
// and explains it under plan_cache_mode force_generic_plan and
// force_custom_plan with args.
func explainPrepared(t *testing.T, conn *pgx.Conn, query string, args []any) statementPlan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sd, err := conn.Prepare(ctx, "plan_test", query)
	require.NoError(t, err, "preparing %s", query)
	defer func() { require.NoError(t, conn.Deallocate(ctx, "plan_test")) }()
	require.Len(t, args, len(sd.ParamOIDs), "arguments of %s", query)
	lits := make([]string, len(args))
	for i, a := range args {
		buf, err := conn.TypeMap().Encode(sd.ParamOIDs[i], pgtype.TextFormatCode, a, nil)
		require.NoError(t, err, "encoding argument %d of %s", i+1, query)
		if buf == nil {
			lits[i] = "NULL"
			continue
		}
		lits[i] = "'" + strings.ReplaceAll(string(buf), "'", "''") + "'"
	}
	execute := "EXECUTE plan_test"
	if len(lits) > 0 {
		execute += "(" + strings.Join(lits, ", ") + ")"
	}
	var p statementPlan
	p.generic, p.genericMS, p.analyzed = explainAs(t, ctx, conn, "force_generic_plan", execute, true)
	p.custom, p.customMS, _ = explainAs(t, ctx, conn, "force_custom_plan", execute, true)
	if len(lits) > 0 {
		// EXPLAIN EXECUTE plans as EXECUTE does: after five custom plans
		// the plan cache compares their cost with the generic plan's.
		generic, _, _ := explainAs(t, ctx, conn, "force_generic_plan", execute, false)
		for range 6 {
			plan, err := planText(ctx, conn, "EXPLAIN "+execute)
			require.NoError(t, err)
			p.autoGeneric = plan == generic
		}
	}
	return p
}

// executionTime is EXPLAIN ANALYZE's execution time line.
var executionTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

// explainAs explains execute under a plan_cache_mode: when run, with
// ANALYZE in a transaction it rolls back, or, where running it fails (an
// insert of a row that exists by now), without.
func explainAs(t *testing.T, ctx context.Context, conn *pgx.Conn, mode, execute string, run bool) (plan string, ms float64, analyzed bool) {
	t.Helper()
	_, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode)
	require.NoError(t, err)
	defer func() { _, _ = conn.Exec(ctx, "RESET plan_cache_mode") }()
	if !run {
		plan, err = planText(ctx, conn, "EXPLAIN "+execute)
		require.NoError(t, err, "%s", execute)
		return plan, 0, false
	}
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	plan, err = planText(ctx, tx, "EXPLAIN (ANALYZE, BUFFERS) "+execute)
	require.NoError(t, tx.Rollback(ctx))
	if err == nil {
		if m := executionTime.FindStringSubmatch(plan); m != nil {
			ms, _ = strconv.ParseFloat(m[1], 64)
		}
		return plan, ms, true
	}
	plan, err = planText(ctx, conn, "EXPLAIN "+execute)
	require.NoError(t, err, "%s", execute)
	return plan, 0, false
}

// planText runs an EXPLAIN and joins its lines.
func planText(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, explain string) (string, error) {
	rows, err := q.Query(ctx, explain)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

// seqScan finds the tables a plan reads whole.
var seqScan = regexp.MustCompile(`Seq Scan on (\w+)`)

// largeTables returns the tables of the test database with at least rows
// rows by their statistics, which the caller has just refreshed.
func largeTables(t *testing.T, conn *pgx.Conn, rows int) map[string]bool {
	t.Helper()
	r, err := conn.Query(context.Background(), `SELECT relname FROM pg_class
		WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace AND reltuples >= $1`, rows)
	require.NoError(t, err)
	names, err := pgx.CollectRows(r, pgx.RowTo[string])
	require.NoError(t, err)
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// requireIndexedGenericPlan fails when a statement's generic plan reads a
// large table whole, or reads deliveries through deliveries_by_endpoint
// (the dashboard's index, which for a subject-ordering check walks every
// pending delivery of the endpoint), and logs its figures.
func requireIndexedGenericPlan(t *testing.T, conn *pgx.Conn, large map[string]bool, name, query string, args []any) {
	t.Helper()
	p := explainPrepared(t, conn, query, args)
	if p.analyzed {
		t.Logf("%s: custom %.3f ms, generic %.3f ms (chosen by the plan cache: %v)", name, p.customMS, p.genericMS, p.autoGeneric)
	} else {
		t.Logf("%s: not run (plans only)", name)
	}
	if os.Getenv("SHIPHUB_TEST_PLANS") != "" {
		t.Logf("statement: %s\n\ngeneric plan:\n%s\n\ncustom plan:\n%s", query, p.generic, p.custom)
	}
	for _, m := range seqScan.FindAllStringSubmatch(p.generic, -1) {
		if large[m[1]] {
			t.Errorf("%s: the generic plan reads %s whole:\n%s\n\nstatement: %s\n\ncustom plan:\n%s", name, m[1], p.generic, query, p.custom)
		}
	}
	if strings.Contains(p.generic, "deliveries_by_endpoint") {
		t.Errorf("%s: the generic plan reads deliveries by endpoint:\n%s\n\nstatement: %s", name, p.generic, query)
	}
}

// shortName is the first words of a statement, for a test log.
func shortName(query string) string {
	f := strings.Fields(query)
	if len(f) > 12 {
		f = f[:12]
	}
	return fmt.Sprint(strings.Join(f, " "))
}

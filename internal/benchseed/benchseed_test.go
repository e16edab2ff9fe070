package benchseed_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/benchseed"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// serverEnv names the PostgreSQL server the PostgreSQL cases run on.
const serverEnv = "SHIPHUB_TEST_POSTGRES"

// tree writes a repository root with the given migration files.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

func TestKey(t *testing.T) {
	t.Parallel()
	schema := map[string]string{
		"internal/store/sqlite/migrations/00001_init.sql":   "CREATE TABLE a (id INTEGER);",
		"internal/store/postgres/migrations/00001_init.sql": "CREATE TABLE a (id BIGINT);",
	}
	key := func(t *testing.T, files map[string]string, version string) string {
		t.Helper()
		k, err := benchseed.Key(tree(t, files), version)
		require.NoError(t, err)
		require.Len(t, k, 16)
		return k
	}
	with := func(name, body string) map[string]string {
		out := map[string]string{name: body}
		for k, v := range schema {
			if k != name {
				out[k] = v
			}
		}
		return out
	}
	base := key(t, schema, "v1")

	t.Run("TheSameSeedAndSchemaHaveTheSameKey", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, base, key(t, schema, "v1"))
	})
	t.Run("AnotherVersionHasAnotherKey", func(t *testing.T) {
		t.Parallel()
		require.NotEqual(t, base, key(t, schema, "v2"))
	})
	t.Run("AChangedMigrationHasAnotherKey", func(t *testing.T) {
		t.Parallel()
		require.NotEqual(t, base, key(t, with("internal/store/postgres/migrations/00001_init.sql", "CREATE TABLE a (id INT);"), "v1"))
	})
	t.Run("ANewMigrationHasAnotherKey", func(t *testing.T) {
		t.Parallel()
		require.NotEqual(t, base, key(t, with("internal/store/sqlite/migrations/00002_more.sql", "CREATE TABLE b (id INTEGER);"), "v1"))
	})
	t.Run("WithoutTheMigrationsThereIsNoKey", func(t *testing.T) {
		t.Parallel()
		_, err := benchseed.Key(t.TempDir(), "v1")
		require.ErrorContains(t, err, "reading the migrations")
	})
	t.Run("ThisTreeHasAKey", func(t *testing.T) {
		t.Parallel()
		_, err := benchseed.Key("../..", "v1")
		require.NoError(t, err)
	})
}

// database is a store for the cases: a new SQLite file, or a new
// PostgreSQL database (dropped when the test ends).
type database struct {
	kept    benchseed.Kept
	dialect benchseed.Dialect
	driver  string
	dsn     string
}

// databases are the two kinds of store the cases run on.
var databases = []struct {
	name string
	open func(*testing.T) database
}{{"SQLite", sqliteDatabase}, {"PostgreSQL", postgresDatabase}}

func sqliteDatabase(t *testing.T) database {
	path := filepath.Join(t.TempDir(), "seed.db")
	return database{kept: benchseed.Kept{SQLite: path}, dialect: benchseed.SQLite, dsn: path}
}

func postgresDatabase(t *testing.T) database {
	t.Helper()
	server := os.Getenv(serverEnv)
	if server == "" {
		t.Skipf("set %s for the PostgreSQL cases", serverEnv)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "shiphub_benchseed_" + hex.EncodeToString(b)
	u, err := benchseed.DatabaseURL(server, name)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", server)
		if err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			_ = admin.Close()
		}
	})
	return database{kept: benchseed.Kept{Server: server, Database: name}, dialect: benchseed.PostgreSQL, driver: "pgx", dsn: u}
}

// openDB opens the database as a benchmark would: SQLite with the store's
// driver, PostgreSQL with pgx.
func (d database) openDB() (*sql.DB, error) {
	if d.dialect == benchseed.SQLite {
		return sqlite.OpenDB(d.dsn, false)
	}
	return sql.Open(d.driver, d.dsn)
}

// create makes the database empty (as Ensure would) and returns it open.
func (d database) create(t *testing.T) *sql.DB {
	t.Helper()
	_, _, err := d.kept.Ensure(context.Background(), func(context.Context) error { return nil })
	require.NoError(t, err)
	db, err := d.openDB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// countingPreparer counts the statements an Inserter prepares.
type countingPreparer struct {
	benchseed.Preparer
	prepared []string
}

func (p *countingPreparer) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	p.prepared = append(p.prepared, q)
	return p.Preparer.PrepareContext(ctx, q)
}

func TestInserter(t *testing.T) {
	t.Parallel()
	for _, tc := range databases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.open(t)
			db := d.create(t)
			ctx := context.Background()

			t.Run("RowsOverTheParameterLimitAreSplitAcrossStatements", func(t *testing.T) {
				// 70 columns by 1,000 rows is 70,000 parameters: more than
				// either database takes in one statement.
				const cols, rows = 70, 1000
				names := make([]string, cols)
				for j := range names {
					names[j] = fmt.Sprintf("c%d", j)
				}
				_, err := db.ExecContext(ctx, "CREATE TABLE wide ("+strings.Join(names, " BIGINT, ")+" BIGINT)")
				require.NoError(t, err)
				var data [][]any
				for i := range rows {
					r := make([]any, cols)
					for j := range r {
						r[j] = int64(i*cols + j)
					}
					data = append(data, r)
				}
				per := benchseed.RowsPerStatement(cols)
				require.Equal(t, benchseed.MaxParams/cols, per)
				p := &countingPreparer{Preparer: db}
				w := benchseed.NewInserter(p, d.dialect)
				defer w.Close()
				require.NoError(t, w.Insert(ctx, benchseed.Table{Name: "wide", Cols: names}, data))
				require.Len(t, p.prepared, 2, "one statement of %d rows, reused, and one of the rest", per)

				var n, sum, last int64
				require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*), SUM(c0), MAX(c69) FROM wide").Scan(&n, &sum, &last))
				require.EqualValues(t, rows, n)
				require.EqualValues(t, cols*rows*(rows-1)/2, sum, "every row's first value")
				require.EqualValues(t, rows*cols-1, last, "the last row's last value")
			})

			t.Run("ManyNarrowRowsAreSplitAtMaxRows", func(t *testing.T) {
				_, err := db.ExecContext(ctx, "CREATE TABLE narrow (a BIGINT, b TEXT)")
				require.NoError(t, err)
				var data [][]any
				for i := range 1234 {
					data = append(data, []any{int64(i), fmt.Sprint("row ", i)})
				}
				p := &countingPreparer{Preparer: db}
				w := benchseed.NewInserter(p, d.dialect)
				defer w.Close()
				require.NoError(t, w.Insert(ctx, benchseed.Table{Name: "narrow", Cols: []string{"a", "b"}}, data))
				require.NoError(t, w.Insert(ctx, benchseed.Table{Name: "narrow", Cols: []string{"a", "b"}}, data[:benchseed.MaxRows]))
				require.Len(t, p.prepared, 2, "500 rows, reused three times, and 234")
				require.Equal(t, 2*benchseed.MaxRows, strings.Count(p.prepared[0], "?")+strings.Count(p.prepared[0], "$"), "the first statement's placeholders")
				var n int
				var b string
				require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM narrow").Scan(&n))
				require.Equal(t, 1234+benchseed.MaxRows, n)
				require.NoError(t, db.QueryRowContext(ctx, "SELECT b FROM narrow WHERE a = 1233").Scan(&b))
				require.Equal(t, "row 1233", b)
			})

			t.Run("ARowOfTheWrongWidthIsRefused", func(t *testing.T) {
				w := benchseed.NewInserter(db, d.dialect)
				defer w.Close()
				err := w.Insert(ctx, benchseed.Table{Name: "narrow", Cols: []string{"a", "b"}}, [][]any{{int64(1)}})
				require.ErrorContains(t, err, "a row of 1 values for 2 columns")
			})
		})
	}
}

func TestInserterIdentityOnPostgreSQL(t *testing.T) {
	t.Parallel()
	d := postgresDatabase(t)
	db := d.create(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "CREATE TABLE things (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL)")
	require.NoError(t, err)
	w := benchseed.NewInserter(db, benchseed.PostgreSQL)
	defer w.Close()
	require.NoError(t, w.Insert(ctx, benchseed.Table{Name: "things", Cols: []string{"id", "name"}, Identity: true}, [][]any{{int64(7), "seven"}, {int64(41), "forty-one"}}))
	_, err = db.ExecContext(ctx, benchseed.MoveIdentity("things"))
	require.NoError(t, err)
	var id int64
	require.NoError(t, db.QueryRowContext(ctx, "INSERT INTO things (name) VALUES ('next') RETURNING id").Scan(&id))
	require.EqualValues(t, 42, id, "the hub's next row comes after the seed's")
}

func TestKept(t *testing.T) {
	t.Parallel()
	for _, tc := range databases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := tc.open(t)
			seeds := 0
			// seed writes one row, and fails when the store is not empty:
			// Ensure must give it a new store.
			seed := func(k benchseed.Kept) func(context.Context) error {
				return func(ctx context.Context) error {
					seeds++
					db, err := d.openDB()
					if err != nil {
						return err
					}
					defer db.Close()
					if _, err := db.ExecContext(ctx, "CREATE TABLE seeded (key TEXT)"); err != nil {
						return fmt.Errorf("not a new store: %w", err)
					}
					_, err = db.ExecContext(ctx, "INSERT INTO seeded (key) VALUES ('"+k.Key+"')")
					return err
				}
			}
			seededKey := func() string {
				db, err := d.openDB()
				require.NoError(t, err)
				defer db.Close()
				var k string
				require.NoError(t, db.QueryRowContext(ctx, "SELECT key FROM seeded").Scan(&k))
				return k
			}
			k1, k2 := d.kept, d.kept
			k1.Key, k2.Key = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"

			_, ok := k1.Stamped(ctx)
			require.False(t, ok, "nothing is kept yet")
			before := time.Now().Truncate(time.Second)
			at, fresh, err := k1.Ensure(ctx, seed(k1))
			require.NoError(t, err)
			require.True(t, fresh)
			require.Equal(t, 1, seeds)
			require.False(t, at.Before(before))

			// The same key again: kept, not seeded again.
			at2, fresh, err := k1.Ensure(ctx, seed(k1))
			require.NoError(t, err)
			require.False(t, fresh)
			require.Equal(t, 1, seeds, "a kept seed of the same key is not seeded again")
			require.True(t, at.Equal(at2), "seeded at %s, read back %s", at, at2)
			require.Equal(t, k1.Key, seededKey())

			// Another key: seeded anew, in a new store.
			_, fresh, err = k2.Ensure(ctx, seed(k2))
			require.NoError(t, err)
			require.True(t, fresh)
			require.Equal(t, 2, seeds)
			require.Equal(t, k2.Key, seededKey())
			_, ok = k1.Stamped(ctx)
			require.False(t, ok, "the store is no longer the first key's")

			// A seed that fails is not kept: the next run seeds again.
			_, _, err = k1.Ensure(ctx, func(context.Context) error { return fmt.Errorf("interrupted") })
			require.ErrorContains(t, err, "interrupted")
			_, ok = k1.Stamped(ctx)
			require.False(t, ok, "a failed seed carries no stamp")
			_, ok = k2.Stamped(ctx)
			require.False(t, ok, "the last seed was removed before the failed one began")
			_, fresh, err = k1.Ensure(ctx, seed(k1))
			require.NoError(t, err)
			require.True(t, fresh)
			require.Equal(t, 3, seeds)
		})
	}
}

// The page benchmark stamped its databases with a key alone before this
// package; such a stamp is kept, not seeded again.
func TestKeptReadsAStampWithoutATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := sqliteDatabase(t)
	db, err := d.openDB()
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE TABLE bench_seed (key TEXT NOT NULL)")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO bench_seed (key) VALUES ('c6ef36108e95da06')")
	require.NoError(t, err)
	k := d.kept
	k.Key = "c6ef36108e95da06"
	at, ok := k.Stamped(ctx)
	require.True(t, ok)
	require.True(t, at.IsZero())
	k.Key = "0000000000000000"
	_, ok = k.Stamped(ctx)
	require.False(t, ok)
}

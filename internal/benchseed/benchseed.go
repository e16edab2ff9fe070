// Package benchseed keeps the seeded databases of shiphub's benchmarks
// between runs, and writes their rows in bulk. Seeding a large store takes
// minutes to hours, so a benchmark seeds once and keeps the database (a
// SQLite file, or a PostgreSQL database) stamped with a key of the seed
// and the schema; the next run with the same key measures it as it is, and
// a new migration or a changed seed makes a new key and a new seed.
//
// It is used by the page benchmark (internal/web) and the end-to-end
// benchmark's large store (bench/e2e), never by the hub itself.
package benchseed

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// migrationDirs are the schema: every migration of both stores, relative
// to the repository's root.
var migrationDirs = []string{"internal/store/sqlite/migrations", "internal/store/postgres/migrations"}

// Key identifies a seed: version (which says what the seed writes; a
// benchmark changes it whenever its rows change) and every migration file
// of both stores, read below root, the repository's root.
func Key(root, version string) (string, error) {
	h := sha256.New()
	h.Write([]byte(version))
	for _, dir := range migrationDirs {
		dir = filepath.Join(root, filepath.FromSlash(dir))
		var names []string
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, p)
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("reading the migrations in %s: %w", dir, err)
		}
		slices.Sort(names)
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return "", fmt.Errorf("reading the migrations in %s: %w", dir, err)
			}
			h.Write([]byte(n))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Kept is a seeded database kept between runs under a key: a SQLite file,
// or a PostgreSQL database on a server.
type Kept struct {
	// Key is the seed's key (see Key).
	Key string
	// SQLite is the kept file; empty on PostgreSQL.
	SQLite string
	// Server is the PostgreSQL server's URL (any database on it) and
	// Database the name of the kept one.
	Server, Database string
}

// URL is the kept PostgreSQL database's URL.
func (k Kept) URL() (string, error) { return DatabaseURL(k.Server, k.Database) }

// Ensure finds the store seeded under k.Key, or seeds it: it removes what
// is there (another seed, or one cut short), calls seed to fill a new
// empty store (on SQLite: no file; on PostgreSQL: an empty database), and
// stamps the store with k.Key last, so that a seed that fails or is
// interrupted is not kept. It returns when the kept store was seeded and
// whether seed ran.
func (k Kept) Ensure(ctx context.Context, seed func(ctx context.Context) error) (seededAt time.Time, fresh bool, err error) {
	if at, ok := k.Stamped(ctx); ok {
		return at, false, nil
	}
	if err := k.reset(ctx); err != nil {
		return time.Time{}, false, fmt.Errorf("removing the last seed: %w", err)
	}
	if err := seed(ctx); err != nil {
		return time.Time{}, false, err
	}
	at := time.Now().Truncate(time.Second)
	db, err := k.open(false)
	if err != nil {
		return time.Time{}, false, err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE bench_seed (key TEXT NOT NULL, seeded_at BIGINT NOT NULL)",
		fmt.Sprintf("INSERT INTO bench_seed (key, seeded_at) VALUES ('%s', %d)", k.Key, at.Unix()),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return time.Time{}, false, fmt.Errorf("stamping the seed: %w", err)
		}
	}
	return at, true, db.Close()
}

// Stamped reports whether the kept store carries k.Key, and when it was
// seeded. A store that is missing, unreachable or not stamped is not.
func (k Kept) Stamped(ctx context.Context) (time.Time, bool) {
	if k.SQLite != "" {
		if _, err := os.Stat(k.SQLite); err != nil {
			return time.Time{}, false
		}
	}
	db, err := k.open(true)
	if err != nil {
		return time.Time{}, false
	}
	defer db.Close()
	var key string
	if err := db.QueryRowContext(ctx, "SELECT key FROM bench_seed").Scan(&key); err != nil || key != k.Key {
		return time.Time{}, false
	}
	// The page benchmark's stamps had no time before this package; a
	// stamp without one is as good, of an unknown age.
	var at int64
	if err := db.QueryRowContext(ctx, "SELECT seeded_at FROM bench_seed").Scan(&at); err != nil {
		return time.Time{}, true
	}
	return time.Unix(at, 0), true
}

// open opens the kept store with database/sql.
func (k Kept) open(readOnly bool) (*sql.DB, error) {
	if k.SQLite != "" {
		// The store's own driver: a benchmark may hold the file open in
		// a Store while the stamp is read or written (see sqlite.OpenDB).
		return sqlite.OpenDB(k.SQLite, readOnly)
	}
	u, err := k.URL()
	if err != nil {
		return nil, err
	}
	return sql.Open("pgx", u)
}

// reset removes the kept store and, on PostgreSQL, creates it empty.
func (k Kept) reset(ctx context.Context) error {
	if k.SQLite != "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(k.SQLite + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	}
	if k.Database == "" || strings.ContainsAny(k.Database, `"; `) {
		return fmt.Errorf("kept database %q: not a plain name", k.Database)
	}
	admin, err := sql.Open("pgx", k.Server)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+k.Database+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping %s: %w", k.Database, err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+k.Database); err != nil {
		return fmt.Errorf("creating %s: %w", k.Database, err)
	}
	return nil
}

// DatabaseURL is a PostgreSQL server's URL with another database.
func DatabaseURL(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("parsing the postgres URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

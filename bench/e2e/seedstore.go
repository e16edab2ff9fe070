package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shiphub/shiphub/internal/benchseed"
)

// seedVersion changes whenever the seed's rows do, so that a kept
// database of another seed is not measured as this one.
const seedVersion = "e2e-seed-3"

// seedSecretsKey is the hub's SHIPHUB_SECRETS_KEY on a seeded store: the
// kept database may hold what the migration run sealed.
var seedSecretsKey = func() string {
	sum := sha256.Sum256([]byte("shiphub e2e large store"))
	return base64.StdEncoding.EncodeToString(sum[:])
}()

// seeded is a kept seeded store: the SQLite file, or the PostgreSQL
// database, named by its key.
type seeded struct{ benchseed.Kept }

// seedKey identifies a seed: its version, sizes and store, and the schema
// (every migration file of this tree).
func seedKey(o options, kind string) (string, error) {
	key, err := benchseed.Key(".", fmt.Sprintf("%s|%s|%d|%d|%g", seedVersion, kind, o.seedInbox, o.seedShipments, o.seedFeedDays))
	if err != nil {
		return "", fmt.Errorf("run from the repository's root, as bench/e2e.sh does: %w", err)
	}
	return key, nil
}

// ensureSeed finds the kept seeded store of this key, or makes it.
func ensureSeed(ctx context.Context, o options) (*seeded, error) {
	kind := "sqlite"
	if o.postgres != "" {
		kind = "postgres"
	}
	key, err := seedKey(o, kind)
	if err != nil {
		return nil, err
	}
	s := &seeded{benchseed.Kept{Key: key}}
	var database, where string
	if o.postgres == "" {
		s.SQLite = filepath.Join(o.seedDir, "shiphub-e2e-seed-"+key+".db")
		database, where = "sqlite:"+s.SQLite, s.SQLite
	} else {
		s.Server, s.Database = o.postgres, "shiphub_e2e_seed_"+key
		if database, err = s.URL(); err != nil {
			return nil, err
		}
		where = "database " + s.Database + " on " + o.postgres
	}
	var start time.Time
	at, fresh, err := s.Ensure(ctx, func(ctx context.Context) error {
		start = time.Now()
		fmt.Printf("large store: seeding %s (key %s): %d inbox rows, %d shipments, feed of the last %g days\n", where, key, o.seedInbox, o.seedShipments, o.seedFeedDays)
		// The schema: the hub migrates the new store when it starts.
		work, err := os.MkdirTemp("", "shiphub-e2e-migrate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		hub, _, err := startHub(ctx, o, o.shiphub, work, database, seedSecretsKey, "", "", "")
		if err != nil {
			return fmt.Errorf("migrating the seed store: %w", err)
		}
		hub.stop()
		fmt.Printf("  migrated by starting and stopping the hub (%s)\n", time.Since(start).Round(time.Millisecond))
		var w bulkWriter
		if o.postgres == "" {
			w, err = openSQLiteBulk(ctx, s.SQLite)
		} else {
			w, err = openPGBulk(ctx, database)
		}
		if err != nil {
			return err
		}
		defer w.close()
		if err := seedRowsInto(ctx, w, seedPlan{inbox: o.seedInbox, shipments: o.seedShipments, now: time.Now().UTC().Truncate(time.Second), feedDays: o.seedFeedDays}, o.postgres != ""); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	size, _ := s.size(ctx)
	if !fresh {
		fmt.Printf("large store: kept seed %s (key %s, seeded %s ago, %.2f GiB); not seeding again\n", where, key, time.Since(at).Round(time.Minute), float64(size)/(1<<30))
		if time.Since(at) > 9*24*time.Hour {
			fmt.Println("  warning: the seed is older than 9 days: the hub's retention starts deleting its oldest inbox rows (90 days)")
		}
		return s, nil
	}
	fmt.Printf("  seeded in %s: %s, %.2f GiB\n", time.Since(start).Round(time.Second), where, float64(size)/(1<<30))
	return s, nil
}

// seedRowsInto writes the plan's rows in batches of shipments (made on one
// goroutine while the last batch is written on another), with the indexes
// in place: their keys arrive nearly in order (ids, times that grow with
// the shipment), except the inbox's dedup keys, which a real inbox gets in
// random order too. (Dropping the indexes and building them again after
// was no faster at 100,000 rows, and took 55 s more at 1,000,000.) On
// SQLite no ANALYZE follows, since the hub never runs one: the seeded
// store has the statistics a real one has, none. PostgreSQL gets VACUUM
// ANALYZE, which autovacuum would have done by then.
func seedRowsInto(ctx context.Context, w bulkWriter, plan seedPlan, pg bool) error {
	const per = 1000 // shipments a batch
	type batch struct {
		rows  seedRows
		hi    int
		inbox int
		err   error
	}
	batches := make(chan batch, 4)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		sd := newSeeder(plan)
		for lo := 1; lo <= plan.shipments; lo += per {
			hi := min(lo+per-1, plan.shipments)
			before := sd.inboxID
			rows, err := sd.batch(lo, hi)
			select {
			case batches <- batch{rows: rows, hi: hi, inbox: int(sd.inboxID - before), err: err}:
			case <-gctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	start, lastPrint := time.Now(), time.Now()
	inbox, total := 0, 0
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if err := w.begin(ctx); err != nil {
			return err
		}
		for i, t := range seedTables {
			if err := w.insert(ctx, t.name, t.cols, b.rows[i]); err != nil {
				return err
			}
			total += len(b.rows[i])
		}
		if err := w.commit(ctx); err != nil {
			return err
		}
		inbox += b.inbox
		if time.Since(lastPrint) >= 10*time.Second || b.hi == plan.shipments {
			lastPrint = time.Now()
			el := time.Since(start)
			rate := float64(inbox) / el.Seconds()
			eta := time.Duration(float64(plan.inbox-inbox) / rate * float64(time.Second))
			fmt.Printf("  %7s  shipments %9d of %d, inbox rows %10d of %d (%.0f/s), all rows %10d (%.0f/s), ETA %s\n",
				el.Round(time.Second), b.hi, plan.shipments, inbox, plan.inbox, rate, total, float64(total)/el.Seconds(), eta.Round(time.Second))
		}
	}
	t := time.Now()
	if pg {
		for _, tb := range []string{"inbox", "shipments", "events", "feed"} {
			if err := w.exec(ctx, benchseed.MoveIdentity(tb)); err != nil {
				return fmt.Errorf("moving the %s identity past the seed: %w", tb, err)
			}
		}
		if err := w.exec(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
		fmt.Printf("  VACUUM ANALYZE in %s\n", time.Since(t).Round(time.Millisecond))
		return nil
	}
	return w.exec(ctx, "PRAGMA journal_mode = WAL")
}

// size is the kept store's size in bytes.
func (s *seeded) size(ctx context.Context) (int64, error) {
	if s.SQLite != "" {
		var n int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if st, err := os.Stat(s.SQLite + suffix); err == nil {
				n += st.Size()
			}
		}
		return n, nil
	}
	conn, err := pgx.Connect(ctx, s.Server)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, "SELECT pg_database_size($1)", s.Database).Scan(&n)
	return n, err
}

// copy gives a run its own copy of the seeded store, so that the kept one
// stays as seeded: the SQLite file copied into the run's directory, or a
// new PostgreSQL database made from the seed as its template.
func (s *seeded) copy(ctx context.Context, work string) (string, string, func(), error) {
	start := time.Now()
	if s.SQLite != "" {
		dst := filepath.Join(work, "hub.db")
		if err := copyFile(s.SQLite, dst); err != nil {
			return "", "", nil, fmt.Errorf("copying the seeded store: %w", err)
		}
		fmt.Printf("  copied the seeded store to %s and flushed it to disk in %s\n", dst, time.Since(start).Round(time.Millisecond))
		return "sqlite:" + dst, "SQLite (synchronous=FULL), seeded", func() {}, nil
	}
	conn, err := pgx.Connect(ctx, s.Server)
	if err != nil {
		return "", "", nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	name := "shiphub_e2e_" + hex.EncodeToString(randomBytes(4))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+s.Database); err != nil {
		conn.Close(ctx)
		return "", "", nil, fmt.Errorf("copying the seeded database: %w", err)
	}
	u, err := benchseed.DatabaseURL(s.Server, name)
	if err != nil {
		conn.Close(ctx)
		return "", "", nil, err
	}
	fmt.Printf("  copied the seeded database to %s in %s\n", name, time.Since(start).Round(time.Millisecond))
	return u, "PostgreSQL, seeded", func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := conn.Exec(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: dropping %s: %v\n", name, err)
		}
		conn.Close(dctx)
	}, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// The copy is flushed before the hub starts: otherwise the hub's first
	// fsync of the file (a checkpoint's) waits for the kernel to write back
	// the gigabytes just copied, a stall of a second or more that a store
	// at rest does not have.
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

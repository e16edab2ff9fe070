//go:build cgo && !shiphub_puregosqlite

package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"strconv"

	"github.com/mattn/go-sqlite3"
)

// driverName is the database/sql driver the store opens. Where cgo is
// available it is SQLite's own C library (mattn/go-sqlite3): the hub's
// write path is SQLite's B-tree and VDBE code, which runs 1.5-2x faster
// compiled from C than translated to Go. Build with CGO_ENABLED=0 (or the
// shiphub_puregosqlite tag) for a pure Go binary on modernc.org/sqlite;
// both read and write the same file format.
const driverName = "shiphub-sqlite3"

// The store's driver is mattn/go-sqlite3's with a hook for what its
// connection string cannot say: the writer's checkpoint interval.
func init() {
	checkpoint := "PRAGMA wal_autocheckpoint = " + strconv.Itoa(walCheckpointPages)
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if _, err := c.Exec(checkpoint, nil); err != nil {
			return fmt.Errorf("setting the checkpoint interval: %w", err)
		}
		return nil
	}})
}

// stmtCacheSize is how many prepared statements each connection keeps for
// the statements the store runs as text rather than prepares itself (most
// of apply's, and the inbox append's multi-row INSERT, one text for each
// batch size). Without it mattn/go-sqlite3 parses and plans every such
// statement on every run: sqlite3_prepare_v2 was 9 % of the hub's CPU while
// it acknowledged the end-to-end benchmark's messages, 6 % while it applied
// them. A cached statement costs a few KiB; the reader connections keep
// their own.
const stmtCacheSize = 128

// dsn builds mattn/go-sqlite3's connection string. The writer begins its
// transactions IMMEDIATE, so it takes the write lock up front rather than
// failing to upgrade a read lock halfway through.
func dsn(cfg Config, readOnly bool) string {
	q := url.Values{}
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	q.Set("_busy_timeout", strconv.Itoa(cfg.BusyTimeoutMillis))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", cfg.Synchronous)
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
		// Negative: a size in KiB rather than in pages.
		q.Set("_cache_size", strconv.Itoa(-cfg.WriterCacheKiB))
	}
	return cfg.Path + "?" + q.Encode()
}

//go:build !cgo || shiphub_puregosqlite

package sqlite

import (
	"net/url"
	"strconv"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// driverName is the database/sql driver the store opens: without cgo,
// modernc.org/sqlite, SQLite translated to Go (see driver_cgo.go).
const driverName = "sqlite"

// dsn builds modernc.org/sqlite's connection string. The writer begins its
// transactions IMMEDIATE, so it takes the write lock up front rather than
// failing to upgrade a read lock halfway through.
func dsn(cfg Config, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(cfg.BusyTimeoutMillis)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+cfg.Synchronous+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(walCheckpointPages)+")")
		q.Set("_txlock", "immediate")
		// Negative: a size in KiB rather than in pages.
		q.Add("_pragma", "cache_size("+strconv.Itoa(-cfg.WriterCacheKiB)+")")
	}
	return cfg.Path + "?" + q.Encode()
}

//go:build cgo && !shiphub_puregosqlite

package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatementJournalSpillIsConfigured fails when SQLite was initialised
// before this package's variables (a connection opened from another
// package's init, say): sqlite3_config then refuses the spill size, and every
// insert of apply writes its statement journal to a temporary file again
// (BenchmarkApplyMixed: about 1.25x the CPU a message).
func TestStatementJournalSpillIsConfigured(t *testing.T) {
	t.Parallel()
	if !stmtJournalConfigured {
		t.Fatalf("SQLite refused SQLITE_CONFIG_STMTJRNL_SPILL (%d bytes): it was initialised before the store package", stmtJournalSpill)
	}
}

// TestMemoryStatisticsAreOff fails, as TestStatementJournalSpillIsConfigured
// does, when SQLite was initialised before this package's variables: its
// allocations then keep taking a global mutex.
func TestMemoryStatisticsAreOff(t *testing.T) {
	t.Parallel()
	if !memStatusOff {
		t.Fatal("SQLite refused SQLITE_CONFIG_MEMSTATUS: it was initialised before the store package")
	}
}

// TestTheCHeapKeepsFreedMemory: glibc took the trim and mmap thresholds
// (malloc_cgo.go), so a statement journal's memory is not handed back to
// the kernel and faulted in again by the next statement.
func TestTheCHeapKeepsFreedMemory(t *testing.T) {
	t.Parallel()
	switch mallocKeepsFreedMemory {
	case -1:
		t.Skip("the C library is not glibc")
	case 0:
		t.Fatal("glibc refused M_TRIM_THRESHOLD or M_MMAP_THRESHOLD")
	}
}

// TestAStatementJournalLargerThanTheSpillSizeGoesToDisk: a statement whose
// journal outgrows stmtJournalSpill (an UPDATE of every row, with a unique
// index, inside a transaction, as a rebuild's reset is) moves it to a
// temporary file and succeeds. With the spill at 1 MiB or 192 KiB it failed
// with SQLITE_FULL: SQLite wrote the journal kept in memory to the file in
// one write, which its unix VFS cuts to 0x1ffff bytes.
func TestAStatementJournalLargerThanTheSpillSizeGoesToDisk(t *testing.T) {
	t.Parallel()
	db, err := OpenDB(filepath.Join(t.TempDir(), "journal.db"), false)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, w TEXT NOT NULL UNIQUE)`)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE INDEX t_v ON t (v)`)
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)
		INSERT INTO t (id, v, w) SELECT i, printf('%0200d', i), printf('w%0200d', i) FROM c`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit())

	tx, err = db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec(`UPDATE t SET v = 'a' || v WHERE id <= 10`)
	require.NoError(t, err)
	res, err := tx.Exec(`UPDATE t SET v = v || 'x', w = w || 'y'`)
	require.NoError(t, err, "a journal of %d KiB of pages must spill to a temporary file", 5000*400/1024)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 5000, n)
	require.NoError(t, tx.Commit())
}

//go:build cgo && !shiphub_puregosqlite

package sqlite

/*
// sqlite3_config is SQLite's, linked in by mattn/go-sqlite3; it is variadic,
// which cgo cannot call, hence the wrapper.
int sqlite3_config(int, ...);
static int shiphub_stmt_journal_spill(int n) { return sqlite3_config(26, n); } // SQLITE_CONFIG_STMTJRNL_SPILL
static int shiphub_no_memstatus(void) { return sqlite3_config(9, 0); } // SQLITE_CONFIG_MEMSTATUS
*/
import "C"

// stmtJournalSpill is how large a statement journal grows in memory before
// SQLite moves it to a temporary file (SQLITE_CONFIG_STMTJRNL_SPILL; SQLite's
// default is 64 KiB).
//
// Every statement of a write transaction that could fail halfway (a trigger,
// a unique index, a foreign key: almost all of the hub's) keeps the original of
// each page it changes in a statement journal, to undo just that statement.
// Inserting one shipment changes a page of each of its dozen indexes and the
// counts trigger's, just over 64 KiB, so at the default many of apply's
// inserts wrote their journal to a temporary file, page by page (28 pwrite
// calls an insert in a trace), and threw it away at the statement's end.
// 120 KiB keeps the hot path's statements in memory, while a statement that
// changes more (a rebuild's UPDATE of every shipment) still spills to disk,
// so the writer's memory stays bounded by it.
//
// It must stay under 128 KiB: on spilling, SQLite writes the journal kept so
// far to the file in one write, and its unix VFS writes at most 0x1ffff bytes
// at once (seekAndWriteFd masks the length), so a larger journal was cut to
// a short write and its statement failed with SQLITE_FULL and no system error
// (at 1 MiB: a workspace reset of 720 orders;
// TestAStatementJournalLargerThanTheSpillSizeGoesToDisk).
const stmtJournalSpill = 120 << 10

// The write limit above, checked by the compiler.
const _ = uint(0x1ffff - stmtJournalSpill)

// stmtJournalConfigured says whether SQLite took stmtJournalSpill. It does
// only before its first connection opens (sqlite3_config refuses it once
// SQLite is initialised); then the default stays, which is slower, not wrong.
var stmtJournalConfigured = C.shiphub_stmt_journal_spill(C.int(stmtJournalSpill)) == 0

// memStatusOff says whether SQLite took SQLITE_CONFIG_MEMSTATUS off, which
// SQLite itself advises for speed (SQLITE_DEFAULT_MEMSTATUS=0): it keeps no
// count of the memory it has allocated, so its malloc and free take no
// global mutex. In a profile of BenchmarkInsertShipments, pthread mutex
// locking and unlocking went from 3.5 % of the samples to 1.0 %. Nothing
// reads the counts (sqlite3_memory_used). Like the spill size, it must be
// set before SQLite's first connection opens.
var memStatusOff = C.shiphub_no_memstatus() == 0

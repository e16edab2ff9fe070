//go:build cgo && !shiphub_puregosqlite

package sqlite

import "testing"

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

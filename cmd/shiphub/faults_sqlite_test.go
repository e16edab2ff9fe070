package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSQLiteDiskFullOrReadOnly puts the hub's SQLite database on a disk that
// fills up, or that turns read-only, under load. While it is so, inbound
// messages get 503 with Retry-After and the process stays up; the database
// passes SQLite's integrity check; and once there is space (or the disk is
// writable) again the hub carries on by itself: the refused messages are
// accepted when the provider retries, and every acknowledged message is
// applied exactly once.
func TestSQLiteDiskFullOrReadOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		// fault makes the disk fail and returns what repairs it.
		fault func(t *testing.T, dir string) (repair func())
		// stuck says every write fails until the repair. A full disk may
		// still take a commit now and then: a checkpoint that fits in the
		// file lets SQLite reuse its write-ahead log.
		stuck bool
	}{
		{
			name: "DiskFull",
			dir:  func(t *testing.T) string { return mountTmpfs(t, "8M") },
			fault: func(t *testing.T, dir string) func() {
				return fillDisk(t, dir)
			},
		},
		{
			name: "ReadOnly",
			dir: func(t *testing.T) string {
				requireRoot(t, "making the database file immutable")
				return t.TempDir()
			},
			fault: func(t *testing.T, dir string) func() {
				files := []string{filepath.Join(dir, "hub.db"), filepath.Join(dir, "hub.db-wal")}
				if err := chattrImmutable(t, true, files...); err != nil {
					skipOrFail(t, "cannot make files immutable here: %v", err)
				}
				t.Cleanup(func() { _ = chattrImmutable(t, false, files...) }) // t.TempDir cannot remove them otherwise
				return func() { require.NoError(t, chattrImmutable(t, false, files...)) }
			},
			stuck: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir(t)
			dbPath := filepath.Join(dir, "hub.db")
			h := startHub(t, writeConfig(t, t.TempDir(), "sqlite:"+dbPath))
			load := newFaultLoad("DF")
			for range 20 {
				require.Equal(t, http.StatusOK, load.send(h, load.next()), "before the fault")
			}
			waitApplied(t, h, load.expected(), 30*time.Second)

			repair := tt.fault(t, dir)
			load.sendUntil(t, h, http.StatusServiceUnavailable, 60*time.Second, "a 503 while the disk fails")
			for range 5 {
				status := load.send(h, load.next())
				if tt.stuck {
					require.Equal(t, http.StatusServiceUnavailable, status, "still refused while the disk fails")
				}
			}
			load.requireRetryAfter(t)
			status, _ := do(t, http.MethodGet, h.URL+"/healthz", nil, "")
			require.Equal(t, http.StatusOK, status, "the hub stays up")
			require.Equal(t, "ok", integrity(t, dbPath), "the database is not corrupted by the failing writes")
			var page shipmentList
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?limit=5", &page), "reading goes on")
			require.Len(t, page.Data, 5)

			repair()
			load.retryRefused(t, h, 60*time.Second)
			for range 20 {
				require.Equal(t, http.StatusOK, load.send(h, load.next()), "after the repair")
			}
			load.mu.Lock()
			unexpected := load.unexpected
			load.mu.Unlock()
			require.Empty(t, unexpected, "every answer was 200 or 503 with a problem body")
			want := load.expected()
			require.Equal(t, want, waitApplied(t, h, want, 60*time.Second), "every acknowledged message applied exactly once")
			require.Equal(t, "ok", integrity(t, dbPath))
			t.Logf("%d acknowledged, %d refused with 503; hub log:\n%s", len(load.acked), load.refusedCount, h.out.String())
		})
	}
}

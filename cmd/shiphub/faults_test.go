package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// requireRoot skips a fault test that needs root (mounts, file attributes,
// clusters of its own) when not run as root, except under CI, which must
// run it and fails instead.
func requireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root, and CI must run it", why)
	}
	t.Skipf("%s needs root; skipped (CI=true makes this a failure)", why)
}

// skipOrFail skips with the reason, or fails under CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (CI=true makes this a failure)", args...)
}

// mountTmpfs mounts a tmpfs of the given size ("8M") on a new directory
// and unmounts it when the test ends, after the hub on it is stopped.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	requireRoot(t, "mounting a small tmpfs")
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		skipOrFail(t, "cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file into dir until the file system is full, and
// returns a function that deletes it again.
func fillDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	chunk := make([]byte, 64<<10)
	for len(chunk) > 0 {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			chunk = chunk[:len(chunk)/2]
		}
	}
	require.NoError(t, f.Close())
	return func() { require.NoError(t, os.Remove(path)) }
}

// integrity runs SQLite's integrity check on the file through a connection
// of its own, read-only, as an operator would.
func integrity(t *testing.T, path string) string {
	t.Helper()
	db, err := sqlite.OpenDB(path, true)
	require.NoError(t, err)
	defer db.Close()
	var res string
	require.NoError(t, db.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&res))
	return res
}

// faultLoad plays a provider that sends one courier update per new order and
// keeps what it sent by outcome: acknowledged (200), refused (503 with
// Retry-After: it retries later) or other.
type faultLoad struct {
	prefix string
	base   time.Time

	mu           sync.Mutex
	seq          int
	acked        []crashMessage
	refused      []crashMessage
	retryAfter   []string // the Retry-After of every 503
	unexpected   []string // any other answer, or no answer
	refusedCount int
}

func newFaultLoad(prefix string) *faultLoad {
	return &faultLoad{prefix: prefix, base: time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)}
}

// next makes the load's next message.
func (l *faultLoad) next() crashMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return crashMessage{order: fmt.Sprintf("%s%06d", l.prefix, l.seq), code: "take",
		statustime: l.base.Add(time.Duration(l.seq) * time.Second).Format("20060102150405")}
}

// send sends m once and records the outcome; it returns the status (0: no
// answer). It is safe to call from several goroutines: it never fails the test.
func (l *faultLoad) send(h *hub, m crashMessage) int {
	req, err := http.NewRequest(http.MethodGet, h.URL+"/hooks/acme/courier?"+m.query(), nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-API-KEY", courierKey)
	resp, err := client.Do(req)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.refused = append(l.refused, m)
		l.unexpected = append(l.unexpected, fmt.Sprintf("%s: %v", m.order, err))
		return 0
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		l.acked = append(l.acked, m)
	case http.StatusServiceUnavailable:
		l.refused = append(l.refused, m)
		l.refusedCount++
		l.retryAfter = append(l.retryAfter, resp.Header.Get("Retry-After"))
		if !strings.Contains(resp.Header.Get("Content-Type"), "application/problem+json") {
			l.unexpected = append(l.unexpected, fmt.Sprintf("%s: 503 without a problem body: %s", m.order, body))
		}
	default:
		l.refused = append(l.refused, m)
		l.unexpected = append(l.unexpected, fmt.Sprintf("%s: %d %s", m.order, resp.StatusCode, body))
	}
	return resp.StatusCode
}

// sendUntil sends new messages one after another until one is answered
// with status, or the deadline passes.
func (l *faultLoad) sendUntil(t *testing.T, h *hub, status int, timeout time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for l.send(h, l.next()) != status {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// retryRefused re-sends, as a retrying provider does, every message that was
// not acknowledged, until each is; it fails the test after the deadline.
func (l *faultLoad) retryRefused(t *testing.T, h *hub, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l.mu.Lock()
		pending := l.refused
		l.refused = nil
		l.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, m := range pending {
			l.send(h, m)
		}
		if time.Now().After(deadline) {
			t.Fatalf("retries still refused after %s", timeout)
		}
	}
}

// requireRetryAfter checks that every 503 said when to come back.
func (l *faultLoad) requireRetryAfter(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotZero(t, l.refusedCount, "the hub refused some messages while the database was failing")
	for _, ra := range l.retryAfter {
		require.NotEmpty(t, ra, "every 503 carries Retry-After")
	}
}

// expected is every message that should be applied once: all acknowledged
// ones (retries of refused ones are acknowledged too by now), each once
// however often it was acknowledged.
func (l *faultLoad) expected() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[crashMessage]bool{}
	var once []crashMessage
	for _, m := range l.acked {
		if !seen[m] {
			seen[m] = true
			once = append(once, m)
		}
	}
	return expectedCodes(once)
}

// chattrImmutable sets or clears the immutable attribute of the files, which
// makes writes through descriptors already open fail, even for root, as on
// a file system remounted read-only after an I/O error.
func chattrImmutable(t *testing.T, on bool, paths ...string) error {
	t.Helper()
	flag := "-i"
	if on {
		flag = "+i"
	}
	var errs []error
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if out, err := exec.Command("chattr", flag, p).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("chattr %s %s: %v: %s", flag, p, err, out))
		}
	}
	return errors.Join(errs...)
}

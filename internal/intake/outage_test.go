package intake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/provider/registry"
)

// lockedLog is a JSON log sink the test can read.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal(line, &r))
		out = append(out, r)
	}
	return out
}

// openCourier is workspace acme with one courier connection, "open", that
// takes requests without credentials.
func openCourier(t *testing.T) *connections.Set {
	t.Helper()
	registry.RegisterAll()
	conns, err := connections.Build(&config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{{ID: "open", Provider: "courier"}}}}})
	require.NoError(t, err)
	return conns
}

// TestAnOutageIsLoggedOncePerIntervalNotOncePerMessage: while the inbox
// fails, every message is refused with 503, but the log gets the first
// failure, then one line per interval with how many were refused, and one
// line when the inbox works again: a database outage under load must not
// bury the log (or fill the full disk it is about).
func TestAnOutageIsLoggedOncePerIntervalNotOncePerMessage(t *testing.T) {
	t.Parallel()
	conns := openCourier(t)
	var (
		sink  lockedLog
		clock = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	)
	inbox := &recordingInbox{err: errors.New("database or disk is full (13)")}
	h, err := intake.NewHTTP(intake.HTTPConfig{
		Inbox: inbox, Connections: conns, OutageLogInterval: 10 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(&sink, nil)),
		// The courier's unretried failures have a log line of their own
		// (unretried_test.go); this test reads the outage's.
		Unretried: intake.NewUnretried(intake.UnretriedConfig{Logger: slog.New(slog.DiscardHandler)}),
		Now:       func() time.Time { return clock },
	})
	require.NoError(t, err)
	send := func(i int) int {
		rec := serve(h, http.MethodGet, fmt.Sprintf("/hooks/acme/open?order=O%d&statuscode=take&statustime=20240301080000", i), "", nil)
		if rec.Code == http.StatusServiceUnavailable {
			require.Equal(t, "5", rec.Header().Get("Retry-After"))
		}
		return rec.Code
	}

	for i := range 100 {
		require.Equal(t, http.StatusServiceUnavailable, send(i))
	}
	recs := sink.records(t)
	require.Len(t, recs, 1, "one line for a hundred refusals within the interval")
	require.Equal(t, "ERROR", recs[0]["level"])
	require.Contains(t, recs[0]["error"], "disk is full")
	require.Equal(t, "acme", recs[0]["workspace"])

	clock = clock.Add(11 * time.Second)
	require.Equal(t, http.StatusServiceUnavailable, send(100))
	recs = sink.records(t)
	require.Len(t, recs, 2, "one more line once the interval passed")
	require.EqualValues(t, 100, recs[1]["refused"], "it counts the refusals since the last line")

	inbox.mu.Lock()
	inbox.err = nil
	inbox.mu.Unlock()
	require.Equal(t, http.StatusOK, send(101))
	require.Equal(t, http.StatusOK, send(102))
	recs = sink.records(t)
	require.Len(t, recs, 3, "one line when the inbox works again, none for each success")
	require.Equal(t, "INFO", recs[2]["level"])
	require.EqualValues(t, 101, recs[2]["refused"], "all refusals of the outage")

	// A new outage is logged at once again.
	inbox.mu.Lock()
	inbox.err = errors.New("connection refused")
	inbox.mu.Unlock()
	require.Equal(t, http.StatusServiceUnavailable, send(103))
	recs = sink.records(t)
	require.Len(t, recs, 4)
	require.Contains(t, recs[3]["error"], "connection refused")
}

package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/hublock"
	"github.com/shiphub/shiphub/internal/server"
)

// newServer builds a hub on a fresh SQLite file whose HTTP listener is on
// httpAddr and whose FTP server is on ftpAddr.
func newServer(t *testing.T, httpAddr, ftpAddr string) *server.Server {
	t.Helper()
	dir := t.TempDir()
	raw := fmt.Sprintf(`
http: { listen: %q }
database: %q
secrets_key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
ftp: { listen: %q, data_dir: %q }
workspaces:
  - id: acme
    api_keys: ["acme_api_key_0123456789"]
    connections:
      - { id: courier, provider: courier, inbound_api_key: "courier-key", ftp_user: acme-courier, ftp_password: "ftp-secret-1" }
`, httpAddr, "sqlite:"+filepath.Join(dir, "hub.db"), ftpAddr, filepath.Join(dir, "ftp"))
	cfg, err := config.Parse([]byte(raw), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return srv
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// hubGoroutines lists the goroutines running shiphub code, by the shiphub
// function nearest their top.
func hubGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	fn := regexp.MustCompile(`(?m)^(github\.com/shiphub/shiphub/internal/[^\s(]+(?:\([^)]*\))?[^\s(]*)\(`)
	for _, g := range regexp.MustCompile(`\n\n`).Split(string(buf), -1) {
		if regexp.MustCompile(`server_test\.hubGoroutines`).MatchString(g) {
			continue
		}
		if m := fn.FindStringSubmatch(g); m != nil {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestAFailedStartLeavesNothingRunning is not parallel: it compares the
// process's goroutines before and after, so no other test may start any.
func TestAFailedStartLeavesNothingRunning(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	httpAddr := freeAddr(t)
	srv := newServer(t, httpAddr, taken.Addr().String())
	defer srv.Stop(context.Background())
	before := hubGoroutines()

	err = srv.Start(context.Background())
	require.Error(t, err, "the FTP address is taken")
	require.Contains(t, err.Error(), taken.Addr().String())

	ln, err := net.Listen("tcp", httpAddr)
	require.NoError(t, err, "the HTTP listener was closed again")
	require.NoError(t, ln.Close())
	leases, err := srv.Store.LiveLeases(context.Background(), hublock.HubPrefix)
	require.NoError(t, err)
	require.Empty(t, leases, "the hub lease was given up")
	deadline := time.Now().Add(10 * time.Second)
	now := hubGoroutines()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !slices.Equal(before, now) && time.Now().Before(deadline) {
		<-tick.C
		now = hubGoroutines()
	}
	require.Equal(t, before, now, "no pipeline, delivery worker, poller or lease renewal is left running")
	require.Empty(t, srv.Addr())
}

func TestStartIsRefusedWhileAReprocessRuns(t *testing.T) {
	t.Parallel()
	httpAddr := freeAddr(t)
	srv := newServer(t, httpAddr, freeAddr(t))
	defer srv.Stop(context.Background())
	rp, err := hublock.Reprocess(context.Background(), srv.Store, "rp", hublock.Options{})
	require.NoError(t, err)

	err = srv.Start(context.Background())
	require.ErrorIs(t, err, hublock.ErrReprocessRunning)
	ln, err := net.Listen("tcp", httpAddr)
	require.NoError(t, err, "nothing listens")
	require.NoError(t, ln.Close())

	require.NoError(t, rp.Release(context.Background()))
	require.NoError(t, srv.Start(context.Background()), "once the reprocess has finished the hub starts")
	leases, err := srv.Store.LiveLeases(context.Background(), hublock.HubPrefix)
	require.NoError(t, err)
	require.Len(t, leases, 1, "a running hub holds its lease")
	_, err = hublock.Reprocess(context.Background(), srv.Store, "rp", hublock.Options{})
	require.ErrorIs(t, err, hublock.ErrHubRunning)
}

package couriersim

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/intake/ftp"
)

// TestTheCourierUploadsEveryUpdateAsAFile runs the simulator against an FTP
// server that keeps what it receives: one file per update, named as the
// document says, in both formats.
func TestTheCourierUploadsEveryUpdateAsAFile(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	srv, err := ftp.New(ftp.Config{
		Listen: "127.0.0.1:0", DataDir: data, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Accounts: []ftp.Account{{User: "courier", Password: "pw", Workspace: "acme", Connection: "courier"}},
	})
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Stop(ctx))
	})

	sim, err := New(Config{FTP: &FTPTarget{Addr: srv.Addr(), User: "courier", Password: "pw"}, Shipments: 6, Step: -1, Seed: 3, Retries: -1})
	require.NoError(t, err)
	defer sim.Close()
	require.NoError(t, sim.Run(context.Background()))
	st := sim.Stats()
	require.Zero(t, st.Failed)
	require.Equal(t, st.Sent, st.Acked)

	entries, err := os.ReadDir(filepath.Join(data, "acme", "courier", "upload"))
	require.NoError(t, err)
	require.Len(t, entries, int(st.Sent), "one file per update")
	name := regexp.MustCompile(`^ASK\d+_[A-Za-z0-9_() +]+_\d{14}\.(json|xml)$`)
	formats := map[string]int{}
	for _, e := range entries {
		require.Regexp(t, name, e.Name())
		raw, err := os.ReadFile(filepath.Join(data, "acme", "courier", "upload", e.Name()))
		require.NoError(t, err)
		ext := filepath.Ext(e.Name())
		formats[ext]++
		if ext == ".xml" {
			require.True(t, strings.HasPrefix(string(raw), "<?xml"), e.Name())
		} else {
			require.True(t, strings.HasPrefix(string(raw), "{"), e.Name())
		}
	}
	require.Len(t, formats, 2, "both FTP/JSON and FTP/XML are used")
}

func TestAnFTPTargetIsValidated(t *testing.T) {
	t.Parallel()
	_, err := New(Config{FTP: &FTPTarget{Format: "csv"}})
	require.ErrorContains(t, err, "ftp.addr: is required")
	require.ErrorContains(t, err, "ftp.format")
}

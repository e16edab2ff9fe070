package ftppoll_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/intake/ftp"
	"github.com/shiphub/shiphub/internal/intake/ftppoll"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/courier"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// remote is the embedded FTP server used as the merchant's own server: a
// plain account whose files stay until the poller removes them.
type remote struct {
	srv  *ftp.Server
	dir  string // the account's root on disk
	host string
	port int
}

func newRemote(t *testing.T, fs func(root string) afero.Fs) *remote {
	t.Helper()
	data := t.TempDir()
	r := &remote{dir: filepath.Join(data, "merchant", "drop", "upload")}
	acct := ftp.Account{User: "courier-drop", Password: "drop-secret", Workspace: "merchant", Connection: "drop"}
	if fs != nil {
		require.NoError(t, os.MkdirAll(r.dir, 0o750))
		acct.Fs = fs(r.dir)
	}
	var err error
	r.srv, err = ftp.New(ftp.Config{Listen: "127.0.0.1:0", DataDir: data, Accounts: []ftp.Account{acct}, Logger: quiet()})
	require.NoError(t, err)
	require.NoError(t, r.srv.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, r.srv.Stop(ctx))
	})
	host, port, err := net.SplitHostPort(r.srv.Addr())
	require.NoError(t, err)
	r.host = host
	r.port, _ = strconv.Atoi(port)
	return r
}

func (r *remote) put(t *testing.T, name string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "provider", "courier", "testdata", "files", name))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, name), raw, 0o640))
}

func (r *remote) names(t *testing.T, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(r.dir, sub))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func target(t *testing.T, r *remote, tweak func(*provider.FTPRemote)) ftppoll.Target {
	t.Helper()
	rem := provider.FTPRemote{Host: r.host, Port: r.port, User: "courier-drop", Password: "drop-secret", Path: "/", Timeout: 5 * time.Second}
	if tweak != nil {
		tweak(&rem)
	}
	c, err := courier.NewConnector(courier.Settings{})
	require.NoError(t, err)
	return ftppoll.Target{Workspace: "acme", Connection: "courier", Provider: "courier", Remote: rem, Receiver: c}
}

func newPoller(t *testing.T, st store.Store, targets ...ftppoll.Target) *ftppoll.Poller {
	t.Helper()
	return newPollerWith(t, st, instant, targets...)
}

// instant is a Sleep that does not wait: the two listings of a round follow
// each other at once.
func instant(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }

func newPollerWith(t *testing.T, st store.Store, sleep func(context.Context, time.Duration) bool, targets ...ftppoll.Target) *ftppoll.Poller {
	t.Helper()
	p, err := ftppoll.New(ftppoll.Config{Targets: targets, Inbox: st, Errors: st, Leases: st, Holder: "test", Sleep: sleep, Logger: quiet()})
	require.NoError(t, err)
	return p
}

func inboxTotal(t *testing.T, st store.Store) int64 {
	t.Helper()
	s, err := st.InboxStats(context.Background())
	require.NoError(t, err)
	return s.Total
}

func TestARoundCommitsThenDeletes(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	for _, f := range []string{"ASK132456798_take_20230719110649.json", "ASK200000001_DELIVERED_20231105143000.xml", "ASK132456798_take_20230719110649.xml"} {
		r.put(t, f)
	}
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "README.txt"), []byte("not for us"), 0o640))
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "ASK1_take_20230719110649.json"), []byte(`{"order":`), 0o640))
	st := sqlite.OpenTest(t)
	tg := target(t, r, nil)
	p := newPoller(t, st, tg)

	res, err := p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Committed: 3, Duplicates: 1, Refused: 1}, res)
	require.Equal(t, int64(2), inboxTotal(t, st), "the XML twin of the JSON file is a duplicate")
	require.Equal(t, []string{"README.txt"}, r.names(t, ""), "committed and refused files are removed, others left alone")

	msg, err := st.GetInbox(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, model.SourceFTP, msg.Source)
	require.Contains(t, []string{"ASK132456798_take_20230719110649.json", "ASK132456798_take_20230719110649.xml", "ASK200000001_DELIVERED_20231105143000.xml"}, msg.Topic)

	errs, err := st.ListIntakeErrors(context.Background(), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, errs, 1)
	require.Equal(t, "ASK1_take_20230719110649.json", errs[0].Name)
	require.Equal(t, []byte(`{"order":`), errs[0].Body, "the refused bytes are kept")

	res, err = p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{}, res, "nothing is fetched twice")
}

func TestARoundCanMoveInsteadOfDelete(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(r.dir, "in"), 0o750))
	require.NoError(t, os.MkdirAll(filepath.Join(r.dir, "done"), 0o750))
	raw, err := os.ReadFile("../../provider/courier/testdata/files/ASK132456798_take_20230719110649.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "in", "ASK132456798_take_20230719110649.json"), raw, 0o640))
	st := sqlite.OpenTest(t)
	tg := target(t, r, func(rem *provider.FTPRemote) { rem.Path, rem.After, rem.MoveTo = "/in", "move", "/done" })
	res, err := newPoller(t, st, tg).Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, 1, res.Committed)
	require.Empty(t, r.names(t, "in"))
	require.Equal(t, []string{"ASK132456798_take_20230719110649.json"}, r.names(t, "done"))
}

// breakingFs serves files whose reads fail halfway while broken is set:
// the connection drops in the middle of a download.
type breakingFs struct {
	afero.Fs
	broken *atomic.Bool
}

func (b breakingFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := b.Fs.OpenFile(name, flag, perm)
	if err != nil || flag != os.O_RDONLY || !b.broken.Load() {
		return f, err
	}
	return &halfFile{File: f}, nil
}

func (b breakingFs) Open(name string) (afero.File, error) { return b.OpenFile(name, os.O_RDONLY, 0) }

type halfFile struct {
	afero.File
	n int
}

func (h *halfFile) Read(p []byte) (int, error) {
	if fi, err := h.Stat(); err == nil && !fi.IsDir() && h.n >= 40 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > 40 {
		p = p[:40]
	}
	n, err := h.File.Read(p)
	h.n += n
	return n, err
}

func TestAnInterruptedDownloadIsNotCommittedAndIsFetchedAgain(t *testing.T) {
	t.Parallel()
	var broken atomic.Bool
	broken.Store(true)
	r := newRemote(t, func(root string) afero.Fs {
		return breakingFs{Fs: afero.NewBasePathFs(afero.NewOsFs(), root), broken: &broken}
	})
	r.put(t, "ASK132456798_take_20230719110649.json")
	st := sqlite.OpenTest(t)
	tg := target(t, r, nil)
	p := newPoller(t, st, tg)

	res, err := p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Skipped: 1}, res)
	require.Zero(t, inboxTotal(t, st), "half a file is never committed")
	require.Equal(t, []string{"ASK132456798_take_20230719110649.json"}, r.names(t, ""), "and stays on the remote")

	broken.Store(false)
	res, err = p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Committed: 1}, res)
	require.Equal(t, int64(1), inboxTotal(t, st))
	require.Empty(t, r.names(t, ""))
}

func TestWrongCredentialsFailTheRound(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	r.put(t, "ASK132456798_take_20230719110649.json")
	st := sqlite.OpenTest(t)
	tg := target(t, r, func(rem *provider.FTPRemote) { rem.Password = "wrong" })
	_, err := newPoller(t, st, tg).Round(context.Background(), tg)
	require.ErrorContains(t, err, "logging in")
	require.Len(t, r.names(t, ""), 1)
}

func TestTheScheduledPollerFetchesByItself(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	r.put(t, "ASK132456798_take_20230719110649.json")
	st := sqlite.OpenTest(t)
	tg := target(t, r, func(rem *provider.FTPRemote) { rem.Interval = time.Second })
	p := newPoller(t, st, tg)
	p.Start(context.Background())
	defer func() { require.NoError(t, p.Stop(context.Background())) }()
	require.Eventually(t, func() bool { return inboxTotal(t, st) == 1 }, 10*time.Second, 10*time.Millisecond)
	r.put(t, "ASK200000001_DELIVERED_20231105143000.xml")
	require.Eventually(t, func() bool { return inboxTotal(t, st) == 2 }, 10*time.Second, 10*time.Millisecond, "the next round picks up a new file")
}

// TestAFileStillBeingUploadedIsLeftUntilItIsStable: the courier's upload is
// still growing between the round's two listings. The half file is neither
// committed nor quarantined and deleted; the round after, with the upload
// done, takes it whole.
func TestAFileStillBeingUploadedIsLeftUntilItIsStable(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	whole, err := os.ReadFile("../../provider/courier/testdata/files/ASK132456798_take_20230719110649.json")
	require.NoError(t, err)
	name := "ASK132456798_take_20230719110649.json"
	file := filepath.Join(r.dir, name)
	require.NoError(t, os.WriteFile(file, whole[:len(whole)/3], 0o640))
	r.put(t, "ASK200000001_DELIVERED_20231105143000.xml") // complete, and unchanged

	st := sqlite.OpenTest(t)
	tg := target(t, r, nil)
	var waits []time.Duration
	growing := true
	sleep := func(ctx context.Context, d time.Duration) bool {
		waits = append(waits, d)
		if growing { // the upload goes on while the poller waits
			f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
			if err == nil {
				_, err = f.Write(whole[len(whole)/3 : 2*len(whole)/3])
				err = errors.Join(err, f.Close())
			}
			if !assert.NoError(t, err) {
				return false
			}
		}
		return ctx.Err() == nil
	}
	p := newPollerWith(t, st, sleep, tg)

	res, err := p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Committed: 1, Unstable: 1}, res, "the growing file is left alone")
	require.Equal(t, []time.Duration{provider.DefaultStableAfter}, waits, "the listings are stable_after apart")
	require.Equal(t, []string{name}, r.names(t, ""), "it is still there")
	require.Empty(t, r.names(t, "../quarantine"), "and not quarantined")
	errs, err := st.ListIntakeErrors(context.Background(), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, errs, "no intake error for a file still being uploaded")

	// The upload finishes; the next round sees the file stable and takes it.
	growing = false
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(whole[2*len(whole)/3:])
	require.NoError(t, err)
	require.NoError(t, f.Close())
	res, err = p.Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Committed: 1}, res)
	require.Empty(t, r.names(t, ""))
	msg, err := st.GetInbox(context.Background(), 2)
	require.NoError(t, err)
	require.Equal(t, whole, msg.Body, "the whole file, not a part of it")
}

// TestOnlyTheConnectorsFileTypesAreTaken: the extensions come from the
// connector; other files in a shared directory are left alone.
func TestOnlyTheConnectorsFileTypesAreTaken(t *testing.T) {
	t.Parallel()
	r := newRemote(t, nil)
	raw, err := os.ReadFile("../../provider/courier/testdata/files/ASK132456798_take_20230719110649.json")
	require.NoError(t, err)
	for _, name := range []string{"ASK132456798_take_20230719110649.JSON", "ASK132456798_take_20230719110649.csv", "ASK132456798_take_20230719110649.json.part", ".ASK132456798_take_20230719110649.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(r.dir, name), raw, 0o640))
	}
	st := sqlite.OpenTest(t)
	tg := target(t, r, nil)
	tg.Receiver = onlyJSON{tg.Receiver}
	r.put(t, "ASK200000001_DELIVERED_20231105143000.xml")
	res, err := newPoller(t, st, tg).Round(context.Background(), tg)
	require.NoError(t, err)
	require.Equal(t, ftppoll.Result{Committed: 1}, res, "only the .JSON file: this connector takes no xml")
	require.ElementsMatch(t, []string{"ASK132456798_take_20230719110649.csv", "ASK132456798_take_20230719110649.json.part",
		".ASK132456798_take_20230719110649.json", "ASK200000001_DELIVERED_20231105143000.xml"}, r.names(t, ""))
}

// onlyJSON is a courier connector that says it takes only JSON files.
type onlyJSON struct{ provider.FileReceiver }

func (onlyJSON) FileExtensions() []string { return []string{"json"} }

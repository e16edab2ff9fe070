package ftp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"testing"
	"time"

	goftp "github.com/jlaffaye/ftp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/intake/ftp"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

const hubYAML = `
workspaces:
  - id: acme
    api_keys: ["acme-key-0123456789"]
    connections:
      - {id: courier, provider: courier, ftp_user: acme, ftp_password: acme-secret}
  - id: globex
    connections:
      - {id: courier, provider: courier, ftp_user: globex, ftp_password: globex-secret}
`

// hub is an FTP server in front of a real store and pipeline.
type hub struct {
	st    *sqlite.Store
	srv   *ftp.Server
	pipe  *pipeline.Pipeline
	conns *connections.Set
	dir   string
	cfg   *config.Config
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHub(t *testing.T, tweak func(c *ftp.Config)) *hub {
	t.Helper()
	registry.RegisterAll()
	cfg, err := config.Parse([]byte(hubYAML), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	h := &hub{st: sqlite.OpenTest(t), conns: conns, dir: t.TempDir(), cfg: cfg}
	h.pipe, err = pipeline.New(pipeline.Config{Store: h.st, Connections: conns, Logger: quiet()})
	require.NoError(t, err)
	fc := ftp.Config{
		Listen: "127.0.0.1:0", DataDir: h.dir, Accounts: ftp.AccountsFrom(conns),
		Inbox: h.st, Errors: h.st, Leases: h.st, Holder: "test",
		AuthFailureDelay: time.Millisecond, Logger: quiet(),
	}
	if tweak != nil {
		tweak(&fc)
	}
	h.srv, err = ftp.New(fc)
	require.NoError(t, err)
	require.NoError(t, h.srv.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, h.srv.Stop(ctx))
	})
	return h
}

func dial(t *testing.T, addr, user, pass string, opts ...goftp.DialOption) *goftp.ServerConn {
	t.Helper()
	c, err := goftp.Dial(addr, append([]goftp.DialOption{goftp.DialWithTimeout(5 * time.Second)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Quit() })
	require.NoError(t, c.Login(user, pass))
	return c
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "provider", "courier", "testdata", "files", name))
	require.NoError(t, err)
	return b
}

func (h *hub) drain(t *testing.T) {
	t.Helper()
	_, err := h.pipe.Drain(context.Background())
	require.NoError(t, err)
}

func (h *hub) shipment(t *testing.T, ws, ref string) *model.Shipment {
	t.Helper()
	list, err := h.st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: ws, Reference: ref, Limit: 2})
	require.NoError(t, err)
	require.Len(t, list, 1, "shipment %s in %s", ref, ws)
	s, err := h.st.GetShipment(context.Background(), ws, list[0].ID)
	require.NoError(t, err)
	return s
}

func (h *hub) inboxTotal(t *testing.T) int64 {
	t.Helper()
	st, err := h.st.InboxStats(context.Background())
	require.NoError(t, err)
	return st.Total
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	return out
}

func TestUploadedJSONAndXMLFilesBecomeEvents(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	for _, name := range []string{
		"ASK132456798_PICKUP_PLANNED_20230718095503.json",
		"ASK132456798_take_20230719110649.xml",
		"ASK200000001_DELIVERED_20231105143000.xml",
	} {
		require.NoError(t, c.Stor(name, bytes.NewReader(fixture(t, name))), "226 means committed")
	}
	require.Equal(t, int64(3), h.inboxTotal(t), "each upload was committed before it was acknowledged")
	h.drain(t)

	s := h.shipment(t, "acme", "ASK132456798")
	require.Equal(t, model.StatusInTransit, s.Status)
	require.Len(t, s.Events, 2)
	for _, e := range s.Events {
		require.Equal(t, model.SourceFTP, e.Source)
	}
	require.Equal(t, []string{"PICKUP_PLANNED", "take"}, []string{s.Events[0].ProviderCode, s.Events[1].ProviderCode})
	d := h.shipment(t, "acme", "ASK200000001")
	require.Equal(t, model.StatusDelivered, d.Status)
	require.Equal(t, "Livré", d.Events[0].Labels["fr"], "ISO-8859-1 is read")

	entries, err := c.List("/")
	require.NoError(t, err)
	require.Empty(t, entries, "committed files leave the upload directory")
	archived := files(t, filepath.Join(h.dir, "acme", "courier", "archive"))
	require.Len(t, archived, 3, "and are archived")
	_, err = h.st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "globex", Limit: 1})
	require.NoError(t, err)
}

func TestADuplicateIsAcknowledgedButNotAppliedTwice(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	json := fixture(t, "ASK132456798_take_20230719110649.json")
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader(json)))
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader(json)), "a retry is acknowledged")
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.xml", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.xml"))),
		"the same update as XML is acknowledged")
	require.Equal(t, int64(1), h.inboxTotal(t), "one message")
	h.drain(t)
	require.Len(t, h.shipment(t, "acme", "ASK132456798").Events, 1)
	require.Len(t, files(t, filepath.Join(h.dir, "acme", "courier", "archive")), 3, "every upload is archived, under its own name")
}

func TestABrokenFileIsQuarantinedAndListedByTheAPI(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	broken := []byte(`{"order":"ASK9","statuscode":`)
	require.NoError(t, c.Stor("ASK9_take_20230719110649.json", bytes.NewReader(broken)), "the file is safely kept, so it is acknowledged")
	require.NoError(t, c.Stor("ASK9_take_20230719110649.xml", bytes.NewReader([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))))
	require.NoError(t, c.Stor("ASK10_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))),
		"intake goes on after a broken file")
	require.Equal(t, int64(1), h.inboxTotal(t), "nothing of the broken files reached the inbox")
	h.drain(t)
	list, err := h.st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1, "no half shipment")

	quarantined := files(t, filepath.Join(h.dir, "acme", "courier", "quarantine"))
	require.Len(t, quarantined, 2)

	a, err := api.New(api.Config{Store: h.st, Keys: []api.Key{{Workspace: "acme", Secret: "acme-key-0123456789"}}, Logger: quiet()})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/api/v1/intake/errors", nil)
	r.Header.Set("Authorization", "Bearer acme-key-0123456789")
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	var page api.IntakeErrorPage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Len(t, page.Data, 2)
	require.Equal(t, "ASK9_take_20230719110649.xml", page.Data[0].Name)
	require.Contains(t, page.Data[0].Reason, "document type declarations and entities are refused")
	require.Equal(t, "ASK9_take_20230719110649.json", page.Data[1].Name)
	require.Contains(t, page.Data[1].Reason, "decoding courier JSON")
	require.Equal(t, string(broken), page.Data[1].Excerpt)
	require.Equal(t, model.SourceFTP, page.Data[1].Source)
	kept, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(page.Data[1].Ref)))
	require.NoError(t, err, "the reference names the quarantined file")
	require.Equal(t, broken, kept)
}

func TestCredentialsAreEnforced(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	cases := []struct{ name, user, pass string }{
		{"AWrongPasswordIsRefused", "acme", "acme-secreT"},
		{"AnotherConnectionsPasswordIsRefused", "acme", "globex-secret"},
		{"AnUnknownUserIsRefused", "nobody", "acme-secret"},
		{"AnEmptyPasswordIsRefused", "acme", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := goftp.Dial(h.srv.Addr(), goftp.DialWithTimeout(5*time.Second))
			require.NoError(t, err)
			defer func() { _ = c.Quit() }()
			err = c.Login(tc.user, tc.pass)
			var perr *textproto.Error
			require.Error(t, err)
			require.True(t, errors.As(err, &perr) && perr.Code == 530, "530 not logged in, got %v", err)
		})
	}
}

func TestPathsAreEnforced(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	// Globex has a file in its archive that acme must never reach.
	g := dial(t, h.srv.Addr(), "globex", "globex-secret")
	require.NoError(t, g.Stor("G1_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
	before := files(t, h.dir)

	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	body := fixture(t, "ASK132456798_take_20230719110649.json")
	refused := []struct{ name, path string }{
		{"TraversalOutOfTheRoot", "../../../../tmp/ASK1_take_20230719110649.json"},
		{"TraversalIntoAnotherConnection", "../../globex/courier/upload/ASK1_take_20230719110649.json"},
		{"ASubdirectory", "sub/ASK1_take_20230719110649.json"},
		{"AnAbsolutePathElsewhere", "/archive/ASK1_take_20230719110649.json"},
		{"AHiddenFile", ".ASK1_take_20230719110649.json"},
		{"AControlCharacter", "ASK1\x01_take_20230719110649.json"},
	}
	for _, tc := range refused {
		require.Error(t, c.Stor(tc.path, bytes.NewReader(body)), tc.name)
	}
	_, err := c.Retr("../../globex/courier/archive")
	require.Error(t, err, "downloads are refused")
	require.Error(t, c.MakeDir("dir"), "directories cannot be made")
	require.Error(t, c.Delete("/x.json"))
	require.Error(t, c.Rename("a", "b"))
	require.NoError(t, c.ChangeDir(".."))
	cwd, err := c.CurrentDir()
	require.NoError(t, err)
	require.Equal(t, "/", cwd, "the root's parent is the root")
	entries, err := c.List("../..")
	if err == nil {
		require.Empty(t, entries, "listing above the root shows the root")
	}
	require.GreaterOrEqual(t, rawCommand(t, h.srv.Addr(), "acme", "acme-secret", "SITE SYMLINK /etc/passwd x.json"), 500, "no symbolic links")

	require.Equal(t, before, files(t, h.dir), "nothing was written anywhere")
	require.Equal(t, int64(1), h.inboxTotal(t), "only globex's file")
}

func TestAnUploadOverTheCapIsRefusedAndRecorded(t *testing.T) {
	t.Parallel()
	h := newHub(t, func(c *ftp.Config) { c.MaxFileBytes = 2048 })
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	big := append([]byte(`{"order":"A1","statuscode":"take","statustime":"20230719110649","comment":"`), bytes.Repeat([]byte("x"), 4096)...)
	big = append(big, `"}`...)
	require.Error(t, c.Stor("A1_take_20230719110649.json", bytes.NewReader(big)))
	require.Zero(t, h.inboxTotal(t))
	errs, err := h.st.ListIntakeErrors(context.Background(), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Reason, "exceeds the limit of 2048 bytes")
	require.Empty(t, files(t, filepath.Join(h.dir, "acme", "courier", "staging")), "nothing of it is left")
	// The connection is still usable.
	c2 := dial(t, h.srv.Addr(), "acme", "acme-secret")
	require.NoError(t, c2.Stor("A1_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
}

// failingInbox refuses every commit, like a database that is down.
type failingInbox struct{}

func (failingInbox) AppendInbox(context.Context, *model.InboxMessage) (int64, bool, error) {
	return 0, false, errors.New("database is down")
}

func TestAnUploadThatCannotBeCommittedIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	h := newHub(t, func(c *ftp.Config) { c.Inbox = failingInbox{} })
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	err := c.Stor("A1_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json")))
	require.Error(t, err, "the client must not see 226")
	require.Contains(t, err.Error(), "try again later")
	require.Empty(t, files(t, filepath.Join(h.dir, "acme", "courier", "archive")), "not archived")
	require.Empty(t, files(t, filepath.Join(h.dir, "acme", "courier", "staging")), "not left behind")
}

// TestAnUploadTheCourierWillNotSendAgainIsCounted: the courier does not
// retry, so a failed commit is counted as an unretried failure.
func TestAnUploadTheCourierWillNotSendAgainIsCounted(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	u := intake.NewUnretried(intake.UnretriedConfig{Metrics: m, Logger: quiet()})
	h := newHub(t, func(c *ftp.Config) { c.Inbox, c.Unretried = failingInbox{}, u })
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	require.Error(t, c.Stor("A1_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
	require.Equal(t, 1.0, testutil.ToFloat64(m.UnretriedFailures.WithLabelValues("courier", "acme/courier")))
}

func TestExplicitTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile := selfSigned(t)
	h := newHub(t, func(c *ftp.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	c := dial(t, h.srv.Addr(), "acme", "acme-secret", goftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // a self-signed test certificate
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
	require.Equal(t, int64(1), h.inboxTotal(t))
}

func TestTLSIsRefusedWhenNotConfigured(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	_, err := goftp.Dial(h.srv.Addr(), goftp.DialWithTimeout(5*time.Second), goftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // never reached
	require.Error(t, err)
}

func TestArchiveCleanupRemovesOnlyExpiredFiles(t *testing.T) {
	t.Parallel()
	h := newHub(t, func(c *ftp.Config) { c.ArchiveRetention = 24 * time.Hour })
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
	require.NoError(t, c.Stor("broken.json", bytes.NewReader([]byte("{"))))
	archive := filepath.Join(h.dir, "acme", "courier", "archive")
	require.Len(t, files(t, archive), 1)

	n, err := h.srv.CleanArchive(time.Now().Add(23 * time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "not yet expired")
	n, err = h.srv.CleanArchive(time.Now().Add(25 * time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Empty(t, files(t, archive))
	require.Len(t, files(t, filepath.Join(h.dir, "acme", "courier", "quarantine")), 1, "quarantine is kept")
}

func TestConfigRefusesAnFTPUserSharedByTwoConnections(t *testing.T) {
	t.Parallel()
	_, err := ftp.New(ftp.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Accounts: []ftp.Account{
		{User: "u", Password: "p", Workspace: "a", Connection: "c"},
		{User: "u", Password: "q", Workspace: "b", Connection: "c"},
	}})
	require.ErrorContains(t, err, "same ftp_user")
	_, err = ftp.New(ftp.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Accounts: []ftp.Account{
		{User: "u", Password: "p", Workspace: "..", Connection: "c"},
	}})
	require.ErrorContains(t, err, "plain names")
}

func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// rawCommand logs in over a bare control connection, sends one command and
// returns the reply code: for commands the client library has no method for.
func rawCommand(t *testing.T, addr, user, pass, cmd string) int {
	t.Helper()
	conn, err := textproto.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, _, err = conn.ReadResponse(220)
	require.NoError(t, err)
	for _, step := range []struct {
		line string
		code int
	}{{"USER " + user, 331}, {"PASS " + pass, 230}} {
		id, err := conn.Cmd("%s", step.line)
		require.NoError(t, err)
		conn.StartResponse(id)
		_, _, err = conn.ReadResponse(step.code)
		conn.EndResponse(id)
		require.NoError(t, err)
	}
	id, err := conn.Cmd("%s", cmd)
	require.NoError(t, err)
	conn.StartResponse(id)
	defer conn.EndResponse(id)
	code, _, _ := conn.ReadResponse(0)
	return code
}

func TestStopDisconnectsIdleClientsAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	st := sqlite.OpenTest(t)
	cfg, err := config.Parse([]byte(hubYAML), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	srv, err := ftp.New(ftp.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Accounts: ftp.AccountsFrom(conns), Inbox: st, Errors: st, Logger: quiet()})
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	c := dial(t, srv.Addr(), "acme", "acme-secret")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Stop(ctx))
	require.Error(t, c.NoOp(), "the idle session was closed")
	_, err = goftp.Dial(srv.Addr(), goftp.DialWithTimeout(time.Second))
	require.Error(t, err, "nothing listens any more")
}

// brokenReader sends part of a file, then fails, as a courier whose
// connection drops mid-upload.
type brokenReader struct {
	data []byte
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, errors.New("network is unreachable")
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func TestAnUploadCutOffHalfwayNeverBecomesAMessage(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil)
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	for _, name := range []string{"ASK132456798_take_20230719110649.json", "ASK132456798_take_20230719110649.xml"} {
		full := fixture(t, name)
		require.Error(t, c.Stor(name, &brokenReader{data: full[:len(full)/2]}))
		c = dial(t, h.srv.Addr(), "acme", "acme-secret") // the session's state is unknown after the failure
	}
	require.Zero(t, h.inboxTotal(t), "half a file is never committed")
	require.Empty(t, files(t, filepath.Join(h.dir, "acme", "courier", "staging")))
	// The courier sends it again, whole.
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json"))))
	require.Equal(t, int64(1), h.inboxTotal(t))
}

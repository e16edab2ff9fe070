package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	goftp "github.com/jlaffaye/ftp"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago: the FTP server's address must be known before it starts.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestFTPEndToEnd runs the real binary with its FTP server on and uploads
// the courier's files as the courier would.
func TestFTPEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ftpAddr := freeLoopbackAddr(t)
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
ftp: { listen: %q, data_dir: %q, max_file_bytes: 4096 }
database: %q
log: { level: warn }
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: courier, provider: courier, ftp_user: acme-courier, ftp_password: "ftp-secret-1" }
`, ftpAddr, filepath.Join(dir, "ftp"), "sqlite:"+filepath.Join(dir, "hub.db"))
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	h := startHub(t, path)

	c, err := goftp.Dial(ftpAddr, goftp.DialWithTimeout(5*time.Second))
	require.NoError(t, err)
	defer func() { _ = c.Quit() }()
	require.Error(t, c.Login("acme-courier", "wrong"), "a wrong password is refused")
	c, err = goftp.Dial(ftpAddr, goftp.DialWithTimeout(5*time.Second))
	require.NoError(t, err)
	require.NoError(t, c.Login("acme-courier", "ftp-secret-1"))

	// The document's JSON example, under the document's file name pattern.
	require.NoError(t, c.Stor("ASK132456798_take_20230719110649.json", bytes.NewReader([]byte(courierPOSTExample))))
	xmlFile := `<?xml version="1.0" encoding="UTF-8"?><statusupdate><order>ASK132456798</order><statuscode>DELIVERED</statuscode>` +
		`<statustime>20230720140000</statustime><status>DELIVERED</status></statusupdate>`
	require.NoError(t, c.Stor("ASK132456798_DELIVERED_20230720140000.xml", bytes.NewReader([]byte(xmlFile))))
	require.NoError(t, c.Stor("ASK132456798_broken_20230720140000.json", bytes.NewReader([]byte(`{"order":`))))

	s := trackOne(t, h, "anc/20221588", 2)
	require.Equal(t, "ASK132456798", s.ProviderRef)
	require.Equal(t, model.StatusDelivered, s.Status)
	for _, e := range s.Events {
		require.Equal(t, model.SourceFTP, e.Source)
	}

	var errs struct {
		Data []struct {
			Name, Reason string
		} `json:"data"`
	}
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/intake/errors", &errs))
	require.Len(t, errs.Data, 1)
	require.Equal(t, "ASK132456798_broken_20230720140000.json", errs.Data[0].Name)
	require.Contains(t, errs.Data[0].Reason, "decoding courier JSON")
}

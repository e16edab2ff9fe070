package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
)

func TestFTPDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(""), env(nil))
	require.NoError(t, err)
	require.Equal(t, config.FTP{
		DataDir: "./shiphub-data/ftp", MaxFileBytes: 1 << 20, ArchiveRetention: 30 * 24 * time.Hour,
	}, cfg.FTP, "the FTP server is off unless ftp.listen is set")
}

func TestFTPKeysAreDecoded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(cert, []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(key, []byte("x"), 0o600))
	cfg, err := config.Parse([]byte(`ftp:
  listen: "127.0.0.1:2121"
  passive_ports: "30000-30009"
  public_host: "192.0.2.10"
  tls_cert: `+cert+`
  tls_key: `+key+`
  data_dir: /var/lib/shiphub/ftp
  max_file_bytes: 65536
  archive_retention: 48h
`), env(nil))
	require.NoError(t, err)
	require.Equal(t, config.FTP{
		Listen: "127.0.0.1:2121", PassivePorts: "30000-30009", PublicHost: "192.0.2.10", TLSCert: cert, TLSKey: key,
		DataDir: "/var/lib/shiphub/ftp", MaxFileBytes: 65536, ArchiveRetention: 48 * time.Hour,
	}, cfg.FTP)
}

func TestFTPErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"ABackwardsPortRange", "ftp: {passive_ports: 3010-3000}", "ftp.passive_ports: want a port range"},
		{"APortRangeThatIsNotOne", "ftp: {passive_ports: many}", "ftp.passive_ports"},
		{"ACertWithoutKey", "ftp: {tls_cert: c.pem}", "ftp.tls_cert: tls_cert and tls_key go together"},
		{"AMissingCertFile", "ftp: {listen: '127.0.0.1:0', tls_cert: /nonexistent/c.pem, tls_key: /nonexistent/k.pem}", "ftp.tls_cert"},
		{"APublicHostThatIsAName", "ftp: {public_host: ftp.example}", "ftp.public_host: must be an IPv4 address"},
		{"ATinyFileCap", "ftp: {max_file_bytes: 10}", "ftp.max_file_bytes: must be at least 1024"},
		{"ATinyRetention", "ftp: {archive_retention: 1s}", "ftp.archive_retention: must be at least 1m"},
		{"AnUnknownKey", "ftp: {listen_addr: x}", "listen_addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(tc.yaml), env(nil))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParsePortRange(t *testing.T) {
	t.Parallel()
	first, last, err := config.ParsePortRange("30000-30009")
	require.NoError(t, err)
	require.Equal(t, [2]int{30000, 30009}, [2]int{first, last})
	first, last, err = config.ParsePortRange("2122")
	require.NoError(t, err)
	require.Equal(t, [2]int{2122, 2122}, [2]int{first, last})
	_, _, err = config.ParsePortRange("0-10")
	require.Error(t, err)
}

package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// FTP configures the embedded FTP server the courier uploads its status
// files to. Each courier connection's ftp_user and ftp_password log in to
// that connection's own directory under DataDir.
type FTP struct {
	// Listen is the address of the FTP control connection, e.g.
	// "0.0.0.0:2121"; empty disables the server.
	Listen string `yaml:"listen"`
	// PassivePorts is the range of data connection ports, "30000-30099";
	// empty lets the system pick any free port. Open it in the firewall.
	PassivePorts string `yaml:"passive_ports"`
	// PublicHost is the IPv4 address announced for passive connections
	// when clients reach the hub through NAT; default the address the
	// client connected to.
	PublicHost string `yaml:"public_host"`
	// TLSCert and TLSKey are PEM files; when both are set, clients may
	// switch to TLS with AUTH TLS (explicit FTPS).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// DataDir holds each connection's upload, archive and quarantine
	// directories; default ./shiphub-data/ftp.
	DataDir string `yaml:"data_dir"`
	// MaxFileBytes caps one uploaded file; a larger upload is refused and
	// recorded as an intake error. Default 1 MiB.
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// ArchiveRetention is how long committed files are kept in the archive
	// before they are deleted; default 720h (30 days). The inbox keeps the
	// bytes either way.
	ArchiveRetention time.Duration `yaml:"archive_retention"`
}

// FTP defaults.
const (
	DefaultFTPDataDir          = "./shiphub-data/ftp"
	DefaultFTPMaxFileBytes     = 1 << 20
	DefaultFTPArchiveRetention = 30 * 24 * time.Hour
)

// SetDefaults fills in the FTP settings that have a default.
func (f *FTP) SetDefaults() {
	if f.DataDir == "" {
		f.DataDir = DefaultFTPDataDir
	}
	if f.MaxFileBytes == 0 {
		f.MaxFileBytes = DefaultFTPMaxFileBytes
	}
	if f.ArchiveRetention == 0 {
		f.ArchiveRetention = DefaultFTPArchiveRetention
	}
}

// Validate checks the FTP settings; errors name the key under ftp.
func (f *FTP) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ftp.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if f.PassivePorts != "" {
		if _, _, err := ParsePortRange(f.PassivePorts); err != nil {
			bad("passive_ports", "%v", err)
		}
	}
	if ip := net.ParseIP(f.PublicHost); f.PublicHost != "" && (ip == nil || ip.To4() == nil) {
		bad("public_host", "must be an IPv4 address, got %q", f.PublicHost)
	}
	if (f.TLSCert == "") != (f.TLSKey == "") {
		bad("tls_cert", "tls_cert and tls_key go together")
	}
	if f.Listen != "" {
		for key, file := range map[string]string{"tls_cert": f.TLSCert, "tls_key": f.TLSKey} {
			if file == "" {
				continue
			}
			if _, err := os.Stat(file); err != nil {
				bad(key, "%v", err)
			}
		}
	}
	if f.MaxFileBytes < 1024 {
		bad("max_file_bytes", "must be at least 1024")
	}
	if f.ArchiveRetention < time.Minute {
		bad("archive_retention", "must be at least 1m")
	}
	if strings.TrimSpace(f.DataDir) == "" {
		bad("data_dir", "is required")
	}
	return errors.Join(errs...)
}

// ParsePortRange parses "first-last" (or a single port) into its bounds.
func ParsePortRange(v string) (first, last int, err error) {
	lo, hi, found := strings.Cut(strings.TrimSpace(v), "-")
	if !found {
		hi = lo
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(lo))
	last, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || first < 1 || last > 65535 || first > last {
		return 0, 0, fmt.Errorf("want a port range like 30000-30099, got %q", v)
	}
	return first, last, nil
}

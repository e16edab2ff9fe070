package provider

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// FTPRemote is where a connection's provider drops its files on an FTP
// server the merchant already runs: shiphub polls it, commits each file to
// the inbox and only then removes it there. It is the `ftp_poll` key of a
// connection whose provider delivers files.
type FTPRemote struct {
	// Host is the FTP server's name or address.
	Host string `yaml:"host"`
	// Port is the control port; default 21.
	Port int `yaml:"port"`
	// User and Password log in.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Path is the directory the files are in; default "/".
	Path string `yaml:"path"`
	// TLS uses explicit TLS (AUTH TLS) for control and data connections.
	TLS bool `yaml:"tls"`
	// Interval is the pause between two rounds; default 1m.
	Interval time.Duration `yaml:"interval"`
	// After is what happens to a committed file on the remote: "delete"
	// (the default) or "move" to MoveTo.
	After string `yaml:"after"`
	// MoveTo is the directory committed files are moved to when After is
	// "move".
	MoveTo string `yaml:"move_to"`
	// Timeout bounds each FTP operation; default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// StableAfter is how far apart the two listings are that must show a
	// file with the same size and modification time before it is fetched:
	// a file the provider is still uploading is left alone (it would be
	// quarantined as malformed, and deleted). Default 5s.
	StableAfter time.Duration `yaml:"stable_after"`
}

// DefaultStableAfter is the default of FTPRemote.StableAfter.
const DefaultStableAfter = 5 * time.Second

// What FTPRemote.After may say.
const (
	AfterDelete = "delete"
	AfterMove   = "move"
)

// SetDefaults fills in the settings that have a default.
func (r *FTPRemote) SetDefaults() {
	if r.Port == 0 {
		r.Port = 21
	}
	if strings.TrimSpace(r.Path) == "" {
		r.Path = "/"
	}
	if r.Interval == 0 {
		r.Interval = time.Minute
	}
	if r.After == "" {
		r.After = AfterDelete
	}
	if r.Timeout == 0 {
		r.Timeout = 30 * time.Second
	}
	if r.StableAfter == 0 {
		r.StableAfter = DefaultStableAfter
	}
}

// Validate checks the settings; its errors name the key under ftp_poll.
func (r *FTPRemote) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("ftp_poll.%s: %s", key, msg)) }
	if strings.TrimSpace(r.Host) == "" {
		bad("host", "is required")
	}
	if r.Port < 1 || r.Port > 65535 {
		bad("port", "must be 1-65535")
	}
	if r.User == "" {
		bad("user", "is required")
	}
	if r.Interval < time.Second {
		bad("interval", "must be at least 1s")
	}
	if r.Timeout < time.Second {
		bad("timeout", "must be at least 1s")
	}
	if r.StableAfter < time.Second {
		bad("stable_after", "must be at least 1s, or a file still being uploaded could be taken")
	}
	switch r.After {
	case AfterDelete:
	case AfterMove:
		if strings.TrimSpace(r.MoveTo) == "" {
			bad("move_to", `is required when after is "move"`)
		} else if path.Clean(r.MoveTo) == path.Clean(r.Path) {
			bad("move_to", "must differ from path, or files would be fetched again")
		}
	default:
		bad("after", `must be "delete" or "move"`)
	}
	return errors.Join(errs...)
}

// FilePoller is a file-delivering connector that may name an FTP server to
// poll for its files.
type FilePoller interface {
	FileReceiver
	// FTPPoll returns the remote to poll, or nil when the connection has none.
	FTPPoll() *FTPRemote
}

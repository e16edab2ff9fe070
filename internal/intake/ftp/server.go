// Package ftp is shiphub's embedded FTP server: providers that deliver
// files (the courier's FTP/JSON and FTP/XML channel) upload them here
// instead of pushing webhooks. Each connection's FTP login sees only its
// own directory. An upload is acknowledged (226) only after the file is
// committed to the inbox, exactly like a webhook gets 200 only then; a file
// that does not parse is moved to quarantine and recorded as an intake
// error. The FTP protocol itself is fclairamb/ftpserverlib's.
package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// Account is one FTP login.
type Account struct {
	// User and Password log in; the password is compared in constant time.
	User     string
	Password string
	// Workspace and Connection name the connection uploads belong to, and
	// with it the account's directory: DataDir/workspace/connection.
	Workspace  string
	Connection string
	Provider   string
	// Receiver validates uploads before they are committed. Nil makes the
	// account plain file storage: uploads stay in its directory and may be
	// listed, downloaded, renamed and deleted, like on any FTP server. shiphub
	// itself never configures such an account; tests use one as the remote
	// a poller fetches from.
	Receiver provider.FileReceiver
	// Fs, for a plain account, replaces its directory with another file
	// system (tests use it to break transfers on purpose).
	Fs afero.Fs
}

// Errors recording refused files; store.Store implements it.
type Errors interface {
	RecordIntakeError(ctx context.Context, e *model.IntakeError) error
}

var _ Errors = (store.Store)(nil)

// Config configures the server.
type Config struct {
	// Listen is the control connection's address, e.g. "127.0.0.1:2121".
	Listen string
	// PassivePorts bounds the passive data ports, [first, last]; zero lets
	// the system pick any free port.
	PassivePorts [2]int
	// PublicHost is the IPv4 address announced in passive replies; empty
	// announces the address the client connected to.
	PublicHost string
	// TLSCert and TLSKey, when set, are PEM files that allow explicit TLS
	// (AUTH TLS) on control and data connections.
	TLSCert, TLSKey string
	// DataDir holds one directory per connection: workspace/connection with
	// upload, staging, archive and quarantine inside.
	DataDir string
	// MaxFileBytes caps one upload; default 1 MiB.
	MaxFileBytes int64
	// ArchiveRetention is how long committed files stay in the archive;
	// default 30 days.
	ArchiveRetention time.Duration
	// CleanupInterval is how often the archive is cleaned; default 1h.
	CleanupInterval time.Duration
	// Accounts are the logins.
	Accounts []Account
	// Inbox is where uploads are committed.
	Inbox intake.Inbox
	// Errors records refused files.
	Errors Errors
	// Leases, when set, makes the archive cleanup run on one instance at a
	// time among those sharing DataDir; Holder names this instance.
	Leases store.Coordination
	Holder string
	// Committed is called after every new message is committed, to wake the
	// pipeline. Optional.
	Committed func()
	// CommitTimeout bounds one commit; default 10s.
	CommitTimeout time.Duration
	// AuthFailureDelay slows down password guessing; default 500ms.
	AuthFailureDelay time.Duration
	// Metrics counts uploads. Optional.
	Metrics *metrics.Metrics
	// Unretried, when set, counts and alerts every upload the hub could not
	// store for a provider that does not upload again (the courier): that
	// file is lost unless it is re-imported. Share the HTTP intake's.
	Unretried *intake.Unretried
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("ftp: a listen address is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("ftp: a data directory is required"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("ftp: TLS needs both a certificate and a key"))
	}
	users := map[string]string{}
	for _, a := range c.Accounts {
		id := a.Workspace + "/" + a.Connection
		switch {
		case a.User == "" || a.Password == "":
			errs = append(errs, fmt.Errorf("ftp: connection %s: a user and a password are required", id))
		case users[a.User] != "":
			errs = append(errs, fmt.Errorf("ftp: connections %s and %s have the same ftp_user; each needs its own", users[a.User], id))
		}
		users[a.User] = id
		if !safeSegment(a.Workspace) || !safeSegment(a.Connection) {
			errs = append(errs, fmt.Errorf("ftp: connection %s: workspace and connection must be plain names", id))
		}
		if a.Receiver != nil && c.Inbox == nil {
			errs = append(errs, errors.New("ftp: an inbox is required"))
		}
	}
	if c.Errors == nil && c.Inbox != nil {
		errs = append(errs, errors.New("ftp: an intake error recorder is required"))
	}
	return errors.Join(errs...)
}

func safeSegment(s string) bool {
	return s != "" && s != "." && s != ".." && filepath.Base(s) == s && !filepath.IsAbs(s)
}

// AccountsFrom lists an account for every connection that has an FTP login.
func AccountsFrom(conns *connections.Set) []Account {
	var out []Account
	for _, c := range conns.All() {
		login, ok := c.Connector.(provider.FTPLogin)
		if !ok {
			continue
		}
		user, pass := login.FTPLogin()
		if user == "" {
			continue
		}
		out = append(out, Account{User: user, Password: pass, Workspace: c.Workspace, Connection: c.ID, Provider: c.Provider, Receiver: login})
	}
	return out
}

// Server is the embedded FTP server. Start it, then Stop it.
type Server struct {
	cfg      Config
	log      *slog.Logger
	outage   *intake.OutageLog // failed commits, logged once per interval
	accounts map[string]*account
	tls      *tls.Config

	ftp      *ftpserver.FtpServer
	ln       net.Listener
	ctx      context.Context
	cancel   context.CancelFunc
	served   chan struct{}
	cleaned  chan struct{}
	uploads  sync.WaitGroup
	mu       sync.Mutex
	clients  map[uint32]ftpserver.ClientContext
	stopping bool
}

// account is an Account with its directories.
type account struct {
	Account
	dir      string // DataDir/workspace/connection
	password provider.Secret
}

// Directories inside an account's directory.
const (
	uploadDir     = "upload"     // what the client sees (its root)
	stagingDir    = "staging"    // uploads in progress, never acknowledged
	archiveDir    = "archive"    // committed files, by day
	quarantineDir = "quarantine" // refused files
)

// New builds a server from a configuration, creating its directories.
func New(cfg Config) (*Server, error) {
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 1 << 20
	}
	if cfg.ArchiveRetention <= 0 {
		cfg.ArchiveRetention = 30 * 24 * time.Hour
	}
	if cfg.CleanupInterval <= 0 {
		cfg.CleanupInterval = time.Hour
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 10 * time.Second
	}
	if cfg.AuthFailureDelay == 0 {
		cfg.AuthFailureDelay = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Committed == nil {
		cfg.Committed = func() {}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "ftp"), outage: intake.NewOutageLog(0, nil), accounts: map[string]*account{}, clients: map[uint32]ftpserver.ClientContext{}}
	for _, a := range cfg.Accounts {
		acct := &account{Account: a, dir: filepath.Join(cfg.DataDir, a.Workspace, a.Connection), password: provider.NewSecret(a.Password)}
		for _, sub := range []string{uploadDir, stagingDir, archiveDir, quarantineDir} {
			if err := os.MkdirAll(filepath.Join(acct.dir, sub), 0o750); err != nil {
				return nil, fmt.Errorf("ftp: creating the directories of %s/%s: %w", a.Workspace, a.Connection, err)
			}
		}
		s.accounts[a.User] = acct
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("ftp: loading the TLS certificate: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// Start listens and serves until Stop. The archive cleanup runs in the
// background, on one instance at a time when Leases is set.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ftp: listening on %s: %w", s.cfg.Listen, err)
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.ftp = ftpserver.NewFtpServer(&driver{s: s})
	if err := s.ftp.Listen(); err != nil {
		_ = ln.Close()
		return fmt.Errorf("ftp: starting: %w", err)
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.ftp.Serve(); err != nil && s.ctx.Err() == nil {
			s.log.Error("FTP server stopped", "error", err)
		}
	}()
	s.cleaned = make(chan struct{})
	go func() {
		defer close(s.cleaned)
		s.runCleanup(s.ctx)
	}()
	s.log.Info("FTP intake serving", "addr", ln.Addr().String(), "accounts", len(s.accounts), "tls", s.tls != nil)
	return nil
}

// Addr is the control connection's address, once started.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop stops accepting connections, waits (until ctx ends) for uploads
// that are committing, then disconnects the remaining clients. An upload cut
// off this way was never acknowledged; the client sends it again.
func (s *Server) Stop(ctx context.Context) error {
	if s.ftp == nil {
		return nil
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	err := s.ftp.Stop()
	if errors.Is(err, ftpserver.ErrNotListening) {
		err = nil
	}
	done := make(chan struct{})
	go func() { s.uploads.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	clients := make([]ftpserver.ClientContext, 0, len(s.clients))
	for _, cc := range s.clients {
		clients = append(clients, cc)
	}
	s.mu.Unlock()
	for _, cc := range clients {
		_ = cc.Close()
	}
	s.cancel()
	<-s.served
	<-s.cleaned
	if err != nil {
		return fmt.Errorf("ftp: stopping: %w", err)
	}
	return nil
}

// runCleanup cleans the archive now and then every CleanupInterval.
func (s *Server) runCleanup(ctx context.Context) {
	work := func(ctx context.Context) {
		for {
			if n, err := s.CleanArchive(time.Now()); err != nil {
				s.log.Warn("cleaning the FTP archive failed", "error", err)
			} else if n > 0 {
				s.log.Info("FTP archive cleaned", "removed", n)
			}
			if !ctxtime.Sleep(ctx, s.cfg.CleanupInterval) {
				return
			}
		}
	}
	if s.cfg.Leases == nil {
		work(ctx)
		return
	}
	// Instances on one host that share the data directory share the lease;
	// instances elsewhere have their own directories and leases.
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(s.cfg.DataDir)
	single := &coord.Singleton{Leases: s.cfg.Leases, Name: "ftp-archive-cleanup/" + host + ":" + abs, Holder: s.cfg.Holder, Logger: s.log}
	single.Run(ctx, work)
}

// authenticate finds the account of a login, comparing in constant time.
func (s *Server) authenticate(user, pass string) (*account, bool) {
	acct, ok := s.accounts[user]
	if !ok {
		// Compare anyway, so a wrong user takes as long as a wrong password.
		var none provider.Secret
		none.Matches(pass)
		return nil, false
	}
	return acct, acct.password.Matches(pass)
}

func (s *Server) count(prov, result string) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.Inbound.WithLabelValues(prov, result).Inc()
	}
}

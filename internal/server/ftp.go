package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/intake/ftp"
	"github.com/shiphub/shiphub/internal/intake/ftppoll"
)

// ftpParts are the FTP intake of an instance: the embedded server (when
// ftp.listen is set) and the poller of merchants' own FTP servers (when a
// connection has ftp_poll).
type ftpParts struct {
	// FTP is the embedded FTP server, nil when ftp.listen is empty.
	FTP *ftp.Server
	// FTPPoll polls connections' ftp_poll servers, nil when none has one.
	FTPPoll *ftppoll.Poller
}

// buildFTP builds the FTP intake from the configuration.
func (s *Server) buildFTP() error {
	holder := coord.NewInstanceID()
	if s.cfg.FTP.Listen != "" {
		var ports [2]int
		if s.cfg.FTP.PassivePorts != "" {
			first, last, err := config.ParsePortRange(s.cfg.FTP.PassivePorts)
			if err != nil {
				return fmt.Errorf("ftp.passive_ports: %w", err)
			}
			ports = [2]int{first, last}
		}
		srv, err := ftp.New(ftp.Config{
			Listen: s.cfg.FTP.Listen, PassivePorts: ports, PublicHost: s.cfg.FTP.PublicHost,
			TLSCert: s.cfg.FTP.TLSCert, TLSKey: s.cfg.FTP.TLSKey, DataDir: s.cfg.FTP.DataDir,
			MaxFileBytes: s.cfg.FTP.MaxFileBytes, ArchiveRetention: s.cfg.FTP.ArchiveRetention,
			Accounts: ftp.AccountsFrom(s.Conns), Inbox: s.Store, Errors: s.Store,
			Leases: s.Store, Holder: holder, Committed: s.Pipeline.Notify, Metrics: s.Metrics, Logger: s.log,
			Unretried: s.unretried(),
		})
		if err != nil {
			return err
		}
		s.FTP = srv
	}
	if targets := ftppoll.TargetsFrom(s.Conns); len(targets) > 0 {
		p, err := ftppoll.New(ftppoll.Config{
			Targets: targets, Inbox: s.Store, Errors: s.Store, Leases: s.Store, Holder: holder,
			MaxFileBytes: s.cfg.FTP.MaxFileBytes, Committed: s.Pipeline.Notify, Metrics: s.Metrics, Logger: s.log,
		})
		if err != nil {
			return err
		}
		s.FTPPoll = p
	}
	return nil
}

// startFTP starts the FTP intake.
func (s *Server) startFTP(ctx context.Context) error {
	if s.FTP != nil {
		if err := s.FTP.Start(ctx); err != nil {
			return err
		}
	}
	if s.FTPPoll != nil {
		s.FTPPoll.Start(ctx)
	}
	return nil
}

// stopFTP stops the FTP intake, letting uploads that are committing finish.
func (s *Server) stopFTP(ctx context.Context) error {
	var errs []error
	if s.FTP != nil {
		if err := s.FTP.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping FTP: %w", err))
		}
	}
	if s.FTPPoll != nil {
		if err := s.FTPPoll.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the FTP poller: %w", err))
		}
	}
	return errors.Join(errs...)
}

// FTPAddr is the embedded FTP server's address, once started; empty when
// it is disabled.
func (s *Server) FTPAddr() string {
	if s.FTP == nil {
		return ""
	}
	return s.FTP.Addr()
}

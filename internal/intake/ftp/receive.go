package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// errUnavailable is what the client sees when the hub cannot store a file
// now; it keeps the file and sends it again.
var errUnavailable = errors.New("the file could not be stored; try again later")

// receive commits a complete upload: a file the provider's connector
// accepts goes to the inbox and then to the archive; one it refuses goes to
// quarantine and is recorded as an intake error. It returns an error (the
// client sees the upload fail and sends it again) only when neither could
// be made durable.
func (s *Server) receive(acct *account, name, staged string) error {
	start := time.Now()
	log := s.log.With("workspace", acct.Workspace, "connection", acct.Connection, "provider", acct.Provider, "file", name)
	body, err := os.ReadFile(staged)
	if err != nil {
		log.Error("reading a staged upload failed", "error", err)
		return errUnavailable
	}
	in, err := acct.Receiver.AcceptFile(name, body)
	if err != nil {
		return s.quarantine(acct, name, staged, body, err)
	}
	msg := &model.InboxMessage{
		Workspace: acct.Workspace, Connection: acct.Connection, Provider: acct.Provider,
		Source: model.SourceFTP, Topic: name,
		DedupKey: in.DedupKey, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body,
		ReceivedAt: start.UTC(),
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CommitTimeout)
	defer cancel()
	id, dup, err := s.cfg.Inbox.AppendInbox(ctx, msg)
	if err != nil {
		s.count(acct.Provider, "unavailable")
		if !errors.Is(err, context.Canceled) {
			s.outage.Failed(log, err)
		}
		return errUnavailable
	}
	s.outage.Succeeded(func() *slog.Logger { return log })
	if dup {
		s.count(acct.Provider, "duplicate")
		log.Debug("FTP file is a duplicate", "message_id", id)
	} else {
		s.count(acct.Provider, "accepted")
		s.cfg.Committed()
		log.Debug("FTP file committed", "message_id", id)
	}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.AckSeconds.WithLabelValues(acct.Provider).Observe(time.Since(start).Seconds())
	}
	// The message is durable: losing the archive copy loses nothing.
	if err := moveInto(staged, filepath.Join(acct.dir, archiveDir, start.UTC().Format("2006-01-02")), name); err != nil {
		log.Warn("archiving an FTP file failed", "error", err)
		_ = os.Remove(staged)
	}
	return nil
}

// unretried reports an upload the hub could not store when the provider
// will not upload it again.
func (s *Server) unretried(acct *account, name string, err error) {
	if s.cfg.Unretried == nil || acct.Receiver == nil || provider.Retries(acct.Receiver) {
		return
	}
	s.cfg.Unretried.Record(intake.UnretriedAlert{
		Workspace: acct.Workspace, Connection: acct.Connection, Provider: acct.Provider,
		Reason: fmt.Sprintf("FTP upload of %s: %v", name, err),
	})
}

// quarantine keeps a refused file aside and records why. The upload is
// acknowledged once both are durable: sending the same bytes again would
// not make them parse.
func (s *Server) quarantine(acct *account, name, staged string, body []byte, reason error) error {
	log := s.log.With("workspace", acct.Workspace, "connection", acct.Connection, "provider", acct.Provider, "file", name)
	now := time.Now().UTC()
	dir := filepath.Join(acct.dir, quarantineDir)
	kept := now.Format("20060102T150405.000000000Z") + "-" + name
	ref := ""
	if err := moveInto(staged, dir, kept); err != nil {
		log.Warn("quarantining an FTP file failed; its bytes are kept in the intake error only", "error", err)
	} else {
		ref, _ = filepath.Rel(s.cfg.DataDir, filepath.Join(dir, kept))
		ref = filepath.ToSlash(ref)
	}
	e := &model.IntakeError{
		Workspace: acct.Workspace, Connection: acct.Connection, Source: model.SourceFTP,
		Name: name, Reason: provider.Reason(reason), Ref: ref, Size: int64(len(body)), Body: body, ReceivedAt: now,
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CommitTimeout)
	defer cancel()
	if err := s.cfg.Errors.RecordIntakeError(ctx, e); err != nil {
		s.count(acct.Provider, "unavailable")
		log.Error("recording an FTP intake error failed", "error", err, "reason", e.Reason)
		return errUnavailable
	}
	s.count(acct.Provider, "quarantined")
	log.Warn("FTP file refused and quarantined", "reason", e.Reason, "ref", ref, "intake_error", e.ID)
	return nil
}

// refuseTooLarge records an upload cut off at the size cap. Its bytes are
// not kept: they were never all received.
func (s *Server) refuseTooLarge(acct *account, name string, received int64) {
	s.count(acct.Provider, "too_large")
	reason := fmt.Sprintf("the file exceeds the limit of %d bytes (ftp.max_file_bytes)", s.cfg.MaxFileBytes)
	s.log.Warn("FTP upload refused", "workspace", acct.Workspace, "connection", acct.Connection, "provider", acct.Provider, "file", name, "reason", reason)
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CommitTimeout)
	defer cancel()
	if err := s.cfg.Errors.RecordIntakeError(ctx, &model.IntakeError{
		Workspace: acct.Workspace, Connection: acct.Connection, Source: model.SourceFTP,
		Name: name, Reason: reason, Size: received, ReceivedAt: time.Now().UTC(),
	}); err != nil {
		s.log.Error("recording an FTP intake error failed", "error", err)
	}
}

// moveInto renames src into dir as name, or as name~N when that exists.
func moveInto(src, dir, name string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	target := filepath.Join(dir, name)
	for i := 1; i <= 1000; i++ {
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			return os.Rename(src, target)
		}
		target = filepath.Join(dir, name+"~"+strconv.Itoa(i))
	}
	return fmt.Errorf("too many archived copies of %q", name)
}

// CleanArchive deletes archived files older than the retention, and staging
// files an instance that died left behind, and reports how many files it
// removed. Quarantined files stay: an intake error refers to them.
func (s *Server) CleanArchive(now time.Time) (int, error) {
	removed := s.removeStaleStaging(now, time.Hour)
	cutoff := now.Add(-s.cfg.ArchiveRetention)
	var errs []error
	for _, acct := range s.accounts {
		root := filepath.Join(acct.dir, archiveDir)
		days, err := os.ReadDir(root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, day := range days {
			if !day.IsDir() {
				continue
			}
			dayDir := filepath.Join(root, day.Name())
			files, err := os.ReadDir(dayDir)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			left := len(files)
			for _, f := range files {
				info, err := f.Info()
				if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
					continue
				}
				if err := os.Remove(filepath.Join(dayDir, f.Name())); err != nil {
					errs = append(errs, err)
					continue
				}
				removed++
				left--
			}
			if left == 0 {
				_ = os.Remove(dayDir)
			}
		}
	}
	return removed, errors.Join(errs...)
}

// removeStaleStaging deletes staging files older than age: uploads that
// were never acknowledged because the hub stopped during them.
func (s *Server) removeStaleStaging(now time.Time, age time.Duration) int {
	n := 0
	for _, acct := range s.accounts {
		dir := filepath.Join(acct.dir, stagingDir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < age {
				continue
			}
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

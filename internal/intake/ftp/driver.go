package ftp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

// Errors the FTP client sees.
var (
	errReadOnlyIntake = errors.New("this directory only accepts uploads")
	errNotAFile       = errors.New("uploads go to the top directory as plain files")
	errResume         = errors.New("resuming or appending is not supported; send the whole file again")
	errTLSDisabled    = errors.New("TLS is not configured on this server")
)

// driver is the server's ftpserverlib.MainDriver.
type driver struct {
	s *Server
}

var (
	_ ftpserver.MainDriver                          = (*driver)(nil)
	_ ftpserver.MainDriverExtensionQuitMessage      = (*driver)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer   = (*intakeFs)(nil)
	_ ftpserver.ClientDriverExtensionAvailableSpace = (*intakeFs)(nil)
	_ ftpserver.FileTransferError                   = (*upload)(nil)
)

func (d *driver) GetSettings() (*ftpserver.Settings, error) {
	cfg := d.s.cfg
	st := &ftpserver.Settings{
		Listener:            d.s.ln,
		PublicHost:          cfg.PublicHost,
		IdleTimeout:         300,
		ConnectionTimeout:   30,
		Banner:              "shiphub FTP intake",
		DisableSite:         true, // no CHMOD, CHOWN or SYMLINK
		DisableMFMT:         true,
		DefaultTransferType: ftpserver.TransferTypeBinary,
		TLSRequired:         ftpserver.ClearOrEncrypted,
	}
	if cfg.PassivePorts[0] > 0 {
		st.PassiveTransferPortRange = &ftpserver.PortRange{Start: cfg.PassivePorts[0], End: cfg.PassivePorts[1]}
	}
	return st, nil
}

func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.s.stopping {
		return "", errors.New("shutting down")
	}
	d.s.clients[cc.ID()] = cc
	return "shiphub FTP intake", nil
}

func (d *driver) ClientDisconnected(cc ftpserver.ClientContext) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	delete(d.s.clients, cc.ID())
}

func (d *driver) QuitMessage() string { return "Goodbye" }

// AuthUser logs a client in to its account's directory.
func (d *driver) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	acct, ok := d.s.authenticate(user, pass)
	if !ok {
		d.s.log.Info("FTP login refused", "remote", cc.RemoteAddr().String())
		if d.s.cfg.AuthFailureDelay > 0 {
			time.Sleep(d.s.cfg.AuthFailureDelay)
		}
		return nil, errors.New("wrong user or password")
	}
	d.s.log.Debug("FTP login", "workspace", acct.Workspace, "connection", acct.Connection, "remote", cc.RemoteAddr().String())
	if acct.Receiver == nil {
		if acct.Fs != nil {
			return &plainFs{acct.Fs}, nil
		}
		return &plainFs{afero.NewBasePathFs(afero.NewOsFs(), acct.dir+string(os.PathSeparator)+uploadDir)}, nil
	}
	base := afero.NewBasePathFs(afero.NewOsFs(), acct.dir+string(os.PathSeparator)+uploadDir)
	return &intakeFs{Fs: afero.NewReadOnlyFs(base), s: d.s, acct: acct}, nil
}

func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.s.tls == nil {
		return nil, errTLSDisabled
	}
	return d.s.tls, nil
}

// plainFs is an account's directory as ordinary file storage, without
// symbolic links (SITE is disabled, and afero's BasePathFs keeps every path
// inside the directory).
type plainFs struct {
	afero.Fs
}

// intakeFs is what an intake account's client sees: an empty directory it
// may upload plain files to. Every upload is committed when it is closed,
// then archived; nothing stays to be listed, downloaded or changed.
type intakeFs struct {
	afero.Fs // read-only: listing and stat
	s        *Server
	acct     *account
}

// GetAvailableSpace answers AVBL with the per-file cap.
func (f *intakeFs) GetAvailableSpace(string) (int64, error) { return f.s.cfg.MaxFileBytes, nil }

// GetHandle opens an upload. Downloads, appends and resumed uploads are
// refused; so is any name that is not a plain file in the top directory.
func (f *intakeFs) GetHandle(name string, flags int, offset int64) (ftpserver.FileTransfer, error) {
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 {
		return nil, errReadOnlyIntake
	}
	if flags&os.O_APPEND != 0 || offset != 0 {
		return nil, errResume
	}
	base, err := uploadName(name)
	if err != nil {
		return nil, err
	}
	f.s.mu.Lock()
	stopping := f.s.stopping
	if !stopping {
		f.s.uploads.Add(1)
	}
	f.s.mu.Unlock()
	if stopping {
		return nil, errors.New("the server is shutting down; try again shortly")
	}
	tmp, err := os.CreateTemp(f.acct.dir+string(os.PathSeparator)+stagingDir, "upload-*.part")
	if err != nil {
		f.s.uploads.Done()
		return nil, fmt.Errorf("creating the upload: %w", err)
	}
	return &upload{s: f.s, acct: f.acct, name: base, file: tmp}, nil
}

// uploadName checks an upload's path, which the FTP library has already
// made absolute and clean, and returns its file name.
func uploadName(p string) (string, error) {
	p = path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
	if path.Dir(p) != "/" {
		return "", fmt.Errorf("%w: %q", errNotAFile, p)
	}
	base := path.Base(p)
	switch {
	case base == "/" || base == "." || base == ".." || strings.HasPrefix(base, "."):
		return "", fmt.Errorf("%w: %q", ftpserver.ErrFileNameNotAllowed, base)
	case len(base) > 255 || !utf8.ValidString(base) || strings.ContainsFunc(base, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", fmt.Errorf("%w: the name is too long or has control characters", ftpserver.ErrFileNameNotAllowed)
	}
	return base, nil
}

// upload is one file being received. Close commits it.
type upload struct {
	s       *Server
	acct    *account
	name    string
	file    *os.File
	written int64
	failed  error
	tooBig  bool
	closed  bool
}

func (u *upload) Read([]byte) (int, error) { return 0, errReadOnlyIntake }

func (u *upload) Seek(offset int64, whence int) (int64, error) {
	if offset == 0 && whence == io.SeekStart {
		return 0, nil
	}
	return 0, errResume
}

// Write stores received bytes, refusing more than the cap.
func (u *upload) Write(p []byte) (int, error) {
	if u.failed != nil {
		return 0, u.failed
	}
	if u.written+int64(len(p)) > u.s.cfg.MaxFileBytes {
		u.tooBig = true
		u.failed = fmt.Errorf("%w: the file exceeds %d bytes", ftpserver.ErrStorageExceeded, u.s.cfg.MaxFileBytes)
		return 0, u.failed
	}
	n, err := u.file.Write(p)
	u.written += int64(n)
	if err != nil {
		u.failed = fmt.Errorf("storing the upload: %w", err)
		return n, u.failed
	}
	return n, nil
}

// TransferError records that the transfer broke off (the client
// disconnected, the network failed): the file is incomplete.
func (u *upload) TransferError(err error) {
	if u.failed == nil {
		u.failed = fmt.Errorf("the transfer broke off: %w", err)
	}
}

// Close ends the upload. A complete file is committed to the inbox (or
// quarantined) before Close returns nil, and only then does the client get
// 226; an error here makes the client see the upload fail.
func (u *upload) Close() error {
	if u.closed {
		return nil
	}
	u.closed = true
	defer u.s.uploads.Done()
	staged := u.file.Name()
	closeErr := u.file.Close()
	if u.failed == nil && closeErr != nil {
		u.failed = fmt.Errorf("storing the upload: %w", closeErr)
	}
	if u.failed != nil {
		_ = os.Remove(staged)
		if u.tooBig {
			u.s.refuseTooLarge(u.acct, u.name, u.written)
		} else {
			u.s.log.Info("FTP upload not completed", "workspace", u.acct.Workspace, "connection", u.acct.Connection,
				"provider", u.acct.Provider, "file", u.name, "error", u.failed)
		}
		return u.failed
	}
	if err := u.s.receive(u.acct, u.name, staged); err != nil {
		_ = os.Remove(staged)
		u.s.unretried(u.acct, u.name, err)
		return err
	}
	return nil
}

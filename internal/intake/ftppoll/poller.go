// Package ftppoll fetches provider files from an FTP server the merchant
// already runs (a connection's ftp_poll), for providers that upload there
// rather than to shiphub. Each file is committed to the inbox first and only
// then deleted or moved on the remote, so a crash between the two fetches
// it again and the inbox acknowledges it as a duplicate. A transfer that
// breaks off is never committed; the next round fetches the file again.
// A file is fetched only once it is stable: two listings StableAfter apart
// show it with the same size and modification time, so a file the provider
// is still uploading is neither committed half nor quarantined and deleted.
// Only files with the connector's extensions are fetched.
// Only one hub instance polls a connection at a time (coord.Singleton).
package ftppoll

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	goftp "github.com/jlaffaye/ftp"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// Errors records refused files; store.Store implements it.
type Errors interface {
	RecordIntakeError(ctx context.Context, e *model.IntakeError) error
}

// Target is one connection to poll.
type Target struct {
	Workspace  string
	Connection string
	Provider   string
	Remote     provider.FTPRemote
	Receiver   provider.FileReceiver
}

// TargetsFrom lists every connection that names an FTP server to poll.
func TargetsFrom(conns *connections.Set) []Target {
	var out []Target
	for _, c := range conns.All() {
		p, ok := c.Connector.(provider.FilePoller)
		if !ok || p.FTPPoll() == nil {
			continue
		}
		out = append(out, Target{Workspace: c.Workspace, Connection: c.ID, Provider: c.Provider, Remote: *p.FTPPoll(), Receiver: p})
	}
	return out
}

// Config configures the poller.
type Config struct {
	// Targets are the connections to poll.
	Targets []Target
	// Inbox is where files are committed.
	Inbox intake.Inbox
	// Errors records files that do not parse.
	Errors Errors
	// Leases makes each connection's poller run on one instance at a time;
	// Holder names this instance. Without Leases every instance polls.
	Leases store.Coordination
	Holder string
	// MaxFileBytes caps one file; larger files are left on the remote and
	// recorded as an intake error once. Default 1 MiB.
	MaxFileBytes int64
	// MaxFilesPerRound bounds one round, so a backlog is worked off in
	// steps that each end with the files removed; default 500.
	MaxFilesPerRound int
	// Committed is called after new messages were committed. Optional.
	Committed func()
	// Metrics counts fetched files. Optional.
	Metrics *metrics.Metrics
	// Sleep waits between the two listings of a round (a target's
	// StableAfter) and reports false when ctx ended first; default
	// ctxtime.Sleep. Tests make the wait instant, and change the remote
	// directory in it.
	Sleep func(ctx context.Context, d time.Duration) bool
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
}

// Poller polls every target at its interval. Start it, then Stop it.
type Poller struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	oversized map[string]bool // files recorded as too large, by target and name
}

// New builds a poller.
func New(cfg Config) (*Poller, error) {
	if cfg.Inbox == nil || cfg.Errors == nil {
		return nil, errors.New("ftppoll: an inbox and an intake error recorder are required")
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 1 << 20
	}
	if cfg.MaxFilesPerRound <= 0 {
		cfg.MaxFilesPerRound = 500
	}
	if cfg.Committed == nil {
		cfg.Committed = func() {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxtime.Sleep
	}
	for i := range cfg.Targets {
		cfg.Targets[i].Remote.SetDefaults()
		if err := cfg.Targets[i].Remote.Validate(); err != nil {
			return nil, fmt.Errorf("ftppoll: %s/%s: %w", cfg.Targets[i].Workspace, cfg.Targets[i].Connection, err)
		}
	}
	return &Poller{cfg: cfg, log: cfg.Logger.With("component", "ftppoll"), oversized: map[string]bool{}}, nil
}

// Start polls every target in the background until Stop.
func (p *Poller) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, t := range p.cfg.Targets {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			work := func(ctx context.Context) { p.loop(ctx, t) }
			if p.cfg.Leases == nil {
				work(ctx)
				return
			}
			single := &coord.Singleton{Leases: p.cfg.Leases, Name: "ftp-poll/" + t.Workspace + "/" + t.Connection, Holder: p.cfg.Holder, Logger: p.log}
			single.Run(ctx, work)
		}()
	}
}

// Stop ends polling and waits for rounds in progress (until ctx ends).
func (p *Poller) Stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ftppoll: stopping: %w", ctx.Err())
	}
}

func (p *Poller) loop(ctx context.Context, t Target) {
	log := p.log.With("workspace", t.Workspace, "connection", t.Connection, "provider", t.Provider)
	for ctx.Err() == nil {
		res, err := p.Round(ctx, t)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("FTP poll round failed", "error", err, "committed", res.Committed)
		case res.Committed+res.Refused > 0:
			log.Info("FTP poll round", "committed", res.Committed, "duplicates", res.Duplicates, "refused", res.Refused, "skipped", res.Skipped)
		}
		if !ctxtime.Sleep(ctx, t.Remote.Interval) {
			return
		}
	}
}

// Result counts what one round did.
type Result struct {
	// Committed counts files committed to the inbox, duplicates included.
	Committed  int
	Duplicates int
	// Refused counts files that did not parse, recorded as intake errors.
	Refused int
	// Skipped counts files left on the remote to try again: broken
	// transfers, files over the size cap, failed removals.
	Skipped int
	// Unstable counts files left on the remote because they changed
	// between the round's two listings (still being uploaded).
	Unstable int
}

// Round fetches every file in the target's directory once. It stops at the
// first error that concerns the whole round (connection, login, listing,
// the inbox); a file whose transfer fails is skipped and fetched again next
// round.
func (p *Poller) Round(ctx context.Context, t Target) (Result, error) {
	var res Result
	r := t.Remote
	r.SetDefaults()
	log := p.log.With("workspace", t.Workspace, "connection", t.Connection, "provider", t.Provider)
	opts := []goftp.DialOption{goftp.DialWithContext(ctx), goftp.DialWithTimeout(r.Timeout), goftp.DialWithShutTimeout(r.Timeout)}
	if r.TLS {
		opts = append(opts, goftp.DialWithExplicitTLS(&tls.Config{ServerName: r.Host, MinVersion: tls.VersionTLS12}))
	}
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	c, err := goftp.Dial(addr, opts...)
	if err != nil {
		return res, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	defer func() { _ = c.Quit() }()
	if err := c.Login(r.User, r.Password); err != nil {
		return res, fmt.Errorf("logging in to %s as %q: %w", addr, r.User, err)
	}
	exts := t.Receiver.FileExtensions()
	first, err := p.list(c, r.Path, exts)
	if err != nil {
		return res, err
	}
	if len(first) == 0 {
		return res, nil
	}
	// A file is taken only if a second listing, StableAfter later, shows it
	// unchanged: the provider may still be writing it.
	if !p.cfg.Sleep(ctx, r.StableAfter) {
		return res, ctx.Err()
	}
	second, err := p.list(c, r.Path, exts)
	if err != nil {
		return res, err
	}
	entries := make([]*goftp.Entry, 0, len(second))
	for _, e := range second {
		before, ok := first[e.Name]
		if !ok || before.Size != e.Size || !before.Time.Equal(e.Time) {
			res.Unstable++
			log.Debug("FTP file still changing; fetching it once it is stable", "file", e.Name, "size", e.Size)
			continue
		}
		entries = append(entries, e)
	}
	// Oldest first, so updates are committed in the order they were written.
	sort.SliceStable(entries, func(i, j int) bool {
		if !entries[i].Time.Equal(entries[j].Time) {
			return entries[i].Time.Before(entries[j].Time)
		}
		return entries[i].Name < entries[j].Name
	})
	n := 0
	for _, e := range entries {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if n++; n > p.cfg.MaxFilesPerRound {
			break
		}
		remote := path.Join(r.Path, e.Name)
		flog := log.With("file", e.Name)
		if e.Size > uint64(p.cfg.MaxFileBytes) {
			res.Skipped++
			p.refuseOversized(ctx, t, e.Name, int64(e.Size), flog)
			continue
		}
		body, err := p.fetch(c, remote, e.Size)
		if err != nil {
			res.Skipped++
			flog.Info("FTP download incomplete; fetching it again next round", "error", err)
			continue
		}
		in, err := t.Receiver.AcceptFile(e.Name, body)
		if err != nil {
			if err := p.refuse(ctx, t, e.Name, body, err, flog); err != nil {
				return res, err
			}
			res.Refused++
		} else {
			dup, err := p.commit(ctx, t, e.Name, in)
			if err != nil {
				return res, err
			}
			res.Committed++
			if dup {
				res.Duplicates++
			}
		}
		// Only now, with the file durable, may the remote copy go.
		if err := p.finish(c, r, e.Name); err != nil {
			res.Skipped++
			flog.Warn("removing a committed file from the FTP server failed; it will be fetched again as a duplicate", "error", err)
		}
	}
	return res, nil
}

// list lists the files of dir that are the provider's, by name.
func (p *Poller) list(c *goftp.ServerConn, dir string, exts []string) (map[string]*goftp.Entry, error) {
	entries, err := c.List(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	out := make(map[string]*goftp.Entry, len(entries))
	for _, e := range entries {
		if e.Type == goftp.EntryTypeFile && wanted(e.Name, exts) {
			out[e.Name] = e
		}
	}
	return out, nil
}

// wanted reports whether a remote file is one to fetch: a file with one of
// the connector's extensions, not a hidden one (an upload in progress is
// often a dot file).
func wanted(name string, exts []string) bool {
	return !strings.HasPrefix(name, ".") && provider.HasFileExtension(name, exts)
}

// fetch downloads one file whole, or fails: a transfer the server does not
// confirm, or shorter than the listed size, is incomplete.
func (p *Poller) fetch(c *goftp.ServerConn, remote string, listed uint64) ([]byte, error) {
	resp, err := c.Retr(remote)
	if err != nil {
		return nil, fmt.Errorf("retrieving %s: %w", remote, err)
	}
	body, readErr := io.ReadAll(io.LimitReader(resp, p.cfg.MaxFileBytes+1))
	closeErr := resp.Close()
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("reading %s: %w", remote, readErr)
	case closeErr != nil:
		return nil, fmt.Errorf("finishing %s: %w", remote, closeErr)
	case int64(len(body)) > p.cfg.MaxFileBytes:
		return nil, fmt.Errorf("%s grew beyond %d bytes", remote, p.cfg.MaxFileBytes)
	case listed > 0 && uint64(len(body)) < listed:
		return nil, fmt.Errorf("%s: got %d of %d bytes", remote, len(body), listed)
	}
	return body, nil
}

func (p *Poller) commit(ctx context.Context, t Target, name string, in provider.Inbound) (bool, error) {
	msg := &model.InboxMessage{
		Workspace: t.Workspace, Connection: t.Connection, Provider: t.Provider,
		Source: model.SourceFTP, Topic: name,
		DedupKey: in.DedupKey, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body,
		ReceivedAt: time.Now().UTC(),
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, dup, err := p.cfg.Inbox.AppendInbox(cctx, msg)
	if err != nil {
		p.count(t.Provider, "unavailable")
		return false, fmt.Errorf("committing %q to the inbox: %w", name, err)
	}
	if dup {
		p.count(t.Provider, "duplicate")
	} else {
		p.count(t.Provider, "accepted")
		p.cfg.Committed()
	}
	return dup, nil
}

// refuse records a file that does not parse, with its bytes (the database
// keeps them; the remote copy is then removed like a committed one).
func (p *Poller) refuse(ctx context.Context, t Target, name string, body []byte, reason error, log *slog.Logger) error {
	msg := provider.Reason(reason)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.cfg.Errors.RecordIntakeError(cctx, &model.IntakeError{
		Workspace: t.Workspace, Connection: t.Connection, Source: model.SourceFTP, Name: name,
		Reason: msg, Size: int64(len(body)), Body: body, ReceivedAt: time.Now().UTC(),
	}); err != nil {
		return fmt.Errorf("recording intake error for %q: %w", name, err)
	}
	p.count(t.Provider, "quarantined")
	log.Warn("FTP file refused", "reason", msg)
	return nil
}

// refuseOversized records, once per poller, a file over the size cap; it
// stays on the remote for someone to look at.
func (p *Poller) refuseOversized(ctx context.Context, t Target, name string, size int64, log *slog.Logger) {
	key := t.Workspace + "/" + t.Connection + "/" + name
	p.mu.Lock()
	seen := p.oversized[key]
	p.oversized[key] = true
	p.mu.Unlock()
	if seen {
		return
	}
	reason := fmt.Sprintf("the file is %d bytes, over the limit of %d (ftp.max_file_bytes); it was left on the FTP server", size, p.cfg.MaxFileBytes)
	log.Warn("FTP file refused", "reason", reason)
	p.count(t.Provider, "too_large")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.cfg.Errors.RecordIntakeError(cctx, &model.IntakeError{
		Workspace: t.Workspace, Connection: t.Connection, Source: model.SourceFTP, Name: name,
		Reason: reason, Size: size, ReceivedAt: time.Now().UTC(),
	}); err != nil {
		log.Error("recording an FTP intake error failed", "error", err)
	}
}

// finish deletes or moves a file that is durable in the hub.
func (p *Poller) finish(c *goftp.ServerConn, r provider.FTPRemote, name string) error {
	from := path.Join(r.Path, name)
	if r.After == provider.AfterMove {
		return c.Rename(from, path.Join(r.MoveTo, name))
	}
	return c.Delete(from)
}

func (p *Poller) count(prov, result string) {
	if p.cfg.Metrics != nil {
		p.cfg.Metrics.Inbound.WithLabelValues(prov, result).Inc()
	}
}

var _ Errors = (store.Store)(nil)

// Package coord runs scheduled work on one hub instance at a time: a loop
// holds a named lease in the shared database while it works, renews it, and
// stops when it loses it. When the instance dies its leases expire and
// another instance's loop takes the work over.
package coord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// ComponentLease is the component label of a panic recovered in a lease
// holder's loop or its work.
const ComponentLease = "lease"

// maxPanicBackoff caps the wait after repeated panics of the work.
const maxPanicBackoff = 5 * time.Minute

// NewInstanceID returns a random id naming this process as a lease holder.
func NewInstanceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Singleton runs work on one instance at a time.
type Singleton struct {
	// Leases is the shared database.
	Leases store.Coordination
	// Name is the lease's name, e.g. "gcl-poller/acme/gcl".
	Name string
	// Holder is this instance's id (NewInstanceID).
	Holder string
	// TTL is how long a lease lasts without renewal; the work moves over
	// this long after an instance dies. Default 15s.
	TTL time.Duration
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Metrics counts recovered panics; nil counts nothing.
	Metrics *metrics.Metrics
}

// Run calls work with a context that is cancelled when the lease is lost or
// ctx ends; while another instance holds the lease it waits and tries again.
// It returns when ctx ends. A panic in work, or in Run's own loop, never
// takes the process down: it is logged, counted in
// shiphub_panics_recovered_total{component="lease"}, the lease is given up,
// and the work is started again after a backoff that doubles with every
// panic in a row (from TTL/3 up to 5 minutes).
func (s *Singleton) Run(ctx context.Context, work func(ctx context.Context)) {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 15 * time.Second
	}
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	renew := ttl / 3
	panics := 0
	for ctx.Err() == nil {
		err := recovery.Do(func() error { return s.term(ctx, ttl, renew, work, log) })
		if err == nil {
			panics = 0
			continue
		}
		if !errors.Is(err, recovery.ErrPanic) {
			if !ctxtime.Sleep(ctx, renew) {
				return
			}
			continue
		}
		recovery.Report(s.Metrics, log, ComponentLease, err, "lease", s.Name)
		s.release(ctx)
		wait := min(renew<<min(panics, 20), maxPanicBackoff)
		panics++
		if !ctxtime.Sleep(ctx, wait) {
			return
		}
	}
}

// errNotHeld means the lease was not taken this time.
var errNotHeld = errors.New("lease held elsewhere")

// term takes the lease once and runs work under it until the lease is lost,
// work returns or ctx ends. It returns errNotHeld when the lease was not
// taken, and a *recovery.PanicError when work panicked.
func (s *Singleton) term(ctx context.Context, ttl, renew time.Duration, work func(ctx context.Context), log *slog.Logger) error {
	got, err := s.acquire(ctx, ttl)
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("taking lease failed", "lease", s.Name, "error", err)
	}
	if !got {
		return errNotHeld
	}
	log.Debug("lease taken", "lease", s.Name, "holder", s.Holder)
	workCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		err := recovery.Do(func() error { work(workCtx); return nil })
		cancel() // a panicked work stops the renewals at once
		done <- err
	}()
	s.hold(workCtx, ttl, renew, cancel, log)
	cancel()
	werr := <-done
	// Give it up at once on a clean stop, so another instance need not
	// wait for the ttl.
	s.release(ctx)
	return werr
}

// release gives the lease up, even when ctx has ended.
func (s *Singleton) release(ctx context.Context) {
	relCtx, relCancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	_ = s.Leases.ReleaseLease(relCtx, s.Name, s.Holder)
	relCancel()
}

// hold renews the lease until work ends, ctx ends or a renewal fails; a
// failed renewal cancels the work.
func (s *Singleton) hold(ctx context.Context, ttl, renew time.Duration, cancel context.CancelFunc, log *slog.Logger) {
	for ctxtime.Sleep(ctx, renew) {
		got, err := s.acquire(ctx, ttl)
		if err != nil || !got {
			if ctx.Err() == nil {
				log.Warn("lease lost; stopping its work", "lease", s.Name, "error", err)
			}
			cancel()
			return
		}
	}
}

func (s *Singleton) acquire(ctx context.Context, ttl time.Duration) (bool, error) {
	actx, cancel := context.WithTimeout(ctx, ttl/2)
	defer cancel()
	return s.Leases.AcquireLease(actx, s.Name, s.Holder, ttl)
}

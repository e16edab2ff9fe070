// Package hublock keeps `shiphub reprocess` and running hubs apart on one
// database. A rebuild resets a workspace's canonical state and applies its
// inbox again without feed entries; a hub applying messages meanwhile would
// write feed entries for half-rebuilt shipments, or have its own work undone.
// So every running hub holds a lease of its own ("hub/<instance>"), and a
// reprocess holds the lease "reprocess": each takes its own lease first and
// then looks for the other's, so of two that start together at least one
// sees the other and refuses. Leases, not locks, so that a crashed process
// stops blocking the other after the lease's ttl.
package hublock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// Lease names.
const (
	// HubPrefix starts the name of every running hub's lease.
	HubPrefix = "hub/"
	// ReprocessName is the lease a running reprocess holds.
	ReprocessName = "reprocess"
)

// DefaultTTL is how long a lease outlives its holder's last renewal: after a
// crash the other side waits at most this long.
const DefaultTTL = 15 * time.Second

// Sentinel errors, checked with errors.Is.
var (
	// ErrHubRunning means a hub holds a lease on the database, so a
	// reprocess must not run.
	ErrHubRunning = errors.New("a hub is running on this database")
	// ErrReprocessRunning means a reprocess holds its lease, so neither a
	// hub nor a second reprocess may start.
	ErrReprocessRunning = errors.New("a reprocess is running on this database")
)

// Options tune a Lock.
type Options struct {
	// TTL is the lease's length; default DefaultTTL. It is renewed every
	// third of it.
	TTL time.Duration
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Metrics counts a recovered panic of the renewal. Optional.
	Metrics *metrics.Metrics
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Lock is a held lease, renewed in the background until Release.
type Lock struct {
	leases store.Coordination
	name   string
	holder string
	opts   Options

	cancel   context.CancelFunc
	done     chan struct{}
	lost     chan struct{}
	lostOnce sync.Once
	release  sync.Once
	relErr   error
}

// Hub takes the lease of a running hub for holder (its instance id). It
// fails with ErrReprocessRunning while a reprocess holds its lease, and then
// holds nothing.
func Hub(ctx context.Context, leases store.Coordination, holder string, opts Options) (*Lock, error) {
	l, err := take(ctx, leases, HubPrefix+holder, holder, opts)
	if err != nil {
		return nil, err
	}
	others, err := leases.LiveLeases(ctx, ReprocessName)
	if err == nil {
		others = exactly(others, ReprocessName)
	}
	if err != nil || len(others) > 0 {
		_ = l.Release(context.WithoutCancel(ctx))
		if err != nil {
			return nil, fmt.Errorf("checking for a running reprocess: %w", err)
		}
		o := others[0]
		return nil, fmt.Errorf("%w (holder %s, lease until %s); start the hub once it has finished, "+
			"or, if that reprocess was killed, once its lease has expired", ErrReprocessRunning, o.Holder, o.ExpiresAt.Format(time.RFC3339))
	}
	return l, nil
}

// Reprocess takes the reprocess lease for holder. It fails with
// ErrReprocessRunning while another reprocess runs and with ErrHubRunning
// while any hub runs on the database, and then holds nothing.
func Reprocess(ctx context.Context, leases store.Coordination, holder string, opts Options) (*Lock, error) {
	l, err := take(ctx, leases, ReprocessName, holder, opts)
	if errors.Is(err, errTaken) {
		held, lerr := leases.LiveLeases(ctx, ReprocessName)
		if lerr == nil {
			if held = exactly(held, ReprocessName); len(held) > 0 {
				return nil, fmt.Errorf("%w (holder %s, lease until %s)", ErrReprocessRunning, held[0].Holder, held[0].ExpiresAt.Format(time.RFC3339))
			}
		}
		return nil, ErrReprocessRunning
	}
	if err != nil {
		return nil, err
	}
	hubs, err := leases.LiveLeases(ctx, HubPrefix)
	if err != nil || len(hubs) > 0 {
		_ = l.Release(context.WithoutCancel(ctx))
		if err != nil {
			return nil, fmt.Errorf("checking for running hubs: %w", err)
		}
		names := make([]string, 0, len(hubs))
		last := hubs[0].ExpiresAt
		for _, h := range hubs {
			names = append(names, strings.TrimPrefix(h.Name, HubPrefix))
			if h.ExpiresAt.After(last) {
				last = h.ExpiresAt
			}
		}
		return nil, fmt.Errorf("%w (instance %s); stop every hub on it before reprocessing. "+
			"A hub that was killed rather than stopped holds its lease until %s", ErrHubRunning,
			strings.Join(names, ", "), last.Format(time.RFC3339))
	}
	return l, nil
}

// exactly keeps the leases named name (LiveLeases matches a prefix).
func exactly(leases []store.Lease, name string) []store.Lease {
	out := leases[:0]
	for _, l := range leases {
		if l.Name == name {
			out = append(out, l)
		}
	}
	return out
}

var errTaken = errors.New("lease is held by another holder")

// take acquires the lease and starts renewing it.
func take(ctx context.Context, leases store.Coordination, name, holder string, opts Options) (*Lock, error) {
	opts = opts.withDefaults()
	got, err := leases.AcquireLease(ctx, name, holder, opts.TTL)
	if err != nil {
		return nil, fmt.Errorf("taking lease %q: %w", name, err)
	}
	if !got {
		return nil, errTaken
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &Lock{leases: leases, name: name, holder: holder, opts: opts, cancel: cancel,
		done: make(chan struct{}), lost: make(chan struct{})}
	go l.renew(rctx)
	return l, nil
}

// renew renews the lease every third of its ttl. When a renewal fails for
// longer than the ttl, the lease may have gone to someone else: Lost is
// closed, and renewal goes on trying.
func (l *Lock) renew(ctx context.Context) {
	defer close(l.done)
	lastOK := time.Now()
	for ctxtime.Sleep(ctx, l.opts.TTL/3) {
		var got bool
		err := recovery.Do(func() (err error) {
			actx, cancel := context.WithTimeout(ctx, l.opts.TTL/3)
			defer cancel()
			got, err = l.leases.AcquireLease(actx, l.name, l.holder, l.opts.TTL)
			return err
		})
		recovery.Report(l.opts.Metrics, l.opts.Logger, "hublock", err, "lease", l.name)
		if ctx.Err() != nil {
			return
		}
		if err == nil && got {
			lastOK = time.Now()
			continue
		}
		l.opts.Logger.Warn("renewing lease failed", "lease", l.name, "error", err, "taken_by_another", err == nil && !got)
		if (err == nil && !got) || time.Since(lastOK) >= l.opts.TTL {
			l.lostOnce.Do(func() { close(l.lost) })
		}
	}
}

// Lost is closed when the lease may no longer be held: another holder has
// it, or renewals failed for longer than the ttl. Work that must not run
// without the lease (a reprocess) stops then.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Release stops renewing and gives the lease up. Later calls do nothing.
func (l *Lock) Release(ctx context.Context) error {
	l.release.Do(func() {
		l.cancel()
		<-l.done
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		l.relErr = l.leases.ReleaseLease(rctx, l.name, l.holder)
	})
	return l.relErr
}

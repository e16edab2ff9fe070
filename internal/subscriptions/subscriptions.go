// Package subscriptions keeps the webhook subscriptions that providers
// hold for shiphub (WICS: provider.SubscriptionKeeper) matching the
// configuration. For each such connection one hub instance at a time (a
// lease, "subscriptions/{workspace}/{connection}") makes them match when
// it takes the work over and the configuration differs from what was last
// applied, and then every Repair interval, so that a subscription deleted
// at the provider by hand comes back. What was last applied is a digest of
// the hook URL and the connector's subscription settings, kept in the
// connection's sync cursor "subscriptions" with the time it was applied:
// a restart with the same configuration within the hour sends nothing,
// and one with another configuration re-syncs at once.
package subscriptions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// CursorName is the sync cursor that records what was last applied.
const CursorName = "subscriptions"

// Defaults of Config.
const (
	DefaultRepair   = time.Hour
	DefaultRetryMin = time.Minute
	// minTurnWait is the shortest wait for a budget's turn.
	minTurnWait = 50 * time.Millisecond
)

// Digester is a keeper whose subscriptions depend on settings besides the
// hook URL (WICS: its topics and webshop): their digest is part of what is
// applied, so a change of them re-syncs.
type Digester interface {
	SubscriptionDigest() string
}

// Optional is a keeper that may be told not to keep its subscriptions
// (WICS: manage_subscriptions false); Eligible leaves it out then.
type Optional interface {
	KeepsSubscriptions() bool
}

// Eligible reports whether c's subscriptions are to be kept: it is a
// provider.SubscriptionKeeper that does not opt out (Optional).
func Eligible(c provider.Connector) (provider.SubscriptionKeeper, bool) {
	k, ok := c.(provider.SubscriptionKeeper)
	if !ok {
		return nil, false
	}
	if o, ok := c.(Optional); ok && !o.KeepsSubscriptions() {
		return nil, false
	}
	return k, true
}

// Target is one connection whose provider keeps subscriptions.
type Target struct {
	Workspace  string
	Connection string
	Keeper     provider.SubscriptionKeeper
}

// Config configures a Service.
type Config struct {
	// Cursors keeps what was last applied. Required.
	Cursors store.Cursors
	// Leases runs each connection's upkeep on one instance. Required.
	Leases store.Coordination
	// Holder is this instance's lease holder id. Required.
	Holder string
	// Targets are the connections to keep.
	Targets []Target
	// PublicURL is http.public_url, the hub's address as providers reach
	// it; a connection's hook URL is PublicURL + /hooks/{workspace}/{connection}.
	// Required (the server passes its listen address when it is not set).
	PublicURL string
	// Limiters returns the connection's rate budget; nil, or a nil
	// Limiter, means unlimited.
	Limiters func(workspace, connection string) provider.Limiter
	// Repair is how often the subscriptions are made to match even when
	// nothing changed; default 1h.
	Repair time.Duration
	// RetryMin is the first wait after a failure, doubled on each failure
	// in a row up to Repair; default 1m. A RetryAfterError waits as long as
	// it says, if longer.
	RetryMin time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Metrics counts recovered panics of the leases; nil counts nothing.
	Metrics *metrics.Metrics
}

// Validate checks the configuration, after defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Cursors == nil || c.Leases == nil || c.Holder == "" {
		errs = append(errs, errors.New("subscriptions: Cursors, Leases and Holder are required"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("subscriptions: PublicURL %q is not an absolute http(s) URL", c.PublicURL))
	}
	if c.Repair < time.Minute || c.RetryMin <= 0 {
		errs = append(errs, errors.New("subscriptions: Repair must be at least 1m and RetryMin positive"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Repair == 0 {
		c.Repair = DefaultRepair
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Service keeps the subscriptions of every target.
type Service struct {
	cfg    Config
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks the configuration and builds the service.
func New(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg}, nil
}

// HookURL is a connection's hook URL: the public URL and
// /hooks/{workspace}/{connection}, each id escaped as a path segment.
func HookURL(publicURL, workspace, connection string) string {
	return strings.TrimRight(publicURL, "/") + "/hooks/" + url.PathEscape(workspace) + "/" + url.PathEscape(connection)
}

// applied is the cursor's value.
type applied struct {
	Digest string `json:"digest"`
}

// digest is what the target's subscriptions depend on.
func (s *Service) digest(t Target) string {
	h := sha256.New()
	h.Write([]byte(HookURL(s.cfg.PublicURL, t.Workspace, t.Connection)))
	h.Write([]byte{0})
	if d, ok := t.Keeper.(Digester); ok {
		h.Write([]byte(d.SubscriptionDigest()))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Step makes one target's subscriptions match if they are due: when the
// cursor is missing, its digest differs from the configuration's, or
// Repair has passed since it was saved. It saves the cursor after a
// successful sync. It returns how long to wait before the next step, and
// whether it synced.
func (s *Service) Step(ctx context.Context, t Target, failures int) (wait time.Duration, synced bool, err error) {
	now := s.cfg.Now()
	want := s.digest(t)
	cur, err := s.cfg.Cursors.GetCursor(ctx, t.Workspace, t.Connection, CursorName)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.backoff(failures, err), false, err
	}
	if err == nil {
		var a applied
		if json.Unmarshal([]byte(cur.Value), &a) == nil && a.Digest == want {
			if next := cur.UpdatedAt.Add(s.cfg.Repair); next.After(now) {
				return next.Sub(now), false, nil
			}
		}
	}
	var l provider.Limiter
	if s.cfg.Limiters != nil {
		l = s.cfg.Limiters(t.Workspace, t.Connection)
	}
	hookURL := HookURL(s.cfg.PublicURL, t.Workspace, t.Connection)
	rep, err := t.Keeper.KeepSubscriptions(ctx, l, hookURL)
	log := s.cfg.Logger.With("workspace", t.Workspace, "connection", t.Connection)
	if err != nil {
		return s.backoff(failures, err), false, fmt.Errorf("keeping the subscriptions of %s/%s: %w", t.Workspace, t.Connection, err)
	}
	val, _ := json.Marshal(applied{Digest: want})
	if err := s.cfg.Cursors.SaveCursor(ctx, &store.Cursor{Workspace: t.Workspace, Connection: t.Connection, Name: CursorName, Value: string(val)}); err != nil {
		return s.backoff(failures, err), true, err
	}
	log.Info("webhook subscriptions match the configuration", "hook_url", hookURL,
		"created", rep.Created, "deleted", rep.Deleted, "kept", rep.Kept, "foreign", rep.Foreign)
	return s.cfg.Repair, true, nil
}

// backoff is the wait after the failures-th failure in a row (0-based).
// A budget that asked to wait (its turn behind commands or other background
// work, or a block at the provider) is no failure of the upkeep: it comes
// back when the budget said, without the failures' backoff.
func (s *Service) backoff(failures int, err error) time.Duration {
	var ra *provider.RetryAfterError
	if errors.As(err, &ra) && errors.Is(err, provider.ErrBudgetExhausted) {
		return max(ra.After, minTurnWait)
	}
	wait := min(s.cfg.RetryMin<<min(failures, 20), s.cfg.Repair)
	if errors.As(err, &ra) && ra.After > wait {
		wait = ra.After
	}
	return wait
}

// Start runs every target's upkeep under its lease until Stop.
func (s *Service) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	for _, t := range s.cfg.Targets {
		single := &coord.Singleton{Leases: s.cfg.Leases, Name: "subscriptions/" + t.Workspace + "/" + t.Connection,
			Holder: s.cfg.Holder, Logger: s.cfg.Logger, Metrics: s.cfg.Metrics}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			single.Run(ctx, func(ctx context.Context) { s.loop(ctx, t) })
		}()
	}
}

func (s *Service) loop(ctx context.Context, t Target) {
	failures := 0
	for ctx.Err() == nil {
		wait, _, err := s.Step(ctx, t, failures)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			s.cfg.Logger.Warn("making the webhook subscriptions match failed; trying again later",
				"workspace", t.Workspace, "connection", t.Connection, "retry_in", wait, "error", err)
		} else {
			failures = 0
		}
		if !ctxtime.Sleep(ctx, wait) {
			return
		}
	}
}

// Stop stops the upkeep and waits for it, or ctx.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the subscription upkeep: %w", ctx.Err())
	}
}

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// Sampler defaults.
const (
	DefaultSampleInterval = 5 * time.Second
	DefaultSampleTimeout  = 2 * time.Second
)

// SampledStore is what the sampler reads: the inbox counts and the
// disabled endpoints.
type SampledStore interface {
	InboxStats(ctx context.Context) (store.InboxStats, error)
	CountDisabledEndpoints(ctx context.Context) (int64, error)
}

var _ SampledStore = store.Store(nil)

// SamplerConfig configures a Sampler.
type SamplerConfig struct {
	// Store is read at every sample.
	Store SampledStore
	// Metrics holds the gauges the sampler sets.
	Metrics *metrics.Metrics
	// Interval is the time between samples; default 5s. The gauges are
	// this old at most, which is plenty for alerts that wait minutes.
	Interval time.Duration
	// Timeout bounds each query of a sample, so a slow database cannot pile
	// samples up; default 2s.
	Timeout time.Duration
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock the oldest pending message's age is measured on;
	// default time.Now.
	Now func() time.Time
}

func (c *SamplerConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = DefaultSampleInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultSampleTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration after defaults.
func (c *SamplerConfig) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("sampler: a store is required"))
	}
	if c.Metrics == nil {
		errs = append(errs, errors.New("sampler: metrics are required"))
	}
	return errors.Join(errs...)
}

// Sampler keeps the gauges that counters cannot give up to date from the
// store: the inbox backlog, the age of its oldest pending message, the
// failed messages and the disabled endpoints. Every instance sharing a
// database samples the same numbers; dashboards take max() over instances.
type Sampler struct {
	cfg    SamplerConfig
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewSampler builds a sampler; Start runs it.
func NewSampler(cfg SamplerConfig) (*Sampler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Sampler{cfg: cfg}, nil
}

// Start samples at once, so the gauges are right from the first scrape, and
// then every Interval until Stop or ctx ends.
func (s *Sampler) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			err := recovery.Do(func() error { return s.SampleOnce(ctx) })
			recovery.Report(s.cfg.Metrics, s.cfg.Logger, "sampler", err)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("sampling the store for the gauges failed; they keep their last values", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the sampler and waits for it, or ctx.
func (s *Sampler) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.once.Do(s.cancel)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SampleOnce reads the store and sets the gauges. A gauge whose query fails
// keeps its last value; the errors are joined.
func (s *Sampler) SampleOnce(ctx context.Context) error {
	var errs []error
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	st, err := s.cfg.Store.InboxStats(qctx)
	cancel()
	if err != nil {
		errs = append(errs, fmt.Errorf("sampling the inbox: %w", err))
	} else {
		m := s.cfg.Metrics
		m.InboxPending.Set(float64(st.Pending))
		m.InboxFailed.Set(float64(st.Failed))
		age := 0.0
		if st.Pending > 0 && !st.OldestPending.IsZero() {
			age = max(0, s.cfg.Now().Sub(st.OldestPending).Seconds())
		}
		m.InboxOldestPendingSeconds.Set(age)
	}
	qctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
	n, err := s.cfg.Store.CountDisabledEndpoints(qctx)
	cancel()
	if err != nil {
		errs = append(errs, fmt.Errorf("sampling the disabled endpoints: %w", err))
	} else {
		s.cfg.Metrics.EndpointsDisabled.Set(float64(n))
	}
	return errors.Join(errs...)
}

// observeParts is the gauge sampler of a hub instance.
type observeParts struct {
	// Sampler keeps the store's gauges up to date.
	Sampler *Sampler
}

// startSampler builds and starts the instance's sampler. Its configuration
// comes from a built server, so it cannot be invalid.
func (s *Server) startSampler(ctx context.Context) {
	smp, err := NewSampler(SamplerConfig{Store: s.Store, Metrics: s.Metrics, Logger: s.log})
	if err != nil {
		s.log.Error("the gauge sampler cannot start; the inbox and endpoint gauges stay at 0", "error", err)
		return
	}
	s.Sampler = smp
	smp.Start(context.WithoutCancel(ctx))
}

// stopSampler stops the sampler, if it runs.
func (s *Server) stopSampler(ctx context.Context) error {
	if s.Sampler == nil {
		return nil
	}
	if err := s.Sampler.Stop(ctx); err != nil {
		return fmt.Errorf("stopping the gauge sampler: %w", err)
	}
	return nil
}

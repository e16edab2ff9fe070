// Package server assembles a hub instance from its configuration: the store,
// the connections, the intake, the pipeline, the merchant API and the
// operational endpoints, on one HTTP listener.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/budget"
	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/httpx"
	"github.com/shiphub/shiphub/internal/hublock"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/open"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// Server is one running hub instance.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	Store    store.Store
	Conns    *connections.Set
	Pipeline *pipeline.Pipeline
	Pollers  *poll.Manager // runs the pull connections (GCL tracking)
	Metrics  *metrics.Metrics
	// Budgets are the providers' rate budgets, keyed by credential and
	// shared with every instance on the database (see budget.go).
	Budgets *budget.Registry
	ftpParts
	webhookParts
	unretriedParts
	observeParts
	commandParts
	subscriptionParts

	// instance names this process in leases.
	instance string
	hubLock  *hublock.Lock
	// started is set once Start succeeded: Stop stops the services only
	// then (a failed Start has stopped what it started).
	started bool
	retentionParts
	stuckParts
	connStatusParts
	webParts

	httpSrv  *http.Server
	listener net.Listener
	ready    atomic.Bool
	served   chan error
}

// New builds a hub instance from a validated configuration and opens its
// store (running migrations). Start serves it.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	registry.RegisterAll()
	conns, err := connections.Build(cfg)
	if err != nil {
		return nil, err
	}
	keyring, err := cfg.Keyring() // no key, no start: secrets must not be stored in clear
	if err != nil {
		return nil, err
	}
	st, err := open.Open(ctx, cfg.Database, open.WithSecrets(keyring))
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	s := &Server{cfg: cfg, log: log, Store: st, Conns: conns, Metrics: metrics.New(), instance: coord.NewInstanceID()}
	if err := s.buildBudgets(); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.Pipeline, err = pipeline.New(pipeline.Config{Store: st, Connections: conns, Metrics: s.Metrics, Logger: log})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	hooks, err := intake.NewHTTP(intake.HTTPConfig{
		Inbox: st, Connections: conns, MaxBodyBytes: cfg.Intake.MaxBodyBytes,
		Committed: s.Pipeline.Notify, Metrics: s.Metrics, Logger: log,
		Unretried: s.unretried(),
	})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildFTP(); err != nil {
		_ = st.Close()
		return nil, err
	}
	var keys []api.Key
	for _, w := range cfg.Workspaces {
		for _, k := range w.APIKeys {
			keys = append(keys, api.Key{Workspace: w.ID, Secret: k})
		}
	}
	s.Pollers, err = poll.NewManager(conns, provider.PollEnv{Store: st, Committed: s.Pipeline.Notify, Holder: s.instance, Logger: log, Metrics: s.Metrics, Limiters: s.LimiterFor})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildWebhooks(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildRetention(); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildStuck(); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildCommands(); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.buildConnStatus(); err != nil {
		_ = st.Close()
		return nil, err
	}
	merchant, err := api.New(api.Config{Store: st, Keys: keys, Logger: log, Trackers: s.Pollers, Webhooks: s.webhookOptions(),
		InboxRetried: s.Pipeline.Notify, PublicURL: cfg.HTTP.PublicURL,
		Connections: conns, Statuses: s.ConnStatus, Commands: s.Commands})
	if err != nil {
		_ = st.Close()
		return nil, err
	}

	if err := s.buildWeb(keys); err != nil {
		_ = st.Close()
		return nil, err
	}

	mux := http.NewServeMux()
	hooks.Register(mux)
	mux.Handle("/api/v1/", merchant.Handler())
	s.mountWeb(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, http.StatusNotFound, "no such resource")
	})
	s.httpSrv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !s.ready.Load() {
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "starting or stopping")
		return
	}
	if err := s.Store.Ping(ctx); err != nil {
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the database does not answer")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Start listens on the configured address (use port 0 for any) and serves
// until Stop. It is all or nothing: when any part fails to start (the hub
// lease, because a reprocess is running; the HTTP or FTP listener), what it
// had started is stopped again before it returns the error, so nothing is
// left running or listening.
func (s *Server) Start(ctx context.Context) (err error) {
	if s.started {
		return errors.New("server already started")
	}
	// undo stops what has started, newest first, when a later part fails.
	var undo []func(context.Context) error
	defer func() {
		if err == nil {
			return
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](stopCtx); uerr != nil {
				s.log.Warn("stopping a part after a failed start", "error", uerr)
			}
		}
		s.listener, s.hubLock = nil, nil
	}()

	// The parts that can fail come first, the background services after.
	lock, err := hublock.Hub(ctx, s.Store, s.instance, hublock.Options{Logger: s.log, Metrics: s.Metrics})
	if err != nil {
		return fmt.Errorf("starting the hub: %w", err)
	}
	s.hubLock = lock
	undo = append(undo, lock.Release)

	ln, err := net.Listen("tcp", s.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.HTTP.Listen, err)
	}
	s.listener = ln
	undo = append(undo, func(context.Context) error { return ln.Close() })

	if err := s.startFTP(ctx); err != nil {
		return err
	}
	undo = append(undo, s.stopFTP)
	if err := s.buildSubscriptions(); err != nil {
		return err
	}

	if err := s.startCommands(ctx); err != nil {
		return err
	}
	undo = append(undo, s.stopCommands)

	s.startLive(ctx)
	s.Pipeline.Start(context.WithoutCancel(ctx))
	s.startWebhooks(ctx)
	s.startSampler(ctx)
	s.Pollers.Start(context.WithoutCancel(ctx))
	s.startRetention(ctx)
	s.startStuck(ctx)
	s.startConnStatus(ctx)
	s.startSubscriptions(ctx)
	s.startInsights(ctx)

	s.served = make(chan error, 1)
	go func() { s.served <- s.httpSrv.Serve(ln) }()
	s.started = true
	s.ready.Store(true)
	s.log.Info("shiphub serving", "addr", ln.Addr().String(), "database", postgres.Redact(s.cfg.Database))
	return nil
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// URL is the server's base URL, once started.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Done reports the HTTP server ending on its own (a listener failure).
func (s *Server) Done() <-chan error { return s.served }

// Stop stops accepting requests, lets those in flight finish, stops the
// pipeline and the other services, gives up the hub lease and closes the
// store, which flushes pending commits. After a failed Start (or none) it
// only closes the store.
func (s *Server) Stop(ctx context.Context) error {
	s.ready.Store(false)
	var errs []error
	if s.started {
		s.started = false
		s.stopLive() // open streams end, or Shutdown would wait for them
		if err := s.httpSrv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("stopping HTTP: %w", err))
		}
		if err := s.stopFTP(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.stopRetention(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.stopStuck(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.stopConnStatus(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.stopSubscriptions(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.stopInsights(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.Pollers.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the pollers: %w", err))
		}
		if err := s.stopCommands(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.Pipeline.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the pipeline: %w", err))
		}
		if err := s.stopWebhooks(ctx); err != nil {
			errs = append(errs, err)
		}
		// Alerts of messages the courier will not send again are on their
		// way; they are the operator's only news of them.
		if s.unretriedRec != nil {
			if err := s.unretriedRec.Wait(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sending the unretried-failure alerts: %w", err))
			}
		}
		if err := s.hubLock.Release(ctx); err != nil {
			errs = append(errs, fmt.Errorf("releasing the hub lease: %w", err))
		}
	}
	errs = append(errs, s.stopSampler(ctx))
	if err := s.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing the store: %w", err))
	}
	return errors.Join(errs...)
}

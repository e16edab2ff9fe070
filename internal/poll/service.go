package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/store"
)

// Env is what a pull connector's service polls with.
type Env struct {
	Workspace  string
	Connection string
	// Store is the inbox every poll response is committed to, the trackers'
	// home and the shared coordination.
	Store store.Store
	// Committed wakes the pipeline after new messages were committed.
	Committed func()
	// Holder is this instance's lease holder id.
	Holder string
	// Logger is the structured logger.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Metrics counts provider requests, rate budgets and recovered panics;
	// nil counts nothing.
	Metrics *metrics.Metrics
}

// Service is a connection's background polling.
type Service interface {
	Start(ctx context.Context)
	Stop(ctx context.Context) error
	// Wake makes it look for due work now.
	Wake()
}

// Puller is a connector that pulls from its provider.
type Puller interface {
	// NewService builds the connection's polling service.
	NewService(env Env) (Service, error)
}

// ParcelTracker is a pull connector that keeps parcels current through
// trackers: the merchant API's POST /trackers accepts its connections.
type ParcelTracker interface {
	Puller
	// TracksParcels marks the capability.
	TracksParcels()
}

// Manager runs the polling services of every pull connection of a hub.
type Manager struct {
	services map[[2]string]Service
	trackers map[[2]string]bool
}

// NewManager builds a service for every connection whose connector is a
// Puller. env is the template: its Workspace and Connection are set per
// connection.
func NewManager(conns *connections.Set, env Env) (*Manager, error) {
	m := &Manager{services: map[[2]string]Service{}, trackers: map[[2]string]bool{}}
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	if env.Committed == nil {
		env.Committed = func() {}
	}
	var errs []error
	for _, c := range conns.All() {
		p, ok := c.Connector.(Puller)
		if !ok {
			continue
		}
		e := env
		e.Workspace, e.Connection = c.Workspace, c.ID
		e.Logger = env.Logger.With("workspace", c.Workspace, "connection", c.ID, "provider", c.Provider)
		svc, err := p.NewService(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("connection %s/%s: %w", c.Workspace, c.ID, err))
			continue
		}
		key := [2]string{c.Workspace, c.ID}
		m.services[key] = svc
		if _, ok := c.Connector.(ParcelTracker); ok {
			m.trackers[key] = true
		}
	}
	return m, errors.Join(errs...)
}

// CanTrack reports whether the workspace's connection accepts trackers.
func (m *Manager) CanTrack(workspace, connection string) bool {
	return m != nil && m.trackers[[2]string{workspace, connection}]
}

// Wake makes a connection's service look for due work now.
func (m *Manager) Wake(workspace, connection string) {
	if m == nil {
		return
	}
	if s, ok := m.services[[2]string{workspace, connection}]; ok {
		s.Wake()
	}
}

// Start starts every service.
func (m *Manager) Start(ctx context.Context) {
	for _, s := range m.services {
		s.Start(ctx)
	}
}

// Stop stops every service and waits for them, or ctx.
func (m *Manager) Stop(ctx context.Context) error {
	var errs []error
	for _, s := range m.services {
		if err := s.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

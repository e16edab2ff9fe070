package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/provider"
)

// Manager runs the polling services of every pull connection of a hub.
type Manager struct {
	services map[[2]string]provider.PollService
	trackers map[[2]string]bool
}

// NewManager builds a service for every connection whose connector is a
// provider.Puller. env is the template: its Workspace and Connection are set per
// connection.
func NewManager(conns *connections.Set, env provider.PollEnv) (*Manager, error) {
	m := &Manager{services: map[[2]string]provider.PollService{}, trackers: map[[2]string]bool{}}
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	if env.Committed == nil {
		env.Committed = func() {}
	}
	var errs []error
	for _, c := range conns.All() {
		p, ok := c.Connector.(provider.Puller)
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
		if _, ok := c.Connector.(provider.ParcelTracker); ok {
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

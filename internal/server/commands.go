package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/commands"
	"github.com/shiphub/shiphub/internal/metrics"
)

// commandParts is the command queue of a server.
type commandParts struct {
	// Commands sends merchants' commands to their providers; the merchant
	// API submits and retries through it (api.CommandQueue).
	Commands *commands.Queue
}

// buildCommands builds the command queue on the store's database; every
// attempt waits on its connection's rate budget (LimiterFor).
func (s *Server) buildCommands() error {
	db, ok := s.Store.(commands.Database)
	if !ok {
		return fmt.Errorf("the %T store cannot hold the command queue", s.Store)
	}
	q, err := commands.New(commands.Options{
		Store: s.Store, DB: db, Connections: s.Conns, Notify: s.Pipeline.Notify,
		Config: s.cfg.Commands, Limiters: s.LimiterFor, Metrics: metrics.NewCommandMetrics(s.Metrics.Registry), Logger: s.log,
	})
	if err != nil {
		return err
	}
	s.Commands = q
	return nil
}

// startCommands migrates River's tables and starts the workers.
func (s *Server) startCommands(ctx context.Context) error {
	if err := s.Commands.Start(ctx); err != nil {
		return fmt.Errorf("starting the command queue: %w", err)
	}
	return nil
}

// stopCommands lets the attempts in progress finish (or cancels them when
// ctx ends: their commands are sent again after a restart).
func (s *Server) stopCommands(ctx context.Context) error {
	if err := s.Commands.Stop(ctx); err != nil {
		return fmt.Errorf("stopping the command queue: %w", err)
	}
	return nil
}

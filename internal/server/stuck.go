package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/stuck"
)

// stuckParts is the stuck-shipment scan of a hub instance.
type stuckParts struct {
	// Stuck marks shipments without an update for too long
	// (dashboard.stuck_after) and adds their shipment.stuck events; it
	// runs on one instance at a time.
	Stuck *stuck.Service
}

// buildStuck builds the stuck scan from the configuration.
func (s *Server) buildStuck() error {
	d := s.cfg.Dashboard
	workspaces := make([]string, 0, len(s.cfg.Workspaces))
	for _, w := range s.cfg.Workspaces {
		workspaces = append(workspaces, w.ID)
	}
	svc, err := stuck.New(stuck.Config{
		Store: s.Store, Workspaces: workspaces, After: d.StuckAfter, Interval: d.StuckScanInterval,
		Holder: coord.NewInstanceID(), Notify: s.Deliver.Notify, Metrics: s.Metrics, Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("stuck scan: %w", err)
	}
	s.Stuck = svc
	return nil
}

func (s *Server) startStuck(ctx context.Context) {
	s.Stuck.Start(context.WithoutCancel(ctx))
}

func (s *Server) stopStuck(ctx context.Context) error {
	if s.Stuck == nil {
		return nil
	}
	return s.Stuck.Stop(ctx)
}

package server

import (
	"context"

	"github.com/shiphub/shiphub/internal/insights"
)

// buildInsights builds the service that keeps the insights page's
// snapshots of every configured workspace (package insights).
func (s *Server) buildInsights() error {
	var workspaces []string
	for _, w := range s.cfg.Workspaces {
		workspaces = append(workspaces, w.ID)
	}
	svc, err := insights.New(insights.Config{Store: s.Store, Workspaces: workspaces, Logger: s.log.With("component", "insights")})
	if err != nil {
		return err
	}
	s.Insights = svc
	return nil
}

// startInsights computes the snapshots in the background, when the
// dashboard is served.
func (s *Server) startInsights(ctx context.Context) {
	if s.Insights != nil {
		s.Insights.Start(ctx)
	}
}

func (s *Server) stopInsights(ctx context.Context) error {
	if s.Insights == nil {
		return nil
	}
	return s.Insights.Stop(ctx)
}

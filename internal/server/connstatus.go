package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/connstatus"
)

// connStatusParts keeps what GET /api/v1/connections shows.
type connStatusParts struct {
	// ConnStatus runs the connectors' health checks and answers the
	// connections' status.
	ConnStatus *connstatus.Tracker
}

// buildConnStatus builds the connection status tracker. The health checks
// wait on the connections' rate budgets, which show in the status.
func (s *Server) buildConnStatus() error {
	tr, err := connstatus.New(connstatus.Options{Connections: s.Conns, Store: s.Store, Logger: s.log,
		Limiters: s.LimiterFor, Budgets: s.Budgets.Status})
	if err != nil {
		return fmt.Errorf("connection status: %w", err)
	}
	s.ConnStatus = tr
	return nil
}

func (s *Server) startConnStatus(ctx context.Context) { s.ConnStatus.Start(ctx) }

func (s *Server) stopConnStatus(ctx context.Context) error {
	if s.ConnStatus == nil {
		return nil
	}
	return s.ConnStatus.Stop(ctx)
}

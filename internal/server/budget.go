package server

import (
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/budget"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// buildBudgets makes the instance's rate budget registry on the store, so
// that every connection with one credential, in every instance on the
// database, spends from one budget.
func (s *Server) buildBudgets() error {
	rates, ok := s.Store.(store.RateBudgets)
	if !ok {
		return errors.New("the database keeps no rate budgets")
	}
	reg, err := budget.New(budget.Options{Store: rates, Metrics: s.Metrics, Logger: s.log})
	if err != nil {
		return fmt.Errorf("making the rate budgets: %w", err)
	}
	// Hand every connection's limiter out now, so that Status knows each
	// budget's limits before the first request (GET /connections).
	for _, c := range s.Conns.All() {
		reg.ForConnector(c.Connector)
	}
	s.Budgets = reg
	return nil
}

// LimiterFor returns the rate limiter of a connection (budget.Unlimited for
// a connector without a budget), in the shape the command queue and the
// connection status take: func(workspace, connection) provider.Limiter.
func (s *Server) LimiterFor(workspace, connection string) provider.Limiter {
	c, ok := s.Conns.Lookup(workspace, connection)
	if !ok {
		return budget.Unlimited
	}
	return s.Budgets.ForConnector(c.Connector)
}

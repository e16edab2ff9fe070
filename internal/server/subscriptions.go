package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/store/open"
	"github.com/shiphub/shiphub/internal/subscriptions"
)

// subscriptionParts keeps the webhook subscriptions of the connections
// whose providers hold them (WICS), and gives the background work of the
// connections (subscriptions, WICS's reconciliation) their rate budgets.
type subscriptionParts struct {
	// Subscriptions keeps providers' webhook subscriptions matching the
	// configuration; nil when no connection has any.
	Subscriptions *subscriptions.Service
}

// buildSubscriptions builds the upkeep once the listener is up: the hook
// URL is http.public_url, or the address the hub listens on.
func (s *Server) buildSubscriptions() error {
	var targets []subscriptions.Target
	for _, c := range s.Conns.All() {
		if k, ok := subscriptions.Eligible(c.Connector); ok {
			targets = append(targets, subscriptions.Target{Workspace: c.Workspace, Connection: c.ID, Keeper: k})
		}
	}
	if len(targets) == 0 {
		return nil
	}
	cursors, err := open.Cursors(s.Store)
	if err != nil {
		return fmt.Errorf("webhook subscriptions: %w", err)
	}
	public := s.cfg.HTTP.PublicURL
	if public == "" {
		public = s.URL()
	}
	svc, err := subscriptions.New(subscriptions.Config{
		Cursors: cursors, Leases: s.Store, Holder: s.instance, Targets: targets, PublicURL: public,
		Limiters: s.LimiterFor, Logger: s.log, Metrics: s.Metrics,
	})
	if err != nil {
		return err
	}
	s.Subscriptions = svc
	return nil
}

func (s *Server) startSubscriptions(ctx context.Context) {
	if s.Subscriptions != nil {
		s.Subscriptions.Start(context.WithoutCancel(ctx))
	}
}

func (s *Server) stopSubscriptions(ctx context.Context) error {
	if s.Subscriptions == nil {
		return nil
	}
	return s.Subscriptions.Stop(ctx)
}

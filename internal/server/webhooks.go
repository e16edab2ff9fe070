package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/model"
)

// webhookParts is the merchant webhook delivery of a hub instance.
type webhookParts struct {
	// Deliver sends the feed to merchant endpoints.
	Deliver *deliver.Worker
}

// buildWebhooks syncs the configured endpoints into the store (idempotent,
// so every start and every instance may do it) and builds the worker.
func (s *Server) buildWebhooks(ctx context.Context) error {
	for i, w := range s.cfg.Workspaces {
		eps := make([]*model.Endpoint, 0, len(w.Endpoints))
		for _, e := range w.Endpoints {
			eps = append(eps, e.Model())
		}
		if err := s.Store.SyncConfigEndpoints(ctx, w.ID, eps); err != nil {
			return fmt.Errorf("workspaces[%d].endpoints: %w", i, err)
		}
	}
	dc := s.cfg.DeliverConfig()
	dc.Store, dc.Logger, dc.Metrics = s.Store, s.log, s.Metrics
	if mc, ok := s.cfg.MailConfig(); ok {
		mailer, err := deliver.NewMailer(mc)
		if err != nil {
			return err
		}
		dc.Alerter = mailer
	}
	w, err := deliver.New(dc)
	if err != nil {
		return err
	}
	s.Deliver = w
	return nil
}

// webhookOptions is what the merchant API's webhook routes need.
func (s *Server) webhookOptions() api.WebhookOptions {
	return api.WebhookOptions{
		AllowPrivateNetworks: s.cfg.Outbound.AllowPrivateNetworks,
		SecretGrace:          s.cfg.SecretGraceDuration(),
		Notify:               s.Deliver.Notify,
	}
}

func (s *Server) startWebhooks(ctx context.Context) { s.Deliver.Start(context.WithoutCancel(ctx)) }

func (s *Server) stopWebhooks(ctx context.Context) error {
	if err := s.Deliver.Stop(ctx); err != nil {
		return fmt.Errorf("stopping webhook delivery: %w", err)
	}
	return nil
}

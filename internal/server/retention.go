package server

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/retention"
)

// retentionParts is the retention policy of a hub instance.
type retentionParts struct {
	// Retention prunes finished rows past their retention; it runs on one
	// instance at a time.
	Retention *retention.Service
}

// buildRetention builds the retention service from the configuration.
func (s *Server) buildRetention() error {
	r := s.cfg.Retention
	svc, err := retention.New(retention.Config{
		Store: s.Store, Policy: r.Policy(), Interval: r.Interval, BatchSize: r.BatchSize,
		Holder: coord.NewInstanceID(), Metrics: s.Metrics, Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	s.Retention = svc
	return nil
}

func (s *Server) startRetention(ctx context.Context) {
	s.Retention.Start(context.WithoutCancel(ctx))
}

func (s *Server) stopRetention(ctx context.Context) error {
	if s.Retention == nil {
		return nil
	}
	return s.Retention.Stop(ctx)
}

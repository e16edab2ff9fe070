package server

import (
	"context"

	"github.com/shiphub/shiphub/internal/web"
)

// buildLive builds the dashboard's live stream (server-sent events of new
// feed entries) and keeps it in s.Live, for Start and Stop.
func (s *Server) buildLive() *web.Live {
	s.Live = web.NewLive(web.LiveConfig{Store: s.Store, Logger: s.log})
	return s.Live
}

// startLive lets the dashboard's pages subscribe to the live stream.
func (s *Server) startLive(ctx context.Context) {
	if s.Live != nil {
		s.Live.Start(context.WithoutCancel(ctx))
	}
}

// stopLive ends the open live streams. It runs before the HTTP server
// shuts down, which would otherwise wait for them until its deadline.
func (s *Server) stopLive() {
	if s.Live != nil {
		s.Live.Stop()
	}
}

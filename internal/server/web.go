package server

import (
	"context"
	"net/http"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/web"
)

// webParts is the dashboard (package web).
type webParts struct {
	UI *web.UI
	// Live streams new feed entries to the dashboard's open pages.
	Live *web.Live
}

// buildWeb builds the dashboard, unless it is disabled.
func (s *Server) buildWeb(keys []api.Key) error {
	if s.cfg.Dashboard.Disabled {
		return nil
	}
	s.Live = web.NewLive(web.LiveConfig{Store: s.Store, Logger: s.log})
	ui, err := web.New(web.Config{
		Store:           s.Store,
		Keys:            keys,
		Logger:          s.log,
		SessionLifetime: s.cfg.Dashboard.SessionLifetime,
		SignInPerMinute: s.cfg.Dashboard.SignInPerMinute,
		DemoKey:         s.cfg.Dashboard.DemoKey,
		Commands:        s.Commands,
		Statuses:        s.ConnStatus,
		DeliveryRetried: s.Deliver.Notify,
		Live:            s.Live,
	})
	if err != nil {
		return err
	}
	s.UI = ui
	return nil
}

// mountWeb serves the dashboard at /ui/ and sends a browser asking for
// the root there.
func (s *Server) mountWeb(mux *http.ServeMux) {
	if s.UI == nil {
		return
	}
	mux.Handle(web.Prefix, s.UI.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, web.Prefix, http.StatusFound)
	})
}

// startWeb starts the dashboard's live stream.
func (s *Server) startWeb(ctx context.Context) {
	if s.Live != nil {
		s.Live.Start(context.WithoutCancel(ctx))
	}
}

// stopWeb ends the live streams. It runs before the HTTP server shuts
// down, which would otherwise wait for the open streams until its
// deadline.
func (s *Server) stopWeb() {
	if s.Live != nil {
		s.Live.Stop()
	}
}

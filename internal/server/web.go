package server

import (
	"net/http"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/insights"
	"github.com/shiphub/shiphub/internal/web"
)

// webParts is the dashboard (package web).
type webParts struct {
	// Live streams new feed entries to the dashboard's open pages (weblive.go).
	Live *web.Live

	UI *web.UI
	// Insights keeps the insights page's snapshots (insights.go).
	Insights *insights.Service
}

// buildWeb builds the dashboard, unless it is disabled.
func (s *Server) buildWeb(keys []api.Key) error {
	if s.cfg.Dashboard.Disabled {
		return nil
	}
	if err := s.buildInsights(); err != nil {
		return err
	}
	ui, err := web.New(web.Config{
		Store:           s.Store,
		Keys:            keys,
		Logger:          s.log,
		SessionLifetime: s.cfg.Dashboard.SessionLifetime,
		SignInPerMinute: s.cfg.Dashboard.SignInPerMinute,
		DemoKey:         s.cfg.Dashboard.DemoKey,
		Live:            s.buildLive(),
		Commands:        s.Commands,
		Statuses:        s.ConnStatus,
		DeliveryRetried: s.Deliver.Notify,
		Connections:     s.webConnections,
		Insights:        s.Insights,
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

// webConnections lists a workspace's configured connections for the
// dashboard's filters.
func (s *Server) webConnections(workspace string) []web.ConnInfo {
	var out []web.ConnInfo
	for _, w := range s.cfg.Workspaces {
		if w.ID != workspace {
			continue
		}
		for _, c := range w.Connections {
			out = append(out, web.ConnInfo{ID: c.ID, Provider: c.Provider})
		}
	}
	return out
}

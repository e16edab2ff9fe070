package web

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// inboundFuncs are the template functions of the inbound pages.
var inboundFuncs = template.FuncMap{
	// inboundTotals sums the expected and received quantities of the lines.
	"inboundTotals": func(lines []model.InboundLine) [2]float64 {
		var t [2]float64
		for _, l := range lines {
			t[0] += l.Expected
			t[1] += l.Received
		}
		return t
	},
}

// inboundListPage is the data of /ui/inbound.
type inboundListPage struct {
	Page
	fulFilters
	Statuses []model.InboundStatus
	Inbound  []*model.Inbound
	fulList
}

// inboundPage is the data of /ui/inbound/{id}.
type inboundPage struct {
	Page
	// CanRetry shows a retry button on failed and dead commands (the
	// commands page's POST /ui/commands/{id}/retry).
	CanRetry bool
	Inbound  *model.Inbound
	Commands []*model.Command
}

// routesInbound registers the inbound pages.
func (u *UI) routesInbound(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/inbound", u.authed(u.inboundList))
	mux.HandleFunc("GET /ui/inbound/{id}", u.authed(u.inboundDetail))
}

func (u *UI) inboundList(w http.ResponseWriter, r *http.Request) {
	before, f, err := fulListFilters(r, model.InboundStatuses, "an inbound status")
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	d := inboundListPage{Page: u.page(r, "Inbound goods", "inbound"), fulFilters: f, Statuses: model.InboundStatuses}
	list, err := u.cfg.Store.ListInbound(r.Context(), store.InboundFilter{
		Workspace: workspace(r), Reference: d.Q, Status: model.InboundStatus(d.Status), Connection: d.Connection,
		BeforeID: before, Limit: fulPageSize + 1,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing inbound goods: %w", err))
		return
	}
	d.Inbound, d.fulList = fulPage(r, list, func(x *model.Inbound) int64 { return x.ID })
	u.fulRender(w, r, "inbound", "inbound-rows", d)
}

func (u *UI) inboundDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := fulID(r)
	if !ok {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	in, err := u.cfg.Store.GetInbound(r.Context(), ws, id)
	if err == nil && in.Workspace != ws {
		err = store.ErrNotFound
	}
	if err != nil {
		u.fail(w, r, fmt.Errorf("getting inbound goods %d: %w", id, err))
		return
	}
	title := "Inbound " + in.Reference
	if in.Reference == "" {
		title = "Inbound " + in.ProviderRef
	}
	d := inboundPage{Page: u.page(r, title, "inbound"), Inbound: in, CanRetry: u.cfg.Commands != nil}
	d.Commands, err = u.cfg.Store.ListCommands(r.Context(), store.CommandFilter{
		Workspace: ws, Kind: model.CommandInboundCreate, SubjectID: in.ID, Limit: fulPageSize,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing the commands of inbound goods %d: %w", id, err))
		return
	}
	u.fulRender(w, r, "inbounditem", "inbound-body", d)
}

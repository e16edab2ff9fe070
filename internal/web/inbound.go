package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

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
	Q, Status, Connection string
	Statuses              []model.InboundStatus
	Inbound               []*model.Inbound
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
	before, err := fulBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	q := r.URL.Query()
	d := inboundListPage{
		Page: u.page(r, "Inbound goods", "inbound"),
		Q:    strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Connection: strings.TrimSpace(q.Get("connection")),
		Statuses: model.InboundStatuses,
	}
	if d.Status != "" && !fulValidStatus(model.InboundStatuses, model.InboundStatus(d.Status)) {
		u.badRequest(w, r, fmt.Sprintf("%q is not an inbound status", d.Status))
		return
	}
	list, err := u.cfg.Store.ListInbound(r.Context(), store.InboundFilter{
		Workspace: workspace(r), Reference: d.Q, Status: model.InboundStatus(d.Status), Connection: d.Connection,
		BeforeID: before, Limit: fulPageSize + 1,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing inbound goods: %w", err))
		return
	}
	more := len(list) > fulPageSize
	var next string
	if more {
		list = list[:fulPageSize]
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	d.Inbound, d.fulList = list, fulPaging(r, more, next)
	if fulPartial(r) {
		u.renderFragment(w, r, "inbound", "inbound-rows", d)
		return
	}
	u.render(w, r, "inbound", d)
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
	if fulPartial(r) {
		u.renderFragment(w, r, "inbounditem", "inbound-body", d)
		return
	}
	u.render(w, r, "inbounditem", d)
}

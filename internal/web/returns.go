package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// returnsFuncs are the template functions of the returns pages.
var returnsFuncs = template.FuncMap{}

// returnsPage is the data of /ui/returns.
type returnsPage struct {
	Page
	fulFilters
	Statuses []model.ReturnStatus
	Returns  []*model.Return
	fulList
}

// returnPage is the data of /ui/returns/{id}.
type returnPage struct {
	Page
	// CanRetry shows a retry button on failed and dead commands (the
	// commands page's POST /ui/commands/{id}/retry).
	CanRetry bool
	Return   *model.Return
	// HasLabel is whether /ui/returns/{id}/label serves a label.
	HasLabel bool
	Commands []*model.Command
}

// routesReturns registers the returns pages.
func (u *UI) routesReturns(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/returns", u.authed(u.returnsList))
	mux.HandleFunc("GET /ui/returns/{id}", u.authed(u.returnDetail))
	mux.HandleFunc("GET /ui/returns/{id}/label", u.authed(u.returnLabel))
}

func (u *UI) returnsList(w http.ResponseWriter, r *http.Request) {
	before, f, err := fulListFilters(r, model.ReturnStatuses, "a return status")
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	d := returnsPage{Page: u.page(r, "Returns", "returns"), fulFilters: f, Statuses: model.ReturnStatuses}
	list, err := u.cfg.Store.ListReturns(r.Context(), store.ReturnFilter{
		Workspace: workspace(r), Reference: d.Q, Status: model.ReturnStatus(d.Status), Connection: d.Connection,
		BeforeID: before, Limit: fulPageSize + 1,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing returns: %w", err))
		return
	}
	d.Returns, d.fulList = fulPage(r, list, func(x *model.Return) int64 { return x.ID })
	u.fulRender(w, r, "returns", "returns-rows", d)
}

// loadReturn reads a return of the session's workspace; another
// workspace's is not found.
func (u *UI) loadReturn(r *http.Request) (*model.Return, error) {
	id, ok := fulID(r)
	if !ok {
		return nil, store.ErrNotFound
	}
	ws := workspace(r)
	ret, err := u.cfg.Store.GetReturn(r.Context(), ws, id)
	if err == nil && ret.Workspace != ws {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("getting return %d: %w", id, err)
	}
	return ret, nil
}

func (u *UI) returnDetail(w http.ResponseWriter, r *http.Request) {
	ret, err := u.loadReturn(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	title := "Return " + ret.ProviderRef
	if ret.ProviderRef == "" {
		title = "Return of " + ret.Reference
	}
	_, hasLabel := api.ResolveReturnLabel(ret.Label)
	d := returnPage{Page: u.page(r, title, "returns"), Return: ret, HasLabel: hasLabel, CanRetry: u.cfg.Commands != nil}
	d.Commands, err = u.cfg.Store.ListCommands(r.Context(), store.CommandFilter{
		Workspace: ret.Workspace, Kind: model.CommandReturnCreate, SubjectID: ret.ID, Limit: fulPageSize,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing the commands of return %d: %w", ret.ID, err))
		return
	}
	u.fulRender(w, r, "return", "return-body", d)
}

// returnLabel serves a return's label as the API does (GET
// /returns/{id}/label): the PDF the hub keeps, or a redirect to the
// provider's address; 404 when there is none.
func (u *UI) returnLabel(w http.ResponseWriter, r *http.Request) {
	ret, err := u.loadReturn(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	l, ok := api.ResolveReturnLabel(ret.Label)
	if !ok {
		u.notFound(w, r)
		return
	}
	if l.Location != "" {
		http.Redirect(w, r, l.Location, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", l.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=\"return-%d-label.pdf\"", ret.ID))
	w.Header().Set("Content-Length", strconv.Itoa(len(l.Data)))
	_, _ = w.Write(l.Data)
}

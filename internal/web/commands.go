package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The commands page (/ui/commands) lists the workspace's commands, the
// failed and dead ones by default (the ones that need an operator), with a
// retry button on each when the hub has a command queue. Its table body
// reloads on the live stream's "command" events (hx-trigger sse:command).

// commandsFuncs are the template functions of the commands pages.
var commandsFuncs = template.FuncMap{
	// opsCommandSubject is the page of a command's subject, or "".
	"opsCommandSubject": func(c *model.Command) string {
		resource, _, _ := strings.Cut(string(c.Kind), ".")
		return opsResourcePath(resource, c.SubjectID)
	},
	// opsSubjectKind is the resource a command's kind is about.
	"opsSubjectKind": func(k model.CommandKind) string {
		resource, _, _ := strings.Cut(string(k), ".")
		return resource
	},
}

// commandFilters are the status filter's choices; "problems" (failed and
// dead) is the default.
var commandFilters = []string{"problems", "all", "queued", "running", "succeeded", "failed", "dead"}

type commandRow struct {
	C     *model.Command
	CSRF  string
	Retry bool
	Back  string
}

type commandsPage struct {
	Page
	Rows       []commandRow
	Status     string
	Connection string
	Filters    []string
	Next       string
	// Rows is the fragment's URL, for the live reload of the table body.
	RowsURL string
}

// routesCommands registers the commands pages.
func (u *UI) routesCommands(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/commands", u.authed(u.commandsPage))
	mux.HandleFunc("GET /ui/commands/rows", u.authed(u.commandsPage))
	mux.HandleFunc("POST /ui/commands/{id}/retry", u.authed(u.retryCommand))
}

func (u *UI) commandsPage(w http.ResponseWriter, r *http.Request) {
	ctx, ws, q := r.Context(), workspace(r), r.URL.Query()
	data := commandsPage{Page: u.page(r, "Commands", "commands"), Status: cmp.Or(q.Get("status"), "problems"),
		Connection: q.Get("connection"), Filters: commandFilters}
	if !slices.Contains(commandFilters, data.Status) {
		u.badRequest(w, r, "status must be one of "+strings.Join(commandFilters, ", "))
		return
	}
	before, err := opsBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	var statuses []model.CommandStatus
	switch data.Status {
	case "problems":
		statuses = []model.CommandStatus{model.CommandFailed, model.CommandDead}
	case "all":
		statuses = []model.CommandStatus{""}
	default:
		statuses = []model.CommandStatus{model.CommandStatus(data.Status)}
	}
	// Each status is its own indexed listing (workspace, status, id); the
	// pages merge by id, newest first, so keyset paging still holds.
	var list []*model.Command
	for _, st := range statuses {
		part, err := u.cfg.Store.ListCommands(ctx, store.CommandFilter{Workspace: ws, Status: st, Connection: data.Connection, BeforeID: before, Limit: opsPageLimit + 1})
		if err != nil {
			u.fail(w, r, fmt.Errorf("listing commands: %w", err))
			return
		}
		list = append(list, part...)
	}
	slices.SortFunc(list, func(a, b *model.Command) int { return cmp.Compare(b.ID, a.ID) })
	v := url.Values{}
	if data.Status != "problems" {
		v.Set("status", data.Status)
	}
	if data.Connection != "" {
		v.Set("connection", data.Connection)
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	self := "/ui/commands"
	if len(v) > 0 {
		self += "?" + v.Encode()
	}
	data.RowsURL = "/ui/commands/rows"
	if len(v) > 0 {
		data.RowsURL += "?" + v.Encode()
	}
	if len(list) > opsPageLimit {
		list = list[:opsPageLimit]
		v.Set("before", strconv.FormatInt(list[len(list)-1].ID, 10))
		data.Next = "/ui/commands?" + v.Encode()
	}
	for _, c := range list {
		if c.Workspace != ws {
			continue
		}
		data.Rows = append(data.Rows, commandRow{C: c, CSRF: data.CSRF, Back: self,
			Retry: u.cfg.Commands != nil && (c.Status == model.CommandFailed || c.Status == model.CommandDead)})
	}
	if r.URL.Path == "/ui/commands/rows" {
		u.renderFragment(w, r, "commands", "command-rows", data)
		return
	}
	u.render(w, r, "commands", data)
}

func (u *UI) retryCommand(w http.ResponseWriter, r *http.Request) {
	id, ok := opsPathID(r)
	if !ok || u.cfg.Commands == nil {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	back := opsBack(r, "/ui/commands")
	_, err := u.cfg.Commands.Retry(r.Context(), ws, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.notFound(w, r)
	case errors.Is(err, store.ErrConflict):
		redirect(w, r, opsFlash(back, fmt.Sprintf("Command %d is not retryable: only failed and dead commands are.", id)))
	case err != nil:
		u.fail(w, r, fmt.Errorf("retrying command %d: %w", id, err))
	default:
		u.log.Info("dashboard retried a command", "workspace", ws, "command", id)
		redirect(w, r, opsFlash(back, fmt.Sprintf("Command %d is queued again.", id)))
	}
}

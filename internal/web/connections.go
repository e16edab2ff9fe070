package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The connections page (/ui/connections) shows every configured
// connection of the workspace as a card (section.connection): its health
// as a symbol and a word, when it was last heard from, its last intake
// error and, for rate-limited providers, its budget as two <meter>s with
// the numbers as text (a meter needs no colour to be read), and the
// provider's block while it lasts. Below, the intake errors of the
// workspace (files the intake refused, with their quarantine file), paged
// and filtered by connection.

// connectionsFuncs are the template functions of the connections pages.
var connectionsFuncs = template.FuncMap{
	// opsHealthSymbol is the symbol that goes with a health state's word.
	"opsHealthSymbol": func(status string) string {
		switch status {
		case model.HealthHealthy:
			return "✓"
		case model.HealthUnhealthy:
			return "✗"
		}
		return "?"
	},
	// opsFuture reports whether t is after now.
	"opsFuture": func(now time.Time, t *time.Time) bool { return t != nil && t.After(now) },
	// opsIn is how long until t, for people.
	"opsIn": func(now, t time.Time) string { return opsUntil(t.Sub(now)) },
	// opsBody is the readable start of a refused message's bytes.
	"opsBody": func(b []byte) string { return opsExcerpt(string(b), intakeExcerpt) },
	// opsLow is where a budget meter turns "low": a fifth of its maximum.
	"opsLow": func(max int) int { return max / 5 },
	// opsBytes formats a size.
	"opsBytes": func(n int64) string {
		switch {
		case n < 1<<10:
			return fmt.Sprintf("%d B", n)
		case n < 1<<20:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	},
}

// intakeExcerpt is how many bytes of a refused message the page shows.
const intakeExcerpt = 2000

func opsUntil(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("in %ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("in %dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("in %dh", int(d.Hours()))
	}
	return fmt.Sprintf("in %dd", int(d.Hours()/24))
}

type connectionsPage struct {
	Page
	// Known is false when the hub has no connection statuses (no
	// Config.Statuses).
	Known       bool
	Connections []*model.ConnectionStatus
	Errors      []*model.IntakeError
	Connection  string
	Next        string
}

// routesConnections registers the connections pages.
func (u *UI) routesConnections(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/connections", u.authed(u.connectionsPage))
	mux.HandleFunc("GET /ui/connections/cards", u.authed(u.connectionCards))
}

// connectionCards renders the connections' cards alone: the page reloads
// them every 30 s (health, last message and budget change all the time).
func (u *UI) connectionCards(w http.ResponseWriter, r *http.Request) {
	data := connectionsPage{Page: u.page(r, "Connections", "connections")}
	if err := u.readConnections(r, &data); err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderFragment(w, r, "connections", "connection-cards", data)
}

// readConnections fills in the connections' status, when the hub has them.
func (u *UI) readConnections(r *http.Request, data *connectionsPage) error {
	if u.cfg.Statuses == nil {
		return nil
	}
	data.Known = true
	list, err := u.cfg.Statuses.Connections(r.Context(), workspace(r))
	if err != nil {
		return fmt.Errorf("reading the connections' status: %w", err)
	}
	for _, c := range list {
		if c.Workspace == "" || c.Workspace == workspace(r) {
			data.Connections = append(data.Connections, c)
		}
	}
	return nil
}

func (u *UI) connectionsPage(w http.ResponseWriter, r *http.Request) {
	ctx, ws := r.Context(), workspace(r)
	data := connectionsPage{Page: u.page(r, "Connections", "connections"), Connection: r.URL.Query().Get("connection")}
	before, err := opsBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	if err := u.readConnections(r, &data); err != nil {
		u.fail(w, r, err)
		return
	}
	list, err := u.cfg.Store.ListIntakeErrors(ctx, store.IntakeErrorFilter{Workspace: ws, Connection: data.Connection, BeforeID: before, Limit: opsPageLimit + 1})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing intake errors: %w", err))
		return
	}
	if len(list) > opsPageLimit {
		list = list[:opsPageLimit]
		v := url.Values{"before": {strconv.FormatInt(list[len(list)-1].ID, 10)}}
		if data.Connection != "" {
			v.Set("connection", data.Connection)
		}
		data.Next = "/ui/connections?" + v.Encode() + "#intake-errors-heading"
	}
	for _, e := range list {
		if e.Workspace == ws {
			data.Errors = append(data.Errors, e)
		}
	}
	u.render(w, r, "connections", data)
}

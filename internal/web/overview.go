package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// overviewFuncs are the template functions of the overview pages.
var overviewFuncs = template.FuncMap{
	// ovNum writes a count with thousands separators: 12,345.
	"ovNum": ovNum,
	// ovLabel turns a status name into words: in_transit → In transit.
	"ovLabel": ovLabel,
}

func ovNum(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ovLabel(status string) string {
	s := strings.ReplaceAll(status, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// needsLimit is how many items each "needs action" group shows.
const needsLimit = 10

// listLimit is the page size of the overview's see-all lists.
const listLimit = 50

// ovCard is one resource's counts by status.
type ovCard struct {
	ID, Title, Link string
	Total           int64
	Counts          []ovCount
}

// ovCount is one status's count, linking to the list filtered by it.
type ovCount struct {
	Status string
	N      int64
	Href   string
}

// ovGroup is one kind of thing that needs action.
type ovGroup struct {
	ID, Title string
	// Count is how many there are in all; Items the first few.
	Count  int64
	SeeAll string
	Items  []ovItem
	// More is set when there are more than Items.
	More bool
	// Unknown is set when the count could not be known (no source).
	Unknown bool
}

// ovItem is one thing that needs action, linking to its page.
type ovItem struct {
	Href, Text, Detail, Status string
	At                         time.Time
}

// overviewPage is the data of the overview.
type overviewPage struct {
	Page
	Cards []ovCard
	Needs []ovGroup
}

// routesOverview registers the overview and its see-all lists.
func (u *UI) routesOverview(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/{$}", u.authed(u.overview))
	mux.HandleFunc("GET /ui/stuck", u.authed(u.overviewShipmentList("stuck", "Stuck shipments",
		"No update for longer than their status allows (dashboard.stuck_after); their next update ends it.",
		func(r *http.Request, before int64) ([]*model.Shipment, error) {
			return u.cfg.Store.ListStuck(r.Context(), workspace(r), before, listLimit)
		})))
	mux.HandleFunc("GET /ui/action-required", u.authed(u.overviewShipmentList("action-required", "Shipments that need action",
		"Their current status asks the merchant to act.",
		func(r *http.Request, before int64) ([]*model.Shipment, error) {
			return u.cfg.Store.ListActionRequired(r.Context(), workspace(r), before, listLimit)
		})))
}

// overview answers the overview page, or one of its fragments
// (?fragment=counts or ?fragment=needs) for the live refresh.
func (u *UI) overview(w http.ResponseWriter, r *http.Request) {
	ctx, ws := r.Context(), workspace(r)
	fragment := r.URL.Query().Get("fragment")
	switch fragment {
	case "", "counts", "needs":
	default:
		u.badRequest(w, r, "Unknown fragment.")
		return
	}
	counts, err := u.cfg.Store.CountOverview(ctx, ws)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data := overviewPage{Page: u.page(r, "Overview", "overview")}
	if fragment != "needs" {
		data.Cards = overviewCards(counts)
	}
	if fragment != "counts" {
		if data.Needs, err = u.needsAction(r, counts); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	switch fragment {
	case "counts":
		u.renderFragment(w, r, "overview", "overview-counts", data)
	case "needs":
		u.renderFragment(w, r, "overview", "overview-needs", data)
	default:
		u.render(w, r, "overview", data)
	}
}

// statusCounts lists a map's counts in the order of statuses, leaving out
// the zeros, and any status the list does not know after them.
func statusCounts[S ~string](statuses []S, m map[S]int64, link string) (list []ovCount, total int64) {
	seen := map[S]bool{}
	add := func(s S) {
		n := m[s]
		seen[s] = true
		if n == 0 {
			return
		}
		total += n
		list = append(list, ovCount{Status: string(s), N: n, Href: link + "?status=" + url.QueryEscape(string(s))})
	}
	for _, s := range statuses {
		add(s)
	}
	for s := range m {
		if !seen[s] {
			add(s)
		}
	}
	return list, total
}

func overviewCards(c *store.OverviewCounts) []ovCard {
	card := func(id, title, link string, list []ovCount, total int64) ovCard {
		return ovCard{ID: id, Title: title, Link: link, Total: total, Counts: list}
	}
	sh, shN := statusCounts(model.Statuses, c.Shipments, "/ui/shipments")
	or, orN := statusCounts(model.OrderStatuses, c.Orders, "/ui/orders")
	in, inN := statusCounts(model.InboundStatuses, c.Inbound, "/ui/inbound")
	re, reN := statusCounts(model.ReturnStatuses, c.Returns, "/ui/returns")
	co, coN := statusCounts(model.CommandStatuses, c.Commands, "/ui/commands")
	return []ovCard{
		card("count-shipments", "Shipments", "/ui/shipments", sh, shN),
		card("count-orders", "Orders", "/ui/orders", or, orN),
		card("count-inbound", "Inbound goods", "/ui/inbound", in, inN),
		card("count-returns", "Returns", "/ui/returns", re, reN),
		card("count-commands", "Commands", "/ui/commands", co, coN),
	}
}

func shipmentItems(list []*model.Shipment, at func(*model.Shipment) time.Time) []ovItem {
	out := make([]ovItem, 0, len(list))
	for _, sh := range list {
		detail := sh.Connection
		if sh.Substatus != "" {
			detail += " · " + ovLabel(sh.Substatus)
		}
		if sh.ActionRequired {
			detail += " · action required"
		}
		out = append(out, ovItem{Href: fmt.Sprintf("/ui/shipments/%d", sh.ID), Text: shipmentName(sh), Detail: detail, Status: string(sh.Status), At: at(sh)})
	}
	return out
}

// shipmentName is how a shipment is named in a list: its tracking number,
// or its provider reference.
func shipmentName(sh *model.Shipment) string {
	if sh.TrackingNumber != "" && sh.TrackingNumber != sh.ProviderRef {
		return sh.ProviderRef + " (" + sh.TrackingNumber + ")"
	}
	return sh.ProviderRef
}

// joinDetail joins the parts of an item's detail line that are not empty.
func joinDetail(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " · ")
}

func statusAt(sh *model.Shipment) time.Time  { return sh.At }
func updatedAt(sh *model.Shipment) time.Time { return sh.UpdatedAt }

// needsAction reads the first few of everything that needs action. Each
// read is one index range of at most needsLimit rows.
func (u *UI) needsAction(r *http.Request, c *store.OverviewCounts) ([]ovGroup, error) {
	ctx, ws, st := r.Context(), workspace(r), u.cfg.Store
	var groups []ovGroup

	for _, g := range []struct {
		id, title string
		status    model.Status
	}{
		{"needs-exception", "Exceptions", model.StatusException},
		{"needs-failed-attempt", "Failed delivery attempts", model.StatusFailedAttempt},
	} {
		list, err := st.ListShipments(ctx, store.ShipmentFilter{Workspace: ws, Status: g.status, Limit: needsLimit})
		if err != nil {
			return nil, err
		}
		groups = append(groups, ovGroup{ID: g.id, Title: g.title, Count: c.Shipments[g.status],
			SeeAll: "/ui/shipments?status=" + string(g.status), Items: shipmentItems(list, statusAt)})
	}

	actionable, err := st.ListActionRequired(ctx, ws, 0, needsLimit)
	if err != nil {
		return nil, err
	}
	groups = append(groups, ovGroup{ID: "needs-action-required", Title: "Action required", Count: c.ActionRequired,
		SeeAll: "/ui/action-required", Items: shipmentItems(actionable, statusAt)})

	stuck, err := st.ListStuck(ctx, ws, 0, needsLimit)
	if err != nil {
		return nil, err
	}
	groups = append(groups, ovGroup{ID: "needs-stuck", Title: "Stuck shipments", Count: c.Stuck,
		SeeAll: "/ui/stuck", Items: shipmentItems(stuck, updatedAt)})

	for _, g := range []struct {
		id, title string
		status    model.CommandStatus
	}{
		{"needs-dead-commands", "Dead commands", model.CommandDead},
		{"needs-failed-commands", "Failed commands (retrying)", model.CommandFailed},
	} {
		list, err := st.ListCommands(ctx, store.CommandFilter{Workspace: ws, Status: g.status, Limit: needsLimit})
		if err != nil {
			return nil, err
		}
		group := ovGroup{ID: g.id, Title: g.title, Count: c.Commands[g.status], SeeAll: "/ui/commands?status=" + string(g.status)}
		for _, cmd := range list {
			group.Items = append(group.Items, ovItem{Href: "/ui/commands?status=" + string(g.status),
				Text: fmt.Sprintf("%s #%d", cmd.Kind, cmd.ID), Detail: joinDetail(cmd.Connection, cmd.LastError),
				Status: string(cmd.Status), At: cmd.UpdatedAt})
		}
		groups = append(groups, group)
	}

	dead, err := st.ListDeliveries(ctx, store.DeliveryFilter{Workspace: ws, Status: model.DeliveryFailed, Limit: needsLimit})
	if err != nil {
		return nil, err
	}
	deliveries := ovGroup{ID: "needs-dead-deliveries", Title: "Dead-lettered webhook deliveries", Count: c.DeadDeliveries, SeeAll: "/ui/deliveries"}
	for _, d := range dead {
		detail := d.Subject
		if d.LastError != "" {
			detail += " · " + d.LastError
		} else if d.LastStatusCode != 0 {
			detail += fmt.Sprintf(" · HTTP %d", d.LastStatusCode)
		}
		deliveries.Items = append(deliveries.Items, ovItem{Href: fmt.Sprintf("/ui/deliveries#endpoint-%d", d.EndpointID),
			Text: fmt.Sprintf("%s to endpoint %d", d.EventType, d.EndpointID), Detail: detail, Status: d.Status, At: d.UpdatedAt})
	}
	groups = append(groups, deliveries)

	refused, err := st.ListIntakeErrors(ctx, store.IntakeErrorFilter{Workspace: ws, Limit: needsLimit})
	if err != nil {
		return nil, err
	}
	intake := ovGroup{ID: "needs-intake-errors", Title: "Quarantined files and intake errors", Count: c.IntakeErrors, SeeAll: "/ui/connections"}
	for _, e := range refused {
		text := e.Name
		if e.Ref != "" {
			text += " (quarantined)"
		}
		intake.Items = append(intake.Items, ovItem{Href: "/ui/connections", Text: text, Detail: joinDetail(e.Connection, e.Reason), At: e.ReceivedAt})
	}
	groups = append(groups, intake)

	conns := ovGroup{ID: "needs-connections", Title: "Unhealthy connections", SeeAll: "/ui/connections", Unknown: u.cfg.Statuses == nil}
	if u.cfg.Statuses != nil {
		list, err := u.cfg.Statuses.Connections(ctx, ws)
		if err != nil {
			return nil, err
		}
		for _, cs := range list {
			if cs.Workspace != ws || cs.Health.Status != model.HealthUnhealthy {
				continue
			}
			conns.Count++
			if len(conns.Items) < needsLimit {
				item := ovItem{Href: "/ui/connections", Text: cs.ID + " (" + cs.Provider + ")", Detail: cs.Health.Reason, Status: cs.Health.Status}
				if cs.Health.CheckedAt != nil {
					item.At = *cs.Health.CheckedAt
				}
				conns.Items = append(conns.Items, item)
			}
		}
	}
	groups = append(groups, conns)
	for i := range groups {
		groups[i].More = groups[i].Count > int64(len(groups[i].Items))
	}
	return groups, nil
}

// shipmentListPage is the data of a see-all list of shipments.
type shipmentListPage struct {
	Page
	ID, Intro string
	Items     []ovItem
	// Next continues the listing; empty on its last page.
	Next string
}

// shipmentList answers a paged list of shipments (keyset by id).
func (u *UI) overviewShipmentList(id, title, intro string, read func(r *http.Request, before int64) ([]*model.Shipment, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var before int64
		if v := r.URL.Query().Get("before"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				u.badRequest(w, r, "before must be a shipment id.")
				return
			}
			before = n
		}
		list, err := read(r, before)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		at := statusAt
		if id == "stuck" {
			at = updatedAt
		}
		data := shipmentListPage{Page: u.page(r, title, "overview"), ID: id, Intro: intro, Items: shipmentItems(list, at)}
		if len(list) == listLimit {
			data.Next = fmt.Sprintf("/ui/%s?before=%d", id, list[len(list)-1].ID)
		}
		u.render(w, r, "needs", data)
	}
}

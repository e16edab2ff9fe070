package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// ConnInfo is one configured connection of a workspace, for the filters
// of the shipment list.
type ConnInfo struct {
	ID       string
	Provider string
}

// shipmentsPageSize is how many shipments a page of the list shows.
const shipmentsPageSize = 50

// rawBodyLimit is how much of a raw message the shipment page shows.
const rawBodyLimit = 64 << 10

// shipmentsFuncs are the template functions of the shipments pages.
var shipmentsFuncs = template.FuncMap{
	"eventLabel":     eventLabel,
	"shipmentRefs":   shipmentRefs,
	"safeHTTPURL":    safeHTTPURL,
	"statusText":     statusText,
	"addressLines":   addressLines,
	"shipmentMapSVG": mapSVG,
	"eventPlace":     eventPlace,
	"itemQuantity":   func(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) },
}

// routesShipments registers the shipment list and the shipment page.
func (u *UI) routesShipments(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/shipments", u.authed(u.shipmentList))
	mux.HandleFunc("GET /ui/shipments/rows", u.authed(u.shipmentRows))
	mux.HandleFunc("GET /ui/shipments/{id}", u.authed(u.shipmentDetail))
	mux.HandleFunc("GET /ui/shipments/{id}/timeline", u.authed(u.shipmentTimeline))
	mux.HandleFunc("GET /ui/shipments/{id}/raw/{inbox}", u.authed(u.shipmentRaw))
}

// shipmentQuery is the list's search form as the request gave it.
type shipmentQuery struct {
	Q, Status, Provider, Connection, From, To, Before string
	// BeforeAt goes with Before in a range of updates, which lists in
	// update order: the last shipment's update time, in unix microseconds.
	BeforeAt string
}

// shipmentList is the data of the list page and its rows fragment.
type shipmentList struct {
	Page
	Query       shipmentQuery
	Statuses    []model.Status
	Providers   []string
	Connections []ConnInfo
	Shipments   []*model.Shipment
	// Older continues the list (empty on its last page).
	Older string
	// RowsURL is the rows fragment of the first page, refreshed live; empty
	// on later pages.
	RowsURL string
	// ByUpdate is set when a range of update times lists the shipments by
	// their last update rather than by id.
	ByUpdate bool
}

var shipmentIDQuery = regexp.MustCompile(`^#([0-9]{1,18})$`)

// parseShipmentQuery makes a store filter of the search form.
func (u *UI) parseShipmentQuery(r *http.Request) (shipmentQuery, store.ShipmentFilter, int64, error) {
	v := r.URL.Query()
	q := shipmentQuery{
		Q: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), Provider: v.Get("provider"),
		Connection: v.Get("connection"), From: v.Get("from"), To: v.Get("to"), Before: v.Get("before"), BeforeAt: v.Get("before_at"),
	}
	f := store.ShipmentFilter{Workspace: workspace(r), Provider: q.Provider, Connection: q.Connection, Limit: shipmentsPageSize + 1}
	var byID int64
	if m := shipmentIDQuery.FindStringSubmatch(q.Q); m != nil {
		byID, _ = strconv.ParseInt(m[1], 10, 64)
	} else {
		f.Reference = q.Q
	}
	if q.Status != "" {
		s, err := model.ParseStatus(q.Status)
		if err != nil {
			return q, f, 0, fmt.Errorf("status %q is not a shipment status", q.Status)
		}
		f.Status = s
	}
	for _, d := range []struct {
		in  string
		out *time.Time
		add time.Duration
	}{{q.From, &f.UpdatedFrom, 0}, {q.To, &f.UpdatedTo, 24 * time.Hour}} {
		if d.in == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.in)
		if err != nil {
			return q, f, 0, fmt.Errorf("date %q is not a date (YYYY-MM-DD)", d.in)
		}
		*d.out = t.Add(d.add) // "to" takes in the whole day
	}
	if q.Before != "" {
		b, err := strconv.ParseInt(q.Before, 10, 64)
		if err != nil || b <= 0 {
			return q, f, 0, fmt.Errorf("before %q is not a shipment id", q.Before)
		}
		f.BeforeID = b
	}
	if q.BeforeAt != "" {
		at, err := strconv.ParseInt(q.BeforeAt, 10, 64)
		if err != nil {
			return q, f, 0, fmt.Errorf("before_at %q is not a time in microseconds", q.BeforeAt)
		}
		f.BeforeUpdatedAt = time.UnixMicro(at).UTC()
	}
	return q, f, byID, nil
}

// connections returns the workspace's configured connections, by id.
func (u *UI) connections(ws string) []ConnInfo {
	if u.cfg.Connections == nil {
		return nil
	}
	list := slices.Clone(u.cfg.Connections(ws))
	slices.SortFunc(list, func(a, b ConnInfo) int { return strings.Compare(a.ID, b.ID) })
	return list
}

// findShipments runs the list's query: one page, newest first.
func (u *UI) findShipments(r *http.Request) (shipmentList, error) {
	q, f, byID, err := u.parseShipmentQuery(r)
	data := shipmentList{Query: q, Statuses: model.Statuses, Connections: u.connections(workspace(r))}
	for _, c := range data.Connections {
		if !slices.Contains(data.Providers, c.Provider) {
			data.Providers = append(data.Providers, c.Provider)
		}
	}
	slices.Sort(data.Providers)
	if err != nil {
		return data, badQuery{err}
	}
	// A connection has one provider: with both, the connection decides
	// (and one of another provider has nothing to show).
	if f.Connection != "" && f.Provider != "" {
		for _, c := range data.Connections {
			if c.ID == f.Connection {
				if c.Provider != f.Provider {
					data.Shipments = []*model.Shipment{}
					return data, nil
				}
				f.Provider = ""
			}
		}
	}
	data.ByUpdate = !f.UpdatedFrom.IsZero() || !f.UpdatedTo.IsZero()
	var list []*model.Shipment
	if byID > 0 {
		list, err = u.shipmentByID(r, byID, f)
	} else {
		list, err = u.cfg.Store.ListShipments(r.Context(), f)
	}
	if err != nil {
		return data, err
	}
	if len(list) > shipmentsPageSize {
		list = list[:shipmentsPageSize]
		next := r.URL.Query()
		last := list[len(list)-1]
		next.Set("before", strconv.FormatInt(last.ID, 10))
		if data.ByUpdate {
			next.Set("before_at", strconv.FormatInt(last.UpdatedAt.UnixMicro(), 10))
		}
		data.Older = "/ui/shipments?" + next.Encode()
	}
	data.Shipments = list
	if f.BeforeID == 0 {
		rows := r.URL.Query()
		rows.Del("before")
		rows.Del("before_at")
		data.RowsURL = "/ui/shipments/rows"
		if len(rows) > 0 {
			data.RowsURL += "?" + rows.Encode()
		}
	}
	return data, nil
}

// shipmentByID answers a search for "#123": that shipment of the
// workspace, if the other filters let it through.
func (u *UI) shipmentByID(r *http.Request, id int64, f store.ShipmentFilter) ([]*model.Shipment, error) {
	sh, err := u.cfg.Store.GetShipment(r.Context(), f.Workspace, id)
	if errors.Is(err, store.ErrNotFound) {
		return []*model.Shipment{}, nil
	}
	if err != nil {
		return nil, err
	}
	sh.Events = nil
	pass := (f.Status == "" || sh.Status == f.Status) &&
		(f.Provider == "" || sh.Provider == f.Provider) &&
		(f.Connection == "" || sh.Connection == f.Connection) &&
		(f.UpdatedFrom.IsZero() || !sh.UpdatedAt.Before(f.UpdatedFrom)) &&
		(f.UpdatedTo.IsZero() || sh.UpdatedAt.Before(f.UpdatedTo)) &&
		(f.BeforeID == 0 || sh.ID < f.BeforeID)
	if !pass {
		return []*model.Shipment{}, nil
	}
	return []*model.Shipment{sh}, nil
}

func (u *UI) shipmentList(w http.ResponseWriter, r *http.Request) {
	u.serveShipments(w, r, "layout.html")
}

func (u *UI) shipmentRows(w http.ResponseWriter, r *http.Request) {
	u.serveShipments(w, r, "shipment-rows")
}

func (u *UI) serveShipments(w http.ResponseWriter, r *http.Request, block string) {
	data, err := u.findShipments(r)
	data.Page = u.page(r, "Shipments", "shipments")
	var bad badQuery
	switch {
	case errors.As(err, &bad):
		u.badRequest(w, r, bad.Error())
	case err != nil:
		u.fail(w, r, err)
	default:
		u.renderBlock(w, r, "shipments", block, http.StatusOK, data)
	}
}

// badQuery is a search form the list cannot answer (a 400, not a 500).
type badQuery struct{ error }

// shipmentPage is the data of the shipment page and its fragments.
type shipmentPage struct {
	Page
	Shipment *model.Shipment
	// Timeline is the events, newest first.
	Timeline []model.Event
	Map      []mapPoint
	Order    *model.Order
}

// loadShipment reads the shipment of the path's id in the session's
// workspace; another workspace's shipment is not found, like a missing one.
func (u *UI) loadShipment(w http.ResponseWriter, r *http.Request) (*model.Shipment, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.notFound(w, r)
		return nil, false
	}
	sh, err := u.cfg.Store.GetShipment(r.Context(), workspace(r), id)
	if err != nil {
		u.fail(w, r, err)
		return nil, false
	}
	return sh, true
}

func newestFirst(events []model.Event) []model.Event {
	out := slices.Clone(events)
	slices.Reverse(out)
	return out
}

func (u *UI) shipmentDetail(w http.ResponseWriter, r *http.Request) {
	sh, ok := u.loadShipment(w, r)
	if !ok {
		return
	}
	title := "Shipment " + sh.ProviderRef
	data := shipmentPage{Page: u.page(r, title, "shipments"), Shipment: sh, Timeline: newestFirst(sh.Events), Map: projectEvents(sh.Events)}
	o, err := u.linkedOrder(r, sh)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data.Order = o
	u.render(w, r, "shipment", data)
}

// linkedOrder is the order the shipment belongs to (store.ShipmentOrders)
// or, when no link names one, the workspace's newest order whose reference
// is the shipment's order reference; nil when there is none.
func (u *UI) linkedOrder(r *http.Request, sh *model.Shipment) (*model.Order, error) {
	o, err := u.cfg.Store.OrderForShipment(r.Context(), sh.Workspace, sh.ID)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return o, err
	}
	if sh.OrderReference == "" {
		return nil, nil
	}
	list, err := u.cfg.Store.ListOrders(r.Context(), store.OrderFilter{Workspace: sh.Workspace, Reference: sh.OrderReference, Limit: 1})
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (u *UI) shipmentTimeline(w http.ResponseWriter, r *http.Request) {
	sh, ok := u.loadShipment(w, r)
	if !ok {
		return
	}
	data := shipmentPage{Page: u.page(r, "Shipment "+sh.ProviderRef, "shipments"), Shipment: sh, Timeline: newestFirst(sh.Events), Map: projectEvents(sh.Events)}
	u.renderFragment(w, r, "shipment", "timeline", data)
}

// rawMessage is the data of a raw message fragment.
type rawMessage struct {
	Message *model.InboxMessage
	Body    string
	// Cut is how many bytes were left out; 0 when the whole body is shown.
	Cut int
}

// shipmentRaw answers the raw inbox message of one of the shipment's
// events. An inbox id that is no event's of this shipment (of the
// session's workspace) is not found.
func (u *UI) shipmentRaw(w http.ResponseWriter, r *http.Request) {
	sh, ok := u.loadShipment(w, r)
	if !ok {
		return
	}
	inboxID, err := strconv.ParseInt(r.PathValue("inbox"), 10, 64)
	if err != nil || inboxID <= 0 || !slices.ContainsFunc(sh.Events, func(e model.Event) bool { return e.InboxID == inboxID }) {
		u.notFound(w, r)
		return
	}
	m, err := u.cfg.Store.GetInbox(r.Context(), inboxID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if m.Workspace != sh.Workspace {
		u.notFound(w, r)
		return
	}
	body, cut := rawBody(m.Body, m.ContentType)
	u.renderFragment(w, r, "shipment", "raw", rawMessage{Message: m, Body: body, Cut: cut})
}

// rawBody is a raw message for people: a JSON body pretty-printed, any
// other shown as it is (the template escapes it), cut at rawBodyLimit
// bytes on a character boundary. It returns how many bytes it cut.
func rawBody(b []byte, contentType string) (string, int) {
	if json.Valid(b) && (strings.Contains(contentType, "json") || len(bytes.TrimSpace(b)) > 0 && strings.ContainsAny(string(bytes.TrimSpace(b)[:1]), "{[")) {
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			b = out.Bytes()
		}
	}
	if len(b) <= rawBodyLimit {
		return strings.ToValidUTF8(string(b), "\uFFFD"), 0
	}
	n := rawBodyLimit
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return strings.ToValidUTF8(string(b[:n]), "\uFFFD"), len(b) - n
}

// eventLabel is an event's label in the chosen language, falling back to
// English, then Dutch and French, then the provider's description.
func eventLabel(e model.Event, lang string) string {
	for _, l := range []string{lang, "en", "nl", "fr"} {
		if v := strings.TrimSpace(e.Labels[l]); v != "" {
			return v
		}
	}
	return e.Description
}

// statusText is an event's canonical status as words: the status, its
// substatus and whether it needs action.
func statusText(e model.Event) string {
	s := strings.ReplaceAll(string(e.Status), "_", " ")
	if e.Substatus != "" {
		s += " (" + strings.ReplaceAll(e.Substatus, "_", " ") + ")"
	}
	if e.ActionRequired {
		s += ", action required"
	}
	return s
}

// shipmentRefs are a shipment's references for the list: the provider
// reference first, then the others, each once.
func shipmentRefs(sh *model.Shipment) []string {
	out := []string{sh.ProviderRef}
	for _, r := range sh.References {
		if r.Value != "" && !slices.Contains(out, r.Value) {
			out = append(out, r.Value)
		}
	}
	return out
}

// safeHTTPURL is a link target if it is an absolute http(s) URL, else
// empty: a provider's tracking URL is not trusted to be one.
func safeHTTPURL(raw string) string {
	p, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// addressLines is an address as the lines of a label.
func addressLines(a *model.Address) []string {
	if a == nil {
		return nil
	}
	var lines []string
	add := func(parts ...string) {
		var keep []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			lines = append(lines, strings.Join(keep, " "))
		}
	}
	add(a.Company)
	add(a.FirstName, a.LastName)
	add(a.Street, a.HouseNumber, a.HouseNumberAddition)
	add(a.AddressLine2)
	add(a.Postcode, a.City)
	add(a.Region, a.Country)
	add(a.Email)
	add(a.Phone)
	return lines
}

// eventPlace is where an event happened, as text: the provider's words,
// else its coordinates.
func eventPlace(e model.Event) string {
	if e.Location == nil {
		return "no location"
	}
	if t := strings.TrimSpace(e.Location.Text); t != "" {
		return t
	}
	if e.Location.Lat != nil && e.Location.Lon != nil {
		return fmt.Sprintf("GPS %.5f, %.5f", *e.Location.Lat, *e.Location.Lon)
	}
	return "no location"
}

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
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The deliveries page (/ui/deliveries) shows the merchant's webhook
// endpoints, each with its recent attempts and a "recover since" form, and
// one list of deliveries, the dead letters by default, with a retry button
// on each dead letter. A retried delivery stays on the list after the
// redirect (?watch=id) and its row polls itself every 2 s while it is
// pending (hx-trigger "every 2s" on the row, swapped by its own fragment),
// so it turns to "delivered" without a reload; a row that is not pending
// carries no trigger, so polling stops by itself.

// opsPageLimit is the length of every list page of the ops pages.
const opsPageLimit = 50

// Deliveries' states as the dashboard names them, and the store's.
var deliveryStates = []struct{ UI, Store string }{
	{"dead", model.DeliveryFailed},
	{"pending", model.DeliveryPending},
	{"delivered", model.DeliverySucceeded},
}

// deliveryStateUI is the dashboard's name of a store delivery status.
func deliveryStateUI(status string) string {
	for _, s := range deliveryStates {
		if s.Store == status {
			return s.UI
		}
	}
	return status
}

// deliveriesFuncs are the template functions of the deliveries pages.
var deliveriesFuncs = template.FuncMap{
	// deliveryState is a delivery's status as the page shows it: dead,
	// pending or delivered.
	"opsDeliveryState": deliveryStateUI,
	// subjectHref is the page of a feed subject ("shipment/42"), or "".
	"opsSubjectHref": func(subject string) string {
		resource, id, _ := strings.Cut(subject, "/")
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return ""
		}
		return opsResourcePath(resource, n)
	},
	// opsExcerpt cuts text to a readable length.
	"opsExcerpt": func(s string) string { return opsExcerpt(s, 300) },
	// millis formats a duration in milliseconds.
	"opsMillis": func(ms float64) string {
		if ms < 100 {
			return fmt.Sprintf("%.1f ms", ms)
		}
		return fmt.Sprintf("%.0f ms", ms)
	},
	// datetimeLocal formats t for <input type="datetime-local">, in UTC.
	"opsDatetimeLocal": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") },
}

// opsResourcePath is the dashboard page of one resource, or "" when it has
// none.
func opsResourcePath(resource string, id int64) string {
	switch resource {
	case "shipment":
		return fmt.Sprintf("/ui/shipments/%d", id)
	case "order":
		return fmt.Sprintf("/ui/orders/%d", id)
	case "inbound":
		return fmt.Sprintf("/ui/inbound/%d", id)
	case "return":
		return fmt.Sprintf("/ui/returns/%d", id)
	}
	return ""
}

// opsExcerpt cuts s to at most n bytes on a rune boundary, marking the cut,
// and replaces invalid UTF-8.
func opsExcerpt(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// opsBack returns the form's "back" field when it is a path under prefix,
// else prefix: a form can send the browser back to its own page, never
// elsewhere. backPath makes the safety check, as for every form.
func opsBack(r *http.Request, prefix string) string {
	back := backPath(r.PostFormValue("back"))
	if back == prefix || strings.HasPrefix(back, prefix+"?") {
		return back
	}
	return prefix
}

// opsFlash adds the flash message to a path, replacing any earlier one.
func opsFlash(path, flash string, extra ...string) string {
	p, q, _ := strings.Cut(path, "?")
	v, _ := url.ParseQuery(q)
	v.Del("flash")
	v.Set("flash", flash)
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return p + "?" + v.Encode()
}

// opsCSRF is the request's session's CSRF token.
func opsCSRF(r *http.Request) string {
	if s := sessionFrom(r.Context()); s != nil {
		return s.CSRF
	}
	return ""
}

// opsPathID reads the {id} path value, or reports false.
func opsPathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// opsBefore reads the keyset cursor "before" of a list.
func opsBefore(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("before must be a positive id")
	}
	return n, nil
}

// deliveryRow is one row of the deliveries table.
type deliveryRow struct {
	D           *model.Delivery
	EndpointURL string
	CSRF        string
	Now         time.Time
	// Back is the page the retry form returns to.
	Back string
}

// endpointView is one endpoint's section.
type endpointView struct {
	E        *model.Endpoint
	Attempts []attemptView
	CSRF     string
}

// attemptView is one attempt of an endpoint's log.
type attemptView struct {
	A         model.DeliveryAttempt
	Delivery  *model.Delivery
	Succeeded bool
}

type deliveriesPage struct {
	Page
	Endpoints []endpointView
	Rows      []deliveryRow
	// Status is the chosen filter (dead, pending, delivered or all).
	Status   string
	Endpoint int64
	Next     string
	// SinceDefault is the recover form's default: a day ago.
	SinceDefault time.Time
	TableID      string
	Caption      string
}

// attemptsShown is how many attempts an endpoint's log shows, from its
// most recent deliveriesSampled deliveries.
const (
	attemptsShown     = 10
	deliveriesSampled = 8
)

// routesDeliveries registers the deliveries pages.
func (u *UI) routesDeliveries(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/deliveries", u.authed(u.deliveriesPage))
	mux.HandleFunc("GET /ui/deliveries/{id}/row", u.authed(u.deliveryRowFragment))
	mux.HandleFunc("POST /ui/deliveries/{id}/retry", u.authed(u.retryDelivery))
	mux.HandleFunc("POST /ui/endpoints/{id}/recover", u.authed(u.recoverEndpoint))
}

func (u *UI) deliveriesPage(w http.ResponseWriter, r *http.Request) {
	ctx, ws, q := r.Context(), workspace(r), r.URL.Query()
	data := deliveriesPage{Page: u.page(r, "Deliveries", "deliveries"), Status: cmp.Or(q.Get("status"), "dead")}
	data.SinceDefault = data.Now.Add(-24 * time.Hour)
	f := store.DeliveryFilter{Workspace: ws, Limit: opsPageLimit + 1}
	if data.Status != "all" {
		for _, s := range deliveryStates {
			if s.UI == data.Status {
				f.Status = s.Store
			}
		}
		if f.Status == "" {
			u.badRequest(w, r, "status must be dead, pending, delivered or all")
			return
		}
	}
	if s := q.Get("endpoint"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			u.badRequest(w, r, "endpoint must be an endpoint's id")
			return
		}
		f.EndpointID, data.Endpoint = id, id
	}
	before, err := opsBefore(r)
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	f.BeforeID = before

	eps, err := u.cfg.Store.ListEndpoints(ctx, ws)
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing endpoints: %w", err))
		return
	}
	urls := map[int64]string{}
	for _, e := range eps {
		if e.Workspace != ws {
			continue
		}
		urls[e.ID] = e.URL
		v, err := u.endpointView(r, e)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		data.Endpoints = append(data.Endpoints, v)
	}

	var list []*model.Delivery
	if f.EndpointID > 0 {
		// One endpoint's deliveries come from its own index, ordered by
		// creation; the cursor carries the last one's creation time.
		var at time.Time
		if s := q.Get("at"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				u.badRequest(w, r, "at must be a time in microseconds")
				return
			}
			at = time.UnixMicro(n).UTC()
		} else if f.BeforeID > 0 {
			u.badRequest(w, r, "a page of one endpoint's deliveries needs at with before")
			return
		}
		list, err = u.endpointDeliveries(r, f, at)
	} else {
		list, err = u.cfg.Store.ListDeliveries(ctx, f)
	}
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing deliveries: %w", err))
		return
	}
	if len(list) > opsPageLimit {
		list = list[:opsPageLimit]
		last := list[len(list)-1]
		v := url.Values{"status": {data.Status}, "before": {strconv.FormatInt(last.ID, 10)}}
		if data.Endpoint > 0 {
			v.Set("endpoint", strconv.FormatInt(data.Endpoint, 10))
			v.Set("at", strconv.FormatInt(last.CreatedAt.UnixMicro(), 10))
		}
		data.Next = "/ui/deliveries?" + v.Encode()
	}
	// A delivery just retried stays in view, so its row can be seen
	// turning delivered.
	if watch, err := strconv.ParseInt(q.Get("watch"), 10, 64); err == nil && watch > 0 &&
		!slices.ContainsFunc(list, func(d *model.Delivery) bool { return d.ID == watch }) {
		if d, err := u.cfg.Store.GetDelivery(ctx, ws, watch); err == nil && d.Workspace == ws {
			list = append([]*model.Delivery{d}, list...)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			u.fail(w, r, fmt.Errorf("reading delivery %d: %w", watch, err))
			return
		}
	}
	// The retry form returns to this page with its filters (without the
	// cursor, the flash or the delivery watched before).
	bv := url.Values{}
	if data.Status != "dead" {
		bv.Set("status", data.Status)
	}
	if data.Endpoint > 0 {
		bv.Set("endpoint", strconv.FormatInt(data.Endpoint, 10))
	}
	back := "/ui/deliveries"
	if len(bv) > 0 {
		back += "?" + bv.Encode()
	}
	for _, d := range list {
		if d.Workspace != ws {
			continue
		}
		data.Rows = append(data.Rows, deliveryRow{D: d, EndpointURL: urls[d.EndpointID], CSRF: data.CSRF, Now: data.Now, Back: back})
	}
	data.TableID, data.Caption = "deliveries", "Deliveries: "+data.Status
	if data.Status == "dead" {
		data.TableID, data.Caption = "dead-letters", "Dead letters: deliveries whose every attempt failed"
	}
	u.render(w, r, "deliveries", data)
}

// endpointDeliveries lists one endpoint's deliveries of f's status, or of
// every status merged, newest first by creation, up to f.Limit.
func (u *UI) endpointDeliveries(r *http.Request, f store.DeliveryFilter, beforeAt time.Time) ([]*model.Delivery, error) {
	statuses := []string{f.Status}
	if f.Status == "" {
		statuses = statuses[:0]
		for _, s := range deliveryStates {
			statuses = append(statuses, s.Store)
		}
	}
	var out []*model.Delivery
	for _, st := range statuses {
		part, err := u.cfg.Store.ListEndpointDeliveries(r.Context(), store.EndpointDeliveryFilter{Workspace: f.Workspace, EndpointID: f.EndpointID,
			Status: st, BeforeCreated: beforeAt, BeforeID: f.BeforeID, Limit: f.Limit})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	slices.SortFunc(out, func(a, b *model.Delivery) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// endpointView reads an endpoint's recent attempts: those of its latest
// attempted deliveries, newest first.
func (u *UI) endpointView(r *http.Request, e *model.Endpoint) (endpointView, error) {
	ctx, ws := r.Context(), workspace(r)
	v := endpointView{E: e, CSRF: opsCSRF(r)}
	// The latest deliveries of each state, so that a burst of new ones
	// (not attempted yet) does not hide the attempts before it; then the
	// attempt logs of the most recently attempted of them, in one query.
	var recent []*model.Delivery
	for _, st := range deliveryStates {
		part, err := u.cfg.Store.ListEndpointDeliveries(ctx, store.EndpointDeliveryFilter{Workspace: ws, EndpointID: e.ID, Status: st.Store, Limit: deliveriesSampled})
		if err != nil {
			return v, fmt.Errorf("listing deliveries of endpoint %d: %w", e.ID, err)
		}
		for _, d := range part {
			if d.Attempts > 0 || d.LastStatusCode != 0 || d.LastError != "" || d.DeliveredAt != nil {
				recent = append(recent, d)
			}
		}
	}
	slices.SortFunc(recent, func(a, b *model.Delivery) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
	})
	if len(recent) > deliveriesSampled {
		recent = recent[:deliveriesSampled]
	}
	byID := make(map[int64]*model.Delivery, len(recent))
	ids := make([]int64, 0, len(recent))
	for _, d := range recent {
		byID[d.ID] = d
		ids = append(ids, d.ID)
	}
	attempts, err := u.cfg.Store.ListDeliveryAttempts(ctx, ws, ids, attemptsShown)
	if err != nil {
		return v, fmt.Errorf("listing attempts of endpoint %d: %w", e.ID, err)
	}
	for _, a := range attempts {
		if d := byID[a.DeliveryID]; d != nil {
			v.Attempts = append(v.Attempts, attemptView{A: a, Delivery: d, Succeeded: a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == ""})
		}
	}
	return v, nil
}

// deliveryRowFragment renders one delivery's row, for the row's own
// polling while it is pending.
func (u *UI) deliveryRowFragment(w http.ResponseWriter, r *http.Request) {
	id, ok := opsPathID(r)
	if !ok {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	d, err := u.cfg.Store.GetDelivery(r.Context(), ws, id)
	if err == nil && d.Workspace != ws {
		err = store.ErrNotFound
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	row := deliveryRow{D: d, CSRF: opsCSRF(r), Now: u.now(), Back: "/ui/deliveries"}
	if e, err := u.cfg.Store.GetEndpoint(r.Context(), ws, d.EndpointID); err == nil && e.Workspace == ws {
		row.EndpointURL = e.URL
	}
	u.renderFragment(w, r, "deliveries", "delivery-row", row)
}

func (u *UI) retryDelivery(w http.ResponseWriter, r *http.Request) {
	id, ok := opsPathID(r)
	if !ok {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	err := u.cfg.Store.RetryDelivery(r.Context(), ws, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.notFound(w, r)
		return
	case errors.Is(err, store.ErrConflict):
		u.errorPage(w, r, http.StatusConflict, opsConflictReason(err, fmt.Sprintf("Delivery %d cannot be retried.", id)))
		return
	case err != nil:
		u.fail(w, r, fmt.Errorf("retrying delivery %d: %w", id, err))
		return
	}
	if u.cfg.DeliveryRetried != nil {
		u.cfg.DeliveryRetried()
	}
	u.log.Info("dashboard retried a delivery", "workspace", ws, "delivery", id)
	redirect(w, r, opsFlash(opsBack(r, "/ui/deliveries"), fmt.Sprintf("Delivery %d is queued again.", id), "watch", strconv.FormatInt(id, 10)))
}

// opsConflictReason is the store's reason of an ErrConflict ("retrying
// delivery 3: it is pending, not a dead letter: conflict" → "It is
// pending, not a dead letter."), or def.
func opsConflictReason(err error, def string) string {
	msg := strings.TrimSuffix(err.Error(), ": "+store.ErrConflict.Error())
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if msg == "" || msg == store.ErrConflict.Error() {
		return def
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// opsSinceLayouts are the forms a datetime-local input sends.
var opsSinceLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000"}

// opsParseSince reads a datetime-local value as UTC.
func opsParseSince(s string) (time.Time, error) {
	for _, l := range opsSinceLayouts {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(s), time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("since %q is not a date and time (YYYY-MM-DDTHH:MM, UTC)", s)
}

func (u *UI) recoverEndpoint(w http.ResponseWriter, r *http.Request) {
	id, ok := opsPathID(r)
	if !ok {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	since, err := opsParseSince(r.PostFormValue("since"))
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	n, err := u.cfg.Store.RecoverEndpoint(r.Context(), ws, id, since)
	if err != nil {
		u.fail(w, r, fmt.Errorf("recovering endpoint %d: %w", id, err))
		return
	}
	if u.cfg.DeliveryRetried != nil {
		u.cfg.DeliveryRetried()
	}
	u.log.Info("dashboard recovered an endpoint", "workspace", ws, "endpoint", id, "requeued", n)
	redirect(w, r, opsFlash(opsBack(r, "/ui/deliveries"),
		fmt.Sprintf("Endpoint %d is enabled; %d dead letters since %s are queued again.", id, n, since.Format("2006-01-02 15:04 UTC"))))
}

package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// fulPageSize is how many rows a list page of the fulfilment pages
// (orders, stock, inbound, returns) shows. One more is read to know
// whether there is a next page.
const fulPageSize = 50

// fulMaxShipments is how many linked shipments an order page reads one
// by one (each is an indexed lookup); more are counted, not shown.
const fulMaxShipments = 20

// ordersFuncs are the template functions of the orders pages, and those
// the other fulfilment pages (stock, inbound, returns) share.
var ordersFuncs = template.FuncMap{
	// fulQty formats a quantity without trailing zeros (2, 0.5).
	"fulQty": fulQty,
	// fulAddress is an address as lines of text, empty lines left out.
	"fulAddress": fulAddress,
	// fulPercent is received out of expected, 0 to 100, for text.
	"fulPercent": func(done, of float64) int {
		if of <= 0 {
			return 0
		}
		p := int(done / of * 100)
		return min(max(p, 0), 100)
	},
	// fulPath escapes a path segment (a SKU in a link).
	"fulPath": url.PathEscape,
	// fulCommands is the data of the partial "ful-commands" (partials.html):
	// a detail page's commands, its element ids' prefix id, what the
	// commands were sent for (these) and where a resource without commands
	// came from (origin).
	"fulCommands": func(p Page, canRetry bool, cmds []*model.Command, id, these, origin string) fulCommandsData {
		return fulCommandsData{ID: id, These: these, Origin: origin, Commands: cmds, Retry: fulRetryOf(p, canRetry)}
	},
	// fulRetry is what a command's retry button needs of its page.
	"fulRetry": fulRetryOf,
	// fulCommandRetry is the data of the partial "ful-command-retry".
	"fulCommandRetry": func(r fulRetryData, c *model.Command) fulCommandRetryData {
		return fulCommandRetryData{fulRetryData: r, Command: c}
	},
}

// fulRetryData is what a command's retry button needs of its page: whether
// the dashboard retries commands (CanRetry), the form's CSRF token and the
// page to come back to.
type fulRetryData struct {
	CanRetry   bool
	CSRF, Path string
}

func fulRetryOf(p Page, canRetry bool) fulRetryData {
	return fulRetryData{CanRetry: canRetry, CSRF: p.CSRF, Path: p.Path}
}

// fulCommandsData is the data of the partial "ful-commands".
type fulCommandsData struct {
	ID, These, Origin string
	Commands          []*model.Command
	Retry             fulRetryData
}

// fulCommandRetryData is the data of the partial "ful-command-retry".
type fulCommandRetryData struct {
	fulRetryData
	Command *model.Command
}

func fulQty(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func fulAddress(a *model.Address) []string {
	if a == nil {
		return nil
	}
	join := func(parts ...string) string {
		var kept []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				kept = append(kept, p)
			}
		}
		return strings.Join(kept, " ")
	}
	var out []string
	for _, l := range []string{
		a.Company,
		join(a.FirstName, a.LastName),
		join(a.Street, a.HouseNumber, a.HouseNumberAddition),
		a.AddressLine2,
		join(a.Postcode, a.City),
		join(a.Region, a.Country),
		a.Email,
		a.Phone,
	} {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// fulList is the paging and live refresh of a fulfilment list page.
type fulList struct {
	// Before is the cursor the page was asked with ("" for the first).
	Before string
	// Next continues the listing after the last row; empty on the last page.
	Next string
	// NextURL and FirstURL are the links of the pager, with the filters kept.
	NextURL  string
	FirstURL string
	// RowsURL is where htmx fetches the rows again when the resource changes.
	RowsURL string
}

// fulBefore reads the keyset cursor of a list ("before", an id).
func fulBefore(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("before")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("the page cursor %q is not a positive id", v)
	}
	return id, nil
}

// fulPaging builds a list's links: the next page's (when there are more
// rows than a page; next is the cursor after the last row shown), the
// first page's, and the rows fragment's, each with the filters kept.
func fulPaging(r *http.Request, more bool, next string) fulList {
	q := r.URL.Query()
	q.Del("partial")
	l := fulList{Before: q.Get("before")}
	link := func(v url.Values) string {
		if len(v) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + v.Encode()
	}
	if more {
		l.Next = next
		nq := fulCloneValues(q)
		nq.Set("before", next)
		l.NextURL = link(nq)
	}
	fq := fulCloneValues(q)
	fq.Del("before")
	l.FirstURL = link(fq)
	rq := fulCloneValues(q)
	rq.Set("partial", "rows")
	l.RowsURL = link(rq)
	return l
}

// fulFilters are the filters of the orders, inbound and returns lists:
// q (any reference), status and connection.
type fulFilters struct {
	Q, Status, Connection string
}

// fulListFilters reads a list's cursor and its q, status and connection
// filters; a status not in statuses is an error naming it as what ("an
// order status").
func fulListFilters[S ~string](r *http.Request, statuses []S, what string) (int64, fulFilters, error) {
	before, err := fulBefore(r)
	if err != nil {
		return 0, fulFilters{}, err
	}
	q := r.URL.Query()
	f := fulFilters{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Connection: strings.TrimSpace(q.Get("connection"))}
	if f.Status != "" && !fulValidStatus(statuses, S(f.Status)) {
		return 0, fulFilters{}, fmt.Errorf("%q is not %s", f.Status, what)
	}
	return before, f, nil
}

// fulPage cuts a list read with Limit fulPageSize+1 to one page and
// builds its paging: there is a next page when the store returned more
// than a page, continued after the id of the last row shown.
func fulPage[T any](r *http.Request, list []T, id func(T) int64) ([]T, fulList) {
	more := len(list) > fulPageSize
	var next string
	if more {
		list = list[:fulPageSize]
		next = strconv.FormatInt(id(list[len(list)-1]), 10)
	}
	return list, fulPaging(r, more, next)
}

// fulRender writes a page, or only its template block (a list's rows, a
// detail page's live body) when htmx asks for it.
func (u *UI) fulRender(w http.ResponseWriter, r *http.Request, page, block string, data any) {
	if fulPartial(r) {
		u.renderFragment(w, r, page, block, data)
		return
	}
	u.render(w, r, page, data)
}

func fulCloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if len(vs) > 0 && vs[0] != "" {
			out.Set(k, vs[0])
		}
	}
	return out
}

// fulPartial reports whether htmx asked for the rows fragment alone.
func fulPartial(r *http.Request) bool { return r.URL.Query().Get("partial") == "rows" }

// fulID reads the {id} of a detail page; a malformed one is not found.
func fulID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// ordersPage is the data of /ui/orders.
type ordersPage struct {
	Page
	fulFilters
	Statuses []model.OrderStatus
	Orders   []*model.Order
	fulList
}

// orderShipment is a linked shipment as the order page shows it.
type orderShipment struct {
	ID     int64
	Ref    string
	Status model.Status
}

// orderPage is the data of /ui/orders/{id}.
type orderPage struct {
	Page
	// CanRetry shows a retry button on failed and dead commands (the
	// commands page's POST /ui/commands/{id}/retry).
	CanRetry bool
	Order    *model.Order
	// Shipments are the linked shipments read (at most fulMaxShipments);
	// MoreShipments counts the rest.
	Shipments     []orderShipment
	MoreShipments int
	// Commands are the order's commands, newest first.
	Commands []*model.Command
	// Rejection is why the provider refused the order, when it did.
	Rejection string
}

// routesOrders registers the orders pages.
func (u *UI) routesOrders(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/orders", u.authed(u.ordersList))
	mux.HandleFunc("GET /ui/orders/{id}", u.authed(u.orderDetail))
}

func (u *UI) ordersList(w http.ResponseWriter, r *http.Request) {
	before, f, err := fulListFilters(r, model.OrderStatuses, "an order status")
	if err != nil {
		u.badRequest(w, r, err.Error())
		return
	}
	d := ordersPage{Page: u.page(r, "Orders", "orders"), fulFilters: f, Statuses: model.OrderStatuses}
	orders, err := u.cfg.Store.ListOrders(r.Context(), store.OrderFilter{
		Workspace: workspace(r), Reference: d.Q, Status: model.OrderStatus(d.Status), Connection: d.Connection,
		BeforeID: before, Limit: fulPageSize + 1,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing orders: %w", err))
		return
	}
	d.Orders, d.fulList = fulPage(r, orders, func(o *model.Order) int64 { return o.ID })
	u.fulRender(w, r, "orders", "orders-rows", d)
}

func fulValidStatus[S ~string](all []S, s S) bool {
	for _, a := range all {
		if a == s {
			return true
		}
	}
	return false
}

func (u *UI) orderDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := fulID(r)
	if !ok {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	ctx := r.Context()
	o, err := u.cfg.Store.GetOrder(ctx, ws, id)
	if err == nil && o.Workspace != ws {
		err = store.ErrNotFound
	}
	if err != nil {
		u.fail(w, r, fmt.Errorf("getting order %d: %w", id, err))
		return
	}
	d := orderPage{Page: u.page(r, "Order "+o.Reference, "orders"), Order: o, CanRetry: u.cfg.Commands != nil}
	for i, sid := range o.ShipmentIDs {
		if i == fulMaxShipments {
			d.MoreShipments = len(o.ShipmentIDs) - i
			break
		}
		sh, err := u.cfg.Store.GetShipment(ctx, ws, sid)
		if err != nil {
			// A link to a shipment that went (retention) is shown without its status.
			d.Shipments = append(d.Shipments, orderShipment{ID: sid})
			continue
		}
		ref := sh.TrackingNumber
		if ref == "" {
			ref = sh.ProviderRef
		}
		d.Shipments = append(d.Shipments, orderShipment{ID: sid, Ref: ref, Status: sh.Status})
	}
	d.Commands, err = u.cfg.Store.ListCommands(ctx, store.CommandFilter{
		Workspace: ws, Kind: model.CommandOrderCreate, SubjectID: o.ID, Limit: fulPageSize,
	})
	if err != nil {
		u.fail(w, r, fmt.Errorf("listing the commands of order %d: %w", id, err))
		return
	}
	if lc := o.LastCommand; lc != nil && lc.Error != "" && (o.Status == model.OrderRejected || lc.Status == string(model.CommandDead)) {
		d.Rejection = lc.Error
	} else if o.Status == model.OrderRejected {
		d.Rejection = "the provider refused the order"
	}
	u.fulRender(w, r, "order", "order-body", d)
}

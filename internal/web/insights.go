package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/insights"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/web/chart"
)

// insightsFuncs are the template functions of the insights pages.
var insightsFuncs = template.FuncMap{
	// count formats a count with thousands separators: 12,345.
	"insightsCount": thousands,
}

// insightsWait bounds how long the page waits for a snapshot that has not
// been computed yet (the first view of a workspace, or one right after the
// start): a small store's takes milliseconds; a large one's goes on in the
// background while the page says so and polls for it.
const insightsWait = 80 * time.Millisecond

// routesInsights registers the insights page. Without a configured
// source, the page computes snapshots itself, on first use and then at
// most once a minute per workspace.
func (u *UI) routesInsights(mux *http.ServeMux) {
	var (
		once   sync.Once
		src    InsightsSource
		srcErr error
	)
	source := func() (InsightsSource, error) {
		once.Do(func() {
			if u.cfg.Insights != nil {
				src = u.cfg.Insights
				return
			}
			svc, err := insights.New(insights.Config{Store: u.cfg.Store, Logger: u.log, Now: u.now})
			if err != nil {
				srcErr = err
				return
			}
			src = svc
		})
		return src, srcErr
	}
	mux.HandleFunc("GET /ui/insights", u.authed(func(w http.ResponseWriter, r *http.Request) {
		src, err := source()
		if err != nil {
			u.fail(w, r, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), insightsWait)
		defer cancel()
		snap, err := src.Snapshot(ctx, workspace(r))
		var data insightsPage
		switch {
		case errors.Is(err, insights.ErrPending):
			data = insightsPage{Page: u.page(r, "Insights", "insights"), Pending: true}
		case err != nil:
			u.fail(w, r, fmt.Errorf("reading the insights: %w", err))
			return
		default:
			data = buildInsights(u.page(r, "Insights", "insights"), snap)
		}
		if r.URL.Query().Get("fragment") == "charts" {
			u.renderFragment(w, r, "insights", "insights-charts", data)
			return
		}
		u.render(w, r, "insights", data)
	}))
}

// insightsPage is the data of the insights page.
type insightsPage struct {
	Page
	Snap *insights.Snapshot
	// Pending means the workspace's first snapshot is still being computed.
	Pending bool

	// The charts; empty when their window holds no data.
	Hours, Statuses, Transit, Rates, First template.HTML

	TotalEvents int64
	Busiest     []connectionTotal
	StatusTotal []statusTotal
	TransitRows []transitRow
	RateRows    []rateRow
	// Delivered and FirstAttempt are the first-attempt rate's figures.
	Delivered, FirstAttempt int64
	FirstRate               string
}

type connectionTotal struct {
	Connection string
	Events     int64
}

type statusTotal struct {
	Status model.Status
	Events int64
}

type transitRow struct {
	Carrier   string
	Shipments int64
	P50, P90  string
}

type rateRow struct {
	Carrier                            string
	Shipments, Exceptions, Failed      int64
	ExceptionRate, FailedRate, FirstOK string
	Delivered                          int64
}

// statusOrder is the order statuses are stacked in: the way of a parcel.
var statusOrder = []model.Status{
	model.StatusPending, model.StatusInfoReceived, model.StatusInTransit, model.StatusOutForDelivery,
	model.StatusAvailableForPickup, model.StatusFailedAttempt, model.StatusDelivered, model.StatusException,
	model.StatusReturned, model.StatusCancelled, model.StatusExpired, model.StatusUnknown,
}

func buildInsights(p Page, snap *insights.Snapshot) insightsPage {
	d := insightsPage{Page: p, Snap: snap}
	d.hours(snap)
	d.statuses(snap)
	d.transit(snap)
	d.rates(snap)
	return d
}

// hours is the line chart of events per hour per connection: every hour
// of the window, zero where a connection had none.
func (d *insightsPage) hours(snap *insights.Snapshot) {
	if len(snap.EventsPerHour) == 0 {
		return
	}
	n := int(insights.EventsWindow / time.Hour)
	cats := make([]string, n)
	for i := range cats {
		cats[i] = snap.HoursSince.Add(time.Duration(i) * time.Hour).Format("15:04")
	}
	byConn := map[string][]float64{}
	totals := map[string]int64{}
	for _, c := range snap.EventsPerHour {
		i := int(c.Hour.Sub(snap.HoursSince) / time.Hour)
		if i < 0 || i >= n {
			continue
		}
		if byConn[c.Connection] == nil {
			byConn[c.Connection] = make([]float64, n)
		}
		byConn[c.Connection][i] += float64(c.Count)
		totals[c.Connection] += c.Count
		d.TotalEvents += c.Count
	}
	for conn, total := range totals {
		d.Busiest = append(d.Busiest, connectionTotal{Connection: conn, Events: total})
	}
	sort.Slice(d.Busiest, func(i, j int) bool {
		if d.Busiest[i].Events != d.Busiest[j].Events {
			return d.Busiest[i].Events > d.Busiest[j].Events
		}
		return d.Busiest[i].Connection < d.Busiest[j].Connection
	})
	var series []chart.Series
	for _, c := range d.Busiest {
		series = append(series, chart.Series{Name: c.Connection, Values: byConn[c.Connection]})
	}
	d.Hours = chart.Line{
		Meta: chart.Meta{
			ID: "chart-events-per-hour", Title: "Events per hour per connection",
			Desc:   fmt.Sprintf("%s events in the %d hours from %s UTC, one line per connection.", thousands(d.TotalEvents), n, snap.HoursSince.Format("2006-01-02 15:04")),
			XLabel: "Hour (UTC)", YLabel: "Events",
		},
		Categories: cats,
		Series:     series,
	}.Render()
}

// statuses is the stacked bars of events per day by status.
func (d *insightsPage) statuses(snap *insights.Snapshot) {
	if len(snap.StatusesPerDay) == 0 {
		return
	}
	n := int(insights.StatusWindow / (24 * time.Hour))
	cats := make([]string, n)
	for i := range cats {
		cats[i] = snap.DaysSince.AddDate(0, 0, i).Format("01-02")
	}
	byStatus := map[model.Status][]float64{}
	totals := map[model.Status]int64{}
	for _, c := range snap.StatusesPerDay {
		i := int(c.Day.Sub(snap.DaysSince) / (24 * time.Hour))
		if i < 0 || i >= n {
			continue
		}
		if byStatus[c.Status] == nil {
			byStatus[c.Status] = make([]float64, n)
		}
		byStatus[c.Status][i] += float64(c.Count)
		totals[c.Status] += c.Count
	}
	order := append([]model.Status{}, statusOrder...)
	for st := range byStatus {
		if !containsStatus(order, st) {
			order = append(order, st) // a status this list does not know yet
		}
	}
	var series []chart.Series
	for _, st := range order {
		if byStatus[st] == nil {
			continue
		}
		series = append(series, chart.Series{Name: string(st), Values: byStatus[st]})
		d.StatusTotal = append(d.StatusTotal, statusTotal{Status: st, Events: totals[st]})
	}
	d.Statuses = chart.StackedBars{
		Meta: chart.Meta{
			ID: "chart-statuses-per-day", Title: "Events per day by status",
			Desc:   fmt.Sprintf("The canonical status of each event, per UTC day, over the %d days from %s.", n, snap.DaysSince.Format("2006-01-02")),
			XLabel: "Day (UTC, month-day)", YLabel: "Events",
		},
		Categories: cats,
		Series:     series,
	}.Render()
}

func containsStatus(list []model.Status, s model.Status) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// transit is the grouped bars of p50 and p90 transit time per carrier.
func (d *insightsPage) transit(snap *insights.Snapshot) {
	if len(snap.Transit) == 0 {
		return
	}
	var cats []string
	p50 := chart.Series{Name: "p50 (median)"}
	p90 := chart.Series{Name: "p90"}
	for _, t := range snap.Transit {
		cats = append(cats, t.Carrier)
		p50.Values = append(p50.Values, t.P50.Hours())
		p90.Values = append(p90.Values, t.P90.Hours())
		d.TransitRows = append(d.TransitRows, transitRow{Carrier: t.Carrier, Shipments: t.Shipments, P50: chart.Hours(t.P50.Hours()), P90: chart.Hours(t.P90.Hours())})
	}
	d.Transit = chart.GroupedBars{
		Meta: chart.Meta{
			ID: "chart-transit", Title: "Transit time per carrier, p50 and p90",
			Desc:   "Hours from the first carrier scan (or the collection) to the delivery, of the shipments delivered in the last 30 days: the median and the 90th percentile per carrier.",
			XLabel: "Carrier", YLabel: "Hours", Format: chart.Hours,
		},
		Categories: cats,
		Series:     []chart.Series{p50, p90},
	}.Render()
}

// rates is the grouped bars of exception and failed-attempt rates per
// carrier, and the first-attempt delivery rate.
func (d *insightsPage) rates(snap *insights.Snapshot) {
	if len(snap.Rates) == 0 {
		return
	}
	var cats []string
	exc := chart.Series{Name: "exception rate"}
	failed := chart.Series{Name: "failed-attempt rate"}
	for _, r := range snap.Rates {
		cats = append(cats, r.Carrier)
		e, f := share(r.Exceptions, r.Shipments), share(r.FailedAttempts, r.Shipments)
		exc.Values = append(exc.Values, e)
		failed.Values = append(failed.Values, f)
		row := rateRow{Carrier: r.Carrier, Shipments: r.Shipments, Exceptions: r.Exceptions, Failed: r.FailedAttempts,
			ExceptionRate: chart.Percent(round1(e)), FailedRate: chart.Percent(round1(f)), Delivered: r.Delivered, FirstOK: "—"}
		if r.Delivered > 0 {
			row.FirstOK = chart.Percent(round1(share(r.FirstAttempt, r.Delivered)))
		}
		d.RateRows = append(d.RateRows, row)
		d.Delivered += r.Delivered
		d.FirstAttempt += r.FirstAttempt
	}
	d.Rates = chart.GroupedBars{
		Meta: chart.Meta{
			ID: "chart-rates", Title: "Exception and failed-attempt rates per carrier",
			Desc:   "The share of each carrier's shipments updated in the last 30 days that had any exception event, and any failed delivery attempt.",
			XLabel: "Carrier", YLabel: "Share of shipments", Format: chart.Percent,
		},
		Categories: cats,
		Series:     []chart.Series{exc, failed},
		Max:        100,
	}.Render()
	if d.Delivered == 0 {
		return
	}
	rate := float64(d.FirstAttempt) / float64(d.Delivered)
	d.FirstRate = chart.Percent(round1(rate * 100))
	d.First = chart.BigNumber{
		Meta: chart.Meta{
			ID: "chart-first-attempt", Title: "First-attempt delivery rate",
			Desc: fmt.Sprintf("%s of %s delivered shipments were delivered without a failed attempt before.", thousands(d.FirstAttempt), thousands(d.Delivered)),
		},
		Value: rate,
		Note:  fmt.Sprintf("%s of %s delivered", thousands(d.FirstAttempt), thousands(d.Delivered)),
	}.Render()
}

// share is part/whole in percent; 0 of nothing.
func share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// thousands formats n with commas: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

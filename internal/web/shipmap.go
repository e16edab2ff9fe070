package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// The shipment map is drawn on the server as an SVG, with no tiles: the
// events' GPS points, projected equirectangularly (longitude scaled by the
// cosine of the points' mean latitude, so distances look right at the
// parcel's latitude) into a fixed viewBox with padding, joined by a line in
// time order and numbered, so it reads without colour.
const (
	mapWidth   = 320.0
	mapHeight  = 200.0
	mapPadding = 20.0
)

// mapPoint is one event with coordinates, projected into the viewBox.
type mapPoint struct {
	N    int // 1-based, in time order
	X, Y float64
	At   time.Time
	Text string // the event's location text, if any
	Lat  float64
	Lon  float64
}

// projectEvents projects the events that have coordinates, in the order
// given (the timeline's time order, oldest first). It returns nil when
// none has any. A single point, or points at one place, are centred.
func projectEvents(events []model.Event) []mapPoint {
	var pts []mapPoint
	for _, e := range events {
		if e.Location == nil || e.Location.Lat == nil || e.Location.Lon == nil {
			continue
		}
		lat, lon := *e.Location.Lat, *e.Location.Lon
		if math.IsNaN(lat) || math.IsNaN(lon) || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			continue
		}
		pts = append(pts, mapPoint{N: len(pts) + 1, At: e.OccurredAt, Text: e.Location.Text, Lat: lat, Lon: lon})
	}
	if len(pts) == 0 {
		return nil
	}
	var meanLat float64
	for _, p := range pts {
		meanLat += p.Lat
	}
	meanLat /= float64(len(pts))
	k := math.Cos(meanLat * math.Pi / 180)
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		x, y := p.Lon*k, -p.Lat
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	dx, dy := maxX-minX, maxY-minY
	scale := 0.0 // all at one place: everything in the centre
	if dx > 0 || dy > 0 {
		scale = math.Inf(1)
		if dx > 0 {
			scale = (mapWidth - 2*mapPadding) / dx
		}
		if dy > 0 {
			scale = math.Min(scale, (mapHeight-2*mapPadding)/dy)
		}
	}
	// Centre the drawing in the box along the axis it does not fill.
	offX := (mapWidth - dx*scale) / 2
	offY := (mapHeight - dy*scale) / 2
	for i := range pts {
		pts[i].X = round1(offX + (pts[i].Lon*k-minX)*scale)
		pts[i].Y = round1(offY + (-pts[i].Lat-minY)*scale)
	}
	return pts
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// mapSVG draws the points as the page's svg#map; the caller shows
// p#map-empty instead when there are none.
func mapSVG(pts []mapPoint) template.HTML {
	var b strings.Builder
	noun := "points"
	if len(pts) == 1 {
		noun = "point"
	}
	fmt.Fprintf(&b, `<svg id="map" class="shipment-map" role="img" viewBox="0 0 %g %g" aria-label="Map of %d GPS %s of this shipment, numbered in time order">`,
		mapWidth, mapHeight, len(pts), noun)
	fmt.Fprintf(&b, `<rect class="map-bg" x="0" y="0" width="%g" height="%g"></rect>`, mapWidth, mapHeight)
	if len(pts) > 1 {
		coords := make([]string, len(pts))
		for i, p := range pts {
			coords[i] = fmt.Sprintf("%g,%g", p.X, p.Y)
		}
		fmt.Fprintf(&b, `<polyline class="map-route" points="%s"></polyline>`, strings.Join(coords, " "))
	}
	for _, p := range pts {
		title := fmt.Sprintf("%d. %s", p.N, p.At.UTC().Format("2006-01-02 15:04 UTC"))
		if p.Text != "" {
			title += ", " + p.Text
		}
		title += fmt.Sprintf(" (%.5f, %.5f)", p.Lat, p.Lon)
		fmt.Fprintf(&b, `<g class="map-point"><circle class="gps-point" cx="%g" cy="%g" r="5"><title>%s</title></circle>`, p.X, p.Y, html.EscapeString(title))
		fmt.Fprintf(&b, `<text class="map-label" x="%g" y="%g">%d</text></g>`, p.X+7, p.Y-7, p.N)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated text is escaped above
}

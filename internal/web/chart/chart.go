// Package chart draws the dashboard's charts as server-rendered SVG, with no
// script and no dependency. Every chart is readable without colour: series
// differ by dash pattern and marker shape (lines) or hatch pattern (bars)
// as well as by colour, lines and bars carry direct labels, and each chart
// is followed by its data as a table for screen readers (a <details>).
// Every colour has a contrast of at least 3:1 against white (WCAG 1.4.11).
//
// Input is never trusted to be tidy: NaN, infinite and negative values are
// drawn as zero, series shorter than the categories are padded, and huge
// values still give finite ticks.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Palette is the series colours, in order; each has a contrast ratio of at
// least 3:1 against white.
var Palette = []string{"#1f5fa8", "#b23c17", "#2d7a3a", "#6b3fa0", "#8a6d00", "#0e7c86", "#a3195b", "#4d4d4d"}

// Dashes are the lines' dash patterns, in series order.
var Dashes = []string{"", "8 4", "2 3", "10 3 2 3", "4 4", "12 6", "1 6", "6 2 2 2 2 2"}

// markers are the lines' marker shapes, in series order.
var markers = []string{"circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus", "ring"}

// hatches are the bars' fill patterns, in series order: solid first.
var hatches = []string{"solid", "diagonal", "dots", "cross", "horizontal", "vertical", "back-diagonal", "grid"}

// Meta is what every chart has.
type Meta struct {
	// ID is unique in the page: the chart's elements' ids start with it.
	ID string
	// Title names the chart (<title>, the table's caption).
	Title string
	// Desc says what it shows in a sentence or two (<desc>).
	Desc string
	// XLabel and YLabel are the axes' titles.
	XLabel, YLabel string
	// Format formats a value for ticks, labels and the table; nil means
	// Number.
	Format func(float64) string
}

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
}

// Line is a multi-series line chart over categories (such as hours).
type Line struct {
	Meta
	Categories []string
	Series     []Series
}

// StackedBars stacks the series' values of each category in one bar.
type StackedBars struct {
	Meta
	Categories []string
	Series     []Series
}

// GroupedBars draws, per category, one bar per series side by side, each
// labelled with its value.
type GroupedBars struct {
	Meta
	Categories []string
	Series     []Series
	// Max is the top of the value axis; 0 means from the data (a rate
	// chart sets 100).
	Max float64
}

// BigNumber is one figure, a fraction from 0 to 1, shown as a percentage
// in large type above a bar filled to it.
type BigNumber struct {
	Meta
	// Value is the fraction (0.93 is 93 %).
	Value float64
	// Note says what the figure is of ("1,204 of 1,296 delivered").
	Note string
}

// Number formats a value compactly: 950, 1.2k, 3.4M.
func Number(v float64) string {
	v = clean(v)
	a := math.Abs(v)
	switch {
	case a >= 1e12:
		return strconv.FormatFloat(v/1e12, 'f', 1, 64) + "T"
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', 1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

// Percent formats a value that is already a percentage: 12.5 %.
func Percent(v float64) string {
	v = clean(v)
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " %"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " %"
}

// Hours formats a value in hours: 36 h, 1.5 h; under an hour in minutes:
// 12 min.
func Hours(v float64) string {
	v = clean(v)
	if v > 0 && v < 1 {
		return strconv.FormatFloat(math.Round(v*60), 'f', 0, 64) + " min"
	}
	if v >= 10 || v == math.Trunc(v) {
		return Number(math.Round(v)) + " h"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " h"
}

// clean makes a value drawable: NaN, ±Inf and negatives become 0, and
// values are capped so sums of them stay finite.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	if v > 1e300 {
		return 1e300
	}
	return v
}

func (m Meta) format(v float64) string {
	if m.Format != nil {
		return m.Format(v)
	}
	return Number(v)
}

// valueAt is a series' value of a category, cleaned; 0 when missing.
func valueAt(s Series, i int) float64 {
	if i < len(s.Values) {
		return clean(s.Values[i])
	}
	return 0
}

// niceTicks returns the ticks of an axis from 0 to at least max: round
// steps of 1, 2 or 5 × 10ⁿ, at most about six of them.
func niceTicks(max float64) []float64 {
	max = clean(max)
	if max == 0 {
		return []float64{0, 1}
	}
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 5, 10} {
		step = f * mag
		if step >= raw {
			break
		}
	}
	if !(step > 0) || math.IsInf(step, 0) || max/step > 20 {
		return []float64{0, max}
	}
	ticks := []float64{0}
	for v := step; len(ticks) < 12; v += step {
		ticks = append(ticks, v)
		if v >= max {
			break
		}
	}
	return ticks
}

// Geometry shared by the axis charts (SVG user units).
const (
	width   = 640.0
	height  = 280.0
	padL    = 64.0
	padR    = 120.0 // room for the direct labels at the lines' ends
	padT    = 26.0
	padB    = 56.0
	plotW   = width - padL - padR
	plotH   = height - padT - padB
	fontPx  = 12
	textClr = "#1a1a1a"
	gridClr = "#6b6b6b"
)

func esc(s string) string { return template.HTMLEscapeString(s) }

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// open writes the <svg> element with its title and description.
func open(b *strings.Builder, m Meta, h float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" id="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title %s-desc" font-size="%d" font-family="system-ui, sans-serif" fill="%s">`,
		esc(m.ID), f2(width), f2(h), esc(m.ID), esc(m.ID), fontPx, textClr)
	fmt.Fprintf(b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(m.ID), esc(m.Title), esc(m.ID), esc(m.Desc))
}

// axes draws the value axis with its ticks and grid, the category axis
// with its labels (every nth when they are many), and both titles. It
// returns the y of a value.
func axes(b *strings.Builder, m Meta, categories []string, ticks []float64, x func(i int) float64) func(float64) float64 {
	top := ticks[len(ticks)-1]
	y := func(v float64) float64 { return padT + plotH - clean(v)/top*plotH }
	b.WriteString(`<g class="axis y-axis">`)
	for _, t := range ticks {
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="0.5" stroke-dasharray="1 3"/>`, f2(padL), f2(padL+plotW), f2(y(t)), f2(y(t)), gridClr)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, f2(padL-6), f2(y(t)), esc(m.format(t)))
	}
	fmt.Fprintf(b, `<text class="axis-title" transform="translate(14 %s) rotate(-90)" text-anchor="middle">%s</text>`, f2(padT+plotH/2), esc(m.YLabel))
	b.WriteString(`</g><g class="axis x-axis">`)
	fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, f2(padL), f2(padL+plotW), f2(padT+plotH), f2(padT+plotH), textClr)
	fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, f2(padL), f2(padL), f2(padT), f2(padT+plotH), textClr)
	every := (len(categories) + 7) / 8
	if every < 1 {
		every = 1
	}
	for i, c := range categories {
		if i%every != 0 {
			continue
		}
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, f2(x(i)), f2(x(i)), f2(padT+plotH), f2(padT+plotH+4), textClr)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, f2(x(i)), f2(padT+plotH+18), esc(c))
	}
	fmt.Fprintf(b, `<text class="axis-title" x="%s" y="%s" text-anchor="middle">%s</text>`, f2(padL+plotW/2), f2(height-8), esc(m.XLabel))
	b.WriteString(`</g>`)
	return y
}

// noData draws the empty chart's message.
func noData(b *strings.Builder) {
	fmt.Fprintf(b, `<text class="no-data" x="%s" y="%s" text-anchor="middle">No data yet</text>`, f2(padL+plotW/2), f2(padT+plotH/2))
}

// marker draws a series' marker shape centred on (x, y).
func marker(b *strings.Builder, shape, color string, x, y float64) {
	const r = 4.0
	switch shape {
	case "square":
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f2(x-r), f2(y-r), f2(2*r), f2(2*r), color)
	case "triangle":
		fmt.Fprintf(b, `<path d="M%s %sL%s %sL%s %sZ" fill="%s"/>`, f2(x), f2(y-r-1), f2(x+r+1), f2(y+r), f2(x-r-1), f2(y+r), color)
	case "triangle-down":
		fmt.Fprintf(b, `<path d="M%s %sL%s %sL%s %sZ" fill="%s"/>`, f2(x), f2(y+r+1), f2(x+r+1), f2(y-r), f2(x-r-1), f2(y-r), color)
	case "diamond":
		fmt.Fprintf(b, `<path d="M%s %sL%s %sL%s %sL%s %sZ" fill="%s"/>`, f2(x), f2(y-r-1), f2(x+r+1), f2(y), f2(x), f2(y+r+1), f2(x-r-1), f2(y), color)
	case "cross":
		fmt.Fprintf(b, `<path d="M%s %sL%s %sM%s %sL%s %s" stroke="%s" stroke-width="2.5"/>`, f2(x-r), f2(y-r), f2(x+r), f2(y+r), f2(x-r), f2(y+r), f2(x+r), f2(y-r), color)
	case "plus":
		fmt.Fprintf(b, `<path d="M%s %sL%s %sM%s %sL%s %s" stroke="%s" stroke-width="2.5"/>`, f2(x-r-1), f2(y), f2(x+r+1), f2(y), f2(x), f2(y-r-1), f2(x), f2(y+r+1), color)
	case "ring":
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="%s" fill="#ffffff" stroke="%s" stroke-width="2"/>`, f2(x), f2(y), f2(r), color)
	default:
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`, f2(x), f2(y), f2(r), color)
	}
}

// patternDefs defines the hatch patterns of n series, with ids
// <chart>-hatch-<i>.
func patternDefs(b *strings.Builder, id string, n int) {
	b.WriteString(`<defs>`)
	for i := 0; i < n; i++ {
		c := Palette[i%len(Palette)]
		fmt.Fprintf(b, `<pattern id="%s-hatch-%d" width="8" height="8" patternUnits="userSpaceOnUse">`, esc(id), i)
		switch hatches[i%len(hatches)] {
		case "solid":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="%s"/>`, c)
		case "diagonal":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M-2 2L2 -2M0 8L8 0M6 10L10 6" stroke="%s" stroke-width="2.5"/>`, c)
		case "back-diagonal":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M-2 6L2 10M0 0L8 8M6 -2L10 2" stroke="%s" stroke-width="2.5"/>`, c)
		case "dots":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><circle cx="4" cy="4" r="2.2" fill="%s"/>`, c)
		case "cross":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M0 0L8 8M0 8L8 0" stroke="%s" stroke-width="1.8"/>`, c)
		case "horizontal":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M0 2H8M0 6H8" stroke="%s" stroke-width="2"/>`, c)
		case "vertical":
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M2 0V8M6 0V8" stroke="%s" stroke-width="2"/>`, c)
		default: // grid
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#ffffff"/><path d="M0 4H8M4 0V8" stroke="%s" stroke-width="1.8"/>`, c)
		}
		b.WriteString(`</pattern>`)
	}
	b.WriteString(`</defs>`)
}

// legend draws one swatch and name per series below the chart, for bars
// (lines are labelled at their ends instead).
func legend(b *strings.Builder, id string, series []Series, y float64) {
	x := padL
	fmt.Fprintf(b, `<g class="legend">`)
	for i, s := range series {
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="14" height="14" fill="url(#%s-hatch-%d)" stroke="%s"/>`, f2(x), f2(y), esc(id), i, Palette[i%len(Palette)])
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`, f2(x+18), f2(y+11), esc(s.Name))
		x += 18 + float64(7*len([]rune(s.Name))) + 16
		if x > width-80 {
			x = padL
			y += 20
		}
	}
	b.WriteString(`</g>`)
}

// legendHeight is how much room legend needs below the chart.
func legendHeight(series []Series) float64 {
	x, rows := padL, 1.0
	for _, s := range series {
		x += 18 + float64(7*len([]rune(s.Name))) + 16
		if x > width-80 {
			x = padL
			rows++
		}
	}
	return rows*20 + 8
}

// table renders the chart's data as a table inside a <details>.
func table(m Meta, head []string, rows [][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<details class="chart-data"><summary>Data table: %s</summary><div class="table-wrap"><table id="%s-data"><caption>%s</caption><thead><tr>`, esc(m.Title), esc(m.ID), esc(m.Title))
	for _, h := range head {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(h))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range rows {
		b.WriteString(`<tr>`)
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(&b, `<th scope="row">%s</th>`, esc(c))
			} else {
				fmt.Fprintf(&b, `<td>%s</td>`, esc(c))
			}
		}
		b.WriteString(`</tr>`)
	}
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="%d">No data yet</td></tr>`, len(head))
	}
	b.WriteString(`</tbody></table></div></details>`)
	return b.String()
}

// figure wraps a chart's SVG and its table.
func figure(m Meta, svg, tbl string) template.HTML {
	// On a narrow screen the chart keeps a legible size and scrolls
	// sideways in its box, which takes the focus so a keyboard can scroll it.
	return template.HTML(`<figure class="chart" id="` + esc(m.ID) + `-figure"><div class="chart-scroll" tabindex="0" role="group" aria-label="` +
		esc(m.Title) + ` (chart)">` + svg + `</div>` + tbl + `</figure>`)
}

// seriesTable is the table of series over categories: a row per category.
func seriesTable(m Meta, first string, categories []string, series []Series) string {
	head := []string{first}
	for _, s := range series {
		head = append(head, s.Name)
	}
	rows := make([][]string, 0, len(categories))
	for i, c := range categories {
		r := []string{c}
		for _, s := range series {
			r = append(r, m.format(valueAt(s, i)))
		}
		rows = append(rows, r)
	}
	return table(m, head, rows)
}

func hasData(categories []string, series []Series) bool {
	return len(categories) > 0 && len(series) > 0
}

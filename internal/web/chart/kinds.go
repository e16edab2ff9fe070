package chart

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
)

// Render draws the line chart followed by its data table.
func (c Line) Render() template.HTML {
	var b strings.Builder
	open(&b, c.Meta, height)
	n := len(c.Categories)
	x := func(i int) float64 {
		if n <= 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(n-1)
	}
	max := 0.0
	for _, s := range c.Series {
		for i := range c.Categories {
			max = math.Max(max, valueAt(s, i))
		}
	}
	y := axes(&b, c.Meta, c.Categories, niceTicks(max), x)
	if !hasData(c.Categories, c.Series) {
		noData(&b)
	}
	every := (n + 11) / 12 // markers on at most about a dozen points
	if every < 1 {
		every = 1
	}
	type endLabel struct {
		name  string
		y     float64
		index int
	}
	var ends []endLabel
	for si, s := range c.Series {
		if n == 0 {
			break
		}
		color := Palette[si%len(Palette)]
		var d strings.Builder
		for i := range c.Categories {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, f2(x(i)), f2(y(valueAt(s, i))))
		}
		fmt.Fprintf(&b, `<g class="series" data-series="%s"><path d="%s" fill="none" stroke="%s" stroke-width="2"`, esc(s.Name), d.String(), color)
		if dash := Dashes[si%len(Dashes)]; dash != "" {
			fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
		}
		b.WriteString(`/>`)
		shape := markers[si%len(markers)]
		for i := range c.Categories {
			if i%every == 0 || i == n-1 {
				marker(&b, shape, color, x(i), y(valueAt(s, i)))
			}
		}
		b.WriteString(`</g>`)
		ends = append(ends, endLabel{name: s.Name, y: y(valueAt(s, n-1)), index: si})
	}
	// Direct labels at the lines' ends, pushed apart so none overlaps.
	sort.SliceStable(ends, func(i, j int) bool { return ends[i].y < ends[j].y })
	for i := 1; i < len(ends); i++ {
		if ends[i].y < ends[i-1].y+14 {
			ends[i].y = ends[i-1].y + 14
		}
	}
	for _, e := range ends {
		lx := x(n-1) + 10
		marker(&b, markers[e.index%len(markers)], Palette[e.index%len(Palette)], lx, e.y)
		fmt.Fprintf(&b, `<text class="direct-label" x="%s" y="%s" dominant-baseline="middle">%s</text>`, f2(lx+8), f2(e.y), esc(e.name))
	}
	b.WriteString(`</svg>`)
	return figure(c.Meta, b.String(), seriesTable(c.Meta, c.XLabel, c.Categories, c.Series))
}

// Render draws the stacked bars, a legend of their patterns, and the
// data table.
func (c StackedBars) Render() template.HTML {
	var b strings.Builder
	slot, x := openBars(&b, c.Meta, c.Categories, c.Series)
	max := 0.0
	for i := range c.Categories {
		sum := 0.0
		for _, s := range c.Series {
			sum += valueAt(s, i)
		}
		max = math.Max(max, sum)
	}
	y := axes(&b, c.Meta, c.Categories, niceTicks(max), x)
	if !hasData(c.Categories, c.Series) {
		noData(&b)
	}
	bw := slot * 0.7
	for i, cat := range c.Categories {
		base := 0.0
		fmt.Fprintf(&b, `<g class="bar" data-category="%s">`, esc(cat))
		for si, s := range c.Series {
			v := valueAt(s, i)
			if v == 0 {
				continue
			}
			top, bottom := y(base+v), y(base)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s-hatch-%d)" stroke="%s" stroke-width="1"><title>%s, %s: %s</title></rect>`,
				f2(x(i)-bw/2), f2(top), f2(bw), f2(math.Max(0, bottom-top)), esc(c.ID), si, Palette[si%len(Palette)], esc(cat), esc(s.Name), esc(c.format(v)))
			base += v
		}
		b.WriteString(`</g>`)
	}
	return closeBars(&b, c.Meta, c.XLabel, c.Categories, c.Series)
}

// Render draws the grouped bars, each labelled with its value, a legend of
// their patterns, and the data table.
func (c GroupedBars) Render() template.HTML {
	var b strings.Builder
	slot, x := openBars(&b, c.Meta, c.Categories, c.Series)
	max := clean(c.Max)
	if max == 0 {
		for _, s := range c.Series {
			for i := range c.Categories {
				max = math.Max(max, valueAt(s, i))
			}
		}
	}
	y := axes(&b, c.Meta, c.Categories, niceTicks(max), x)
	if !hasData(c.Categories, c.Series) {
		noData(&b)
	}
	group := slot * 0.8
	bw := group / math.Max(1, float64(len(c.Series)))
	for i, cat := range c.Categories {
		fmt.Fprintf(&b, `<g class="bar-group" data-category="%s">`, esc(cat))
		for si, s := range c.Series {
			v := valueAt(s, i)
			left := x(i) - group/2 + bw*float64(si)
			top := math.Max(padT, y(v))
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s-hatch-%d)" stroke="%s" stroke-width="1"/>`,
				f2(left+1), f2(top), f2(math.Max(0, bw-2)), f2(padT+plotH-top), esc(c.ID), si, Palette[si%len(Palette)])
			fmt.Fprintf(&b, `<text class="value-label" x="%s" y="%s" text-anchor="middle">%s</text>`, f2(left+bw/2), f2(top-5), esc(c.format(v)))
		}
		b.WriteString(`</g>`)
	}
	return closeBars(&b, c.Meta, c.XLabel, c.Categories, c.Series)
}

// Render draws the figure in large type over a bar filled to it, and a
// one-row data table.
func (c BigNumber) Render() template.HTML {
	const h, barY, barH = 130.0, 78.0, 22.0
	v := math.Min(1, clean(c.Value))
	pct := Percent(math.Round(v*1000) / 10)
	var b strings.Builder
	open(&b, c.Meta, h)
	patternDefs(&b, c.ID, 1)
	fmt.Fprintf(&b, `<text class="big-number" x="%s" y="52" font-size="44" font-weight="700">%s</text>`, f2(padL), esc(pct))
	fmt.Fprintf(&b, `<text class="big-note" x="%s" y="52">%s</text>`, f2(padL+170), esc(c.Note))
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="%s"/>`, f2(padL), f2(barY), f2(plotW+padR-24), f2(barH), gridClr)
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s-hatch-0)" stroke="%s"/>`, f2(padL), f2(barY), f2((plotW+padR-24)*v), f2(barH), esc(c.ID), Palette[0])
	fmt.Fprintf(&b, `<text x="%s" y="%s">0 %%</text><text x="%s" y="%s" text-anchor="end">100 %%</text>`, f2(padL), f2(barY+barH+16), f2(padL+plotW+padR-24), f2(barY+barH+16))
	b.WriteString(`</svg>`)
	return figure(c.Meta, b.String(), table(c.Meta, []string{c.Title, "Value"}, [][]string{{c.Note, pct}}))
}

// openBars starts a bar chart: the SVG with room for the legend, the
// hatch patterns of its series, and one slot per category; x is the
// centre of category i's slot.
func openBars(b *strings.Builder, m Meta, categories []string, series []Series) (slot float64, x func(int) float64) {
	open(b, m, height+legendHeight(series))
	patternDefs(b, m.ID, len(series))
	slot = plotW / math.Max(1, float64(len(categories)))
	return slot, func(i int) float64 { return padL + slot*(float64(i)+0.5) }
}

// closeBars ends a bar chart with its legend and adds the data table.
func closeBars(b *strings.Builder, m Meta, xLabel string, categories []string, series []Series) template.HTML {
	legend(b, m.ID, series, height+4)
	b.WriteString(`</svg>`)
	return figure(m, b.String(), seriesTable(m, xLabel, categories, series))
}

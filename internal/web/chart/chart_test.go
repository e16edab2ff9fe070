package chart

import (
	"encoding/xml"
	"flag"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// examples is one chart of each kind, and the empty ones.
func examples() map[string]interface{ Render() template.HTML } {
	return map[string]interface{ Render() template.HTML }{
		"line": Line{
			Meta:       Meta{ID: "eph", Title: "Events per hour", Desc: "Events per hour per connection.", XLabel: "Hour (UTC)", YLabel: "Events"},
			Categories: []string{"10:00", "11:00", "12:00", "13:00"},
			Series:     []Series{{Name: "courier", Values: []float64{3, 8, 5, 12}}, {Name: "wics", Values: []float64{0, 2, 2, 12}}, {Name: "gcl", Values: []float64{1, 1}}},
		},
		"stacked": StackedBars{
			Meta:       Meta{ID: "spd", Title: "Statuses per day", Desc: "Events per day by status.", XLabel: "Day", YLabel: "Events"},
			Categories: []string{"03-01", "03-02", "03-03"},
			Series:     []Series{{Name: "in_transit", Values: []float64{10, 12, 9}}, {Name: "delivered", Values: []float64{4, 7, 8}}, {Name: "exception", Values: []float64{1, 0, 2}}},
		},
		"grouped": GroupedBars{
			Meta:       Meta{ID: "tt", Title: "Transit time", Desc: "p50 and p90 per carrier.", XLabel: "Carrier", YLabel: "Hours", Format: Hours},
			Categories: []string{"bpost", "dhl"},
			Series:     []Series{{Name: "p50", Values: []float64{20, 5}}, {Name: "p90", Values: []float64{30, 5.5}}},
		},
		"rates": GroupedBars{
			Meta:       Meta{ID: "rates", Title: "Rates", Desc: "Exception and failed-attempt rates per carrier.", XLabel: "Carrier", YLabel: "Share of shipments", Format: Percent},
			Categories: []string{"bpost", "courier"},
			Series:     []Series{{Name: "exception", Values: []float64{25, 0}}, {Name: "failed attempt", Values: []float64{25, 100}}},
			Max:        100,
		},
		"big":         BigNumber{Meta: Meta{ID: "fa", Title: "First-attempt delivery rate", Desc: "Delivered at the first attempt."}, Value: 0.8, Note: "4 of 5 delivered"},
		"line-empty":  Line{Meta: Meta{ID: "e1", Title: "Empty"}},
		"stack-empty": StackedBars{Meta: Meta{ID: "e2", Title: "Empty"}},
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for name, c := range examples() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := string(c.Render())
			wellFormed(t, got)
			path := filepath.Join("testdata", name+".html")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got+"\n"), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, strings.TrimSuffix(string(want), "\n"), got, "run go test ./internal/web/chart -update to accept")
		})
	}
}

func TestChartsAreAccessible(t *testing.T) {
	t.Parallel()
	for name, c := range examples() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := string(c.Render())
			require.Contains(t, got, `role="img"`)
			require.Contains(t, got, `<title id=`)
			require.Contains(t, got, `<desc id=`)
			require.Contains(t, got, `<details class="chart-data">`, "followed by its data table")
			require.Contains(t, got, `<th scope="col">`)
			require.NotContains(t, got, "NaN")
			require.NotContains(t, got, "style=", "no inline styles under the CSP")
		})
	}
}

// TestSeriesDifferWithoutColour checks that each of the first series of a
// kind has its own dash pattern, marker and hatch.
func TestSeriesDifferWithoutColour(t *testing.T) {
	t.Parallel()
	for _, set := range [][]string{Dashes, markers, hatches} {
		seen := map[string]bool{}
		for _, v := range set {
			require.False(t, seen[v], "%q repeats", v)
			seen[v] = true
		}
		require.Len(t, set, len(Palette))
	}
}

func TestPaletteContrastAgainstWhite(t *testing.T) {
	t.Parallel()
	for _, c := range append(append([]string{}, Palette...), textClr, gridClr) {
		require.GreaterOrEqual(t, contrast(c), 3.0, "colour %s", c)
	}
	require.GreaterOrEqual(t, contrast(textClr), 4.5, "text")
}

// contrast is the WCAG contrast ratio of #rrggbb against white.
func contrast(hex string) float64 {
	lum := 0.0
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += w * c
	}
	return 1.05 / (lum + 0.05)
}

func TestTicksAreRoundAndCoverTheMaximum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		max  float64
		want []float64
	}{
		{0, []float64{0, 1}},
		{math.NaN(), []float64{0, 1}},
		{7, []float64{0, 2, 4, 6, 8}},
		{100, []float64{0, 20, 40, 60, 80, 100}},
		{1234, []float64{0, 500, 1000, 1500}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, niceTicks(c.max), "max %v", c.max)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    func(float64) string
		v    float64
		want string
	}{
		{Hours, 0, "0 h"}, {Hours, 0.2, "12 min"}, {Hours, 1.5, "1.5 h"}, {Hours, 36.4, "36 h"},
		{Percent, 12.5, "12.5 %"}, {Percent, 100, "100 %"}, {Percent, math.NaN(), "0 %"},
		{Number, 950, "950"}, {Number, 12345, "12.3k"}, {Number, 3.4e6, "3.4M"}, {Number, -1, "0"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.f(c.v), "%v", c.v)
	}
}

// wellFormed checks the output parses as XML (the SVG and the table).
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader("<root>" + s + "</root>"))
	for {
		_, err := d.Token()
		if err != nil {
			require.ErrorContains(t, err, "EOF")
			return
		}
	}
}

// notFinite finds a coordinate that is NaN or infinite.
var notFinite = regexp.MustCompile(`\b(x|y|x1|x2|y1|y2|cx|cy|r|width|height|d|transform)="[^"]*(NaN|Inf)`)

func FuzzCharts(f *testing.F) {
	f.Add(1.0, 2.0, -3.0, "a", 3)
	f.Add(math.NaN(), math.Inf(1), math.Inf(-1), "", 0)
	f.Add(1e308, 1e308, 5e-324, "<b>&", 50)
	f.Fuzz(func(t *testing.T, a, b, c float64, name string, n int) {
		if n < 0 {
			n = -n
		}
		// Enough categories to crowd every axis; more only slow the smoke
		// run of CI (each execution renders four charts).
		n %= 60
		if len(name) > 80 {
			name = name[:80]
		}
		cats := make([]string, n)
		vals := make([]float64, n)
		for i := range cats {
			cats[i] = name
			vals[i] = []float64{a, b, c}[i%3]
		}
		series := []Series{{Name: name, Values: vals}, {Name: name, Values: []float64{c, b, a}}}
		m := Meta{ID: "f", Title: name}
		for _, out := range []template.HTML{
			Line{Meta: m, Categories: cats, Series: series}.Render(),
			StackedBars{Meta: m, Categories: cats, Series: series}.Render(),
			GroupedBars{Meta: m, Categories: cats, Series: series, Max: a}.Render(),
			BigNumber{Meta: m, Value: a, Note: name}.Render(),
		} {
			// The regular expression only where a number could have gone
			// wrong: it is most of an execution's time otherwise.
			if !strings.Contains(string(out), "NaN") && !strings.Contains(string(out), "Inf") {
				continue
			}
			if m := notFinite.FindString(string(out)); m != "" {
				t.Fatalf("a coordinate is not finite: %s", m)
			}
		}
	})
}

// Package deploy_test checks the monitoring files shipped in deploy/ against
// the metrics the hub registers: the Grafana dashboard parses and shows every
// shiphub series, and no dashboard query or alert rule names a metric, or a
// label, that the hub does not have (a renamed metric would otherwise leave
// a blank panel and an alert that can never fire).
package deploy_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/shiphub/shiphub/internal/metrics"
)

// family is one metric the hub registers.
type family struct {
	kind   string // counter, gauge or histogram
	labels []string
}

var descFields = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// registered reads the shiphub metrics off metrics.New() and
// metrics.NewCommandMetrics (which the command queue registers on the same
// registry): every collector field of the structs, with its kind and
// labels. (Gathering would miss the vectors that have no series yet.)
func registered(t *testing.T) map[string]family {
	t.Helper()
	out := map[string]family{}
	collectors(t, reflect.ValueOf(metrics.New()).Elem(), out)
	collectors(t, reflect.ValueOf(metrics.NewCommandMetrics(nil)).Elem(), out)
	require.NotEmpty(t, out)
	return out
}

// collectors adds the collector fields of the struct v to out.
func collectors(t *testing.T, v reflect.Value, out map[string]family) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		c, ok := f.Interface().(prometheus.Collector)
		if !ok || f.Type() == reflect.TypeFor[*prometheus.Registry]() {
			continue
		}
		var kind string
		switch c.(type) {
		case prometheus.Histogram, *prometheus.HistogramVec:
			kind = "histogram"
		case prometheus.Gauge, *prometheus.GaugeVec: // before Counter: a Gauge is one too
			kind = "gauge"
		case prometheus.Counter, *prometheus.CounterVec:
			kind = "counter"
		default:
			t.Fatalf("metrics.%s: unexpected collector type %T", v.Type().Field(i).Name, c)
		}
		ch := make(chan *prometheus.Desc, 1)
		c.Describe(ch)
		d := descFields.FindStringSubmatch((<-ch).String())
		require.NotNil(t, d, "metrics.%s: unreadable descriptor", v.Type().Field(i).Name)
		var labels []string
		if d[2] != "" {
			labels = strings.Split(d[2], ",")
		}
		out[d[1]] = family{kind: kind, labels: labels}
	}
}

// series maps every name a query may use to its family: counters by their
// name (already ending in _total), histograms by _bucket, _sum and _count.
func series(fams map[string]family) map[string]string {
	out := map[string]string{}
	for name, f := range fams {
		switch f.kind {
		case "histogram":
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[name+s] = name
			}
		default:
			out[name] = name
		}
	}
	return out
}

var (
	metricName = regexp.MustCompile(`\bshiphub_[a-zA-Z0-9_:]*`)
	selector   = regexp.MustCompile(`\b(shiphub_[a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	grouping   = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// targetLabels are added by Prometheus when it scrapes, not by the hub.
var targetLabels = []string{"job", "instance"}

// problems lists what is wrong with one PromQL expression: metrics the hub
// does not register, labels those metrics do not have, unbalanced brackets.
func problems(expr string, fams map[string]family) []string {
	names := series(fams)
	var out []string
	// Brackets balance outside strings: a cheap syntax check.
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range quoted.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '[', '{':
			stack = append(stack, r)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return append(out, "unbalanced brackets")
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		out = append(out, "unbalanced brackets")
	}
	used := map[string]bool{"le": false}
	for _, n := range metricName.FindAllString(expr, -1) {
		fam, ok := names[n]
		if !ok {
			out = append(out, "unknown metric "+n)
			continue
		}
		for _, l := range fams[fam].labels {
			used[l] = true
		}
		if strings.HasSuffix(n, "_bucket") {
			used["le"] = true
		}
	}
	for _, s := range selector.FindAllStringSubmatch(expr, -1) {
		fam, ok := names[s[1]]
		if !ok {
			continue
		}
		allowed := append(append([]string{}, fams[fam].labels...), targetLabels...)
		if strings.HasSuffix(s[1], "_bucket") {
			allowed = append(allowed, "le")
		}
		for _, m := range matcher.FindAllStringSubmatch(quoted.ReplaceAllString(s[2], `""`), -1) {
			if !slices.Contains(allowed, m[1]) {
				out = append(out, "metric "+s[1]+" has no label "+m[1])
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			l = strings.TrimSpace(l)
			if l != "" && !used[l] && !slices.Contains(targetLabels, l) {
				out = append(out, "no metric of the expression has label "+l)
			}
		}
	}
	return out
}

func TestTheCheckerCatchesWhatIsWrong(t *testing.T) {
	t.Parallel()
	fams := registered(t)
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`sum(rate(shiphub_delivery_attempts_total{result="success"}[5m]))`, nil},
		{`histogram_quantile(0.9, sum by (le) (rate(shiphub_delivery_latency_seconds_bucket{job="hub"}[5m])))`, nil},
		{`shiphub_delivery_latency_seconds_sum / shiphub_delivery_latency_seconds_count`, nil},
		{`rate(shiphub_no_such_metric_total[5m])`, []string{"unknown metric shiphub_no_such_metric_total"}},
		{`shiphub_inbox_pending_total`, []string{"unknown metric shiphub_inbox_pending_total"}},
		{`shiphub_delivery_latency_seconds`, []string{"unknown metric shiphub_delivery_latency_seconds"}},
		{`shiphub_delivery_dead_letters_total_bucket`, []string{"unknown metric shiphub_delivery_dead_letters_total_bucket"}},
		{`shiphub_delivery_attempts_total{status="ok"}`, []string{"metric shiphub_delivery_attempts_total has no label status"}},
		{`sum by (connection) (shiphub_delivery_attempts_total)`, []string{"no metric of the expression has label connection"}},
		{`sum(rate(shiphub_inbox_pending[5m])`, []string{"unbalanced brackets"}},
	} {
		require.Equal(t, c.want, problems(c.expr, fams), c.expr)
	}
}

// dashboard is what the test reads of a Grafana dashboard.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

func TestGrafanaDashboardShowsEverySeriesWithMetricsThatExist(t *testing.T) {
	t.Parallel()
	fams := registered(t)
	raw, err := os.ReadFile("grafana/shiphub.json")
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(raw, &d), "the dashboard is JSON")
	require.NotEmpty(t, d.UID)
	require.NotEmpty(t, d.Title)

	var all []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			all = append(all, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	ids := map[int]string{}
	shown := map[string]bool{}
	names := series(fams)
	for _, p := range all {
		require.NotContains(t, ids, p.ID, "panel ids are unique: %q and %q", ids[p.ID], p.Title)
		ids[p.ID] = p.Title
		require.NotEmpty(t, p.Title, "panel %d has a title", p.ID)
		if p.Type == "row" {
			continue
		}
		require.NotNil(t, p.Datasource, "panel %q names its data source", p.Title)
		require.Equal(t, "${datasource}", p.Datasource.UID, "panel %q uses the dashboard's data source variable", p.Title)
		require.NotEmpty(t, p.Targets, "panel %q has queries", p.Title)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "panel %q query %s", p.Title, tg.RefID)
			require.Empty(t, problems(tg.Expr, fams), "panel %q query %s: %s", p.Title, tg.RefID, tg.Expr)
			for _, n := range metricName.FindAllString(tg.Expr, -1) {
				shown[names[n]] = true
			}
		}
	}
	for _, v := range d.Templating.List {
		require.Empty(t, problems(v.Definition, fams), "variable %s: %s", v.Name, v.Definition)
	}
	var missing []string
	for name := range fams {
		if !shown[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "every shiphub series has a panel")
}

// ruleFile is a Prometheus rule file.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestPrometheusAlertRulesNameMetricsThatExist(t *testing.T) {
	t.Parallel()
	fams := registered(t)
	raw, err := os.ReadFile("prometheus/alerts.yml")
	require.NoError(t, err)
	var f ruleFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true) // a misspelt key would be ignored by the decoder, and by Prometheus refused
	require.NoError(t, dec.Decode(&f), "the rules are YAML in Prometheus's rule file format")
	require.NotEmpty(t, f.Groups)

	alerts := map[string]bool{}
	alerted := map[string]bool{}
	for _, g := range f.Groups {
		require.NotEmpty(t, g.Name)
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert, "every rule is an alert")
			require.False(t, alerts[r.Alert], "alert %s is defined once", r.Alert)
			alerts[r.Alert] = true
			require.NotEmpty(t, strings.TrimSpace(r.Expr), r.Alert)
			require.Empty(t, problems(r.Expr, fams), "alert %s: %s", r.Alert, r.Expr)
			if r.For != "" {
				_, err := time.ParseDuration(r.For)
				require.NoError(t, err, "alert %s: for", r.Alert)
			}
			require.Contains(t, []string{"warning", "critical"}, r.Labels["severity"], "alert %s: severity", r.Alert)
			require.NotEmpty(t, r.Annotations["summary"], "alert %s: summary", r.Alert)
			require.NotEmpty(t, r.Annotations["description"], "alert %s: description", r.Alert)
			for _, n := range metricName.FindAllString(r.Expr, -1) {
				alerted[series(fams)[n]] = true
			}
		}
	}
	// The trouble issue 9 asks operators to see before merchants do.
	for _, name := range []string{
		"shiphub_inbox_oldest_pending_age_seconds",
		"shiphub_inbox_failed",
		"shiphub_inbound_unretried_failures_total",
		"shiphub_delivery_dead_letters_total",
		"shiphub_endpoints_disabled",
		"shiphub_provider_requests_total",
		"shiphub_rate_budget_remaining",
		"shiphub_panics_recovered_total",
		// Issue 11's: commands given up, and a provider blocking a login.
		"shiphub_command_attempts_total",
		"shiphub_rate_blocked_until_seconds",
	} {
		require.True(t, alerted[name], "an alert watches %s", name)
	}
}

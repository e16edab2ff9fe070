package courier

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
)

// statusesTSV is the courier's complete status table with the canonical
// mapping of every row. It is data, not code, so that a corrected mapping is
// a one-line change reviewed next to the document's own words; the reasoning
// behind the mapping is the comment at the top of the file.
//
//go:embed statuses.tsv
var statusesTSV string

// StatusRow is one row of the courier's status table: the document's group,
// code and labels, and the canonical status shiphub maps it to.
type StatusRow struct {
	// Group is the document's status group: PROCESSING, DELIVERED,
	// CANCELLED, WARNING or NOTOK.
	Group string
	// Code is the courier's statuscode as the document writes it. Codes of
	// distributors are written with the placeholder prefix DistriPrefix.
	Code string
	// NL, FR and EN are the document's labels; some are empty.
	NL, FR, EN     string
	Status         model.Status
	Substatus      string
	ActionRequired bool
	// Comment says why the row's mapping was changed after review; empty
	// for most rows.
	Comment string
}

// DistriPrefix is the placeholder the document writes in front of a
// distributor's three-digit codes: "[distristatuscode]_205" stands for
// BPOST_205, DPD_205 and so on.
const DistriPrefix = "[distristatuscode]_"

// statusTable indexes the embedded table for lookups.
type statusTable struct {
	rows   []StatusRow
	exact  map[string][]int // code -> row indexes, in table order
	folded map[string][]int // lower-cased code -> row indexes
	distri map[string][]int // three-digit suffix -> row indexes
}

var table = mustParseTable(statusesTSV)

// Statuses returns a copy of the complete status table, in the document's
// order, for documentation and for tests that walk every row.
func Statuses() []StatusRow {
	return append([]StatusRow(nil), table.rows...)
}

// knownSubstatuses are the substatus values the table may use: the shared
// ones of package model, so a merchant can rely on them.
var knownSubstatuses = map[string]bool{
	"": true, model.SubCustoms: true, model.SubNotHome: true, model.SubClosed: true,
	model.SubRefused: true, model.SubAddressIssue: true, model.SubDamaged: true,
	model.SubDelayed: true, model.SubPartialDelivery: true, model.SubDeliveredNeighbour: true,
	model.SubNoSignature: true, model.SubDocumentsNeeded: true, model.SubPayment: true,
	model.SubRescheduled: true, model.SubPickupPlanned: true, model.SubSorting: true,
	model.SubInspection: true, model.SubNotReady: true, model.SubMoved: true, model.SubLost: true,
	model.SubOther: true,
}

// parseTable parses the TSV: '#' lines and blank lines are comments, every
// other line has exactly nine TAB-separated columns.
func parseTable(src string) (*statusTable, error) {
	t := &statusTable{
		exact:  map[string][]int{},
		folded: map[string][]int{},
		distri: map[string][]int{},
	}
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 9 {
			return nil, fmt.Errorf("statuses.tsv line %d: want 9 columns, got %d", n+1, len(cols))
		}
		row := StatusRow{
			Group: cols[0], Code: cols[1], NL: cols[2], FR: cols[3], EN: cols[4],
			Status: model.Status(cols[5]), Substatus: cols[6], Comment: cols[8],
		}
		switch cols[7] {
		case "true":
			row.ActionRequired = true
		case "false":
		default:
			return nil, fmt.Errorf("statuses.tsv line %d: action_required must be true or false, got %q", n+1, cols[7])
		}
		if row.Code == "" {
			return nil, fmt.Errorf("statuses.tsv line %d: empty code", n+1)
		}
		if !row.Status.Valid() || row.Status == model.StatusUnknown {
			return nil, fmt.Errorf("statuses.tsv line %d: status %q is not a canonical status a row may map to", n+1, cols[5])
		}
		if !knownSubstatuses[row.Substatus] {
			return nil, fmt.Errorf("statuses.tsv line %d: unknown substatus %q", n+1, row.Substatus)
		}
		i := len(t.rows)
		t.rows = append(t.rows, row)
		if suffix, ok := strings.CutPrefix(row.Code, DistriPrefix); ok {
			if !threeDigits.MatchString(suffix) {
				return nil, fmt.Errorf("statuses.tsv line %d: distributor code %q needs three digits", n+1, row.Code)
			}
			t.distri[suffix] = append(t.distri[suffix], i)
			continue
		}
		t.exact[row.Code] = append(t.exact[row.Code], i)
		lc := strings.ToLower(row.Code)
		t.folded[lc] = append(t.folded[lc], i)
	}
	if len(t.rows) == 0 {
		return nil, fmt.Errorf("statuses.tsv has no rows")
	}
	return t, nil
}

func mustParseTable(src string) *statusTable {
	t, err := parseTable(src)
	if err != nil {
		panic("courier: " + err.Error())
	}
	return t
}

var (
	threeDigits = regexp.MustCompile(`^[0-9]{3}$`)
	// distriCode is a distributor's code: its own prefix, an underscore and
	// three digits (BPOST_205, GLS_BE_205). The prefix may itself contain
	// underscores, dots and dashes between letters and digits. The courier's
	// own notOk_ codes share the shape but are never distributor codes.
	distriCode = regexp.MustCompile(`^([A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)_([0-9]{3})$`)
)

// Labels are the status labels of a message, by language; any may be empty.
type Labels struct {
	NL, FR, EN string
}

// LookupStatus finds what the table says about a statuscode: the exact code
// first, then the code case-insensitively, then, for a code of the form
// PREFIX_123, the distributor rows with that suffix. Where several rows
// share a code (the document lists notOk_98 three times), the message's
// labels pick the rows whose nl, fr and en labels match them
// (case-insensitively, none contradicting; the most matches win). When that
// leaves rows that disagree, the result is never simply the first row: it is
// the non-terminal meaning they share, or unknown (see resolve). It reports
// false when no row has the code: the caller then falls back on the group.
func LookupStatus(code string, labels Labels) (StatusRow, bool) {
	return table.lookup(code, labels)
}

func (t *statusTable) lookup(code string, labels Labels) (StatusRow, bool) {
	code = strings.TrimSpace(code)
	if code == "" {
		return StatusRow{}, false
	}
	if idx, ok := t.exact[code]; ok {
		return t.pick(idx, labels), true
	}
	if idx, ok := t.folded[strings.ToLower(code)]; ok {
		return t.pick(idx, labels), true
	}
	if m := distriCode.FindStringSubmatch(code); m != nil && !courierOwnPrefix(m[1]) {
		if idx, ok := t.distri[m[2]]; ok {
			return t.pick(idx, labels), true
		}
	}
	return StatusRow{}, false
}

// courierOwnPrefix reports whether a PREFIX_123 code's prefix is the
// courier's own notOk (notOk_205, notOk_1_205), not a distributor's.
func courierOwnPrefix(prefix string) bool {
	lc := strings.ToLower(prefix)
	return lc == "notok" || strings.HasPrefix(lc, "notok_") || strings.HasPrefix(lc, "notok.") || strings.HasPrefix(lc, "notok-")
}

// pick narrows a code's rows by the message's labels and resolves what is
// left into one meaning.
func (t *statusTable) pick(idx []int, labels Labels) StatusRow {
	if len(idx) == 1 {
		return t.rows[idx[0]]
	}
	want := [3]string{strings.TrimSpace(labels.NL), strings.TrimSpace(labels.FR), strings.TrimSpace(labels.EN)}
	best, picked := 0, []StatusRow(nil)
	for _, i := range idx {
		r := t.rows[i]
		have := [3]string{r.NL, r.FR, r.EN}
		matches, contradicts := 0, false
		for l := range want {
			if want[l] == "" || have[l] == "" {
				continue
			}
			if strings.EqualFold(want[l], have[l]) {
				matches++
			} else {
				contradicts = true
			}
		}
		switch {
		case contradicts || matches == 0 || matches < best:
		case matches > best:
			best, picked = matches, []StatusRow{r}
		default:
			picked = append(picked, r)
		}
	}
	if len(picked) == 0 { // the labels pick nothing: every row of the code is possible
		for _, i := range idx {
			picked = append(picked, t.rows[i])
		}
	}
	return resolve(picked)
}

// resolve makes one meaning of the rows a message may mean. Rows that agree
// on status, substatus and action_required are that meaning. Rows that
// disagree are resolved towards what can be corrected later: a terminal
// status is final (no later event overturns it), so when any row is
// non-terminal the terminal ones are dropped; the rest must share their
// status, or the meaning is unknown. The substatus is kept only where they
// agree, action_required is set when any row asks for it, and a label only
// where the rows have the same one.
func resolve(rows []StatusRow) StatusRow {
	out := rows[0]
	same := func(get func(StatusRow) string) string {
		for _, r := range rows[1:] {
			if get(r) != get(rows[0]) {
				return ""
			}
		}
		return get(rows[0])
	}
	out.NL = same(func(r StatusRow) string { return r.NL })
	out.FR = same(func(r StatusRow) string { return r.FR })
	out.EN = same(func(r StatusRow) string { return r.EN })
	out.Comment = ""
	agree := true
	for _, r := range rows[1:] {
		if r.Status != out.Status || r.Substatus != out.Substatus || r.ActionRequired != out.ActionRequired {
			agree = false
		}
	}
	if agree {
		return out
	}
	var open []StatusRow
	for _, r := range rows {
		if !r.Status.Terminal() {
			open = append(open, r)
		}
	}
	if len(open) == 0 {
		open = rows // every row is terminal: they must still share a status
	}
	out.Status, out.Substatus, out.ActionRequired = open[0].Status, open[0].Substatus, false
	for _, r := range open {
		if r.Status != out.Status {
			out.Status, out.Substatus, out.ActionRequired = model.StatusUnknown, "", false
			return out
		}
		if r.Substatus != out.Substatus {
			out.Substatus = ""
		}
		out.ActionRequired = out.ActionRequired || r.ActionRequired
	}
	return out
}

// groupStatuses is the canonical meaning of the document's groups, for a
// code no row matches: the group is the provider's own word. PROCESSING
// ("in verwerking") moves on by itself; WARNING is a problem the courier's
// team acts on; NOTOK is a problem that stops the order until someone acts.
var groupStatuses = map[string]StatusRow{
	"PROCESSING": {Group: "PROCESSING", Status: model.StatusInTransit},
	"DELIVERED":  {Group: "DELIVERED", Status: model.StatusDelivered},
	"CANCELLED":  {Group: "CANCELLED", Status: model.StatusCancelled},
	"WARNING":    {Group: "WARNING", Status: model.StatusException},
	"NOTOK":      {Group: "NOTOK", Status: model.StatusException, ActionRequired: true},
}

// LookupGroup is the meaning of a message's group (its status field) for a
// code no row matches; false for an empty or undocumented group.
func LookupGroup(group string) (StatusRow, bool) {
	row, ok := groupStatuses[strings.ToUpper(strings.TrimSpace(group))]
	return row, ok
}

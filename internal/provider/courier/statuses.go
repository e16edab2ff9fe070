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
// other line has exactly eight TAB-separated columns.
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
		if len(cols) != 8 {
			return nil, fmt.Errorf("statuses.tsv line %d: want 8 columns, got %d", n+1, len(cols))
		}
		row := StatusRow{
			Group: cols[0], Code: cols[1], NL: cols[2], FR: cols[3], EN: cols[4],
			Status: model.Status(cols[5]), Substatus: cols[6],
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
	// three digits (BPOST_205). The courier's own notOk_ codes share the
	// shape but are never distributor codes.
	distriCode = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9.-]*)_([0-9]{3})$`)
)

// LookupStatus finds the table row of a statuscode: the exact code first,
// then the code case-insensitively, then, for a code of the form
// PREFIX_123, the distributor row with that suffix. Where several rows share
// a code (the document lists notOk_98 three times), the row whose nl label
// equals labelNL (case-insensitively) wins, else the first. It reports false
// when no row matches: the caller then says unknown, never a guess.
func LookupStatus(code, labelNL string) (StatusRow, bool) {
	return table.lookup(code, labelNL)
}

func (t *statusTable) lookup(code, labelNL string) (StatusRow, bool) {
	code = strings.TrimSpace(code)
	if code == "" {
		return StatusRow{}, false
	}
	if idx, ok := t.exact[code]; ok {
		return t.pick(idx, labelNL), true
	}
	if idx, ok := t.folded[strings.ToLower(code)]; ok {
		return t.pick(idx, labelNL), true
	}
	if m := distriCode.FindStringSubmatch(code); m != nil && !strings.EqualFold(m[1], "notOk") {
		if idx, ok := t.distri[m[2]]; ok {
			return t.pick(idx, labelNL), true
		}
	}
	return StatusRow{}, false
}

func (t *statusTable) pick(idx []int, labelNL string) StatusRow {
	labelNL = strings.TrimSpace(labelNL)
	if labelNL != "" {
		for _, i := range idx {
			if strings.EqualFold(t.rows[i].NL, labelNL) {
				return t.rows[i]
			}
		}
	}
	return t.rows[idx[0]]
}

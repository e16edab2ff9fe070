package wics

import (
	_ "embed"
	"fmt"
	"strings"
)

// The status tables are data, not code, so that a corrected mapping is a
// one-line change reviewed beside its source; the reasoning behind each
// mapping is the comment at the top of its file.
var (
	//go:embed order_statuses.tsv
	orderStatusesTSV string
	//go:embed inbound_statuses.tsv
	inboundStatusesTSV string
)

// The canonical statuses (DESIGN.md, "Fulfilment contract") a WICS code can
// mean. Pending (held by shiphub) and rejected (a refused command) are
// shiphub's own, never a WICS code's; unknown is what a code no row knows
// gets.
const (
	OrderAccepted         = "accepted"
	OrderOnHold           = "on_hold"
	OrderProcessing       = "processing"
	OrderPartiallyShipped = "partially_shipped"
	OrderShipped          = "shipped"
	OrderCancelled        = "cancelled"

	InboundAnnounced = "announced"
	InboundReceiving = "receiving"
	InboundReceived  = "received"
	InboundCancelled = "cancelled"

	// StatusUnknown is the canonical status of a code no row knows.
	StatusUnknown = "unknown"
)

// StatusRow is one row of a status table.
type StatusRow struct {
	// Code is WICS's two-digit code, e.g. "30".
	Code string
	// Descriptions are the Dutch descriptions seen with the code, e.g.
	// "Bevestigd"; the first is the one the document writes, where it
	// writes one.
	Descriptions []string
	// Status is the canonical status the code means.
	Status string
	// Source says where the code and each description were seen.
	Source string
}

// StatusMatch is what a status table makes of a message's code and
// description.
type StatusMatch struct {
	// Code and Description are the message's, kept as sent: the canonical
	// provider_status {code, description}.
	Code        string
	Description string
	// Status is the canonical status; StatusUnknown when no row knows the
	// code.
	Status string
	// Row is the row that gave Status; nil when unknown.
	Row *StatusRow
	// DescriptionKnown reports whether Description is empty or one of the
	// row's descriptions (case-insensitively). The code decides the status
	// either way; a false here is worth a look at the table.
	DescriptionKnown bool
	// Tolerated is set when the code was not a code but the one
	// description of a row (the document's order list writes "statusCode":
	// "Bevestigd"), so the caller can record it.
	Tolerated string
}

// statusTable is a parsed, indexed status table.
type statusTable struct {
	name   string
	rows   []StatusRow
	byCode map[string]int
	byDesc map[string][]int // lower-cased description -> rows
}

var (
	orderTable   = mustParseStatusTable("order_statuses.tsv", orderStatusesTSV, []string{OrderAccepted, OrderOnHold, OrderProcessing, OrderPartiallyShipped, OrderShipped, OrderCancelled})
	inboundTable = mustParseStatusTable("inbound_statuses.tsv", inboundStatusesTSV, []string{InboundAnnounced, InboundReceiving, InboundReceived, InboundCancelled})
)

// OrderStatuses returns a copy of the order status table, for orders and
// their order and pickslip lines, in code order.
func OrderStatuses() []StatusRow { return orderTable.copyRows() }

// InboundStatuses returns a copy of the inbound status table, for
// announcements and receipts, in code order.
func InboundStatuses() []StatusRow { return inboundTable.copyRows() }

// LookupOrderStatus maps the statusCode and statusDescription of an Order
// status, OrderLineStatus or PickslipLineStatus message (or of an order
// read from the API) to the canonical order status.
func LookupOrderStatus(code, description string) StatusMatch {
	return orderTable.lookup(code, description)
}

// LookupInboundStatus maps the statusCode and statusDescription of an
// Announcement status or Receipt message to the canonical inbound status.
func LookupInboundStatus(code, description string) StatusMatch {
	return inboundTable.lookup(code, description)
}

func (t *statusTable) copyRows() []StatusRow {
	out := make([]StatusRow, len(t.rows))
	for i, r := range t.rows {
		r.Descriptions = append([]string(nil), r.Descriptions...)
		out[i] = r
	}
	return out
}

// lookup finds the row of a code, exactly (WICS's codes are digits; "0" is
// not "00"). A code that no row has, but that is the description of a row,
// case-insensitively, is read as that row and the reading is reported in
// Tolerated. A description that several rows share ("Ingevoerd": 00 and
// 10, which the Service Layer's order list sends as statusCode) is read as
// the first of them when they all have the same canonical status, so the
// reading guesses nothing canonical, and its rank is the lowest, so it
// never undoes a later status; rows that disagree leave it unknown.
// Anything else is unknown.
func (t *statusTable) lookup(code, description string) StatusMatch {
	m := StatusMatch{Code: code, Description: description, Status: StatusUnknown}
	if i, ok := t.byCode[code]; ok {
		r := t.rows[i]
		m.Status, m.Row = r.Status, &r
		m.DescriptionKnown = knownDescription(r, description)
		return m
	}
	idx := t.byDesc[strings.ToLower(strings.TrimSpace(code))]
	if len(idx) == 0 {
		return m
	}
	r := t.rows[idx[0]]
	for _, i := range idx[1:] {
		if t.rows[i].Status != r.Status {
			return m
		}
	}
	m.Status, m.Row = r.Status, &r
	m.DescriptionKnown = knownDescription(r, description)
	m.Tolerated = fmt.Sprintf("statusCode %q read as the description of code %s", clip(code), r.Code)
	return m
}

// knownDescription reports whether d is empty or one of r's descriptions.
func knownDescription(r StatusRow, d string) bool {
	d = strings.TrimSpace(d)
	if d == "" {
		return true
	}
	for _, have := range r.Descriptions {
		if strings.EqualFold(have, d) {
			return true
		}
	}
	return false
}

// parseStatusTable parses a TSV: '#' lines and blank lines are comments,
// every other line has four TAB-separated columns: code, descriptions
// (" | "-separated), status, source.
func parseStatusTable(name, src string, statuses []string) (*statusTable, error) {
	valid := map[string]bool{}
	for _, s := range statuses {
		valid[s] = true
	}
	t := &statusTable{name: name, byCode: map[string]int{}, byDesc: map[string][]int{}}
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			return nil, fmt.Errorf("%s line %d: want 4 columns, got %d", name, n+1, len(cols))
		}
		r := StatusRow{Code: cols[0], Descriptions: strings.Split(cols[1], " | "), Status: cols[2], Source: cols[3]}
		if len(r.Code) != 2 || r.Code[0] < '0' || r.Code[0] > '9' || r.Code[1] < '0' || r.Code[1] > '9' {
			return nil, fmt.Errorf("%s line %d: code %q is not two digits", name, n+1, r.Code)
		}
		if _, dup := t.byCode[r.Code]; dup {
			return nil, fmt.Errorf("%s line %d: code %s twice", name, n+1, r.Code)
		}
		if !valid[r.Status] {
			return nil, fmt.Errorf("%s line %d: status %q is not one a row may map to", name, n+1, r.Status)
		}
		if strings.TrimSpace(r.Source) == "" {
			return nil, fmt.Errorf("%s line %d: no source", name, n+1)
		}
		i := len(t.rows)
		for _, d := range r.Descriptions {
			if strings.TrimSpace(d) != d || d == "" {
				return nil, fmt.Errorf("%s line %d: empty or padded description %q", name, n+1, d)
			}
			t.byDesc[strings.ToLower(d)] = append(t.byDesc[strings.ToLower(d)], i)
		}
		t.rows = append(t.rows, r)
		t.byCode[r.Code] = i
	}
	if len(t.rows) == 0 {
		return nil, fmt.Errorf("%s has no rows", name)
	}
	return t, nil
}

func mustParseStatusTable(name, src string, statuses []string) *statusTable {
	t, err := parseStatusTable(name, src, statuses)
	if err != nil {
		panic("wics: " + err.Error())
	}
	return t
}

package wics

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sourcePair is a code and description a source shows together.
type sourcePair struct {
	code, description, source string
}

// documentOrderPairs are the order (and order line, pickslip line) codes of
// the document's webhook examples, old and new.
func documentOrderPairs(t *testing.T) []sourcePair {
	t.Helper()
	d := NewDecoder(nil)
	var out []sourcePair
	add := func(code, desc string) {
		if code != "" {
			out = append(out, sourcePair{code, desc, "doc"})
		}
	}
	os, _, err := d.DecodeOrderStatus(example(t, TopicOrderStatus))
	require.NoError(t, err)
	add(os.StatusCode, os.StatusDescription)
	add(os.OldStatusCode, os.OldStatusDescription)
	ol, _, err := d.DecodeOrderLineStatus(example(t, TopicOrderLineStatus))
	require.NoError(t, err)
	pl, _, err := d.DecodePickslipLineStatus(example(t, TopicPickslipLineStatus))
	require.NoError(t, err)
	for _, l := range append(ol.Lines, pl.Lines...) {
		add(l.StatusCode, l.StatusDescription)
		add(l.OldStatusCode, l.OldStatusDescription)
	}
	require.Len(t, out, 6)
	return out
}

// dashboardPairs reads the public clients' order status table, copied
// verbatim from wics-public-clients.md.
func dashboardPairs(t *testing.T) []sourcePair {
	t.Helper()
	raw, err := os.ReadFile("testdata/public_clients_order_status_codes.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| `([0-9]{2})` \\| (.+) \\|$")
	var out []sourcePair
	for _, line := range strings.Split(string(raw), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			out = append(out, sourcePair{m[1], m[2], "dashboard"})
		}
	}
	require.Len(t, out, 9, "public clients report nine order codes")
	return out
}

// documentInboundPairs are the announcement and receipt status codes the
// document shows: the Announcement status webhook and the receipt endpoints.
func documentInboundPairs(t *testing.T) []sourcePair {
	t.Helper()
	as, _, err := NewDecoder(nil).DecodeAnnouncementStatus(example(t, TopicAnnouncementStatus))
	require.NoError(t, err)
	out := []sourcePair{{as.StatusCode, as.StatusDescription, "doc"}}
	raw, err := os.ReadFile("testdata/api/get_receipt.json")
	require.NoError(t, err)
	var receipt struct {
		Data struct {
			StatusCode, StatusDescription string
			Lines                         []struct{ StatusCode, StatusDescription string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &receipt))
	out = append(out, sourcePair{receipt.Data.StatusCode, receipt.Data.StatusDescription, "doc"})
	for _, l := range receipt.Data.Lines {
		out = append(out, sourcePair{l.StatusCode, l.StatusDescription, "doc"})
	}
	return out
}

// checkTableAgainstSources: every pair a source shows is a row's code and
// one of its descriptions; every row and every description is backed by a
// source; and the source column names exactly the sources that back it.
func checkTableAgainstSources(t *testing.T, rows []StatusRow, pairs []sourcePair) {
	t.Helper()
	byCode := map[string]StatusRow{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	for _, p := range pairs {
		r, ok := byCode[p.code]
		require.True(t, ok, "%s shows code %s: it has a row", p.source, p.code)
		require.Contains(t, r.Descriptions, p.description, "%s shows %s %q", p.source, p.code, p.description)
		require.Contains(t, r.Source, p.source+": ", "row %s names its source %s", p.code, p.source)
		require.Contains(t, r.Source, p.description, "row %s quotes %q from %s", p.code, p.description, p.source)
	}
	for _, r := range rows {
		for _, d := range r.Descriptions {
			backed := slices.ContainsFunc(pairs, func(p sourcePair) bool { return p.code == r.Code && p.description == d })
			require.True(t, backed, "row %s description %q is seen in a source", r.Code, d)
		}
		for _, src := range []string{"doc", "dashboard"} {
			backed := slices.ContainsFunc(pairs, func(p sourcePair) bool { return p.code == r.Code && p.source == src })
			if !backed {
				require.NotContains(t, r.Source, src+": ", "row %s names %s, which does not show it", r.Code, src)
			}
		}
	}
}

func TestOrderStatusTableAgainstTheDocuments(t *testing.T) {
	t.Parallel()
	rows := OrderStatuses()
	pairs := append(documentOrderPairs(t), dashboardPairs(t)...)
	checkTableAgainstSources(t, rows, pairs)
	var codes []string
	for _, r := range rows {
		codes = append(codes, r.Code)
	}
	require.Equal(t, []string{"00", "10", "20", "30", "40", "50", "60", "70", "90"}, codes, "the codes public clients report, and no other")

	// The document's order endpoints write the description in statusCode.
	raw, err := os.ReadFile("testdata/api/get_order.json")
	require.NoError(t, err)
	var order struct{ Data struct{ StatusCode string } }
	require.NoError(t, json.Unmarshal(raw, &order))
	require.Equal(t, "Bevestigd", order.Data.StatusCode)
	m := LookupOrderStatus(order.Data.StatusCode, "")
	require.Equal(t, OrderAccepted, m.Status)
	require.Equal(t, "30", m.Row.Code)
	require.Contains(t, m.Row.Source, `doc: List Orders and Get Order examples, "statusCode": "Bevestigd"`)
}

func TestInboundStatusTableAgainstTheDocument(t *testing.T) {
	t.Parallel()
	// And the one code taken from the order table: WICS's cancelled code,
	// which confirms an announcement's cancel.
	fromOrders := []sourcePair{{code: "90", description: "Geannuleerd", source: "order_statuses.tsv"}}
	checkTableAgainstSources(t, InboundStatuses(), append(documentInboundPairs(t), fromOrders...))
	orders := LookupOrderStatus("90", "Geannuleerd")
	require.Contains(t, orders.Row.Descriptions, "Geannuleerd", "as the order table has it")
}

func TestLookupOrderStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, code, desc string
		status           string
		row              string
		descKnown        bool
		tolerated        bool
	}{
		{"CreatedAsTheOrderStatusExample", "00", "Aangemaakt", OrderAccepted, "00", true, false},
		{"EnteredAsTheOrderLineExample", "00", "Ingevoerd", OrderAccepted, "00", true, false},
		{"EnteredAsTheDashboard", "10", "Ingevoerd", OrderAccepted, "10", true, false},
		{"Released", "20", "Vrijgegeven", OrderAccepted, "20", true, false},
		{"Confirmed", "30", "Bevestigd", OrderAccepted, "30", true, false},
		{"InProgress", "40", "In uitvoering", OrderProcessing, "40", true, false},
		{"Picked", "50", "Gepickt", OrderProcessing, "50", true, false},
		{"HandledInFull", "60", "Afgehandeld, volledige levering", OrderShipped, "60", true, false},
		{"Handled", "60", "afgehandeld", OrderShipped, "60", true, false},
		{"Shipped", "70", "Verzonden", OrderShipped, "70", true, false},
		{"Cancelled", "90", "Geannuleerd", OrderCancelled, "90", true, false},
		{"NoDescription", "40", "", OrderProcessing, "40", true, false},
		{"TheCodeDecidesAnUnseenDescription", "60", "Afgehandeld, gedeeltelijke levering", OrderShipped, "60", false, false},
		{"UnknownCodeIsKept", "80", "Iets nieuws", StatusUnknown, "", false, false},
		{"ZeroIsNotDoubleZero", "0", "Aangemaakt", StatusUnknown, "", false, false},
		{"PaddedCodeIsNotACode", " 30", "Bevestigd", StatusUnknown, "", false, false},
		{"EmptyCode", "", "", StatusUnknown, "", false, false},
		{"DescriptionInTheCodeField", "Bevestigd", "", OrderAccepted, "30", true, true},
		{"DescriptionInTheCodeFieldAnyCase", "in uitvoering", "", OrderProcessing, "40", true, true},
		{"SharedDescriptionInTheCodeFieldReadsAsItsFirstRowWhenTheRowsAgree", "Ingevoerd", "", OrderAccepted, "00", true, true},
	}
	for _, c := range cases {
		m := LookupOrderStatus(c.code, c.desc)
		require.Equal(t, c.code, m.Code, c.name)
		require.Equal(t, c.desc, m.Description, c.name)
		require.Equal(t, c.status, m.Status, c.name)
		if c.row == "" {
			require.Nil(t, m.Row, c.name)
		} else {
			require.Equal(t, c.row, m.Row.Code, c.name)
		}
		require.Equal(t, c.descKnown, m.DescriptionKnown, c.name)
		require.Equal(t, c.tolerated, m.Tolerated != "", c.name)
	}
}

func TestLookupInboundStatus(t *testing.T) {
	t.Parallel()
	require.Equal(t, InboundAnnounced, LookupInboundStatus("00", "Aangemaakt").Status)
	require.Equal(t, InboundReceived, LookupInboundStatus("60", "Opgeslagen").Status)
	require.Equal(t, InboundCancelled, LookupInboundStatus("90", "Geannuleerd").Status, "the confirmation of a cancel")
	m := LookupInboundStatus("30", "Bevestigd")
	require.Equal(t, StatusUnknown, m.Status)
	require.Equal(t, "30", m.Code)
}

// TestStatusTablesAreStrict: a malformed table does not load.
func TestStatusTablesAreStrict(t *testing.T) {
	t.Parallel()
	statuses := []string{OrderAccepted}
	for name, src := range map[string]string{
		"three columns":   "00\tAangemaakt\taccepted\n",
		"bad code":        "0\tAangemaakt\taccepted\tdoc: x\n",
		"code twice":      "00\tA\taccepted\tdoc: x\n00\tB\taccepted\tdoc: y\n",
		"unknown status":  "00\tA\tpending\tdoc: x\n",
		"no source":       "00\tA\taccepted\t \n",
		"empty desc":      "00\tA | \taccepted\tdoc: x\n",
		"no rows":         "# only a comment\n",
		"unknown mapping": "00\tA\tunknown\tdoc: x\n",
	} {
		_, err := parseStatusTable("t.tsv", src, statuses)
		require.Error(t, err, name)
	}
	// The row copies are the caller's own.
	rows := OrderStatuses()
	rows[0].Descriptions[0] = "changed"
	require.NotEqual(t, "changed", OrderStatuses()[0].Descriptions[0])
}

// TestASharedDescriptionInTheCodeFieldIsUnknownWhenItsRowsDisagree: a
// description read as a code guesses nothing canonical. When the rows that
// share it have different statuses it stays unknown.
func TestASharedDescriptionInTheCodeFieldIsUnknownWhenItsRowsDisagree(t *testing.T) {
	t.Parallel()
	tab, err := parseStatusTable("test", "10\tOpen | Klaar\taccepted\ttest\n20\tKlaar\tshipped\ttest\n30\tOpen\taccepted\ttest\n",
		[]string{OrderAccepted, OrderShipped})
	require.NoError(t, err)
	for _, c := range []struct {
		code, status, row string
	}{
		{"Klaar", StatusUnknown, ""},
		{"open", OrderAccepted, "10"},
	} {
		m := tab.lookup(c.code, "")
		require.Equal(t, c.status, m.Status, c.code)
		if c.row == "" {
			require.Nil(t, m.Row, c.code)
		} else {
			require.Equal(t, c.row, m.Row.Code, c.code)
		}
	}
}

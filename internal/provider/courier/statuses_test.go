package courier

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// documentRow is one row of the document's table: group, code, nl, fr, en.
type documentRow [5]string

// readDocumentTable reads testdata/document_table.txt, the document's table
// copied verbatim: "group | code | nl | fr | en |", with a header and a
// separator line, and cells that may be missing at the end of a row.
func readDocumentTable(t *testing.T) []documentRow {
	t.Helper()
	raw, err := os.ReadFile("testdata/document_table.txt")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	require.Greater(t, len(lines), 2)
	require.True(t, strings.HasPrefix(lines[0], "status | statuscode |"), "the first line is the document's header")
	var rows []documentRow
	for _, line := range lines[2:] {
		cells := strings.Split(line, "|")
		var row documentRow
		for i := range row {
			if i < len(cells) {
				row[i] = strings.TrimSpace(cells[i])
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func TestEveryTableRowMapsToACanonicalStatus(t *testing.T) {
	t.Parallel()
	rows := Statuses()
	require.Len(t, rows, 166, "the document lists 166 rows")
	groups := map[string]bool{"PROCESSING": true, "DELIVERED": true, "CANCELLED": true, "WARNING": true, "NOTOK": true}
	byCode := map[string][]StatusRow{}
	for _, r := range rows {
		require.True(t, r.Status.Valid(), "row %s: status %q", r.Code, r.Status)
		require.NotEqual(t, model.StatusUnknown, r.Status, "row %s maps to unknown", r.Code)
		require.True(t, knownSubstatuses[r.Substatus], "row %s: substatus %q", r.Code, r.Substatus)
		require.True(t, groups[r.Group], "row %s: group %q", r.Code, r.Group)
		if r.ActionRequired {
			require.Contains(t, []model.Status{model.StatusException, model.StatusDelivered}, r.Status,
				"row %s: only exceptions (and an incomplete delivery) ask the merchant to act", r.Code)
		}
		byCode[r.Code] = append(byCode[r.Code], r)
	}
	// Every row is found by its own code and its own nl label.
	for _, r := range rows {
		code := r.Code
		if suffix, ok := strings.CutPrefix(code, DistriPrefix); ok {
			code = "BPOST_" + suffix
		}
		got, ok := LookupStatus(code, r.NL)
		require.True(t, ok, "row %s is found", r.Code)
		if r.NL != "" {
			require.Equal(t, r, got, "row %s with label %q", r.Code, r.NL)
		}
	}
}

func TestDocumentTableAndEmbeddedTableAreTheSame(t *testing.T) {
	t.Parallel()
	doc := readDocumentTable(t)
	var embedded []documentRow
	for _, r := range Statuses() {
		embedded = append(embedded, documentRow{r.Group, r.Code, r.NL, r.FR, r.EN})
	}
	inEmbedded := map[documentRow]bool{}
	for _, r := range embedded {
		inEmbedded[r] = true
	}
	inDoc := map[documentRow]bool{}
	for _, r := range doc {
		inDoc[r] = true
		require.True(t, inEmbedded[r], "document row %q is in statuses.tsv", r)
	}
	for _, r := range embedded {
		require.True(t, inDoc[r], "statuses.tsv row %q is in the document", r)
	}
	require.Equal(t, doc, embedded, "statuses.tsv keeps the document's order and duplicates")
}

func TestLookupStatus(t *testing.T) {
	t.Parallel()
	type want struct {
		status model.Status
		sub    string
		action bool
		nl     string
	}
	cases := []struct {
		name    string
		code    string
		labelNL string
		found   bool
		want    want
	}{
		{"PickupPlannedIsInfoReceived", "PICKUP_PLANNED", "", true, want{model.StatusInfoReceived, model.SubPickupPlanned, false, "Ophaling gepland"}},
		{"ReadyToSendIsInfoReceived", "READY_TO_SEND", "", true, want{model.StatusInfoReceived, "", false, "Trackingnummer"}},
		{"TakeIsInTransit", "take", "", true, want{model.StatusInTransit, "", false, "Mee met koerier"}},
		{"CustomsIsInTransitAtCustoms", "AT_CUSTOMS", "", true, want{model.StatusInTransit, model.SubCustoms, false, "Bij Douane"}},
		{"SortingCentreIsSorting", "AT_SORTING_CENTRE", "", true, want{model.StatusInTransit, model.SubSorting, false, "Aangekomen in sorteercentrum"}},
		{"DepotOutIsOutForDelivery", "DEPOT_OUT", "", true, want{model.StatusOutForDelivery, "", false, "Uit voor levering"}},
		{"DeliveredIsDelivered", "DELIVERED", "", true, want{model.StatusDelivered, "", false, "Geleverd"}},
		{"LowerCaseDeliveryIsItsOwnRow", "delivery", "", true, want{model.StatusDelivered, "", false, "Geleverd"}},
		{"NotHomeIsAFailedAttempt", "notOk_10", "", true, want{model.StatusFailedAttempt, model.SubNotHome, false, "NIET THUIS"}},
		{"ClosedIsAFailedAttempt", "notOk_13", "", true, want{model.StatusFailedAttempt, model.SubClosed, false, "GESLOTEN"}},
		{"RefusedNeedsAction", "REFUSED_BY_RECIPIENT", "", true, want{model.StatusException, model.SubRefused, true, "Geweigerd door bestemmeling"}},
		{"AddressErrorNeedsAction", "notOk_24", "", true, want{model.StatusException, model.SubAddressIssue, true, "ADRES FOUT"}},
		{"DocumentsNeededNeedsAction", "notOk_590", "", true, want{model.StatusException, model.SubDocumentsNeeded, true, "PAKLIJST NODIG"}},
		{"OrderReturnIsReturned", "notOk_560", "", true, want{model.StatusReturned, "", false, "OPDRACHT RETOUR"}},
		{"AnIsCancelled", "AN", "", true, want{model.StatusCancelled, "", false, "Geannuleerd"}},
		{"DeliveryAnIsCancelled", "DELIVERY_AN", "", true, want{model.StatusCancelled, "", false, "Annulatie"}},
		{"BillIsPaymentInformation", "bill_CA", "", true, want{model.StatusInTransit, model.SubPayment, false, "Cash betaald"}},
		{"CodeIsMatchedCaseInsensitively", "at_customs", "", true, want{model.StatusInTransit, model.SubCustoms, false, "Bij Douane"}},
		{"SurroundingSpacesAreIgnored", "  take ", "", true, want{model.StatusInTransit, "", false, "Mee met koerier"}},
		{"DistributorNeighbourIsDeliveredToNeighbour", "BPOST_205", "", true, want{model.StatusDelivered, model.SubDeliveredNeighbour, false, "AFGEZET BIJ DE BUREN"}},
		{"AnyDistributorPrefixMatches", "XYZ_205", "", true, want{model.StatusDelivered, model.SubDeliveredNeighbour, false, "AFGEZET BIJ DE BUREN"}},
		{"DistributorWithoutSignature", "DPD_206", "", true, want{model.StatusDelivered, model.SubNoSignature, false, "AFGEZET ZONDER HANDTEKENING"}},
		{"DistributorPartialDelivery", "GLS_207", "", true, want{model.StatusDelivered, model.SubPartialDelivery, false, "GEDEELTELIJKE LEVERING"}},
		{"DistributorDamaged", "BPOST_209", "", true, want{model.StatusDelivered, model.SubDamaged, false, "GELEVERD VERPAKKING BESCHADIGD"}},
		{"DistributorClosed", "BPOST_221", "", true, want{model.StatusFailedAttempt, model.SubClosed, false, "GESLOTEN (REDEN ONBEKEND)"}},
		{"DistributorRefusal", "BPOST_233", "", true, want{model.StatusException, model.SubRefused, true, "WEIGERING (NIET BESTELD)"}},
		{"DistributorAddressNotFound", "BPOST_219", "", true, want{model.StatusException, model.SubAddressIssue, true, "ADRES NIET GEVONDEN"}},
		{"DuplicateCodeTakesTheRowOfItsLabel", "notOk_98", "straat onbekend", true, want{model.StatusException, model.SubAddressIssue, true, "STRAAT ONBEKEND"}},
		{"DuplicateCodeWithoutLabelTakesTheFirstRow", "notOk_98", "", true, want{model.StatusDelivered, model.SubPartialDelivery, true, "ZENDING ONVOLLEDIG GELEVERD"}},
		{"DuplicateCodeWithAnUnknownLabelTakesTheFirstRow", "notOk_80", "iets anders", true, want{model.StatusException, model.SubNotHome, true, "GR2 NI 3X"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row, ok := LookupStatus(tc.code, tc.labelNL)
			require.Equal(t, tc.found, ok)
			require.Equal(t, tc.want, want{row.Status, row.Substatus, row.ActionRequired, row.NL})
		})
	}
}

func TestLookupStatusDoesNotGuess(t *testing.T) {
	t.Parallel()
	for _, code := range []string{
		"", "   ", "NEW_CODE", "XYZ_299", "XYZ_2050", "_205", "BPOST_20", "notOk_205", "notOk_231", "205",
		"[distristatuscode]_205", "DELIVERED_EXTRA",
	} {
		t.Run("Code "+code+" is unknown", func(t *testing.T) {
			t.Parallel()
			_, ok := LookupStatus(code, "")
			require.False(t, ok)
		})
	}
}

func TestParseTableRejectsBadRows(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"TooFewColumns":        "PROCESSING\ttake\tMee\tEn\tTaken\tin_transit\t\n",
		"UnknownStatus":        "PROCESSING\ttake\t\t\t\tmoving\t\tfalse\n",
		"UnknownRowStatus":     "PROCESSING\ttake\t\t\t\tunknown\t\tfalse\n",
		"UnknownSubstatus":     "PROCESSING\ttake\t\t\t\tin_transit\tsomewhere\tfalse\n",
		"BadActionRequired":    "PROCESSING\ttake\t\t\t\tin_transit\t\tyes\n",
		"EmptyCode":            "PROCESSING\t\t\t\t\tin_transit\t\tfalse\n",
		"DistributorNotDigits": "DELIVERED\t[distristatuscode]_2x5\t\t\t\tdelivered\t\tfalse\n",
		"NoRows":               "# only a comment\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parseTable(src)
			require.Error(t, err)
		})
	}
	_, err := parseTable("# ok\nPROCESSING\ttake\tMee\t\t\tin_transit\t\tfalse\n")
	require.NoError(t, err)
}

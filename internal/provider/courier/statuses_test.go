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
			require.Equal(t, model.StatusException, r.Status, "row %s: only exceptions ask the merchant to act", r.Code)
		}
		byCode[r.Code] = append(byCode[r.Code], r)
	}
	// Every row is found by its own code and its own nl label.
	for _, r := range rows {
		code := r.Code
		if suffix, ok := strings.CutPrefix(code, DistriPrefix); ok {
			code = "BPOST_" + suffix
		}
		got, ok := LookupStatus(code, Labels{NL: r.NL, FR: r.FR, EN: r.EN})
		require.True(t, ok, "row %s is found", r.Code)
		if r.NL != "" && len(byCode[r.Code]) == 1 {
			require.Equal(t, r, got, "row %s with its labels", r.Code)
		}
		if r.NL != "" {
			require.Equal(t, r.Status, got.Status, "row %s with its labels %q", r.Code, r.NL)
			require.Equal(t, r.Substatus, got.Substatus, "row %s with its labels %q", r.Code, r.NL)
			require.Equal(t, r.NL, got.NL, "row %s with its labels %q", r.Code, r.NL)
		}
	}
}

// TestTerminalMappingsAgreeWithTheirGroup: a terminal status is final, so a
// row is terminal exactly when its group is DELIVERED or CANCELLED, unless
// its comment column says why not (after a review).
func TestTerminalMappingsAgreeWithTheirGroup(t *testing.T) {
	t.Parallel()
	for _, r := range Statuses() {
		terminalGroup := r.Group == "DELIVERED" || r.Group == "CANCELLED"
		if r.Status.Terminal() != terminalGroup {
			require.NotEmpty(t, r.Comment, "row %s %q: group %s maps to %s without a reason in the comment column", r.Code, r.NL, r.Group, r.Status)
		}
		if r.Substatus == model.SubPartialDelivery {
			require.False(t, r.Status.Terminal(), "row %s %q: a partial delivery is not the end", r.Code, r.NL)
		}
	}
}

// TestRowsOfOneCodeNeverResolveToTerminalWhenOneIsNot: whatever labels a
// message carries, a code with a non-terminal row never becomes terminal
// unless the labels pick a terminal row alone.
func TestRowsOfOneCodeNeverResolveToTerminalWhenOneIsNot(t *testing.T) {
	t.Parallel()
	byCode := map[string][]StatusRow{}
	for _, r := range Statuses() {
		byCode[r.Code] = append(byCode[r.Code], r)
	}
	for code, rows := range byCode {
		if len(rows) < 2 {
			continue
		}
		for _, labels := range []Labels{{}, {NL: "iets anders"}, {FR: rows[0].FR}, {EN: rows[len(rows)-1].EN}, {NL: rows[0].NL, FR: rows[len(rows)-1].FR}} {
			got, ok := LookupStatus(code, labels)
			require.True(t, ok)
			if !got.Status.Terminal() {
				continue
			}
			for _, r := range rows {
				require.True(t, r.Status.Terminal() || !matchesAll(r, labels), "code %s with labels %+v became %s although row %q is not terminal", code, labels, got.Status, r.NL)
			}
		}
	}
}

// matchesAll reports whether none of the labels contradicts the row's.
func matchesAll(r StatusRow, l Labels) bool {
	for _, p := range [][2]string{{r.NL, l.NL}, {r.FR, l.FR}, {r.EN, l.EN}} {
		if p[0] != "" && p[1] != "" && !strings.EqualFold(p[0], p[1]) {
			return false
		}
	}
	return true
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
		name   string
		code   string
		labels Labels
		found  bool
		want   want
	}{
		{"PickupPlannedIsInfoReceived", "PICKUP_PLANNED", Labels{}, true, want{model.StatusInfoReceived, model.SubPickupPlanned, false, "Ophaling gepland"}},
		{"ReadyToSendIsInfoReceived", "READY_TO_SEND", Labels{}, true, want{model.StatusInfoReceived, "", false, "Trackingnummer"}},
		{"TakeIsInTransit", "take", Labels{}, true, want{model.StatusInTransit, "", false, "Mee met koerier"}},
		{"CustomsIsInTransitAtCustoms", "AT_CUSTOMS", Labels{}, true, want{model.StatusInTransit, model.SubCustoms, false, "Bij Douane"}},
		{"SortingCentreIsSorting", "AT_SORTING_CENTRE", Labels{}, true, want{model.StatusInTransit, model.SubSorting, false, "Aangekomen in sorteercentrum"}},
		{"DepotOutIsOutForDelivery", "DEPOT_OUT", Labels{}, true, want{model.StatusOutForDelivery, "", false, "Uit voor levering"}},
		{"DeliveredIsDelivered", "DELIVERED", Labels{}, true, want{model.StatusDelivered, "", false, "Geleverd"}},
		{"LowerCaseDeliveryIsItsOwnRow", "delivery", Labels{}, true, want{model.StatusDelivered, "", false, "Geleverd"}},
		{"NotHomeIsAFailedAttempt", "notOk_10", Labels{}, true, want{model.StatusFailedAttempt, model.SubNotHome, false, "NIET THUIS"}},
		{"ClosedIsAFailedAttempt", "notOk_13", Labels{}, true, want{model.StatusFailedAttempt, model.SubClosed, false, "GESLOTEN"}},
		{"RefusedNeedsAction", "REFUSED_BY_RECIPIENT", Labels{}, true, want{model.StatusException, model.SubRefused, true, "Geweigerd door bestemmeling"}},
		{"AddressErrorNeedsAction", "notOk_24", Labels{NL: "ADRES FOUT"}, true, want{model.StatusException, model.SubAddressIssue, true, "ADRES FOUT"}},
		{"DocumentsNeededNeedsAction", "notOk_590", Labels{}, true, want{model.StatusException, model.SubDocumentsNeeded, true, "PAKLIJST NODIG"}},
		{"OrderReturnIsReturned", "notOk_560", Labels{}, true, want{model.StatusReturned, "", false, "OPDRACHT RETOUR"}},
		{"AnIsCancelled", "AN", Labels{}, true, want{model.StatusCancelled, "", false, "Geannuleerd"}},
		{"DeliveryAnIsCancelled", "DELIVERY_AN", Labels{}, true, want{model.StatusCancelled, "", false, "Annulatie"}},
		{"BillIsPaymentInformation", "bill_CA", Labels{}, true, want{model.StatusInTransit, model.SubPayment, false, "Cash betaald"}},
		{"CodeIsMatchedCaseInsensitively", "at_customs", Labels{}, true, want{model.StatusInTransit, model.SubCustoms, false, "Bij Douane"}},
		{"SurroundingSpacesAreIgnored", "  take ", Labels{}, true, want{model.StatusInTransit, "", false, "Mee met koerier"}},
		{"DistributorNeighbourIsDeliveredToNeighbour", "BPOST_205", Labels{}, true, want{model.StatusDelivered, model.SubDeliveredNeighbour, false, "AFGEZET BIJ DE BUREN"}},
		{"AnyDistributorPrefixMatches", "XYZ_205", Labels{}, true, want{model.StatusDelivered, model.SubDeliveredNeighbour, false, "AFGEZET BIJ DE BUREN"}},
		{"DistributorWithoutSignature", "DPD_206", Labels{}, true, want{model.StatusDelivered, model.SubNoSignature, false, "AFGEZET ZONDER HANDTEKENING"}},
		{"DistributorPartialDeliveryIsNotTerminal", "GLS_207", Labels{}, true, want{model.StatusInTransit, model.SubPartialDelivery, false, "GEDEELTELIJKE LEVERING"}},
		{"DistributorPrefixWithAnUnderscore", "GLS_BE_205", Labels{}, true, want{model.StatusDelivered, model.SubDeliveredNeighbour, false, "AFGEZET BIJ DE BUREN"}},
		{"DistributorPrefixWithADotAndADash", "POST.NL-X_221", Labels{}, true, want{model.StatusFailedAttempt, model.SubClosed, false, "GESLOTEN (REDEN ONBEKEND)"}},
		{"DistributorDamaged", "BPOST_209", Labels{}, true, want{model.StatusDelivered, model.SubDamaged, false, "GELEVERD VERPAKKING BESCHADIGD"}},
		{"DistributorClosed", "BPOST_221", Labels{}, true, want{model.StatusFailedAttempt, model.SubClosed, false, "GESLOTEN (REDEN ONBEKEND)"}},
		{"DistributorRefusal", "BPOST_233", Labels{}, true, want{model.StatusException, model.SubRefused, true, "WEIGERING (NIET BESTELD)"}},
		{"DistributorAddressNotFound", "BPOST_219", Labels{}, true, want{model.StatusException, model.SubAddressIssue, true, "ADRES NIET GEVONDEN"}},
		{"DuplicateCodeTakesTheRowOfItsLabel", "notOk_98", Labels{NL: "straat onbekend"}, true, want{model.StatusException, model.SubAddressIssue, true, "STRAAT ONBEKEND"}},
		{"DuplicateCodeTakesTheRowOfItsFrenchLabel", "notOk_98", Labels{FR: "rue inconnue"}, true, want{model.StatusException, model.SubAddressIssue, true, "STRAAT ONBEKEND"}},
		{"DuplicateCodeTakesTheRowOfItsEnglishLabel", "notOk_98", Labels{EN: "Street Unknown"}, true, want{model.StatusException, model.SubAddressIssue, true, "STRAAT ONBEKEND"}},
		{"AnIncompleteDeliveryIsNotTerminal", "notOk_98", Labels{NL: "ONVOLLEDIG GELEVERD"}, true, want{model.StatusException, model.SubPartialDelivery, true, "ONVOLLEDIG GELEVERD"}},
		{"ALabelSharedByTwoRowsKeepsWhatTheyShare", "notOk_98", Labels{FR: "LIVRAISON INCOMPLÈTE"}, true, want{model.StatusException, model.SubPartialDelivery, true, ""}},
		{"DuplicateCodeWithoutLabelIsNeverTheFirstRowsDelivered", "notOk_98", Labels{}, true, want{model.StatusException, "", true, ""}},
		{"ContradictingLabelsPickNoRow", "notOk_98", Labels{NL: "STRAAT ONBEKEND", FR: "LIVRAISON INCOMPLÈTE"}, true, want{model.StatusException, "", true, ""}},
		{"DuplicateCodeWithAnUnknownLabelKeepsWhatTheRowsShare", "notOk_80", Labels{NL: "iets anders"}, true, want{model.StatusException, "", true, ""}},
		{"DuplicateCodeWhoseRowsAgreeKeepsTheirSubstatus", "notOk_24", Labels{}, true, want{model.StatusException, model.SubAddressIssue, true, ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row, ok := LookupStatus(tc.code, tc.labels)
			require.Equal(t, tc.found, ok)
			require.Equal(t, tc.want, want{row.Status, row.Substatus, row.ActionRequired, row.NL})
		})
	}
}

func TestLookupStatusDoesNotGuess(t *testing.T) {
	t.Parallel()
	for _, code := range []string{
		"", "   ", "NEW_CODE", "XYZ_299", "XYZ_2050", "_205", "BPOST_20", "notOk_205", "notOk_231", "205",
		"[distristatuscode]_205", "DELIVERED_EXTRA", "notOk_1_205", "NOTOK-X_231", "BPOST__205", "BPOST_-205", "_BPOST_205",
	} {
		t.Run("Code "+code+" is unknown", func(t *testing.T) {
			t.Parallel()
			_, ok := LookupStatus(code, Labels{})
			require.False(t, ok)
		})
	}
}

func TestParseTableRejectsBadRows(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"TooFewColumns":        "PROCESSING\ttake\tMee\tEn\tTaken\tin_transit\t\tfalse\n",
		"UnknownStatus":        "PROCESSING\ttake\t\t\t\tmoving\t\tfalse\t\n",
		"UnknownRowStatus":     "PROCESSING\ttake\t\t\t\tunknown\t\tfalse\t\n",
		"UnknownSubstatus":     "PROCESSING\ttake\t\t\t\tin_transit\tsomewhere\tfalse\t\n",
		"BadActionRequired":    "PROCESSING\ttake\t\t\t\tin_transit\t\tyes\t\n",
		"EmptyCode":            "PROCESSING\t\t\t\t\tin_transit\t\tfalse\t\n",
		"DistributorNotDigits": "DELIVERED\t[distristatuscode]_2x5\t\t\t\tdelivered\t\tfalse\t\n",
		"NoRows":               "# only a comment\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parseTable(src)
			require.Error(t, err)
		})
	}
	_, err := parseTable("# ok\nPROCESSING\ttake\tMee\t\t\tin_transit\t\tfalse\twhy\n")
	require.NoError(t, err)
}

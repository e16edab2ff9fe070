package winkelstraat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fastCases are bodies the fast decoder takes (fast true) or leaves to the
// slow way, beside every body in testdata.
var fastCases = []struct {
	name, body string
	fast       bool
}{
	{"Minimal", `{"increment_id":"1"}`, true},
	{"NumbersForIdentifiers", `{"increment_id":288,"items":[{"sku":1.50,"qty":2,"row_total_inc_tax":"270.00"}]}`, true},
	{"NullsEverywhere", `{"increment_id":"1","status":null,"track":null,"items":null,"shipping_address":null,"created_at":null,"currency":null}`, true},
	{"NullItemsLeftOut", `{"increment_id":"1","items":[null,{"sku":"a"},null,{}]}`, true},
	{"EmptyStrings", `{"increment_id":"1","status":"  ","created_at":"","items":[{"qty":" "}]}`, true},
	{"UnknownFieldsOfAnyKind", `{"increment_id":"1","extra":{"x":[1,{"y":null}]},"track":{"z":true},"items":[{"w":[]}]}`, true},
	{"EscapedValues", `{"increment_id":"1\"2","po_number":"\u00e9\n","shipping_address":{"city":" \ud83d\ude00 "}}`, true},
	{"RFC3339AndLocalDates", `{"increment_id":"1","created_at":"2024-02-20T15:28:51+01:00","updated_at":"2024-02-20 15:28:51.5"}`, true},
	{"Whitespace", " \n{ \"increment_id\" : \"1\" }\n", true},
	{"NoIncrementID", `{"status":"DELIVERED"}`, false},
	{"ANameTwice", `{"increment_id":"1","status":"A","status":"A"}`, false},
	{"ANameTwiceDeep", `{"increment_id":"1","extra":{"a":{"b":1,"b":2}}}`, false},
	{"AnEscapedKey", `{"increment_id":"1","st\u0061tus":"DELIVERED"}`, false},
	{"ABooleanForAString", `{"increment_id":"1","currency":true}`, false},
	{"AnObjectForAString", `{"increment_id":{"a":1}}`, false},
	{"AStringForAnObject", `{"increment_id":"1","track":"ups"}`, false},
	{"AnObjectForAList", `{"increment_id":"1","items":{"sku":"a"}}`, false},
	{"AStringInTheList", `{"increment_id":"1","items":["a"]}`, false},
	{"ANumberForADate", `{"increment_id":"1","created_at":20240220}`, false},
	{"ABadDate", `{"increment_id":"1","created_at":"yesterday"}`, false},
	{"ANumberOutOfRange", `{"increment_id":"1","items":[{"qty":1e400}]}`, false},
	{"ANonNumericAmount", `{"increment_id":"1","items":[{"qty":"two"}]}`, false},
	{"AnInfiniteAmount", `{"increment_id":"1","items":[{"qty":"Inf"}]}`, false},
	{"ANumberForStatus", `{"increment_id":"1","status":3}`, false},
	{"InvalidUTF8", "{\"increment_id\":\"1\xff\"}", false},
	{"ALoneSurrogate", `{"increment_id":"\ud800"}`, false},
	{"TrailingData", `{"increment_id":"1"} {}`, false},
	{"NotAnObject", `["increment_id"]`, false},
	{"Null", `null`, false},
	{"Empty", ``, false},
	{"Truncated", `{"increment_id":"1",`, false},
}

// TestFastDecode: the fast decoder takes the bodies it should, and makes of
// them the shipment the slow way makes; what it leaves, the slow way
// decodes or refuses as before. It takes every body in testdata.
func TestFastDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireFastAgrees(t, []byte(tc.body), tc.fast)
		})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			requireFastAgrees(t, body, true)
		})
	}
}

func requireFastAgrees(t *testing.T, body []byte, fast bool) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	got, ok := decodeShipmentFast(body, loc)
	require.Equal(t, fast, ok, "whether the fast decoder takes it")
	if ok {
		want, err := decodeShipmentSlow(body, loc)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// FuzzFastDecodeAgreesWithTheSlowOne: whatever the body, a shipment the
// fast decoder makes is the one the slow way makes, and the slow way
// accepts the body.
func FuzzFastDecodeAgreesWithTheSlowOne(f *testing.F) {
	addTestdataSeeds(f)
	for _, tc := range fastCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := decodeShipmentFast(body, time.UTC)
		if !ok {
			return
		}
		want, err := decodeShipmentSlow(body, time.UTC)
		require.NoError(t, err, "the fast decoder took a body the slow way refuses")
		require.Equal(t, want, got)
	})
}

package winkelstraat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConflictingKeyOf: the fast path answers as the token walk does, for
// bodies that give a name twice (with the same or different values, at a
// level the walk looks at or deeper) and bodies that do not.
func TestConflictingKeyOf(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, want string }{
		{"NoNameTwice", `{"increment_id":"1","items":[{"sku":"a"},{"sku":"b"}],"shipping_address":{"city":"A"},"origin_address":{"city":"B"}}`, ""},
		{"TopLevelTwice", `{"increment_id":"1","status":"IN_TRANSIT","status":"DELIVERED"}`, "status"},
		{"TheSameValueTwice", `{"increment_id":"1","status":"IN_TRANSIT","status":"IN_TRANSIT"}`, ""},
		{"InAnItem", `{"items":[{"sku":"a"},{"sku":"b","sku":"c"}]}`, "items[1].sku"},
		{"EscapedTwice", `{"st\u0061tus":"A","status":"B"}`, "status"},
		{"DeeperThanLooked", `{"items":[{"extra":{"x":1,"x":2}}]}`, ""},
		{"InvalidUTF8", "{\"city\":\"\xff\",\"status\":\"A\",\"status\":\"B\"}", "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, conflictingKeyOf([]byte(tc.body)))
			require.Equal(t, conflictingKey([]byte(tc.body), "", 0), conflictingKeyOf([]byte(tc.body)))
		})
	}
}

// FuzzConflictingKeyFastPath: whatever the body, the fast path and the
// token walk agree.
func FuzzConflictingKeyFastPath(f *testing.F) {
	addTestdataSeeds(f)
	f.Add([]byte(`{"a":1,"a":1}`))
	f.Add([]byte(`{"items":[{"sku":"a","sku":"b"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return // decodeShipment refuses it before either runs
		}
		require.Equal(t, conflictingKey(body, "", 0), conflictingKeyOf(body))
	})
}

// BenchmarkDecodeShipment decodes the document's example, as intake and
// apply both do for every Winkelstraat message.
func BenchmarkDecodeShipment(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "document-example.json"))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeShipment(body, time.UTC); err != nil {
			b.Fatal(err)
		}
	}
}

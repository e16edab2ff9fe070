package courier

import (
	"os"
	"testing"
)

// BenchmarkDecodeJSON decodes the document's URL/POST example, as the
// intake and the apply both do for every courier JSON message.
func BenchmarkDecodeJSON(b *testing.B) {
	body, err := os.ReadFile("testdata/requests/document_post.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTheFastDuplicateKeyCheckAgreesWithTheFullOne: whenever the fast path
// clears a body, the full token walk finds no conflict in it either.
func TestTheFastDuplicateKeyCheckAgreesWithTheFullOne(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/requests/document_post.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		fast       bool // whether the fast path clears it
	}{
		{"TheDocumentsExample", string(doc), true},
		{"TwoStatuscodes", `{"order":"A","statuscode":"take","statuscode":"DELIVERED"}`, false},
		{"AnOrderInTwoCases", `{"order":"A","Order":"B"}`, false},
		{"AnEscapedKey", `{"order":"A","\u006frder":"B"}`, false},
		{"AValueSpellingAFieldName", `{"order":"status","status":"x"}`, false},
		{"TheSameValueTwice", `{"order":"A","order":"A"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := noFieldTwice([]byte(tc.body)); got != tc.fast {
				t.Fatalf("noFieldTwice = %v, want %v", got, tc.fast)
			}
			if tc.fast {
				if _, err := decodeJSONFields([]byte(tc.body)); err != nil {
					t.Fatalf("decoding what the fast path cleared: %v", err)
				}
			}
		})
	}
}

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

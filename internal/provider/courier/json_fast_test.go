package courier

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonFastCases are bodies the fast decoder takes (fast true) or leaves to
// the slow way, beside every JSON request in testdata.
var jsonFastCases = []struct {
	name, body string
	fast       bool
}{
	{"NumbersBooleansAndNull", `{"order":1,"statuscode":true,"statustime":20230719110649,"barcode":null,"signatures":null,"pictures":["a","",null,"b"]}`, true},
	{"KeysInAnyASCIICase", `{"ORDER":"A","StatusCode":"take","STATUSNL":"x"}`, true},
	{"UnknownFieldsOfAnyKind", `{"order":"A","extra":{"x":[1,2,{"y":null}]},"more":[],"k":"\u00e9"}`, true},
	{"AnEscapedUnknownKey", `{"order":"A","k\u00e9y":1}`, false},
	{"EscapedValues", `{"order":"A\"B\\C\u00e9\n","comment":"\ud83d\ude00"}`, true},
	{"Whitespace", " \t\n{ \"order\" : \"A\" , \"status\" : \"X\" }\n ", true},
	{"Empty", `{}`, true},
	{"AFieldTwice", `{"order":"A","order":"B"}`, false},
	{"AFieldInTwoCases", `{"order":"A","Order":"A"}`, false},
	{"AListTwice", `{"pictures":["a"],"pictures":["b"]}`, false},
	{"AnEscapedKey", `{"\u006frder":"A"}`, false},
	{"AKelvinSign", `{"bar\u212aode":"A","barcode":"B"}`, false},
	{"ANonASCIIKey", "{\"st\xc3\xa4tus\":\"A\"}", false},
	{"AnObjectForAScalar", `{"order":{"a":1}}`, false},
	{"AnArrayForAScalar", `{"order":["A"]}`, false},
	{"AnObjectInAList", `{"signatures":[{"a":1},"s"]}`, false},
	{"ASingleValueForAList", `{"pictures":"p"}`, false},
	{"ANumberInAList", `{"pictures":[1]}`, false},
	{"InvalidUTF8", "{\"order\":\"A\xff\"}", false},
	{"ALoneSurrogate", `{"order":"\ud800"}`, false},
	{"TrailingData", `{"order":"A"} {}`, false},
	{"NotAnObject", `["order"]`, false},
	{"Null", `null`, false},
	{"Truncated", `{"order":"A",`, false},
	{"AnEmptyKeyTwice", `{"":1,"":2}`, false},
}

// TestFastJSONDecode: the fast decoder takes the bodies it should, and
// makes of them the Message the slow way makes; what it leaves, the slow
// way decodes (or refuses) as before. Of the JSON requests in testdata it
// takes at least the document's example, and agrees on every one it takes.
func TestFastJSONDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range jsonFastCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fast, ok := decodeJSONFast([]byte(tc.body))
			require.Equal(t, tc.fast, ok, "whether the fast decoder takes it")
			if ok {
				slow, err := decodeJSONSlow([]byte(tc.body))
				require.NoError(t, err)
				require.Equal(t, slow, fast)
			}
		})
	}
	files, err := filepath.Glob("testdata/requests/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			fast, ok := decodeJSONFast(b)
			if filepath.Base(f) == "document_post.json" {
				require.True(t, ok, "the document's example takes the fast way")
			}
			if ok {
				slow, err := decodeJSONSlow(b)
				require.NoError(t, err)
				require.Equal(t, slow, fast)
			}
		})
	}
}

// FuzzFastJSONDecodeAgreesWithTheSlowOne: whatever body the fast decoder
// takes, the slow way decodes without error to the same Message.
func FuzzFastJSONDecodeAgreesWithTheSlowOne(f *testing.F) {
	for _, tc := range jsonFastCases {
		f.Add(tc.body)
	}
	f.Add(documentExample(f, "document_post.json"))
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := decodeJSONFast([]byte(body))
		if !ok {
			return
		}
		slow, err := decodeJSONSlow([]byte(body))
		if err != nil {
			t.Fatalf("the fast decoder took %q, the slow one refused it: %v", body, err)
		}
		require.Equal(t, slow, fast, "body %q", body)
	})
}

package activeantssim

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The document's examples, by the line of testdata's copy of the document
// on which each starts. The capture renders JSON with "- " before every
// member and a dangling comma where it cut trackTraceUrl; docJSON undoes
// only that rendering.
var documentExamples = map[string]int{
	"token answer":                  20,
	"status answer":                 36,
	"settings answer":               63,
	"release request":               238,
	"release answer":                239,
	"order add request":             308,
	"order add answer":              378,
	"order search answer":           390,
	"order search request":          410,
	"order search body answer":      411,
	"track trace answer":            430,
	"shipments answer":              601,
	"byordertype request":           853,
	"byordertype answer":            858,
	"shipment sync request":         1616,
	"shipment sync answer":          1635,
	"shipment search request":       1674,
	"shipment search answer":        1677,
	"rma request":                   1858,
	"return label answer":           1880,
	"product add request":           1953,
	"product add answer":            1982,
	"product edit request":          2016,
	"product edit answer":           2045,
	"product search request":        2055,
	"product search answer":         2056,
	"product search query answer":   2068,
	"stock get answer":              2083,
	"stock bulk answer":             2093,
	"stock v2 answer":               2120,
	"stock since answer":            2146,
	"stock mutations answer":        2242,
	"stock mutation sync request":   2306,
	"stock mutation sync answer":    2309,
	"purchase order add request":    2324,
	"purchase order add answer":     2335,
	"purchase order edit request":   2353,
	"purchase order edit answer":    2363,
	"purchase order delete request": 2378,
}

var (
	docOnce  sync.Once
	docLines []string
)

// documentExample cuts an example out of the document verbatim: from the
// first "{" of its line to the brace that closes it.
func documentExample(t testing.TB, name string) string {
	t.Helper()
	line, ok := documentExamples[name]
	require.True(t, ok, "no example %q", name)
	docOnce.Do(func() {
		b, err := os.ReadFile("testdata/activeants-shopapi.txt")
		if err == nil {
			docLines = strings.Split(string(b), "\n")
		}
	})
	require.NotEmpty(t, docLines, "testdata/activeants-shopapi.txt")
	text := strings.Join(docLines[line-1:], "\n")
	text = text[strings.Index(text, "{-"):]
	depth, inString := 0, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
		case !inString && (c == '}' || c == ']'):
			depth--
			if depth == 0 {
				return text[:i+1]
			}
		}
	}
	t.Fatalf("example %q does not close", name)
	return ""
}

var (
	renderedMember = regexp.MustCompile(`(?m)(^|\{|, )- `)
	danglingComma  = regexp.MustCompile(`,(\s*[}\]])`)
)

// docJSON turns the capture's rendering of an example into the JSON it
// shows.
func docJSON(t testing.TB, rendered string) []byte {
	t.Helper()
	s := renderedMember.ReplaceAllString(rendered, "$1")
	s = danglingComma.ReplaceAllString(s, "$1")
	require.True(t, json.Valid([]byte(s)), "example does not become JSON:\n%s", s)
	return []byte(s)
}

func exampleValue(t testing.TB, name string) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(docJSON(t, documentExample(t, name))))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	return v
}

func TestDocumentExamplesAreCutVerbatim(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/activeants-shopapi.txt")
	require.NoError(t, err)
	orig, err := os.ReadFile("../../../../shared/providers/activeants-shopapi.txt")
	if err == nil {
		require.Equal(t, string(orig), string(doc), "testdata holds the document unchanged")
	}
	for name := range documentExamples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := documentExample(t, name)
			require.Contains(t, string(doc), ex)
			docJSON(t, ex)
		})
	}
	require.Contains(t, documentExample(t, "shipments answer"), `"packageNumber": "packagenumber-12345",`+"\n}",
		"the document's dangling comma where trackTraceUrl was cut")
}

// requireShape checks that every key of the example is in the answer, at
// every depth, with the same kind of value where neither is null. Arrays
// are compared element by element against the example's first element.
func requireShape(t testing.TB, path string, example, got any) {
	t.Helper()
	if example == nil || got == nil {
		return
	}
	switch ex := example.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %T", path, got)
		for k, v := range ex {
			gv, ok := g[k]
			require.True(t, ok, "%s: key %q of the document's example is missing", path, k)
			requireShape(t, path+"."+k, v, gv)
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %T", path, got)
		if len(ex) == 0 {
			return
		}
		for i, gv := range g {
			requireShape(t, path+"[]", ex[0], gv)
			if i > 20 {
				break
			}
		}
	case json.Number:
		_, ok := got.(json.Number)
		require.True(t, ok, "%s: want a number, got %T %v", path, got, got)
	case string:
		_, ok := got.(string)
		require.True(t, ok, "%s: want a string, got %T %v", path, got, got)
	case bool:
		_, ok := got.(bool)
		require.True(t, ok, "%s: want a boolean, got %T", path, got)
	}
}

package wicssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	keyA, secretA = "api-key-a", "api-secret-a"
	keyB, secretB = "api-key-b", "api-secret-b"
)

// startServer starts a server on loopback with two logins; the test's
// changes to the config are applied first. Progression is off unless the
// test sets ProgressStep.
func startServer(t *testing.T, change func(*ServerConfig)) (*Server, string) {
	t.Helper()
	cfg := ServerConfig{
		Users:        []User{{Key: keyA, Secret: secretA, Customer: "Shop A"}, {Key: keyB, Secret: secretB}},
		Company:      "Test BV",
		ProgressStep: -1,
	}
	if change != nil {
		change(&cfg)
	}
	s, err := NewServer(cfg)
	require.NoError(t, err)
	base, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, base
}

// answer is an answer's envelope with its HTTP status.
type answer struct {
	Status  int             `json:"-"`
	Header  http.Header     `json:"-"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Raw     []byte          `json:"-"`
}

// api is a client of one login.
type api struct {
	t           *testing.T
	base        string
	key, secret string
}

func (a api) do(method, path string, body any) answer {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(a.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	require.NoError(a.t, err)
	if a.key != "" {
		req.SetBasicAuth(a.key, a.secret)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	var ans answer
	require.NoError(a.t, json.Unmarshal(raw, &ans), "answer %s", raw)
	ans.Status, ans.Header, ans.Raw = resp.StatusCode, resp.Header, raw
	return ans
}

// list decodes an answer's data as a list of objects.
func (ans answer) list(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	require.NoError(t, json.Unmarshal(ans.Data, &out), "data %s", ans.Data)
	return out
}

func (ans answer) object(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(ans.Data, &out), "data %s", ans.Data)
	return out
}

// id is the identifier of a create answer: data ["<identifier>"].
func (ans answer) id(t *testing.T) string {
	t.Helper()
	var ids []string
	require.NoError(t, json.Unmarshal(ans.Data, &ids), "data %s", ans.Data)
	require.Len(t, ids, 1)
	return ids[0]
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// loose makes the document's answer examples JSON: it removes the
// placeholders for further records ("{...}", "...") and trailing commas, and
// adds the comma the stock list example lacks.
func loose(b []byte) []byte {
	for _, r := range []struct{ re, to string }{
		{`,?\s*\{\s*\.\.\.\s*\}`, ""},
		{`,\s*\.\.\.`, ""},
		{`,(\s*[\]}])`, "$1"},
		{`([0-9"el\]}])(\n\s*")`, "$1,$2"},
	} {
		b = regexp.MustCompile(r.re).ReplaceAll(b, []byte(r.to))
	}
	return b
}

// hasShape checks that got has every field of the document's example want,
// with the same JSON kind (a null in the example matches anything), deeply;
// lists are compared by their first element.
func hasShape(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
	case map[string]any:
		g, isMap := got.(map[string]any)
		if !assert.True(t, isMap, "%s: want an object, got %T %v", path, got, got) {
			return
		}
		for k, wv := range w {
			gv, has := g[k]
			if assert.True(t, has, "%s.%s: missing", path, k) {
				hasShape(t, path+"."+k, wv, gv)
			}
		}
	case []any:
		g, isList := got.([]any)
		if !assert.True(t, isList, "%s: want a list, got %T", path, got) {
			return
		}
		if len(w) > 0 && assert.NotEmpty(t, g, "%s: want at least one element", path) {
			hasShape(t, path+"[0]", w[0], g[0])
		}
	default:
		if got != nil {
			assert.IsType(t, want, got, "%s: kind", path)
		}
	}
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "json %s", b)
	return v
}

func TestLoginAnswersAsTheDocument(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	ans := api{t, base, keyA, secretA}.do("GET", "/api/login", nil)
	require.Equal(t, http.StatusOK, ans.Status)
	require.Equal(t, "API User authenticated succesfully as api-key-a | My company name is: Test BV | My customer name is: Shop A", ans.Message)
	hasShape(t, "login", decodeAny(t, fixture(t, "answers/login.json")), decodeAny(t, ans.Raw))
	require.Equal(t, "null", string(ans.Data))
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	literal := "Basic " + keyA + ":" + secretA
	for _, tc := range []struct {
		name   string
		header string
		want   int
	}{
		{"TheFirstLoginIsLetIn", "Basic " + base64.StdEncoding.EncodeToString([]byte(keyA+":"+secretA)), 200},
		{"TheSecondLoginIsLetIn", "Basic " + base64.StdEncoding.EncodeToString([]byte(keyB+":"+secretB)), 200},
		{"NoHeaderIsRefused", "", 401},
		{"AWrongSecretIsRefused", "Basic " + base64.StdEncoding.EncodeToString([]byte(keyA+":nope")), 401},
		{"AnotherLoginsSecretIsRefused", "Basic " + base64.StdEncoding.EncodeToString([]byte(keyA+":"+secretB)), 401},
		{"AnUnknownKeyIsRefused", "Basic " + base64.StdEncoding.EncodeToString([]byte("who:"+secretA)), 401},
		{"TheWebhooksLiteralFormIsNotBasicAuth", literal, 401},
		{"ABearerTokenIsRefused", "Bearer " + secretA, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest("GET", base+"/api/login", nil)
			require.NoError(t, err)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var ans answer
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans))
			require.Equal(t, tc.want, resp.StatusCode)
			require.Equal(t, tc.want, ans.Code)
			require.Equal(t, tc.want == 200, ans.Success)
			if tc.want == 401 {
				require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
			}
		})
	}
}

func TestUnknownPathsAnswerInTheEnvelope(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	ans := api{t, base, keyA, secretA}.do("GET", "/api/nothing", nil)
	require.Equal(t, 404, ans.Status)
	require.False(t, ans.Success)
	require.Contains(t, ans.Message, "/api/nothing")
}

func TestServerConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"NoUsers", ServerConfig{}, "at least one API user"},
		{"NoSecret", ServerConfig{Users: []User{{Key: "k"}}}, "key and secret are required"},
		{"ColonInKey", ServerConfig{Users: []User{{Key: "k:x", Secret: "s"}}}, "colon"},
		{"KeyTwice", ServerConfig{Users: []User{{Key: "k", Secret: "s"}, {Key: "k", Secret: "t"}}}, "given twice"},
		{"NegativeLimit", ServerConfig{Users: []User{{Key: "k", Secret: "s"}}, PerMinute: -1}, "per minute"},
		{"ZeroBlock", ServerConfig{Users: []User{{Key: "k", Secret: "s"}}, Blocks: []time.Duration{0}}, "blocks[0]"},
		{"NegativeSpeed", ServerConfig{Users: []User{{Key: "k", Secret: "s"}}, Speed: -2}, "speed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewServer(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := NewServer(ServerConfig{Users: []User{{Key: "k", Secret: "s"}}})
	require.NoError(t, err)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

func TestDocumentAnswerFixturesAreTheDocuments(t *testing.T) {
	t.Parallel()
	doc := string(fixture(t, "wics-service-layer.txt"))
	entries, err := os.ReadDir("testdata/answers")
	require.NoError(t, err)
	req, err := os.ReadDir("testdata/requests")
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, dir := range []string{"answers", "requests"} {
		list := entries
		if dir == "requests" {
			list = req
		}
		for _, e := range list {
			b := fixture(t, dir+"/"+e.Name())
			require.True(t, strings.Contains(doc, string(b)), fmt.Sprintf("%s/%s is cut from the document verbatim", dir, e.Name()))
		}
	}
}

func readFixture(name string) ([]byte, error) { return os.ReadFile("testdata/" + name) }

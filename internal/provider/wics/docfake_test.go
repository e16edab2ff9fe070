package wics

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// docExample reads a document answer from testdata/api and removes the
// placeholder elements the document prints for "the rest of the list"
// ({...} and ...), and nothing else.
func docExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "api", name))
	require.NoError(t, err)
	return stripPlaceholders(b)
}

var (
	placeholderObject = regexp.MustCompile(`\{\s*\.\.\.\s*\}`)
	placeholderTail   = regexp.MustCompile(`,\s*\.\.\.`)
	doubleComma       = regexp.MustCompile(`,(\s*),`)
	commaBeforeClose  = regexp.MustCompile(`,(\s*[\]}])`)
)

func stripPlaceholders(b []byte) []byte {
	b = placeholderObject.ReplaceAll(b, nil)
	b = placeholderTail.ReplaceAll(b, nil)
	b = doubleComma.ReplaceAll(b, []byte(",$1"))
	return commaBeforeClose.ReplaceAll(b, []byte("$1"))
}

// docRequest is one request the fake Service Layer received.
type docRequest struct {
	Method, Path, Query string
	Body                []byte
	User, Pass          string
}

// docServer is a fake Service Layer: each route ("GET /api/webhook")
// answers with a handler; it records every request.
type docServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []docRequest
	routes   map[string]http.HandlerFunc
}

func newDocServer(t testing.TB, routes map[string]http.HandlerFunc) *docServer {
	t.Helper()
	d := &docServer{routes: routes}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		u, p, _ := r.BasicAuth()
		d.mu.Lock()
		d.requests = append(d.requests, docRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, User: u, Pass: p})
		h, ok := d.routes[r.Method+" "+r.URL.Path]
		if !ok {
			h = d.routes[r.Method+" *"]
		}
		d.mu.Unlock()
		if h == nil {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":404,"message":"Not found","success":false,"data":null}`))
			return
		}
		h(w, r)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *docServer) client() *Client {
	return &Client{BaseURL: d.URL, Key: "key", Secret: "secret", HTTP: d.Client()}
}

func (d *docServer) seen() []docRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]docRequest(nil), d.requests...)
}

// answer serves a fixed body with a status.
func answer(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// envelopeOf wraps data in the document's envelope.
func envelopeOf(t testing.TB, message string, data any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"code": 200, "message": message, "success": true, "data": data})
	require.NoError(t, err)
	return b
}

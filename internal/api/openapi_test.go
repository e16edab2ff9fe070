package api_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestOpenAPIDocumentMatchesGolden pins the served OpenAPI document, so that
// every change to the merchant API's contract shows up in review as a diff
// of testdata/openapi.golden.json. Run with -update to accept a change.
func TestOpenAPIDocumentMatchesGolden(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	// The host of a hub with the default http.listen, so that the golden
	// file is what such a hub serves (and what CI lints with Redocly).
	req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
	req.Host = "127.0.0.1:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	require.Equal(t, "application/vnd.oai.openapi+json", r.header.Get("Content-Type"))

	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, r.body, "", "  "))
	indented.WriteByte('\n')

	golden := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, indented.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./internal/api -run OpenAPI -update to create it")
	if string(want) != indented.String() {
		// Not require.Equal: it prints both documents whole.
		t.Fatalf("the API contract changed; review the diff and rerun with -update:\n%s", firstDifference(string(want), indented.String()))
	}
}

// firstDifference shows the first differing lines of two texts, with a
// little context.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		lo := max(0, i-3)
		return fmt.Sprintf("golden:\n%s\nserved:\n%s", strings.Join(w[lo:min(len(w), i+5)], "\n"), strings.Join(g[lo:min(len(g), i+5)], "\n"))
	}
	return "(no difference)"
}

// TestOpenAPIDocumentDescribesTheContract checks the facts of the document
// that clients depend on, independently of the golden file's exact bytes.
func TestOpenAPIDocumentDescribesTheContract(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title   string `json:"title"`
			Version string `json:"version"`
		} `json:"info"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]map[string]struct {
			Security   []map[string][]string `json:"security"`
			Parameters []struct {
				Name   string `json:"name"`
				In     string `json:"in"`
				Schema struct {
					Enum    []string `json:"enum"`
					Minimum *float64 `json:"minimum"`
					Maximum *float64 `json:"maximum"`
				} `json:"schema"`
				Description string `json:"description"`
			} `json:"parameters"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	r := get(t, h, "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.code)
	require.NoError(t, json.Unmarshal(r.body, &doc))

	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.Equal(t, "shiphub", doc.Info.Title)
	require.Equal(t, api.Version, doc.Info.Version)
	require.Len(t, doc.Servers, 1)
	require.Equal(t, "http://example.com/api/v1", doc.Servers[0].URL, "the server is absolute: the request's host")

	wantPaths := []string{"/shipments", "/shipments/{id}", "/tracking/{reference}", "/events", "/intake/errors", "/trackers", "/trackers/{id}",
		"/endpoints", "/endpoints/{id}", "/endpoints/{id}/secret", "/deliveries", "/deliveries/{id}", "/inbox/failed",
		"/products", "/products/{id}", "/stock", "/stock/mutations",
		"/inbound", "/inbound/{id}", "/returns", "/returns/{id}", "/returns/{id}/label",
		"/orders", "/orders/{id}", "/commands", "/commands/{id}", "/connections"}
	postOnly := []string{"/endpoints/{id}/rotate-secret", "/endpoints/{id}/recover", "/deliveries/{id}/retry", "/inbox/{id}/retry", "/inbox/failed/retry",
		"/orders/{id}/cancel", "/orders/{id}/release", "/inbound/{id}/cancel", "/commands/{id}/retry", "/products/{id}/refresh"}
	require.Len(t, doc.Paths, len(wantPaths)+len(postOnly))
	statuses := make([]string, len(model.Statuses))
	for i, s := range model.Statuses {
		statuses[i] = string(s)
	}
	kindStatuses := map[string][]string{}
	for _, s := range model.InboundStatuses {
		kindStatuses["/inbound"] = append(kindStatuses["/inbound"], string(s))
	}
	for _, s := range model.ReturnStatuses {
		kindStatuses["/returns"] = append(kindStatuses["/returns"], string(s))
	}
	for _, path := range wantPaths {
		op, ok := doc.Paths[path]["get"]
		require.True(t, ok, "GET %s is documented", path)
		require.Equal(t, []map[string][]string{{"bearer": {}}}, op.Security, "GET %s needs the bearer key", path)
		require.Contains(t, op.Responses, "401")
		require.NotContains(t, op.Responses, "422", "invalid parameters are answered 400")
		for _, p := range op.Parameters {
			require.NotEmpty(t, p.Description, "parameter %s of %s is described", p.Name, path)
			if want, ok := kindStatuses[path]; ok && p.Name == "status" {
				require.Equal(t, want, p.Schema.Enum, "the statuses of %s", path)
			} else if p.Name == "status" && path != "/deliveries" && path != "/orders" && path != "/commands" { // deliveries, orders and commands have their own states
				require.Equal(t, statuses, p.Schema.Enum)
			}
			if p.Name == "limit" {
				require.NotNil(t, p.Schema.Minimum)
				require.NotNil(t, p.Schema.Maximum)
			}
		}
	}
}

func TestDocsPageLoadsTheDocumentUnderThePrefix(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	r := get(t, h, "/api/v1/docs", "")
	require.Equal(t, http.StatusOK, r.code)
	require.Contains(t, string(r.body), `apiDescriptionUrl="/api/v1/openapi.yaml"`)

	r = get(t, h, "/api/v1/openapi.yaml", "")
	require.Equal(t, http.StatusOK, r.code)
	require.Contains(t, string(r.body), "title: shiphub")
}

// TestEveryPathParameterIsDeclared checks what Redocly's lint and
// oapi-codegen refuse a document for: a {name} in a path that the
// operation declares no required path parameter for. An input struct that
// embeds an unexported type hides its fields from huma this way, while the
// handler still reads the value by hand, so only the document shows it.
func TestEveryPathParameterIsDeclared(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name     string `json:"name"`
				In       string `json:"in"`
				Required bool   `json:"required"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	r := get(t, h, "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.code)
	require.NoError(t, json.Unmarshal(r.body, &doc))
	require.NotEmpty(t, doc.Paths)

	template := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		want := map[string]bool{}
		for _, m := range template.FindAllStringSubmatch(path, -1) {
			want[m[1]] = true
		}
		for method, op := range item {
			got := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "path" {
					require.True(t, p.Required, "%s %s: path parameter %s is required", method, path, p.Name)
					got[p.Name] = true
				}
			}
			require.Equal(t, want, got, "%s %s declares exactly the parameters of its path", method, path)
		}
	}
}

// TestServedDocumentNamesAnAbsoluteServer checks every served form of the
// document: a relative server leaves tools (Redocly, oapi-codegen, a
// document saved to a file) to guess the host.
func TestServedDocumentNamesAnAbsoluteServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, publicURL, host string
		tls                   bool
		want                  string
	}{
		{name: "the request's host", host: "127.0.0.1:8080", want: "http://127.0.0.1:8080/api/v1"},
		{name: "https when the request came over TLS", host: "hub.internal:8443", tls: true, want: "https://hub.internal:8443/api/v1"},
		{name: "the public url wins over the host", publicURL: "https://hub.example.com/", host: "10.0.0.7:8080", want: "https://hub.example.com/api/v1"},
		{name: "a public url with a path", publicURL: "https://example.com/shiphub", host: "x", want: "https://example.com/shiphub/api/v1"},
		{name: "a host that is not one is not echoed", host: "evil.example/path?q", want: "http://localhost/api/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := api.New(api.Config{Store: fixture(), Keys: []api.Key{{Workspace: "acme", Secret: acmeKey}}, PublicURL: tt.publicURL})
			require.NoError(t, err)
			for _, path := range []string{"/api/v1/openapi.json", "/api/v1/openapi-3.0.json", "/api/v1/openapi.yaml", "/api/v1/openapi-3.0.yaml"} {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Host = tt.host
				if tt.tls {
					req.TLS = &tls.ConnectionState{}
				}
				rec := httptest.NewRecorder()
				a.Handler().ServeHTTP(rec, req)
				require.Equal(t, http.StatusOK, rec.Code, path)
				body := rec.Body.String()
				if strings.HasSuffix(path, ".json") {
					var doc struct {
						Servers []struct{ URL string } `json:"servers"`
					}
					require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc), path)
					require.Len(t, doc.Servers, 1, path)
					require.Equal(t, tt.want, doc.Servers[0].URL, path)
				} else {
					require.Contains(t, body, "url: "+tt.want+"\n", path)
				}
			}
		})
	}
}

func TestPublicURLIsValidated(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"hub.example.com", "ftp://hub.example.com", "https://user:pw@hub.example.com", "https://hub.example.com/?a=1",
		"https://hub.example.com/#x", "https://hub.example.com/api/v1"} {
		_, err := api.New(api.Config{Store: fixture(), PublicURL: bad})
		require.ErrorContains(t, err, "public url", bad)
	}
}

// TestDowngradedDocumentKeepsWebhooksAsAnExtension checks the 3.0 document:
// 3.0 has no webhooks section, and 3.0 tools (Redocly among them) refuse a
// document with one, so the payloads move to x-webhooks there.
func TestDowngradedDocumentKeepsWebhooksAsAnExtension(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	r := get(t, h, "/api/v1/openapi-3.0.json", "")
	require.Equal(t, http.StatusOK, r.code)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &doc))
	require.JSONEq(t, `"3.0.3"`, string(doc["openapi"]))
	_, has := doc["webhooks"]
	require.False(t, has, "a 3.0 document has no webhooks section")
	var hooks map[string]any
	require.NoError(t, json.Unmarshal(doc["x-webhooks"], &hooks))
	require.Len(t, hooks, len(model.EventTypes))

	// The 3.1 document, served after, still has its section.
	r = get(t, h, "/api/v1/openapi.json", "")
	var doc31 map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &doc31))
	_, has = doc31["webhooks"]
	require.True(t, has, "the 3.1 document keeps its webhooks section")
	_, has = doc31["x-webhooks"]
	require.False(t, has)
}

// TestServedDocumentFollowsEachRequestsHost checks that one hub reached
// under two names serves each its own server, however often (the rendered
// documents are cached per host), and that many hosts are still served.
func TestServedDocumentFollowsEachRequestsHost(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	server := func(host string) string {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		var doc struct {
			Servers []struct{ URL string } `json:"servers"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
		return doc.Servers[0].URL
	}
	for range 3 {
		require.Equal(t, "http://a.internal:8080/api/v1", server("a.internal:8080"))
		require.Equal(t, "http://b.internal:8080/api/v1", server("b.internal:8080"))
	}
	for i := range 40 { // more hosts than are cached
		host := fmt.Sprintf("h%d.internal", i)
		require.Equal(t, "http://"+host+"/api/v1", server(host))
	}
}

// TestWebhooksSectionDescribesEveryOfferedType checks that every type an
// endpoint may subscribe to has its payload in the webhooks section, with
// the Standard Webhooks headers, and that WebhookEvent covers them all.
func TestWebhooksSectionDescribesEveryOfferedType(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	var doc struct {
		Webhooks map[string]struct {
			Post struct {
				Parameters []struct {
					Name     string `json:"name"`
					In       string `json:"in"`
					Required bool   `json:"required"`
				} `json:"parameters"`
				RequestBody struct {
					Required bool `json:"required"`
					Content  map[string]struct {
						Schema struct {
							Ref string `json:"$ref"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Responses map[string]json.RawMessage `json:"responses"`
			} `json:"post"`
		} `json:"webhooks"`
		Components struct {
			Schemas map[string]struct {
				OneOf         []struct{ Ref string } `json:"oneOf"`
				Discriminator struct {
					PropertyName string            `json:"propertyName"`
					Mapping      map[string]string `json:"mapping"`
				} `json:"discriminator"`
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r := get(t, h, "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.code)
	require.NoError(t, json.Unmarshal(r.body, &doc))

	require.Len(t, doc.Webhooks, len(model.EventTypes))
	union := doc.Components.Schemas["WebhookEvent"]
	require.Equal(t, "type", union.Discriminator.PropertyName)
	require.Len(t, union.OneOf, len(model.EventTypes))
	for _, typ := range model.EventTypes {
		hook, ok := doc.Webhooks[typ]
		require.True(t, ok, "the webhooks section describes %s", typ)
		var headers []string
		for _, p := range hook.Post.Parameters {
			require.Equal(t, "header", p.In)
			require.True(t, p.Required)
			headers = append(headers, p.Name)
		}
		require.ElementsMatch(t, []string{"webhook-id", "webhook-timestamp", "webhook-signature"}, headers, typ)
		require.True(t, hook.Post.RequestBody.Required)
		ref := hook.Post.RequestBody.Content["application/json"].Schema.Ref
		require.NotEmpty(t, ref, typ)
		require.Equal(t, ref, union.Discriminator.Mapping[typ], "WebhookEvent maps %s to its body", typ)
		body := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		require.Equal(t, []string{typ}, body.Properties["type"].Enum, "the body of %s says its type", typ)
		for _, field := range []string{"id", "timestamp", "workspace", "subject_id", "data"} {
			require.Contains(t, body.Properties, field, "%s has %s", typ, field)
		}
		require.Contains(t, hook.Post.Responses, "200")
		require.Contains(t, hook.Post.Responses, "410")
	}
}

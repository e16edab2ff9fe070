package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
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

	r := get(t, h, "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)

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
	require.Equal(t, string(want), indented.String(), "the API contract changed; review and rerun with -update")
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
	require.Equal(t, "/api/v1", doc.Servers[0].URL)

	wantPaths := []string{"/shipments", "/shipments/{id}", "/tracking/{reference}", "/events", "/intake/errors", "/trackers", "/trackers/{id}",
		"/endpoints", "/endpoints/{id}", "/endpoints/{id}/secret", "/deliveries", "/deliveries/{id}", "/inbox/failed"}
	postOnly := []string{"/endpoints/{id}/rotate-secret", "/endpoints/{id}/recover", "/deliveries/{id}/retry", "/inbox/{id}/retry", "/inbox/failed/retry"}
	require.Len(t, doc.Paths, len(wantPaths)+len(postOnly))
	statuses := make([]string, len(model.Statuses))
	for i, s := range model.Statuses {
		statuses[i] = string(s)
	}
	for _, path := range wantPaths {
		op, ok := doc.Paths[path]["get"]
		require.True(t, ok, "GET %s is documented", path)
		require.Equal(t, []map[string][]string{{"bearer": {}}}, op.Security, "GET %s needs the bearer key", path)
		require.Contains(t, op.Responses, "401")
		require.NotContains(t, op.Responses, "422", "invalid parameters are answered 400")
		for _, p := range op.Parameters {
			require.NotEmpty(t, p.Description, "parameter %s of %s is described", p.Name, path)
			if p.Name == "status" && path != "/deliveries" { // deliveries have their own states
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

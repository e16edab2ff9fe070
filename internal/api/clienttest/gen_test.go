package clienttest_test

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

var update = flag.Bool("update", false, "regenerate client.gen.go from the served document")

// generatedFile is the client oapi-codegen makes of the served document.
const generatedFile = "client.gen.go"

// TestGeneratedClientIsTheServedDocumentsClient runs oapi-codegen v2.8.2
// (the version merchants use, pinned in go.mod) on the document the API
// serves, and checks that the result is the checked-in client the other
// tests call the real server with. A document oapi-codegen cannot take (a
// path parameter that is not declared, say) fails here; a contract change
// fails here until the client is regenerated with -update.
func TestGeneratedClientIsTheServedDocumentsClient(t *testing.T) {
	t.Parallel()
	code := generate(t, servedDocument(t))
	if *update {
		require.NoError(t, os.WriteFile(generatedFile, []byte(code), 0o644))
	}
	want, err := os.ReadFile(generatedFile)
	require.NoError(t, err, "run go test ./internal/api/clienttest -run Generated -update")
	if string(want) != code {
		t.Fatalf("%s is not what oapi-codegen makes of the served document; rerun with -update and review the diff", generatedFile)
	}
}

// servedDocument is the OpenAPI document as a hub on the default address
// serves it.
func servedDocument(t *testing.T) []byte {
	t.Helper()
	a, err := api.New(api.Config{Store: sqlite.OpenTest(t)})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, api.Prefix+"/openapi.json", nil)
	req.Host = "127.0.0.1:8080"
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.Bytes()
}

// generate runs the generator as its command does: load (which validates
// the references), then generate types and client.
func generate(t *testing.T, doc []byte) string {
	t.Helper()
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(doc)
	require.NoError(t, err, "oapi-codegen's loader takes the document")
	version := "oapi-codegen-" + codegenVersion(t)
	code, err := codegen.Generate(spec, codegen.Configuration{
		PackageName: "clienttest",
		Generate:    codegen.GenerateOptions{Models: true, Client: true},
		// The header names the main module's version otherwise, which
		// depends on how the test was built.
		NoVCSVersionOverride: &version,
	})
	require.NoError(t, err, "oapi-codegen generates a client from the document")
	return code
}

// codegenVersion is the version of oapi-codegen this test is built with,
// from go.mod (a test binary carries no module list). The finding
// was made with v2.8.2, so that is the one pinned.
func codegenVersion(t *testing.T) string {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join("..", "..", "..", "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*github\.com/oapi-codegen/oapi-codegen/v2 (v\S+)`).FindSubmatch(mod)
	require.NotNil(t, m, "go.mod requires oapi-codegen")
	require.Equal(t, "v2.8.2", string(m[1]), "the pinned oapi-codegen")
	return string(m[1])
}

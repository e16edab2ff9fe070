package clienttest_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// standardWebhooksVersion is the official library's release the deliveries
// are verified with.
const standardWebhooksVersion = "1.1.1"

// verifyWithStandardWebhooks runs node with the official standardwebhooks
// npm package on recorded deliveries: each must verify with the endpoint's
// secret, and none with its body changed. Outside CI a machine without
// node or npm skips this part; under CI=true it fails.
func verifyWithStandardWebhooks(t *testing.T, secret string, deliveries []delivery) {
	t.Helper()
	modules := installStandardWebhooks(t)
	if modules == "" {
		return
	}
	in, err := json.Marshal(map[string]any{"secret": secret, "deliveries": deliveries})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "deliveries.json")
	require.NoError(t, os.WriteFile(file, in, 0o600))
	script, err := filepath.Abs(filepath.Join("testdata", "verify.cjs"))
	require.NoError(t, err)
	out, err := exec.Command("node", script, modules, file).CombinedOutput()
	require.NoError(t, err, "standardwebhooks refused a delivery:\n%s", out)
	require.Equal(t, len(deliveries), strings.Count(string(out), "verified "), "%s", out)
}

// installStandardWebhooks installs standardwebhooks@1.1.1 (three small
// packages) with npm into a cache directory outside the repository, once,
// and returns its node_modules directory; "" when the test is skipped.
func installStandardWebhooks(t *testing.T) string {
	t.Helper()
	_, nodeErr := exec.LookPath("node")
	_, npmErr := exec.LookPath("npm")
	if nodeErr != nil || npmErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node and npm are required under CI to verify deliveries with standardwebhooks (node: %v, npm: %v)", nodeErr, npmErr)
		}
		t.Skip("node or npm is not installed: the deliveries are not verified with the standardwebhooks npm package")
	}
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	dir := filepath.Join(cache, "shiphub-test", "standardwebhooks-"+standardWebhooksVersion)
	modules := filepath.Join(dir, "node_modules")
	pkg := filepath.Join(modules, "standardwebhooks", "package.json")
	if b, err := os.ReadFile(pkg); err == nil && strings.Contains(string(b), `"version": "`+standardWebhooksVersion+`"`) {
		return modules
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "--prefix", dir, "standardwebhooks@"+standardWebhooksVersion)
	cmd.WaitDelay = time.Minute
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm install standardwebhooks@%s:\n%s", standardWebhooksVersion, out)
	b, err := os.ReadFile(pkg)
	require.NoError(t, err)
	require.Contains(t, string(b), `"version": "`+standardWebhooksVersion+`"`)
	return modules
}

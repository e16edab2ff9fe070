package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// binary is the shiphub binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shiphub-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "shiphub")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building shiphub:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Keys of the test configuration.
const (
	acmeKey    = "acme_api_key_0123456789"
	otherKey   = "other_api_key_0123456789"
	courierKey = "courier-secret-key"
	wsKey      = "winkelstraat-secret"
	// secretsKey is the secrets_key of every test hub (base64 of 32 bytes),
	// given as ${SHIPHUB_SECRETS_KEY}, as an operator would.
	secretsKey = "c2hpcGh1Yi1lMmUtc2VjcmV0cy1rZXktMzItYnl0ZXM="
)

// writeConfig writes a hub configuration with two workspaces into dir.
func writeConfig(t *testing.T, dir, database string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: courier, provider: courier, inbound_api_key: "${COURIER_KEY}" }
      - { id: ws, provider: winkelstraat, inbound_api_key: %q }
  - id: other
    api_keys: [%q]
    connections:
      - { id: courier, provider: courier }
`, database, wsKey, otherKey)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// hub is a running shiphub serve process.
type hub struct {
	URL string
	cmd *exec.Cmd
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startHub runs `shiphub serve` and waits for its listening line.
func startHub(t *testing.T, configPath string) *hub {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", configPath)
	cmd.Env = append(os.Environ(), "ACME_KEY="+acmeKey, "COURIER_KEY="+courierKey, "SHIPHUB_SECRETS_KEY="+secretsKey)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	h := &hub{cmd: cmd, out: &lockedBuffer{}}
	cmd.Stderr = h.out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("hub output:\n%s", h.out.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	select {
	case line := <-lines:
		require.True(t, strings.HasPrefix(line, "listening on "), "unexpected first line %q", line)
		h.URL = strings.TrimPrefix(line, "listening on ")
	case <-time.After(30 * time.Second):
		t.Fatalf("hub did not start; output:\n%s", h.out.String())
	}
	return h
}

// kill stops the hub with SIGKILL, as a crash would.
func (h *hub) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, h.cmd.Process.Kill())
	_ = h.cmd.Wait()
}

var client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// do sends a request and returns the status and body.
func do(t *testing.T, method, url string, header map[string]string, body string) (int, []byte) {
	t.Helper()
	status, b, err := tryDo(method, url, header, body)
	require.NoError(t, err)
	return status, b
}

// tryDo is do for goroutines, which must not stop the test themselves: it
// returns the error for the test's goroutine to check.
func tryDo(method, url string, header map[string]string, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// apiGet reads the merchant API with a workspace key into v and returns the status.
func apiGet(t *testing.T, h *hub, key, path string, v any) int {
	t.Helper()
	status, body := do(t, http.MethodGet, h.URL+path, map[string]string{"Authorization": "Bearer " + key}, "")
	if status == http.StatusOK && v != nil {
		require.NoError(t, json.Unmarshal(body, v), "body: %s", body)
	}
	return status
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

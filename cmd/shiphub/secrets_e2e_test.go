package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestServeRefusesToStartWithoutTheSecretsKey: without secrets_key the hub
// would have to keep endpoint secrets in clear, so it does not start, and
// says which key is missing.
func TestServeRefusesToStartWithoutTheSecretsKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"))
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	noKey := strings.Replace(string(raw), `secrets_key: "${SHIPHUB_SECRETS_KEY}"`+"\n", "", 1)
	require.NotEqual(t, string(raw), noKey)
	require.NoError(t, os.WriteFile(cfgPath, []byte(noKey), 0o600))

	for _, command := range []string{"serve", "reprocess"} {
		cmd := exec.Command(binary, command, "--config", cfgPath)
		cmd.Env = append(os.Environ(), "ACME_KEY="+acmeKey, "COURIER_KEY="+courierKey)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%s must not start: %s", command, out)
		require.Contains(t, string(out), "secrets_key: is required", command)
	}
	_, err = os.Stat(filepath.Join(dir, "hub.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing was opened")
}

// TestEndpointSecretsAreSealedAtRestAndSurviveARestart: a configured
// endpoint's secret is in the database only sealed, the API still shows it,
// and a restart with the same key reads it back.
func TestEndpointSecretsAreSealedAtRestAndSurviveARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hub.db")
	cfgPath := writeConfig(t, dir, "sqlite:"+dbPath)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	withEndpoint := strings.Replace(string(raw), "    connections:\n      - { id: courier, provider: courier, inbound_api_key",
		"    endpoints:\n      - { url: \"https://shop.example/hooks\", events: [\"*\"], secret: \""+secret+"\" }\n    connections:\n      - { id: courier, provider: courier, inbound_api_key", 1)
	require.NotEqual(t, string(raw), withEndpoint)
	require.NoError(t, os.WriteFile(cfgPath, []byte(withEndpoint), 0o600))

	for range 2 {
		h := startHub(t, cfgPath)
		var list struct {
			Data []struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/endpoints", &list))
		require.Len(t, list.Data, 1)
		var shown struct {
			Secret string `json:"secret"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/endpoints/%d/secret", list.Data[0].ID), &shown))
		require.Equal(t, secret, shown.Secret)
		h.kill(t)

		db, err := sqlite.OpenDB(dbPath, true)
		require.NoError(t, err)
		var stored string
		require.NoError(t, db.QueryRowContext(context.Background(), `SELECT secret FROM endpoints`).Scan(&stored))
		require.NoError(t, db.Close())
		require.True(t, strings.HasPrefix(stored, "shs1."), "sealed at rest: %.12s…", stored)
		require.NotContains(t, stored, strings.TrimPrefix(secret, "whsec_"))
	}
}

// TestSecretsKeyRotation rotates secrets_key through the configuration: the
// new key with the old one in secrets_previous_keys reseals the database at
// start; then the old key can go; and a key that sealed nothing here stops
// the start with an error that says what to configure.
func TestSecretsKeyRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hub.db")
	cfgPath := writeConfig(t, dir, "sqlite:"+dbPath)
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	base := strings.Replace(string(raw), "    connections:\n      - { id: courier, provider: courier, inbound_api_key",
		"    endpoints:\n      - { url: \"https://shop.example/hooks\", events: [\"*\"], secret: \""+secret+"\" }\n    connections:\n      - { id: courier, provider: courier, inbound_api_key", 1)
	withKeys := func(keys string) {
		t.Helper()
		cfg := strings.Replace(base, `secrets_key: "${SHIPHUB_SECRETS_KEY}"`+"\n", keys, 1)
		require.NotEqual(t, base, cfg)
		require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	}
	storedKeyID := func() string {
		t.Helper()
		db, err := sqlite.OpenDB(dbPath, true)
		require.NoError(t, err)
		defer db.Close()
		var stored string
		require.NoError(t, db.QueryRowContext(context.Background(), `SELECT secret FROM endpoints`).Scan(&stored))
		id, _, _ := strings.Cut(strings.TrimPrefix(stored, "shs1."), ".")
		return id
	}
	shownSecret := func(h *hub) string {
		t.Helper()
		var shown struct {
			Secret string `json:"secret"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/endpoints/1/secret", &shown))
		return shown.Secret
	}
	oldKey, newKey, otherKey := secrets.GenerateKey(), secrets.GenerateKey(), secrets.GenerateKey()
	idOf := func(k string) string {
		b, err := secrets.ParseKey(k)
		require.NoError(t, err)
		return secrets.KeyID(b)
	}

	withKeys("secrets_key: " + oldKey + "\n")
	h := startHub(t, cfgPath)
	require.Equal(t, secret, shownSecret(h))
	h.kill(t)
	require.Equal(t, idOf(oldKey), storedKeyID())

	withKeys("secrets_key: " + newKey + "\nsecrets_previous_keys: [" + oldKey + "]\n")
	h = startHub(t, cfgPath)
	require.Equal(t, secret, shownSecret(h))
	h.kill(t)
	require.Equal(t, idOf(newKey), storedKeyID(), "resealed with the new key at start")

	withKeys("secrets_key: " + newKey + "\n")
	h = startHub(t, cfgPath)
	require.Equal(t, secret, shownSecret(h), "the old key is no longer needed")
	h.kill(t)

	withKeys("secrets_key: " + otherKey + "\n")
	cmd := exec.Command(binary, "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "ACME_KEY="+acmeKey, "COURIER_KEY="+courierKey)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "a hub with a key that sealed nothing here must not start: %s", out)
	require.Contains(t, string(out), "endpoint 1")
	require.Contains(t, string(out), "secrets_previous_keys")
	require.NotContains(t, string(out), otherKey)
	require.NotContains(t, string(out), newKey)
}

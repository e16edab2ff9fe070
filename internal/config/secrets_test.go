package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/secrets"
)

func TestSecretsKeyIsRequiredToStartAndItsFormatIsChecked(t *testing.T) {
	t.Parallel()
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := hex.EncodeToString(bytes.Repeat([]byte{2}, 32))
	env := func(name string) (string, bool) {
		if name == "SHIPHUB_SECRETS_KEY" {
			return k1, true
		}
		return "", false
	}

	// No key: the configuration parses (tools that only read it need none),
	// but a hub cannot get its keyring, and the error names the key.
	cfg, err := config.Parse([]byte(`log: {level: info}`), env)
	require.NoError(t, err)
	_, err = cfg.Keyring()
	require.ErrorIs(t, err, config.ErrNoSecretsKey)
	require.ErrorContains(t, err, "secrets_key: is required")

	cfg, err = config.Parse([]byte(`secrets_key: "${SHIPHUB_SECRETS_KEY}"`), env)
	require.NoError(t, err)
	r, err := cfg.Keyring()
	require.NoError(t, err)
	require.Equal(t, secrets.KeyID(bytes.Repeat([]byte{1}, 32)), r.CurrentKeyID())

	// Rotation: the new key seals, the previous one still opens.
	old := r.Seal("whsec_x", "c")
	cfg, err = config.Parse([]byte("secrets_key: "+k2+"\nsecrets_previous_keys: [\"${SHIPHUB_SECRETS_KEY}\"]\n"), env)
	require.NoError(t, err)
	r2, err := cfg.Keyring()
	require.NoError(t, err)
	require.Equal(t, secrets.KeyID(bytes.Repeat([]byte{2}, 32)), r2.CurrentKeyID())
	got, err := r2.Open(old, "c")
	require.NoError(t, err)
	require.Equal(t, "whsec_x", got)

	for _, c := range []struct{ name, yaml, want string }{
		{"ShortKey", `secrets_key: "` + base64.StdEncoding.EncodeToString([]byte("too short")) + `"`, "secrets_key: decodes to 9 bytes, want 32"},
		{"NotAKey", `secrets_key: "hunter2 hunter2"`, "secrets_key: is neither 64 hex digits nor base64"},
		{"BadPrevious", "secrets_key: " + k2 + "\nsecrets_previous_keys: [\"nope\"]", "secrets_previous_keys[0]: "},
		{"PreviousWithoutCurrent", `secrets_previous_keys: ["` + k2 + `"]`, "secrets_previous_keys: needs secrets_key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), env)
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "hunter2", "a key is never quoted")
		})
	}
}

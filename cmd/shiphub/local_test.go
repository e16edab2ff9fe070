package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
)

// TestDemoKeepsItsSecretsKeyWithItsData: demo --data on the same directory
// again must open the endpoint secrets the first run sealed, so the key is
// kept beside the database, readable only by its owner.
func TestDemoKeepsItsSecretsKeyWithItsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "not", "yet", "there")
	first, err := localSecretsKey(dir)
	require.NoError(t, err)
	_, err = secrets.ParseKey(first)
	require.NoError(t, err, "a valid key")
	again, err := localSecretsKey(dir)
	require.NoError(t, err)
	require.Equal(t, first, again, "the second run uses the same key")
	fi, err := os.Stat(filepath.Join(dir, "secrets.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	other, err := localSecretsKey(t.TempDir())
	require.NoError(t, err)
	require.NotEqual(t, first, other, "each data directory has its own key")
}

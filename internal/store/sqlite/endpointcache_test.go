package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// TestClaimSeesAnotherInstancesEndpointChanges runs the two-instance check
// on two stores of one database file.
func TestClaimSeesAnotherInstancesEndpointChanges(t *testing.T) {
	t.Parallel()
	path, keys := filepath.Join(t.TempDir(), "hub.db"), secrets.NewRandomKeyring()
	var stores []*sqlite.Store
	for range 2 {
		s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL", Secrets: keys})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		stores = append(stores, s)
	}
	storetest.ClaimSeesAnotherInstancesEndpointChanges(t, stores[0], stores[1])
}

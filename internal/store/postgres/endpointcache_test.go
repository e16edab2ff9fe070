package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// TestClaimSeesAnotherInstancesEndpointChanges runs the two-instance check
// on two stores of one database.
func TestClaimSeesAnotherInstancesEndpointChanges(t *testing.T) {
	t.Parallel()
	url, keys := postgres.TestDatabase(t), secrets.NewRandomKeyring()
	var stores []*postgres.Store
	for range 2 {
		s, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 4, Secrets: keys})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		stores = append(stores, s)
	}
	storetest.ClaimSeesAnotherInstancesEndpointChanges(t, stores[0], stores[1])
}

package server_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/budget"
	"github.com/shiphub/shiphub/internal/provider"
)

func TestTheServerHandsEveryConnectionALimiter(t *testing.T) {
	t.Parallel()
	srv := newServer(t, freeAddr(t), freeAddr(t))
	defer srv.Stop(context.Background())
	require.NotNil(t, srv.Budgets)
	for _, conn := range []string{"courier", "no-such-connection"} {
		l := srv.LimiterFor("acme", conn)
		assert.Equal(t, budget.Unlimited, l, "a connector without a rate budget is not limited: %s", conn)
		assert.NoError(t, l.Wait(t.Context(), provider.PriorityUrgent))
	}
}

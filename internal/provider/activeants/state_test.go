package activeants_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestCursorStateKeepsTheConnectorsStateInTheStore: what one CursorState
// sets, another over the same store reads (a restart), scoped to its
// workspace and connection, under the connector's prefix.
func TestCursorStateKeepsTheConnectorsStateInTheStore(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	var cursors store.Cursors = st
	ctx := ctxT(t)

	first := activeants.CursorState{Cursors: cursors, Workspace: "acme", Connection: "aa"}
	_, found, err := first.Get(ctx, activeants.StateStockFullDone)
	require.NoError(t, err)
	require.False(t, found, "nothing yet")
	require.NoError(t, first.Set(ctx, activeants.StateStockFullDone, "true"))
	require.NoError(t, first.Set(ctx, activeants.StateSettings, `{"a":1}`))
	require.NoError(t, first.Set(ctx, activeants.StateSettings, `{"a":2}`), "a second set replaces the value")

	for _, tc := range []struct {
		name, workspace, connection, key string
		want                             string
		found                            bool
	}{
		{"AfterARestart", "acme", "aa", activeants.StateStockFullDone, "true", true},
		{"TheLastSetWins", "acme", "aa", activeants.StateSettings, `{"a":2}`, true},
		{"OtherConnection", "acme", "aa2", activeants.StateStockFullDone, "", false},
		{"OtherWorkspace", "other", "aa", activeants.StateStockFullDone, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := activeants.CursorState{Cursors: cursors, Workspace: tc.workspace, Connection: tc.connection}
			v, found, err := s.Get(ctx, tc.key)
			require.NoError(t, err)
			require.Equal(t, tc.found, found)
			require.Equal(t, tc.want, v)
		})
	}
	list, err := cursors.ListCursors(ctx, "acme", "aa")
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, c := range list {
		require.Contains(t, c.Name, activeants.CursorPrefix, "the connector's cursors carry its prefix")
	}
}

package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store"
)

var cursorCases = []conformanceCase{
	{"ACursorIsNotFoundUntilSavedThenReadsBackItsLastValue", testCursorRoundTrip},
	{"CursorsAreKeptPerWorkspaceConnectionAndName", testCursorIsolation},
}

// cursorsOf is the store's Cursors port. Cursors is not (yet) part of
// store.Store, so that the fakes of other packages need not grow with it;
// both SQL stores implement it.
func cursorsOf(t *testing.T, st store.Store) store.Cursors {
	t.Helper()
	c, ok := st.(store.Cursors)
	require.True(t, ok, "%T implements store.Cursors", st)
	return c
}

func testCursorRoundTrip(t *testing.T, st store.Store) {
	s := cursorsOf(t, st)
	_, err := s.GetCursor(ctx(t), "acme", "wics", "reconcile.order")
	require.ErrorIs(t, err, store.ErrNotFound)

	c := &store.Cursor{Workspace: "acme", Connection: "wics", Name: "reconcile.order", Value: `{"since":"2026-03-14T09:00:00Z"}`}
	require.NoError(t, s.SaveCursor(ctx(t), c))
	require.False(t, c.UpdatedAt.IsZero())
	got, err := s.GetCursor(ctx(t), "acme", "wics", "reconcile.order")
	require.NoError(t, err)
	require.Equal(t, *c, got)

	c.Value = `{"since":"2026-03-14T10:00:00Z"}`
	require.NoError(t, s.SaveCursor(ctx(t), c))
	got, err = s.GetCursor(ctx(t), "acme", "wics", "reconcile.order")
	require.NoError(t, err)
	require.Equal(t, c.Value, got.Value, "a second save replaces the value")

	require.Error(t, s.SaveCursor(ctx(t), &store.Cursor{Workspace: "acme", Connection: "wics"}), "a cursor needs a name")
}

func testCursorIsolation(t *testing.T, st store.Store) {
	s := cursorsOf(t, st)
	for _, c := range []store.Cursor{
		{Workspace: "acme", Connection: "wics", Name: "subscriptions", Value: "a"},
		{Workspace: "acme", Connection: "wics", Name: "reconcile.order", Value: "b"},
		{Workspace: "acme", Connection: "wics2", Name: "subscriptions", Value: "c"},
		{Workspace: "globex", Connection: "wics", Name: "subscriptions", Value: "d"},
	} {
		require.NoError(t, s.SaveCursor(ctx(t), &c))
	}
	list, err := s.ListCursors(ctx(t), "acme", "wics")
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []string{"reconcile.order", "subscriptions"}, []string{list[0].Name, list[1].Name})
	require.Equal(t, []string{"b", "a"}, []string{list[0].Value, list[1].Value})
	got, err := s.GetCursor(ctx(t), "globex", "wics", "subscriptions")
	require.NoError(t, err)
	require.Equal(t, "d", got.Value)
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestListIntakeErrors serves refused files from a real store: newest
// first, paged, filtered by connection and never another workspace's.
func TestListIntakeErrors(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		require.NoError(t, st.RecordIntakeError(ctx, &model.IntakeError{
			Workspace: "acme", Connection: "courier", Source: model.SourceFTP,
			Name: fmt.Sprintf("A%d_take_20230719110649.json", i), Reason: "bad input: decoding courier JSON",
			Ref: "acme/courier/quarantine/x", Size: 10, Body: []byte("{\"order\":\xff"), ReceivedAt: t0,
		}))
	}
	require.NoError(t, st.RecordIntakeError(ctx, &model.IntakeError{
		Workspace: "globex", Connection: "courier", Source: model.SourceFTP, Name: "G.xml", Reason: "secret of globex", ReceivedAt: t0,
	}))
	a, err := api.New(api.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}}})
	require.NoError(t, err)

	list := func(t *testing.T, key, query string) (int, api.IntakeErrorPage) {
		t.Helper()
		r := get(t, a.Handler(), "/api/v1/intake/errors"+query, key)
		var page api.IntakeErrorPage
		if r.code == http.StatusOK {
			page = decode[api.IntakeErrorPage](t, r)
		}
		return r.code, page
	}

	t.Run("AWorkspaceSeesItsOwnNewestFirst", func(t *testing.T) {
		t.Parallel()
		code, page := list(t, acmeKey, "")
		require.Equal(t, http.StatusOK, code)
		require.Len(t, page.Data, 3)
		require.Equal(t, "A3_take_20230719110649.json", page.Data[0].Name)
		require.Equal(t, "bad input: decoding courier JSON", page.Data[0].Reason)
		require.Equal(t, model.SourceFTP, page.Data[0].Source)
		require.Equal(t, "{\"order\":\ufffd", page.Data[0].Excerpt, "invalid bytes are shown replaced")
		require.Empty(t, page.NextCursor)
	})
	t.Run("PagesFollowTheCursor", func(t *testing.T) {
		t.Parallel()
		code, page := list(t, acmeKey, "?limit=2")
		require.Equal(t, http.StatusOK, code)
		require.Len(t, page.Data, 2)
		require.NotEmpty(t, page.NextCursor)
		code, rest := list(t, acmeKey, "?limit=2&cursor="+page.NextCursor)
		require.Equal(t, http.StatusOK, code)
		require.Len(t, rest.Data, 1)
		require.Equal(t, "A1_take_20230719110649.json", rest.Data[0].Name)
	})
	t.Run("AnotherWorkspaceSeesOnlyItsOwn", func(t *testing.T) {
		t.Parallel()
		code, page := list(t, globexKey, "")
		require.Equal(t, http.StatusOK, code)
		require.Len(t, page.Data, 1)
		require.Equal(t, "G.xml", page.Data[0].Name)
	})
	t.Run("AConnectionFilterNarrowsTheList", func(t *testing.T) {
		t.Parallel()
		code, page := list(t, acmeKey, "?connection=other")
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, page.Data)
	})
	t.Run("ABadCursorIsABadRequest", func(t *testing.T) {
		t.Parallel()
		code, _ := list(t, acmeKey, "?cursor=%21%21")
		require.Equal(t, http.StatusBadRequest, code)
	})
	t.Run("WithoutAKeyItIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		code, _ := list(t, "wrong-key-0000000000", "")
		require.Equal(t, http.StatusUnauthorized, code)
	})
}

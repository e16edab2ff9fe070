package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// failedInbox is a real store whose inbox holds failed and applied
// messages of two workspaces, and an API on it.
type failedInbox struct {
	st       store.Store
	h        http.Handler
	notified atomic.Int64
	ids      map[string]int64 // by dedup key
}

func newFailedInbox(t *testing.T) *failedInbox {
	t.Helper()
	st := sqlite.OpenTest(t)
	f := &failedInbox{st: st, ids: map[string]int64{}}
	ctx := context.Background()
	add := func(ws, conn, key, body string) {
		id, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: ws, Connection: conn, Provider: "courier",
			Source: model.SourceWebhook, DedupKey: key, ContentType: "application/json", Body: []byte(body), ReceivedAt: t0})
		require.NoError(t, err)
		f.ids[key] = id
	}
	add("acme", "courier", "a1", `{"order":"A1","statuscode":"notOk_999"}`)
	add("acme", "ws", "a2", "{\"status\":\xff")
	add("acme", "courier", "a3", `{"order":"A3","statuscode":"take"}`) // applied
	add("acme", "courier", "a4", `{"order":"A4"`)
	add("globex", "courier", "g1", `{"secret":"of globex"}`)
	for {
		n, err := st.ProcessInbox(ctx, 10, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
			for _, m := range msgs {
				if m.DedupKey != "a3" {
					if err := tx.MarkProcessed(ctx, m.ID, "normalizing: cannot decode "+m.DedupKey); err != nil {
						return err
					}
				}
			}
			return nil
		})
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	a, err := api.New(api.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}},
		InboxRetried: func() { f.notified.Add(1) }})
	require.NoError(t, err)
	f.h = a.Handler()
	return f
}

func (f *failedInbox) list(t *testing.T, key, query string) (int, api.FailedMessagePage) {
	t.Helper()
	r := get(t, f.h, "/api/v1/inbox/failed"+query, key)
	var page api.FailedMessagePage
	if r.code == http.StatusOK {
		page = decode[api.FailedMessagePage](t, r)
	}
	return r.code, page
}

func keysOf(page api.FailedMessagePage) []string {
	out := []string{}
	for _, m := range page.Data {
		out = append(out, m.DedupKey)
	}
	return out
}

func TestListFailedInbox(t *testing.T) {
	t.Parallel()
	f := newFailedInbox(t)
	tests := []struct {
		name     string
		key      string
		query    string
		want     []string
		nextPage bool
	}{
		{"AWorkspaceSeesItsFailedMessagesNewestFirst", acmeKey, "", []string{"a4", "a2", "a1"}, false},
		{"AConnectionFilterNarrowsTheList", acmeKey, "?connection=ws", []string{"a2"}, false},
		{"ALimitPages", acmeKey, "?limit=2", []string{"a4", "a2"}, true},
		{"AnotherWorkspaceSeesOnlyItsOwn", globexKey, "", []string{"g1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, page := f.list(t, tc.key, tc.query)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, tc.want, keysOf(page))
			require.Equal(t, tc.nextPage, page.NextCursor != "")
		})
	}
	t.Run("TheCursorContinues", func(t *testing.T) {
		t.Parallel()
		_, page := f.list(t, acmeKey, "?limit=2")
		code, rest := f.list(t, acmeKey, "?limit=2&cursor="+page.NextCursor)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, []string{"a1"}, keysOf(rest))
		require.Empty(t, rest.NextCursor)
	})
	t.Run("AMessageShowsWhyAndWhatWasReceived", func(t *testing.T) {
		t.Parallel()
		_, page := f.list(t, acmeKey, "?connection=ws")
		m := page.Data[0]
		require.Equal(t, f.ids["a2"], m.ID)
		require.Equal(t, "acme", m.Workspace)
		require.Equal(t, "courier", m.Provider)
		require.Equal(t, model.SourceWebhook, m.Source)
		require.Equal(t, "normalizing: cannot decode a2", m.Failure)
		require.Equal(t, "{\"status\":\ufffd", m.Excerpt, "invalid bytes are shown replaced")
		require.Equal(t, t0, m.ReceivedAt)
		require.False(t, m.FailedAt.IsZero())
	})
	badRequests := []struct{ name, query string }{
		{"ABadCursor", "?cursor=nope"},
		{"ALimitOverTheMaximum", "?limit=201"},
		{"AZeroLimit", "?limit=0"},
	}
	for _, tc := range badRequests {
		t.Run(tc.name+"IsABadRequest", func(t *testing.T) {
			t.Parallel()
			requireProblem(t, get(t, f.h, "/api/v1/inbox/failed"+tc.query, acmeKey), http.StatusBadRequest)
		})
	}
	t.Run("WithoutAKeyItIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, get(t, f.h, "/api/v1/inbox/failed", ""), http.StatusUnauthorized)
	})
}

func TestRetryFailedInbox(t *testing.T) {
	t.Parallel()
	t.Run("OneMessage", func(t *testing.T) {
		t.Parallel()
		f := newFailedInbox(t)
		tests := []struct {
			name string
			key  string
			path string
			want int
		}{
			{"AnotherWorkspacesMessageIsNotFound", globexKey, fmt.Sprintf("/api/v1/inbox/%d/retry", f.ids["a1"]), http.StatusNotFound},
			{"AnUnknownIDIsNotFound", acmeKey, "/api/v1/inbox/999999/retry", http.StatusNotFound},
			{"AnAppliedMessageIsAConflict", acmeKey, fmt.Sprintf("/api/v1/inbox/%d/retry", f.ids["a3"]), http.StatusConflict},
			{"ANonNumericIDIsABadRequest", acmeKey, "/api/v1/inbox/abc/retry", http.StatusBadRequest},
			{"AZeroIDIsABadRequest", acmeKey, "/api/v1/inbox/0/retry", http.StatusBadRequest},
		}
		for _, tc := range tests {
			requireProblem(t, do(t, f.h, http.MethodPost, tc.path, tc.key), tc.want)
		}
		require.Zero(t, f.notified.Load(), "nothing was retried")

		r := do(t, f.h, http.MethodPost, fmt.Sprintf("/api/v1/inbox/%d/retry", f.ids["a1"]), acmeKey)
		require.Equal(t, http.StatusAccepted, r.code, "%s", r.body)
		require.EqualValues(t, 1, f.notified.Load(), "the pipeline is woken")
		_, page := f.list(t, acmeKey, "")
		require.Equal(t, []string{"a4", "a2"}, keysOf(page), "the retried message is pending, no longer failed")
		st, err := f.st.InboxStats(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(1), st.Pending)
		requireProblem(t, do(t, f.h, http.MethodPost, fmt.Sprintf("/api/v1/inbox/%d/retry", f.ids["a1"]), acmeKey), http.StatusConflict)
	})
	t.Run("InBulk", func(t *testing.T) {
		t.Parallel()
		f := newFailedInbox(t)
		retry := func(key, query string) int64 {
			t.Helper()
			r := do(t, f.h, http.MethodPost, "/api/v1/inbox/failed/retry"+query, key)
			require.Equal(t, http.StatusOK, r.code, "%s", r.body)
			return decode[api.InboxRetry](t, r).Retried
		}
		require.EqualValues(t, 1, retry(acmeKey, "?connection=ws"), "one connection's")
		require.EqualValues(t, 2, retry(acmeKey, ""), "the rest of the workspace's")
		require.EqualValues(t, 0, retry(acmeKey, ""), "nothing is left")
		require.EqualValues(t, 2, f.notified.Load(), "woken for each retry that made messages pending")
		_, page := f.list(t, globexKey, "")
		require.Equal(t, []string{"g1"}, keysOf(page), "another workspace is untouched")
		requireProblem(t, do(t, f.h, http.MethodPost, "/api/v1/inbox/failed/retry", ""), http.StatusUnauthorized)
	})
}

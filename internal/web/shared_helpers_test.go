package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The helpers of the page tests, of this package and of web_test: they
// are exported for the latter, and only in the tests' build.

// SignedInClient signs in to the dashboard at base with key (POST
// /ui/signin, which must answer 303) and returns a client that keeps the
// session in its cookie jar and does not follow redirects.
func SignedInClient(t testing.TB, base, key string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/ui/signin", url.Values{"key": {key}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "signing in")
	return c
}

// GetPage fetches u with c and returns the status and the body.
func GetPage(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// InPipelineTx stores msg in the inbox and runs fn in the transaction of
// ProcessInbox(batch), as the pipeline applies a message, so fn may write
// what only the pipeline writes. It returns how many messages the
// transaction took.
func InPipelineTx(t testing.TB, st store.Store, batch int, msg *model.InboxMessage, fn func(ctx context.Context, tx store.Tx) error) int {
	t.Helper()
	ctx := context.Background()
	_, _, err := st.AppendInbox(ctx, msg)
	require.NoError(t, err)
	n, err := st.ProcessInbox(ctx, batch, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return fn(ctx, tx)
	})
	require.NoError(t, err)
	return n
}

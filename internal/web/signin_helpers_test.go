package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
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

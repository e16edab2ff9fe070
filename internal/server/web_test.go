package server_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTheDashboardIsServedAndItsLiveStreamEndsWithTheServer starts a hub,
// follows / to the dashboard, signs in, opens the live stream and stops
// the hub: the stream ends and Stop does not wait for it.
func TestTheDashboardIsServedAndItsLiveStreamEndsWithTheServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, "127.0.0.1:0", "127.0.0.1:0")
	ctx := context.Background()
	require.NoError(t, srv.Start(ctx))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = srv.Stop(context.Background())
		}
	})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noFollow.Get(srv.URL() + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "a browser asking for / is sent to the dashboard")
	require.Equal(t, "/ui/", resp.Header.Get("Location"))

	resp, err = noFollow.PostForm(srv.URL()+"/ui/signin", url.Values{"key": {"acme_api_key_0123456789"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "shiphub_session" {
			cookie = c
		}
	}
	require.NotNil(t, cookie)

	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/ui/live", nil)
	require.NoError(t, err)
	req.AddCookie(cookie)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	require.Equal(t, "text/event-stream", stream.Header.Get("Content-Type"))
	first, err := bufio.NewReader(stream.Body).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(first, "retry:"), "the stream is open: %q", first)

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	began := time.Now()
	require.NoError(t, srv.Stop(stopCtx))
	stopped = true
	require.Less(t, time.Since(began), 8*time.Second, "Stop ended the stream instead of waiting for it")
}

package gcl_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider/gcl"
	"github.com/shiphub/shiphub/internal/sim/gclsim"
)

// recorder collects the results a client observes.
type recorder struct {
	mu      sync.Mutex
	results []string
}

func (r *recorder) observe(result string) {
	r.mu.Lock()
	r.results = append(r.results, result)
	r.mu.Unlock()
}
func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.results...)
}

// TestAnErrorObjectIsAnErrorUnderAnyStatus serves the document's error
// object, and one with details, under statuses the document does not rule
// out: the body decides, never the status alone.
func TestAnErrorObjectIsAnErrorUnderAnyStatus(t *testing.T) {
	t.Parallel()
	notFound, err := os.ReadFile(filepath.Join("testdata", "document-not-found.json"))
	require.NoError(t, err)
	withDetails, err := os.ReadFile(filepath.Join("testdata", "error-with-details.json"))
	require.NoError(t, err)
	tests := []struct {
		name         string
		status       int
		body         []byte
		wantNotFound bool
		wantErr      error
		wantResults  []string
	}{
		{"NotFoundOn200", 200, notFound, true, nil, []string{gcl.ResultNotFound}},
		{"NotFoundOn404", 404, notFound, true, nil, []string{gcl.ResultNotFound}},
		{"NotFoundOn400", 400, notFound, true, nil, []string{gcl.ResultNotFound}},
		{"ErrorOn200", 200, withDetails, false, gcl.ErrRejected, []string{gcl.ResultBadResponse}},
		{"ErrorOn400", 400, withDetails, false, gcl.ErrRejected, []string{gcl.ResultClientError}},
		{"ErrorOn503IsRetried", 503, withDetails, false, gcl.ErrUnavailable, []string{gcl.ResultServerError, gcl.ResultServerError}},
		{"ErrorOn429IsRetried", 429, withDetails, false, gcl.ErrUnavailable, []string{gcl.ResultRateLimited, gcl.ResultRateLimited}},
		{"GarbageOn200", 200, []byte("<html>maintenance</html>"), false, gcl.ErrBadAnswer, []string{gcl.ResultBadResponse}},
		{"GarbageOn502IsRetried", 502, []byte("<html>bad gateway</html>"), false, gcl.ErrUnavailable, []string{gcl.ResultServerError, gcl.ResultServerError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write(tt.body)
			}))
			t.Cleanup(srv.Close)
			rec := &recorder{}
			c := &gcl.Client{BaseURL: srv.URL, APIKey: "k", HTTP: srv.Client(), MaxAttempts: 2, Backoff: time.Millisecond, Observe: rec.observe}
			res, err := c.Track(context.Background(), "EXMPL0001234TRCKNUM")
			require.Equal(t, tt.wantResults, rec.got(), "every request is counted with its result")
			require.Equal(t, len(tt.wantResults), res.Attempts)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.Equal(t, tt.wantNotFound, res.NotFound)
				require.Nil(t, res.Response)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.Nil(t, res.Response)
			var he *gcl.HTTPError
			if errors.As(err, &he) && he.Answer != nil {
				require.Equal(t, tt.status, he.StatusCode)
				require.ErrorContains(t, err, `INTERNAL_ERROR "Tracking temporarily unavailable." (details: code UPSTREAM_TIMEOUT, "The carrier did not answer.", reference req-7f3a)`,
					"the error object's code, message and details reach the operator")
			}
		})
	}
}

func TestTheAuthHeaderAndSchemeAreSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, scheme string
	}{
		{"DefaultBearer", "", ""},
		{"OwnHeaderAndScheme", "X-Gcl-Auth", "Token"},
		{"KeyAlone", "X-Api-Key", gcl.AuthSchemeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, err := gclsim.New(gclsim.Config{APIKey: simKey, AuthHeader: tt.header, AuthScheme: tt.scheme})
			require.NoError(t, err)
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			c, err := gcl.New(decoded(map[string]any{"base_url": srv.URL, "api_key": simKey, "auth_header": tt.header, "auth_scheme": tt.scheme}))
			require.NoError(t, err)
			s := c.(*gcl.Connector).Settings()
			res, err := gcl.NewClient(s).Track(context.Background(), gclsim.DocumentNumber)
			require.NoError(t, err)
			require.Equal(t, "EXMPL0001234", res.Response.ShortUID)

			// A client sending the key differently is refused.
			other := gcl.NewClient(s)
			other.AuthHeader = "X-Other"
			_, err = other.Track(context.Background(), gclsim.DocumentNumber)
			require.ErrorIs(t, err, gcl.ErrRejected)
		})
	}
}

// TestTheKeyNeverFollowsARedirect redirects a request with the key in its
// own header to another host: the client does not follow, so the key is
// never sent there.
func TestTheKeyNeverFollowsARedirect(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "" {
			leaked.Store(true)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(elsewhere.Close)
	api := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/v1/tracking/X", http.StatusFound))
	t.Cleanup(api.Close)
	c, err := gcl.New(decoded(map[string]any{"base_url": api.URL, "api_key": "k-secret", "auth_header": "X-Api-Key", "auth_scheme": "none", "max_attempts": 1}))
	require.NoError(t, err)
	_, err = gcl.NewClient(c.(*gcl.Connector).Settings()).Track(context.Background(), "X")
	require.ErrorIs(t, err, gcl.ErrRejected)
	require.ErrorContains(t, err, "HTTP 302")
	require.False(t, leaked.Load(), "the key is not sent to another host")
}

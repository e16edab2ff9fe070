package wics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

// wcLimiter is a provider.Limiter that counts what the client asks of it.
type wcLimiter struct {
	mu       sync.Mutex
	waits    []provider.Priority
	blocks   int
	until    time.Time
	waitErr  error
	blockErr error
}

func (l *wcLimiter) Wait(_ context.Context, p provider.Priority) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, p)
	return l.waitErr
}

func (l *wcLimiter) Blocked(context.Context) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocks++
	return l.until, l.blockErr
}

func (l *wcLimiter) counts() (waits, blocks int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waits), l.blocks
}

var _ provider.Limiter = (*wcLimiter)(nil)

// wcRequest is one request the fake Service Layer received.
type wcRequest struct {
	Method, Path string
	Query        url.Values
	Body         []byte
	User, Pass   string
	HasAuth      bool
	ContentType  string
}

// wcServer is a fake Service Layer: handle answers each request, and every
// request is recorded.
type wcServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []wcRequest
}

func newWCServer(t *testing.T, handle func(w http.ResponseWriter, r *wcRequest)) *wcServer {
	t.Helper()
	s := &wcServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u, p, ok := r.BasicAuth()
		rec := wcRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Body: body,
			User: u, Pass: p, HasAuth: ok, ContentType: r.Header.Get("Content-Type")}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		handle(w, &rec)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *wcServer) requests() []wcRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wcRequest(nil), s.reqs...)
}

func (s *wcServer) client(l provider.Limiter) *Client {
	return &Client{BaseURL: s.URL, Key: "key-1", Secret: "s3cret", Limiter: l, Priority: provider.PriorityUrgent,
		Now: func() time.Time { return wcNow }}
}

// wcNow is the clock of the clients under test.
var wcNow = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// answer writes a status and a body.
func wcAnswer(w http.ResponseWriter, status int, body string, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// apiFixture reads a verbatim example answer of the document from testdata/api.
func apiFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "api", name))
	require.NoError(t, err)
	return string(b)
}

func TestDoDecodesTheEnvelope(t *testing.T) {
	t.Parallel()
	srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
		wcAnswer(w, http.StatusOK, apiFixture(t, "login.json"))
	})
	l := &wcLimiter{}
	c := srv.client(l)
	ans, err := c.Do(context.Background(), http.MethodGet, "/login", nil, nil, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ans.Status)
	require.Equal(t, 200, ans.Code)
	require.Contains(t, ans.Message, "API User authenticated succesfully")
	require.JSONEq(t, apiFixture(t, "login.json"), string(ans.Body))

	reqs := srv.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/api/login", reqs[0].Path)
	require.True(t, reqs[0].HasAuth)
	require.Equal(t, "key-1", reqs[0].User)
	require.Equal(t, "s3cret", reqs[0].Pass)
	waits, blocks := l.counts()
	require.Equal(t, 1, waits, "the limiter is waited on before the request")
	require.Zero(t, blocks)
}

func TestDoSendsJSONAndDecodesData(t *testing.T) {
	t.Parallel()
	srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
		wcAnswer(w, http.StatusCreated, `{"code":201,"message":"Order with number 13295 created successfully","success":true,"data":["13295"]}`)
	})
	c := srv.client(nil)
	var data []string
	ans, err := c.Do(context.Background(), http.MethodPost, "/order", url.Values{"x": {"1"}}, map[string]string{"reference": "SO1"}, &data)
	require.NoError(t, err)
	require.Equal(t, []string{"13295"}, data)
	require.Equal(t, 201, ans.Code)
	r := srv.requests()[0]
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "1", r.Query.Get("x"))
	require.Equal(t, "application/json", r.ContentType)
	require.JSONEq(t, `{"reference":"SO1"}`, string(r.Body))
}

func TestDoErrors(t *testing.T) {
	t.Parallel()
	type want struct {
		apiErr     bool
		refused    bool
		blocked    bool
		notFound   bool
		retryAfter time.Duration // 0: no RetryAfterError
		blocks     int           // calls of Limiter.Blocked
		message    string        // in the error text
	}
	cases := []struct {
		name   string
		status int
		body   string
		header []string
		until  time.Time
		want   want
	}{
		{name: "SuccessFalseInA200IsARefusalWithWICSsMessage", status: 200,
			body: `{"code":400,"message":"Item 99999 does not exist","success":false,"data":null}`,
			want: want{apiErr: true, refused: true, message: "Item 99999 does not exist"}},
		{name: "A422IsARefusal", status: 422,
			body: `{"code":422,"message":"The deliveryDate field is required.","success":false,"data":null}`,
			want: want{apiErr: true, refused: true, message: "The deliveryDate field is required."}},
		{name: "A404IsNotFoundAndRefused", status: 404,
			body: `{"code":404,"message":"Order 1 not found","success":false,"data":null}`,
			want: want{apiErr: true, refused: true, notFound: true, message: "Order 1 not found"}},
		{name: "A401IsNotARefusal", status: 401,
			body: `{"code":401,"message":"Unauthorized","success":false,"data":null}`,
			want: want{apiErr: true, message: "Unauthorized"}},
		{name: "A500IsRetriedNotRefused", status: 500,
			body: `{"code":500,"message":"Internal error","success":false,"data":null}`,
			want: want{apiErr: true, message: "Internal error"}},
		{name: "A429BlocksAndTellsTheLimiter", status: 429,
			body:  `{"code":429,"message":"Too many requests","success":false,"data":null}`,
			until: wcNow.Add(5 * time.Minute),
			want:  want{apiErr: true, blocked: true, retryAfter: 5 * time.Minute, blocks: 1, message: "Too many requests"}},
		{name: "A429WithoutALimiterUntilWaitsTheFirstLevel", status: 429,
			body: `{"code":429,"message":"Too many requests","success":false}`,
			want: want{apiErr: true, blocked: true, retryAfter: time.Minute, blocks: 1}},
		{name: "Code429InsideA200IsABlock", status: 200,
			body:  `{"code":429,"message":"API user exceeded the limit","success":false,"data":null}`,
			until: wcNow.Add(time.Minute),
			want:  want{apiErr: true, blocked: true, retryAfter: time.Minute, blocks: 1}},
		{name: "TheBlockMessageIsABlock", status: 403,
			body:  `{"code":403,"message":"API user is blocked for 15 minutes","success":false,"data":null}`,
			until: wcNow.Add(15 * time.Minute),
			want:  want{apiErr: true, blocked: true, retryAfter: 15 * time.Minute, blocks: 1}},
		{name: "ALongerRetryAfterThanTheLimitersWins", status: 429,
			body: `{"code":429,"message":"Too many requests","success":false}`, header: []string{"Retry-After", "600"},
			until: wcNow.Add(time.Minute),
			want:  want{apiErr: true, blocked: true, retryAfter: 10 * time.Minute, blocks: 1}},
		{name: "RetryAfterSecondsOnA503", status: 503,
			body: `{"code":503,"message":"Maintenance","success":false}`, header: []string{"Retry-After", "120"},
			want: want{apiErr: true, retryAfter: 2 * time.Minute, message: "Maintenance"}},
		{name: "RetryAfterAsAnHTTPDate", status: 503, body: `down`,
			header: []string{"Retry-After", wcNow.Add(90 * time.Second).Format(http.TimeFormat)},
			want:   want{apiErr: true, retryAfter: 90 * time.Second, message: "down"}},
		{name: "AnUndecodable200IsAnErrorWithAnExcerpt", status: 200, body: `<html><body>Bad gateway</body></html>`,
			want: want{message: "<html><body>Bad gateway"}},
		{name: "AnUndecodable502IsAnAPIErrorWithAnExcerpt", status: 502, body: `<html>502 Bad Gateway</html>`,
			want: want{apiErr: true, message: "<html>502 Bad Gateway</html>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) { wcAnswer(w, tc.status, tc.body, tc.header...) })
			l := &wcLimiter{until: tc.until}
			_, err := srv.client(l).Do(context.Background(), http.MethodGet, "/order/1", nil, nil, nil)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want.message)
			var apiErr *APIError
			require.Equal(t, tc.want.apiErr, errors.As(err, &apiErr), "APIError in %v", err)
			if tc.want.apiErr {
				require.Equal(t, tc.status, apiErr.Status)
				require.Equal(t, tc.want.refused, apiErr.Refused(), "Refused")
				require.Equal(t, tc.want.blocked, apiErr.Blocked(), "Blocked")
				require.Equal(t, tc.want.notFound, apiErr.NotFound(), "NotFound")
				require.Equal(t, "/order/1", apiErr.Path)
			}
			var ra *provider.RetryAfterError
			if tc.want.retryAfter == 0 {
				require.False(t, errors.As(err, &ra), "no RetryAfterError in %v", err)
			} else {
				require.True(t, errors.As(err, &ra), "RetryAfterError in %v", err)
				require.Equal(t, tc.want.retryAfter, ra.After)
			}
			_, blocks := l.counts()
			require.Equal(t, tc.want.blocks, blocks)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestDoWaitsOnTheLimiterFirst(t *testing.T) {
	t.Parallel()
	srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) { wcAnswer(w, 200, `{"success":true}`) })
	budget := &provider.RetryAfterError{After: time.Hour, Err: provider.ErrBudgetExhausted}
	l := &wcLimiter{waitErr: budget}
	_, err := srv.client(l).Do(context.Background(), http.MethodGet, "/login", nil, nil, nil)
	require.ErrorIs(t, err, provider.ErrBudgetExhausted)
	var ra *provider.RetryAfterError
	require.True(t, errors.As(err, &ra))
	require.Equal(t, time.Hour, ra.After)
	require.Empty(t, srv.requests(), "nothing is sent when the budget says no")
}

func TestDoRecordingTheBlockFails(t *testing.T) {
	t.Parallel()
	srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
		wcAnswer(w, 429, `{"code":429,"message":"Too many requests"}`)
	})
	l := &wcLimiter{blockErr: errors.New("database is down")}
	_, err := srv.client(l).Do(context.Background(), http.MethodGet, "/login", nil, nil, nil)
	require.ErrorContains(t, err, "database is down")
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	require.True(t, apiErr.Blocked())
}

func TestBlockedIsNotEveryMessageWithBlocked(t *testing.T) {
	t.Parallel()
	e := &APIError{Status: 200, Message: "Item 16082 is blocked for orders"}
	require.False(t, e.Blocked(), "an item's own status is not a rate block")
	require.True(t, e.Refused())
}

func TestExcerptStaysValidUTF8(t *testing.T) {
	t.Parallel()
	s := excerpt([]byte("a" + strings.Repeat("é", 300)))
	require.True(t, strings.HasSuffix(s, "…"))
	require.Equal(t, strings.ToValidUTF8(s, "?"), s)
}

func TestFilterValues(t *testing.T) {
	t.Parallel()
	f := Filter{}.Where("reference", OpEq, "SO1").Where("nettoSalable", OpGte, "1000").Where("receiptDate", OpLt, "2022-04-18").Where("priority", "", "1")
	require.Equal(t, "nettoSalable%5Bgte%5D=1000&priority=1&receiptDate%5Blt%5D=2022-04-18&reference=SO1", f.Values().Encode())
	v := f.Values()
	v.Set("reference", "changed")
	require.Equal(t, "SO1", f.Values().Get("reference"), "Values returns a copy")
	require.Empty(t, Filter{}.Values())
}

// pagedServer serves n numbered items at path, in pages as asked.
func pagedServer(t *testing.T, n int, empty func(w http.ResponseWriter) bool) *wcServer {
	return newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
		page, _ := strconv.Atoi(r.Query.Get("page"))
		size, _ := strconv.Atoi(r.Query.Get("pageSize"))
		from, to := (page-1)*size, page*size
		if to > n {
			to = n
		}
		if from >= to && empty != nil && empty(w) {
			return
		}
		items := []map[string]any{}
		for i := from; i < to; i++ {
			items = append(items, map[string]any{"number": strconv.Itoa(i + 1)})
		}
		b, _ := json.Marshal(map[string]any{"code": 200, "message": fmt.Sprintf("List of %d orders", len(items)), "success": true, "data": items})
		wcAnswer(w, 200, string(b))
	})
}

func TestWalk(t *testing.T) {
	t.Parallel()
	notFound := func(w http.ResponseWriter) bool {
		wcAnswer(w, 404, `{"code":404,"message":"No orders found","success":false,"data":null}`)
		return true
	}
	noStock := func(w http.ResponseWriter) bool {
		wcAnswer(w, 200, `{"code":200,"message":"No items with stock found","success":false,"data":null}`)
		return true
	}
	nullData := func(w http.ResponseWriter) bool {
		wcAnswer(w, 200, `{"code":200,"message":"List of 0 orders","success":true,"data":null}`)
		return true
	}
	cases := []struct {
		name      string
		n, size   int
		empty     func(w http.ResponseWriter) bool
		wantPages []string // the pages asked for
		wantSeen  int
	}{
		{name: "AShortLastPageEndsIt", n: 5, size: 2, wantPages: []string{"1", "2", "3"}, wantSeen: 5},
		{name: "AnExactlyFullLastPageIsFollowedByAnEmptyOne", n: 4, size: 2, wantPages: []string{"1", "2", "3"}, wantSeen: 4},
		{name: "OnePartialPage", n: 1, size: 100, wantPages: []string{"1"}, wantSeen: 1},
		{name: "AnEmptyListIsOnePage", n: 0, size: 3, wantPages: []string{"1"}},
		{name: "A404IsAnEmptyList", n: 0, size: 3, empty: notFound, wantPages: []string{"1"}},
		{name: "A404AfterAFullPageEndsIt", n: 3, size: 3, empty: notFound, wantPages: []string{"1", "2"}, wantSeen: 3},
		{name: "NoItemsWithStockFoundIsAnEmptyList", n: 0, size: 3, empty: noStock, wantPages: []string{"1"}},
		{name: "NullDataIsAnEmptyPage", n: 2, size: 2, empty: nullData, wantPages: []string{"1", "2"}, wantSeen: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := pagedServer(t, tc.n, tc.empty)
			c := srv.client(&wcLimiter{})
			c.PageSize = tc.size
			var seen []string
			err := Walk(context.Background(), c, "/order", Filter{}.Where("webshopId", OpEq, "2"), func(page int, items []struct {
				Number string `json:"number"`
			}) error {
				require.NotEmpty(t, items, "fn never gets an empty page")
				for _, it := range items {
					seen = append(seen, it.Number)
				}
				return nil
			})
			require.NoError(t, err)
			require.Len(t, seen, tc.wantSeen)
			for i, s := range seen {
				require.Equal(t, strconv.Itoa(i+1), s)
			}
			var pages []string
			for _, r := range srv.requests() {
				require.Equal(t, "/api/order", r.Path)
				require.Equal(t, "2", r.Query.Get("webshopId"), "the filter is on every page")
				require.Equal(t, strconv.Itoa(tc.size), r.Query.Get("pageSize"))
				pages = append(pages, r.Query.Get("page"))
			}
			require.Equal(t, tc.wantPages, pages)
		})
	}
}

func TestWalkStops(t *testing.T) {
	t.Parallel()
	t.Run("AtFnsFirstError", func(t *testing.T) {
		t.Parallel()
		srv := pagedServer(t, 10, nil)
		c := srv.client(nil)
		c.PageSize = 2
		stop := errors.New("stop")
		err := Walk(context.Background(), c, "/order", Filter{}, func(page int, _ []json.RawMessage) error {
			if page == 2 {
				return stop
			}
			return nil
		})
		require.ErrorIs(t, err, stop)
		require.Len(t, srv.requests(), 2)
	})
	t.Run("AtAnErrorAnswerNamingThePage", func(t *testing.T) {
		t.Parallel()
		srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
			wcAnswer(w, 500, `{"code":500,"message":"boom","success":false}`)
		})
		err := Walk(context.Background(), srv.client(nil), "/order", Filter{}, func(int, []json.RawMessage) error { return nil })
		require.ErrorContains(t, err, "listing /order page 1")
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr))
	})
	t.Run("DefaultPageSize", func(t *testing.T) {
		t.Parallel()
		srv := pagedServer(t, 0, nil)
		require.NoError(t, Walk(context.Background(), srv.client(nil), "/order", Filter{}, func(int, []json.RawMessage) error { return nil }))
		require.Equal(t, strconv.Itoa(DefaultPageSize), srv.requests()[0].Query.Get("pageSize"))
	})
}

func TestLoginAndHealth(t *testing.T) {
	t.Parallel()
	srv := newWCServer(t, func(w http.ResponseWriter, r *wcRequest) {
		if r.User != "key-1" || r.Pass != "s3cret" {
			wcAnswer(w, 401, `{"code":401,"message":"Invalid credentials","success":false,"data":null}`)
			return
		}
		wcAnswer(w, 200, apiFixture(t, "login.json"))
	})
	c := newConnector(t, func(s *Settings) { s.BaseURL = srv.URL })
	l := &wcLimiter{}
	require.NoError(t, c.CheckHealth(context.Background(), l))
	require.Equal(t, []provider.Priority{provider.PriorityBackground}, l.waits)

	bad := newConnector(t, func(s *Settings) { s.BaseURL = srv.URL; s.APISecret = "wrong" })
	err := bad.CheckHealth(context.Background(), nil)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 401, apiErr.Status)
	require.NotContains(t, err.Error(), "wrong")
}

func TestRateBudgetIsKeyedByTheLogin(t *testing.T) {
	t.Parallel()
	a := newConnector(t).RateBudget()
	b := newConnector(t, func(s *Settings) { s.APISecret = "another"; s.Topics = []string{"stock"} }).RateBudget()
	other := newConnector(t, func(s *Settings) { s.APIKey = "key-2" }).RateBudget()
	host := newConnector(t, func(s *Settings) { s.BaseURL = "https://servicelayer.wics.nl" }).RateBudget()
	require.Equal(t, a.Key, b.Key, "one login, one budget")
	require.NotEqual(t, a.Key, other.Key)
	require.NotEqual(t, a.Key, host.Key)
	require.True(t, strings.HasPrefix(a.Key, "wics:"))
	require.NotContains(t, a.Key, "key-1")
	require.NotContains(t, a.Key, "s3cret")
	require.Equal(t, 150, a.PerMinute)
	require.Equal(t, 20000, a.PerDay)
	require.Equal(t, []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}, a.Escalation)
}

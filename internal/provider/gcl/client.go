package gcl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/ctxtime"
)

// maxBody caps an answer; a parcel's history is a few kilobytes.
const maxBody = 1 << 20

// Errors of Client.Track, checked with errors.Is.
var (
	// ErrRejected means GCL refused the request for good (a 4xx other than
	// 408 and 429, e.g. a wrong api_key, or an error object on a 2xx);
	// retrying at once cannot help.
	ErrRejected = errors.New("request rejected")
	// ErrUnavailable means every attempt failed with a network error, a
	// timeout, 429 or 5xx.
	ErrUnavailable = errors.New("tracking API unavailable")
	// ErrBadAnswer means a 2xx answer was neither a tracking answer nor an
	// error object.
	ErrBadAnswer = errors.New("tracking answer not understood")
)

// Results of one request, the result label of
// shiphub_provider_requests_total.
const (
	ResultOK           = "ok"
	ResultNotFound     = "not_found"
	ResultRateLimited  = "rate_limited"
	ResultClientError  = "client_error"
	ResultServerError  = "server_error"
	ResultNetworkError = "network_error"
	ResultBadResponse  = "bad_response"
)

// Client calls GCL's tracking API for one connection.
type Client struct {
	// BaseURL is the API's root.
	BaseURL string
	// APIKey is the connection's credential.
	APIKey string
	// AuthHeader and AuthScheme say how the credential is sent (see
	// Settings); defaults Authorization and Bearer.
	AuthHeader, AuthScheme string
	// HTTP sends the requests; its Timeout bounds one attempt.
	HTTP *http.Client
	// MaxAttempts is how often a request is tried; default 3.
	MaxAttempts int
	// Backoff is the wait before the first retry; it doubles per attempt,
	// with jitter. Default 500ms.
	Backoff time.Duration
	// BeforeRetry, when set, is called before every attempt after the
	// first, to spend from the request budget; an error ends the retries.
	BeforeRetry func(ctx context.Context) error
	// Observe, when set, is told the result (ResultOK, …) of every request.
	Observe func(result string)
}

// NewClient builds the client of a connection's settings.
func NewClient(s Settings) *Client {
	return &Client{
		BaseURL:     s.BaseURL,
		APIKey:      s.APIKey,
		AuthHeader:  s.AuthHeader,
		AuthScheme:  s.AuthScheme,
		HTTP:        &http.Client{Timeout: s.Timeout, CheckRedirect: noRedirects},
		MaxAttempts: s.MaxAttempts,
	}
}

// noRedirects answers a redirect with the redirect itself (a failed poll):
// net/http strips only Authorization when a redirect leaves the host, so a
// key in another auth_header would follow it anywhere.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Result is one answer of the tracking API.
type Result struct {
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Body is the raw answer.
	Body []byte
	// Response is the decoded tracking answer (nil when NotFound).
	Response *Response
	// NotFound reports the TRACKING_DETAILS_NOT_FOUND answer.
	NotFound bool
	// Attempts is how many requests it took.
	Attempts int
}

// authorize adds the connection's credential to a request. The document
// does not say how GCL authenticates; auth_header and auth_scheme do.
func (c *Client) authorize(r *http.Request) {
	s := Settings{APIKey: c.APIKey, AuthHeader: c.AuthHeader, AuthScheme: c.AuthScheme}
	if s.AuthHeader == "" {
		s.AuthHeader = DefaultAuthHeader
	}
	if s.AuthScheme == "" {
		s.AuthScheme = DefaultAuthScheme
	}
	r.Header.Set(s.AuthHeader, s.AuthValue())
}

// Track fetches a parcel's tracking, retrying network errors, timeouts,
// 429 and 5xx with backoff. A tracking answer and a "not found" answer are
// results; everything else is an error wrapping ErrRejected, ErrUnavailable
// or ErrBadAnswer. An error object, whatever its HTTP status, is an
// *HTTPError that carries it.
func (c *Client) Track(ctx context.Context, number string) (Result, error) {
	if strings.TrimSpace(number) == "" {
		return Result{}, fmt.Errorf("%w: empty tracking number", ErrRejected)
	}
	u := strings.TrimRight(c.BaseURL, "/") + "/v1/tracking/" + url.PathEscape(number)
	attempts := max(c.MaxAttempts, 1)
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	var last error
	res := Result{}
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			wait := backoff << (attempt - 2)
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
			if ra := retryAfter(last); ra > 0 {
				wait = ra
			}
			if !ctxtime.Sleep(ctx, wait) {
				return res, fmt.Errorf("tracking %s: %w", number, ctx.Err())
			}
			if c.BeforeRetry != nil {
				if err := c.BeforeRetry(ctx); err != nil {
					return res, fmt.Errorf("tracking %s: retry %d: %w (after %v)", number, attempt, err, last)
				}
			}
		}
		res.Attempts = attempt
		var (
			retry  bool
			result string
		)
		res, result, retry, last = c.once(ctx, u, res)
		if c.Observe != nil && ctx.Err() == nil {
			c.Observe(result)
		}
		if last == nil {
			return res, nil
		}
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return res, fmt.Errorf("tracking %s: %w", number, last)
}

// once makes one request and classifies its answer.
func (c *Client) once(ctx context.Context, u string, res Result) (Result, string, bool, error) {
	res.Response, res.NotFound = nil, false
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return res, ResultClientError, false, fmt.Errorf("%w: building the request: %v", ErrRejected, err)
	}
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		res.StatusCode, res.Body = 0, nil
		return res, ResultNetworkError, true, fmt.Errorf("%w: %v", ErrUnavailable, redactErr(err, c.APIKey))
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	res.StatusCode = resp.StatusCode
	res.Body = body
	if err != nil {
		return res, ResultNetworkError, true, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	if len(body) > maxBody {
		return res, ResultBadResponse, false, fmt.Errorf("%w: answer larger than %d bytes", ErrRejected, maxBody)
	}
	code := resp.StatusCode
	retryable := code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
	// The document gives the error object no status, so the body decides
	// first: any status may carry one.
	r, apiErr, derr := Decode(body)
	switch {
	case apiErr != nil && apiErr.Code == CodeNotFound:
		res.NotFound = true
		return res, ResultNotFound, false, nil
	case apiErr != nil || code < 200 || code >= 300:
		he := &HTTPError{StatusCode: code, Answer: apiErr, kind: ErrRejected}
		if retryable {
			he.kind, he.RetryAfter = ErrUnavailable, parseRetryAfter(resp.Header.Get("Retry-After"))
		}
		return res, statusResult(code), retryable, he
	case derr != nil:
		return res, ResultBadResponse, false, fmt.Errorf("%w: HTTP %d: %v", ErrBadAnswer, code, derr)
	}
	res.Response = r
	return res, ResultOK, false, nil
}

// statusResult is the request result label of an error answer's status.
func statusResult(code int) string {
	switch {
	case code == http.StatusTooManyRequests:
		return ResultRateLimited
	case code >= 500 || code == http.StatusRequestTimeout:
		return ResultServerError
	case code >= 400:
		return ResultClientError
	default:
		// An error object on a 2xx or 3xx: not the answer its status promised.
		return ResultBadResponse
	}
}

// HTTPError is an answer that is not a tracking answer: an error status,
// or an error object under any status. It wraps ErrUnavailable when
// retrying may help (408, 429, 5xx) and ErrRejected otherwise.
type HTTPError struct {
	// StatusCode is the answer's HTTP status.
	StatusCode int
	// Answer is the error object the body carried, or nil.
	Answer *ErrorResponse
	// RetryAfter is the wait the answer asked for.
	RetryAfter time.Duration

	kind error
}

func (e *HTTPError) Error() string {
	if e.Answer != nil {
		return fmt.Sprintf("%v: HTTP %d: %s", e.kind, e.StatusCode, e.Answer.Describe())
	}
	return fmt.Sprintf("%v: HTTP %d", e.kind, e.StatusCode)
}

// Unwrap makes errors.Is(err, ErrRejected) or ErrUnavailable hold.
func (e *HTTPError) Unwrap() error { return e.kind }

// retryAfter is the wait the last answer asked for, capped at 30s.
func retryAfter(last error) time.Duration {
	var he *HTTPError
	if errors.As(last, &he) && he.RetryAfter > 0 {
		return min(he.RetryAfter, 30*time.Second)
	}
	return 0
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// redactErr keeps the key out of an error message (a URL error quotes the
// URL, which never carries it, but a proxy error might echo headers).
func redactErr(err error, key string) string {
	msg := err.Error()
	if key != "" {
		msg = strings.ReplaceAll(msg, key, "[redacted]")
	}
	return msg
}

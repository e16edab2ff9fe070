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
	// 408 and 429, e.g. a wrong api_key); retrying cannot help.
	ErrRejected = errors.New("request rejected")
	// ErrUnavailable means every attempt failed with a network error, a
	// timeout, 429 or 5xx.
	ErrUnavailable = errors.New("tracking API unavailable")
)

// Client calls GCL's tracking API for one connection.
type Client struct {
	// BaseURL is the API's root.
	BaseURL string
	// APIKey is the connection's credential.
	APIKey string
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
}

// NewClient builds the client of a connection's settings.
func NewClient(s Settings) *Client {
	return &Client{
		BaseURL:     s.BaseURL,
		APIKey:      s.APIKey,
		HTTP:        &http.Client{Timeout: s.Timeout},
		MaxAttempts: s.MaxAttempts,
	}
}

// Result is one answer of the tracking API.
type Result struct {
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Body is the raw answer.
	Body []byte
	// NotFound reports the TRACKING_DETAILS_NOT_FOUND answer.
	NotFound bool
	// Attempts is how many requests it took.
	Attempts int
}

// authorize adds the connection's credential to a request. The document
// does not say how GCL authenticates; this is the one place to change it.
func authorize(r *http.Request, apiKey string) {
	r.Header.Set("Authorization", "Bearer "+apiKey)
}

// Track fetches a parcel's tracking, retrying network errors, timeouts,
// 429 and 5xx with backoff. A 200 answer and a "not found" answer are
// results; everything else is an error wrapping ErrRejected or
// ErrUnavailable.
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
		var retry bool
		res, retry, last = c.once(ctx, u, res)
		if last == nil {
			return res, nil
		}
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return res, fmt.Errorf("tracking %s: %w", number, last)
}

// once makes one request.
func (c *Client) once(ctx context.Context, u string, res Result) (Result, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return res, false, fmt.Errorf("%w: building the request: %v", ErrRejected, err)
	}
	req.Header.Set("Accept", "application/json")
	authorize(req, c.APIKey)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		res.StatusCode = 0
		return res, true, fmt.Errorf("%w: %v", ErrUnavailable, redactErr(err, c.APIKey))
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	res.StatusCode = resp.StatusCode
	res.Body = body
	if err != nil {
		return res, true, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	if len(body) > maxBody {
		return res, false, fmt.Errorf("%w: answer larger than %d bytes", ErrRejected, maxBody)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return res, false, nil
	case isNotFound(body):
		res.NotFound = true
		return res, false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return res, true, &statusError{code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	default:
		return res, false, fmt.Errorf("%w: HTTP %d", ErrRejected, resp.StatusCode)
	}
}

// statusError is a retryable HTTP status.
type statusError struct {
	code       int
	retryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("%v: HTTP %d", ErrUnavailable, e.code) }
func (e *statusError) Unwrap() error { return ErrUnavailable }

// retryAfter is the wait the last answer asked for, capped at 30s.
func retryAfter(last error) time.Duration {
	var se *statusError
	if errors.As(last, &se) && se.retryAfter > 0 {
		return min(se.retryAfter, 30*time.Second)
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

// isNotFound recognises the TRACKING_DETAILS_NOT_FOUND answer.
func isNotFound(body []byte) bool {
	_, e, err := Decode(body)
	return err == nil && e != nil && e.Code == CodeNotFound
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

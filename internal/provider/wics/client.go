package wics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/provider"
)

// The Service Layer's calls (wics-service-layer.txt) all answer one
// envelope, {code, message, success, data}; a business refusal may come as
// success false inside a 2xx (wics-public-clients.md, "Envelope, status
// codes, errors"). The client in this file is the one place that sends
// requests: Basic auth with the connection's key and secret, the rate
// budget before every request, the envelope and its errors, and paging.
// The calls themselves are in files by aggregate (client_orders.go, …).

// maxAnswer caps an answer's body: a page of 1,000 orders is far below it.
const maxAnswer = 32 << 20

// DefaultPageSize is the page size the client asks list calls for. The
// document gives no maximum; public clients use 100 to 20,000.
const DefaultPageSize = 100

// Client calls one WICS login's Service Layer.
type Client struct {
	// BaseURL is the Service Layer's root, without /api.
	BaseURL string
	// Key and Secret are the login, sent as HTTP Basic.
	Key, Secret string
	// HTTP sends the requests; nil means a client with a 30 s timeout that
	// follows no redirects (so the login is never sent elsewhere).
	HTTP *http.Client
	// Limiter is waited on before every request; nil means unlimited.
	Limiter provider.Limiter
	// Priority is the priority the requests wait at.
	Priority provider.Priority
	// PageSize is the page size of list calls; 0 means DefaultPageSize.
	PageSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var defaultHTTP = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// NewClient returns the connection's client, waiting on l at priority p.
func (c *Connector) NewClient(l provider.Limiter, p provider.Priority) *Client {
	return &Client{BaseURL: c.settings.BaseURL, Key: c.settings.APIKey, Secret: c.settings.APISecret,
		Limiter: l, Priority: p}
}

// APIError is an answer of the Service Layer that is not a success: an
// HTTP error status, or success false inside a 2xx. Message is WICS's own.
type APIError struct {
	// Method and Path name the call (the path without the host or query).
	Method, Path string
	// Status is the HTTP status; Code the envelope's code (0 when absent).
	Status int
	Code   int
	// Message is the envelope's message, or an excerpt of a body that was
	// not the envelope.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wics %s %s: HTTP %d (code %d): %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// Blocked reports whether WICS refused the request for the rate limit: a
// 429 status or code, or its block message.
func (e *APIError) Blocked() bool {
	if e.Status == http.StatusTooManyRequests || e.Code == http.StatusTooManyRequests {
		return true
	}
	m := strings.ToLower(e.Message)
	if strings.Contains(m, "too many requests") || strings.Contains(m, "rate limit") {
		return true
	}
	// The document words its block as the API user being blocked for
	// minutes; an item or order "blocked" for its own reasons is not one.
	return strings.Contains(m, "blocked") &&
		(strings.Contains(m, "user") || strings.Contains(m, "minute") || strings.Contains(m, "request"))
}

// violationLevel finds a block's level in WICS's message: the document's
// words ("Second violation level") or a number ("violation level 2").
var violationLevel = regexp.MustCompile(`(?i)\b(?:(first|second|third)\s+violation\s+level|violation\s+level\s+([1-9]))\b`)

// ViolationLevel is the level of the block a refusal names (1 for the
// first), or 0 when the message names none. The first refusal a client
// meets during another client's block is already at the second level, and
// waiting only the first level's minute would escalate it to the third.
func (e *APIError) ViolationLevel() int {
	if !e.Blocked() {
		return 0
	}
	m := violationLevel.FindStringSubmatch(e.Message)
	switch {
	case m == nil:
		return 0
	case m[2] != "":
		return int(m[2][0] - '0')
	}
	return map[string]int{"first": 1, "second": 2, "third": 3}[strings.ToLower(m[1])]
}

// Refused reports whether the request was refused for its content, so
// that sending it again unchanged cannot succeed: a 4xx other than 401,
// 403, 408 and 429, or success false in a 2xx.
func (e *APIError) Refused() bool {
	if e.Blocked() {
		return false
	}
	switch {
	case e.Status >= 200 && e.Status < 300:
		return true
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden,
		e.Status == http.StatusRequestTimeout:
		return false
	case e.Status >= 400 && e.Status < 500:
		return true
	}
	return false
}

// NotFound reports whether WICS said the identifier does not exist.
func (e *APIError) NotFound() bool {
	return e.Status == http.StatusNotFound || e.Code == http.StatusNotFound
}

// envelope is the answer of every call.
type envelope struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Success *bool           `json:"success"`
	Data    json.RawMessage `json:"data"`
}

// Answer is a call's envelope as WICS sent it, for callers that commit the
// answer to the inbox.
type Answer struct {
	Status  int
	Code    int
	Message string
	Data    json.RawMessage
	// Body is the whole answer, verbatim.
	Body []byte
}

// Do sends one request: path is below /api (such as "/order"), query may
// be nil, and body, when not nil, is sent as JSON. A 2xx envelope with
// success not false is returned; when out is not nil its data is decoded
// into out. Errors: *APIError for WICS's refusals; a
// *provider.RetryAfterError when WICS blocked the login (the limiter is
// told, and says until when) or the budget allows nothing now; other
// errors for the network and undecodable answers.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) (*Answer, error) {
	if c.Limiter != nil {
		if err := c.Limiter.Wait(ctx, c.Priority); err != nil {
			return nil, fmt.Errorf("wics %s %s: %w", method, path, err)
		}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding wics %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimRight(c.BaseURL, "/") + "/api" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("wics %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(c.Key, c.Secret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wics %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("reading wics %s %s: %w", method, path, err)
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("wics %s %s: answer larger than %d bytes", method, path, maxAnswer)
	}
	ans := &Answer{Status: resp.StatusCode, Body: raw}
	var env envelope
	decErr := json.Unmarshal(raw, &env)
	if decErr == nil {
		ans.Code, ans.Message, ans.Data = env.Code, env.Message, env.Data
	}
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok2xx || decErr != nil || (env.Success != nil && !*env.Success) || env.Code == http.StatusTooManyRequests {
		apiErr := &APIError{Method: method, Path: path, Status: resp.StatusCode, Code: env.Code, Message: env.Message}
		if decErr != nil || apiErr.Message == "" {
			apiErr.Message = excerpt(raw)
		}
		if ok2xx && decErr != nil && !apiErr.Blocked() {
			return ans, fmt.Errorf("decoding wics %s %s answer: %w (%s)", method, path, decErr, excerpt(raw))
		}
		if apiErr.Blocked() {
			return ans, c.blocked(ctx, resp, apiErr)
		}
		if ra := retryAfter(resp, c.now()); ra > 0 {
			return ans, &provider.RetryAfterError{After: ra, Err: apiErr}
		}
		return ans, apiErr
	}
	if out != nil && len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return ans, fmt.Errorf("decoding wics %s %s data: %w (%s)", method, path, err, excerpt(env.Data))
		}
	}
	return ans, nil
}

// blocked tells the limiter about a block and says when to try again.
func (c *Client) blocked(ctx context.Context, resp *http.Response, apiErr *APIError) error {
	after := retryAfter(resp, c.now())
	if c.Limiter != nil {
		var (
			until time.Time
			err   error
		)
		if lb, ok := c.Limiter.(provider.LevelBlocker); ok {
			until, err = lb.BlockedAt(ctx, apiErr.ViolationLevel())
		} else {
			until, err = c.Limiter.Blocked(ctx)
		}
		if err != nil {
			return errors.Join(apiErr, fmt.Errorf("recording the wics block: %w", err))
		}
		if d := until.Sub(c.now()); d > after {
			after = d
		}
	}
	if after <= 0 {
		after = time.Minute // the document's first violation level
	}
	return &provider.RetryAfterError{After: after, Err: apiErr}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// excerpt is the start of a body, for errors a person reads.
func excerpt(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// Filter is a list call's filters, in the document's form ("Filters"):
// field=value for equality, field[op]=value otherwise.
type Filter struct{ v url.Values }

// Op is a filter operator of the document.
type Op string

// The document's filter operators.
const (
	OpEq  Op = "eq"
	OpNeq Op = "neq"
	OpGt  Op = "gt"
	OpLt  Op = "lt"
	OpGte Op = "gte"
	OpLte Op = "lte"
)

// Where adds a condition; OpEq is written as a plain field=value.
func (f Filter) Where(field string, op Op, value string) Filter {
	if f.v == nil {
		f.v = url.Values{}
	}
	if op == OpEq || op == "" {
		f.v.Set(field, value)
	} else {
		f.v.Set(field+"["+string(op)+"]", value)
	}
	return f
}

// Values returns the filter as query parameters (a copy).
func (f Filter) Values() url.Values {
	out := url.Values{}
	for k, vs := range f.v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Walk calls a list endpoint page by page, from page 1, and hands each
// page's items to fn, until a page is short or empty (the envelope has no
// total: wics-public-clients.md, "Pagination and filters"). It stops at
// fn's first error.
func Walk[T any](ctx context.Context, c *Client, path string, f Filter, fn func(page int, items []T) error) error {
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	for page := 1; ; page++ {
		q := f.Values()
		q.Set("page", strconv.Itoa(page))
		q.Set("pageSize", strconv.Itoa(size))
		var items []T
		if _, err := c.Do(ctx, http.MethodGet, path, q, nil, &items); err != nil {
			var apiErr *APIError
			// An empty list may come as a 404 or as success false with
			// "No items with stock found" (wics-public-clients.md).
			if errors.As(err, &apiErr) && (apiErr.NotFound() || (apiErr.Status == http.StatusOK && isEmptyListMessage(apiErr.Message))) {
				return nil
			}
			return fmt.Errorf("listing %s page %d: %w", path, page, err)
		}
		if len(items) > 0 {
			if err := fn(page, items); err != nil {
				return err
			}
		}
		if len(items) < size {
			return nil
		}
	}
}

// isEmptyListMessage recognises WICS's messages for an empty list.
func isEmptyListMessage(m string) bool {
	m = strings.ToLower(m)
	return strings.HasPrefix(m, "no ") && strings.Contains(m, "found") || strings.HasPrefix(m, "list of 0 ")
}

// Login checks the login: GET /api/login, which "does nothing except
// verify your credentials".
func (c *Client) Login(ctx context.Context) error {
	_, err := c.Do(ctx, http.MethodGet, "/login", nil, nil, nil)
	return err
}

// CheckHealth is the connection's health check (provider.HealthChecker).
func (c *Connector) CheckHealth(ctx context.Context, l provider.Limiter) error {
	return c.NewClient(l, provider.PriorityBackground).Login(ctx)
}

// Escalation is the document's block lengths ("API Rate Limiting"): one
// minute at the first violation, five more at the second, fifteen at the
// third and after.
var Escalation = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}

// RateBudget is the login's budget at WICS: the limits count per API user,
// so the key is a digest of the Service Layer host and the API key (never
// the secret), and two connections with one login share it.
func (c *Connector) RateBudget() provider.RateBudget {
	sum := sha256.Sum256([]byte(strings.TrimRight(c.settings.BaseURL, "/") + "\x00" + c.settings.APIKey))
	return provider.RateBudget{
		Key:        "wics:" + hex.EncodeToString(sum[:8]),
		PerMinute:  c.settings.RatePerMinute,
		PerDay:     c.settings.RatePerDay,
		Window:     c.settings.RateWindow,
		Escalation: scaled(Escalation, c.settings.RateWindow),
		// WICS is a Dutch service: its day starts at Dutch midnight.
		Day: c.settings.Location(),
	}
}

// scaled is the escalation for a compressed minute (RateWindow).
func scaled(esc []time.Duration, window time.Duration) []time.Duration {
	out := make([]time.Duration, len(esc))
	for i, d := range esc {
		out[i] = time.Duration(float64(d) * float64(window) / float64(time.Minute))
	}
	return out
}

var (
	_ provider.HealthChecker = (*Connector)(nil)
	_ provider.RateLimited   = (*Connector)(nil)
)

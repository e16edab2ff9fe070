package activeants

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxAnswer caps an answer's body; a full stock sync of a large account
// stays far below it.
const maxAnswer = 64 << 20

// ErrLogin means Active Ants refused the connection's username and
// password at POST /token. It is not retried until the next scheduled
// pull, and makes the connection unhealthy with the provider's reason.
var ErrLogin = errors.New("active ants refused the login")

// LoginError is a refused login: HTTP 400 with the OAuth2 error fields
// (activeants-public-clients.md, "Token").
type LoginError struct {
	Status      int
	Code        string
	Description string
}

func (e *LoginError) Error() string {
	msg := fmt.Sprintf("%v (HTTP %d)", ErrLogin, e.Status)
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Is makes errors.Is(err, ErrLogin) hold.
func (e *LoginError) Is(target error) bool { return target == ErrLogin }

// APIError is an answer of the ShopApi that is not a success: an HTTP
// error status, or a 2xx envelope whose messageCode is not OK. Message is
// Active Ants's own.
type APIError struct {
	Op, Method, Path string
	Status           int
	MessageCode      string
	Message          string
}

func (e *APIError) Error() string {
	if e.MessageCode != "" {
		return fmt.Sprintf("active ants %s %s: HTTP %d, %s: %s", e.Method, e.Path, e.Status, e.MessageCode, e.Message)
	}
	return fmt.Sprintf("active ants %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// NOK reports whether the answer was a 2xx with a non-OK messageCode: the
// ShopApi's way of refusing a request for its content (or of saying "not
// found").
func (e *APIError) NOK() bool { return e.Status >= 200 && e.Status < 300 }

// Client calls one ShopApi login. It fetches a bearer token at POST /token
// and keeps it in memory until shortly before expires_in; on a 401 it
// fetches a new one once and sends the request again. Tokens are per
// Client, that is per connection and hub instance (see the package doc),
// and never logged or put in errors.
type Client struct {
	// BaseURL is the host, e.g. https://shopapi.activeants.nl.
	BaseURL string
	// Username and Password are the login.
	Username, Password string
	// HTTP sends the requests; nil means a client with a 60 s timeout that
	// follows no redirects (so the token is never sent elsewhere).
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Observe, when set, counts each request by operation and result,
	// in the metrics' words: ok, client_error (a 4xx, a NOK envelope, a
	// refused login), server_error (a 5xx), network_error, bad_response
	// (a 2xx that is not an envelope).
	Observe func(op, result string)

	// LoginBackoff is how long a refused login is remembered: every
	// request in that time fails with it at once, without asking
	// POST /token again, so a wrong password never loops. Default 5m.
	LoginBackoff time.Duration

	mu       sync.Mutex
	token    string
	expires  time.Time
	fetches  int
	loginErr error
	loginAt  time.Time
}

var defaultHTTP = &http.Client{
	Timeout: 60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) observe(op, result string) {
	if c.Observe != nil {
		c.Observe(op, result)
	}
}

// TokenFetches is how many times the client asked POST /token (for tests
// and metrics).
func (c *Client) TokenFetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// tokenMargin is how long before expires_in the cached token is dropped:
// a tenth of its life, at most five minutes, so a request never leaves
// with a token that expires on the way.
func tokenMargin(life time.Duration) time.Duration {
	return min(life/10, 5*time.Minute)
}

// Token returns a valid bearer token, fetching one when there is none or
// the cached one is about to expire; stale forces a new one (after a 401
// with the token stale).
func (c *Client) Token(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != stale && c.now().Before(c.expires) {
		return c.token, nil
	}
	c.token = ""
	backoff := c.LoginBackoff
	if backoff <= 0 {
		backoff = 5 * time.Minute
	}
	if c.loginErr != nil && c.now().Sub(c.loginAt) < backoff {
		return "", c.loginErr
	}
	c.fetches++
	tok, life, err := c.fetchToken(ctx)
	if errors.Is(err, ErrLogin) {
		c.loginErr, c.loginAt = err, c.now()
	}
	if err != nil {
		return "", err
	}
	c.loginErr = nil
	c.token = tok
	c.expires = c.now().Add(life - tokenMargin(life))
	return tok, nil
}

// Forget drops the cached token and a remembered refused login (after
// the settings changed, say).
func (c *Client) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.loginErr = "", nil
}

// LoginError returns the refused login the client remembers, or nil.
func (c *Client) LoginError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginErr
}

// fetchToken asks POST /token for a token, with the form the document
// gives: grant_type=password&username=…&password=….
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	p := pathOf(OpToken)
	form := url.Values{"grant_type": {"password"}, "username": {c.Username}, "password": {c.Password}}
	req, err := http.NewRequestWithContext(ctx, p.Method, c.url(p.Path), strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("active ants %s %s: %w", p.Method, p.Path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := c.send(req)
	if err != nil {
		c.observe(OpToken, "network_error")
		return "", 0, fmt.Errorf("active ants %s %s: %w", p.Method, p.Path, err)
	}
	tok, decErr := DecodeToken(body)
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnauthorized ||
		(decErr == nil && tok.Error != "" && tok.AccessToken == ""):
		c.observe(OpToken, "client_error")
		le := &LoginError{Status: status}
		if decErr == nil {
			le.Code, le.Description = tok.Error, tok.ErrorDescription
		}
		return "", 0, le
	case status < 200 || status > 299:
		c.observe(OpToken, httpResult(status))
		return "", 0, &APIError{Op: OpToken, Method: p.Method, Path: p.Path, Status: status, Message: excerpt(body)}
	case decErr != nil:
		c.observe(OpToken, "bad_response")
		return "", 0, fmt.Errorf("active ants %s %s: %w", p.Method, p.Path, decErr)
	case tok.AccessToken == "":
		c.observe(OpToken, "bad_response")
		return "", 0, fmt.Errorf("active ants %s %s: the answer has no access_token", p.Method, p.Path)
	}
	c.observe(OpToken, "ok")
	life := time.Hour // no expires_in: keep it until a 401 or an hour
	if tok.ExpiresIn.Valid && tok.ExpiresIn.N > 0 {
		life = time.Duration(tok.ExpiresIn.N) * time.Second
	}
	return tok.AccessToken, life, nil
}

// Answer is one successful call's envelope and its body, verbatim.
type Answer struct {
	Status   int
	Envelope *Envelope
	Body     []byte
}

// Do calls an operation of Paths: args fill the path's {parameters} in
// order, query may be nil, and body, when not nil, is sent as JSON. It
// returns the answer when its envelope is OK. Errors: *LoginError when the
// login is refused; *APIError for an HTTP error or a NOK envelope (the
// answer is returned too); an error wrapping provider.ErrBadInput when a
// 2xx answer is not an envelope (the answer is returned, for the intake
// error); other errors for the network.
func (c *Client) Do(ctx context.Context, op string, args []string, query url.Values, body any) (*Answer, error) {
	p := pathOf(op)
	path := p.Path
	for _, a := range args {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		if i < 0 || j < i {
			return nil, fmt.Errorf("active ants %s: too many path arguments", op)
		}
		path = path[:i] + url.PathEscape(a) + path[j+1:]
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding active ants %s %s: %w", p.Method, path, err)
		}
	}
	u := c.url(path)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	auth := op != OpStatus
	var used string
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, p.Method, u, bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("active ants %s %s: %w", p.Method, path, err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if auth {
			if used, err = c.Token(ctx, used); err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+used)
		}
		status, raw, err := c.send(req)
		if err != nil {
			c.observe(op, "network_error")
			return nil, fmt.Errorf("active ants %s %s: %w", p.Method, path, err)
		}
		if status == http.StatusUnauthorized && auth && attempt == 0 {
			// The document: on a 401 "a new token must be requested".
			// Once: a second 401 with a fresh token is the answer.
			c.observe(op, "client_error")
			continue
		}
		ans := &Answer{Status: status, Body: raw}
		env, decErr := DecodeEnvelope(raw)
		if status < 200 || status > 299 {
			c.observe(op, httpResult(status))
			e := &APIError{Op: op, Method: p.Method, Path: path, Status: status, Message: excerpt(raw)}
			if decErr == nil {
				e.MessageCode, e.Message = env.MessageCode, firstNonEmpty(env.Message, e.Message)
				ans.Envelope = env
			}
			return ans, e
		}
		if decErr != nil {
			c.observe(op, "bad_response")
			return ans, fmt.Errorf("active ants %s %s: %w", p.Method, path, decErr)
		}
		ans.Envelope = env
		if !env.OK() {
			c.observe(op, "client_error")
			return ans, &APIError{Op: op, Method: p.Method, Path: path, Status: status, MessageCode: env.MessageCode, Message: env.Message}
		}
		c.observe(op, "ok")
		return ans, nil
	}
}

// Status calls GET /status/get, which needs no login.
func (c *Client) Status(ctx context.Context) error {
	_, err := c.Do(ctx, OpStatus, nil, nil, nil)
	return err
}

func (c *Client) url(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }

// send sends a request and reads its answer, capped at maxAnswer.
func (c *Client) send(req *http.Request) (int, []byte, error) {
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, nil, redact(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(raw) > maxAnswer {
		return 0, nil, fmt.Errorf("answer larger than %d bytes", maxAnswer)
	}
	return resp.StatusCode, raw, nil
}

// redact keeps a transport error's URL (which never carries credentials:
// the token travels in a header, the password in the body) but drops the
// wrapping *url.Error's repetition of method and URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func httpResult(status int) string {
	if status >= 500 {
		return "server_error"
	}
	return "client_error"
}

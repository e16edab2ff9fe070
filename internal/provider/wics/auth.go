package wics

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/shiphub/shiphub/internal/provider"
)

// Credentials are a connection's API key and secret, digested once, for
// checking the Authorization header of WICS's webhooks.
//
// The document says every webhook carries "Authorization: Basic
// {apikey}:{apisecret}", literally; standard HTTP Basic carries
// base64(apikey:apisecret), which is what every public client sends to the
// API. Both forms are accepted, and they cannot be confused: the literal
// form contains a ':', which the base64 alphabet does not.
type Credentials struct {
	pair provider.Secret
	ok   bool
}

// NewCredentials digests the key and secret. A pair that HTTP Basic cannot
// carry unambiguously (an empty key or secret, a key with ':') never
// matches; Settings.Validate refuses such a pair first.
func NewCredentials(key, secret string) Credentials {
	if key == "" || secret == "" || strings.Contains(key, ":") {
		return Credentials{}
	}
	return Credentials{pair: provider.NewSecret(key + ":" + secret), ok: true}
}

// Check reports whether header, the value of a request's Authorization
// header, carries the credentials: "Basic " (the scheme in any case, one or
// more spaces) followed by base64(key:secret) or by key:secret literally.
// The comparison is constant-time. Anything else is
// provider.ErrUnauthorized; its message never contains what was sent.
func (c *Credentials) Check(header string) error {
	h := strings.Trim(header, " \t")
	if h == "" {
		return fmt.Errorf("%w: no Authorization header", provider.ErrUnauthorized)
	}
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return fmt.Errorf("%w: the Authorization header is not Basic", provider.ErrUnauthorized)
	}
	rest = strings.TrimLeft(rest, " ")
	pair := rest
	if !strings.Contains(rest, ":") {
		dec, err := base64.StdEncoding.Strict().DecodeString(rest)
		if err != nil || !strings.Contains(string(dec), ":") {
			return fmt.Errorf("%w: the Basic credentials are neither key:secret nor its base64", provider.ErrUnauthorized)
		}
		pair = string(dec)
	}
	if !c.ok || !c.pair.Matches(pair) {
		return fmt.Errorf("%w: wrong API key or secret", provider.ErrUnauthorized)
	}
	return nil
}

// Authenticate checks an Authorization header against the connection's API
// key and secret; see Credentials.Check. A connector should build its
// Credentials once instead.
func Authenticate(header, key, secret string) error {
	c := NewCredentials(key, secret)
	return c.Check(header)
}

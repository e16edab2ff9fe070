package gcl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	// The timezone setting must resolve on hosts without a zoneinfo database.
	_ "time/tzdata"

	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/provider"
)

// Defaults of Settings.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxAttempts     = 3
	DefaultRatePerSecond   = 5
	DefaultRatePerDay      = 20_000
	DefaultConcurrency     = 4
	DefaultExpireAfterDays = 30
	DefaultTimezone        = "Europe/Amsterdam"
	DefaultScanInterval    = time.Minute
	DefaultAuthHeader      = "Authorization"
	DefaultAuthScheme      = "Bearer"
)

// AuthSchemeNone is the auth_scheme that sends the api_key bare, e.g. as
// "X-Api-Key: <api_key>".
const AuthSchemeNone = "none"

// Settings are the provider-specific keys of a gcl connection in shiphub.yaml.
type Settings struct {
	// BaseURL is the API's root, e.g. https://api.gcl.example; requests go
	// to BaseURL + /v1/tracking/{trackingNumber}. Required.
	BaseURL string `yaml:"base_url"`
	// APIKey is the connection's credential, sent in AuthHeader. Required.
	APIKey string `yaml:"api_key"`
	// AuthHeader is the request header that carries the credential; the
	// document names none, so it is a setting. Default Authorization.
	AuthHeader string `yaml:"auth_header"`
	// AuthScheme is the word before the credential in AuthHeader; "none"
	// sends the key alone. Default Bearer.
	AuthScheme string `yaml:"auth_scheme"`
	// Timeout bounds one request; default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how often one poll is tried on network errors and 5xx
	// answers before it counts as failed; default 3.
	MaxAttempts int `yaml:"max_attempts"`
	// RatePerSecond and RatePerDay are GCL's request limits for this
	// connection, never exceeded, shared by every hub instance; defaults 5
	// and 20,000.
	RatePerSecond int `yaml:"rate_per_second"`
	RatePerDay    int `yaml:"rate_per_day"`
	// Concurrency is how many polls are in flight at once; default 4.
	Concurrency int `yaml:"concurrency"`
	// ExpireAfterDays is how long a number may stay unknown to GCL, or a
	// parcel without news, before its tracker expires; default 30.
	ExpireAfterDays int `yaml:"expire_after_days"`
	// Timezone is where "today" is for expected delivery dates; default
	// Europe/Amsterdam.
	Timezone string `yaml:"timezone"`
	// Schedule overrides the polling intervals (see poll.Intervals): keys
	// out_for_delivery, due_today, overdue, in_transit, registered,
	// not_found, not_found_max, error, error_max, terminal_recheck.
	Schedule poll.Intervals `yaml:"schedule"`
	// Attach lists carrier rules: a shipment of another connection of the
	// workspace with a tracking number and a matching carrier gets a
	// tracker on this connection.
	Attach []AttachRule `yaml:"attach"`
	// Carriers is shorthand for Attach rules with a carrier only.
	Carriers []string `yaml:"carriers"`
	// ScanInterval is how often shipments are scanned for the rules; default 1m.
	ScanInterval time.Duration `yaml:"scan_interval"`
}

// AttachRule selects shipments to track. Matching is case-insensitive.
type AttachRule struct {
	// Carrier is the shipment's carrier, e.g. ups or dhl. Required.
	Carrier string `yaml:"carrier"`
	// Connection limits the rule to one connection's shipments; empty
	// means any other connection of the workspace.
	Connection string `yaml:"connection"`
}

// SetDefaults fills in every unset value with its default.
func (s *Settings) SetDefaults() {
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = DefaultMaxAttempts
	}
	if s.RatePerSecond == 0 {
		s.RatePerSecond = DefaultRatePerSecond
	}
	if s.RatePerDay == 0 {
		s.RatePerDay = DefaultRatePerDay
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.ExpireAfterDays == 0 {
		s.ExpireAfterDays = DefaultExpireAfterDays
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	if s.ScanInterval == 0 {
		s.ScanInterval = DefaultScanInterval
	}
	if s.AuthHeader == "" {
		s.AuthHeader = DefaultAuthHeader
	}
	if s.AuthScheme == "" {
		s.AuthScheme = DefaultAuthScheme
	}
	s.Schedule.SetDefaults()
	for _, c := range s.Carriers {
		s.Attach = append(s.Attach, AttachRule{Carrier: c})
	}
	s.Carriers = nil
}

// Validate checks the settings after SetDefaults. Its errors name the key.
func (s *Settings) Validate() error {
	var errs []error
	if s.BaseURL == "" {
		errs = append(errs, errors.New("base_url: is required"))
	} else if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url: %q is not an absolute http(s) URL", s.BaseURL))
	}
	switch {
	case s.APIKey == "":
		errs = append(errs, errors.New("api_key: is required"))
	case strings.TrimSpace(s.APIKey) != s.APIKey:
		errs = append(errs, errors.New("api_key: must not start or end with white space"))
	}
	if !isToken(s.AuthHeader) {
		errs = append(errs, fmt.Errorf("auth_header: %q is not an HTTP header name", s.AuthHeader))
	}
	if !isToken(s.AuthScheme) {
		errs = append(errs, fmt.Errorf("auth_scheme: %q is not a single word (use %q to send the key alone)", s.AuthScheme, AuthSchemeNone))
	}
	if s.Timeout < 0 || s.Timeout > 5*time.Minute {
		errs = append(errs, errors.New("timeout: must be between 0 and 5m"))
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > 10 {
		errs = append(errs, errors.New("max_attempts: must be from 1 to 10"))
	}
	if s.RatePerSecond < 1 || s.RatePerSecond > 1000 {
		errs = append(errs, errors.New("rate_per_second: must be from 1 to 1000"))
	}
	if s.RatePerDay < 1 {
		errs = append(errs, errors.New("rate_per_day: must be at least 1"))
	}
	if s.Concurrency < 1 || s.Concurrency > 64 {
		errs = append(errs, errors.New("concurrency: must be from 1 to 64"))
	}
	if s.ExpireAfterDays < 1 {
		errs = append(errs, errors.New("expire_after_days: must be at least 1"))
	}
	if _, err := provider.LoadLocation(s.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone: %w", err))
	}
	if s.ScanInterval < 0 {
		errs = append(errs, errors.New("scan_interval: must not be negative"))
	}
	if err := s.Schedule.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("schedule: %w", err))
	}
	for i, r := range s.Attach {
		if strings.TrimSpace(r.Carrier) == "" {
			errs = append(errs, fmt.Errorf("attach[%d].carrier: is required", i))
		}
	}
	return errors.Join(errs...)
}

// AuthValue is the value of AuthHeader for the connection's key.
func (s *Settings) AuthValue() string {
	if strings.EqualFold(s.AuthScheme, AuthSchemeNone) {
		return s.APIKey
	}
	return s.AuthScheme + " " + s.APIKey
}

// isToken reports whether v is an RFC 9110 token, as header names and
// authentication schemes are.
func isToken(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// matches reports whether a rule selects a shipment of connection with carrier.
func (r AttachRule) matches(connection, carrier string) bool {
	return strings.EqualFold(strings.TrimSpace(r.Carrier), strings.TrimSpace(carrier)) &&
		(r.Connection == "" || r.Connection == connection)
}

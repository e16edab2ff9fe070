package wics

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	// The timezone setting must resolve on hosts without a zoneinfo database.
	_ "time/tzdata"

	"github.com/shiphub/shiphub/internal/provider"
)

// Defaults of Settings. The rates are the document's limits ("API Rate
// Limiting": 150 requests a minute and 20.000 a day per user).
const (
	DefaultRatePerMinute     = 150
	DefaultRatePerDay        = 20_000
	DefaultReconcileInterval = 15 * time.Minute
	DefaultTimezone          = "Europe/Amsterdam"
)

// Settings are the provider-specific keys of a wics connection in
// shiphub.yaml, as DESIGN.md ("Connection settings") fixes them.
type Settings struct {
	// BaseURL is the Service Layer's root, without /api: production
	// https://servicelayer.wics.nl, test https://test.servicelayer.wics.nl.
	// Required.
	BaseURL string `yaml:"base_url"`
	// APIKey and APISecret are the connection's Service Layer login. Calls
	// send them as HTTP Basic; WICS's webhooks carry them in their
	// Authorization header, which is how a webhook is authenticated.
	// Required; the key may not contain ':' (Basic could not carry it).
	APIKey    string `yaml:"api_key"`
	APISecret string `yaml:"api_secret"`
	// Topics are the webhook topics the connection subscribes to and
	// accepts, by their path names (see the package doc); default all nine.
	// A webhook of a topic not listed is answered 404.
	Topics []string `yaml:"topics"`
	// RatePerMinute and RatePerDay are the login's request budget at WICS,
	// never exceeded, shared by every hub instance; defaults (and maxima)
	// 150 and 20000, the document's limits. Exceeding the minute's budget
	// blocks the login for 1, then 5, then 15 minutes.
	RatePerMinute int `yaml:"rate_per_minute"`
	RatePerDay    int `yaml:"rate_per_day"`
	// ReconcileInterval is how often shiphub asks WICS for what webhooks
	// may have missed (after WICS's ten retries in 24 hours gave up);
	// default 15m, at most 24h, and at least one rate_window: 1m against
	// the real Service Layer, shorter only for a simulator whose minute
	// is compressed, so that a test sees reconciliation run.
	ReconcileInterval time.Duration `yaml:"reconcile_interval"`
	// RateWindow is the length of WICS's "minute" for rate_per_minute and
	// the unit of its blocks (1, 5 and 15 of them); default and, against
	// the real Service Layer, always 1m. Only a simulator whose time runs
	// faster (internal/sim/wicssim with Speed) is given a shorter one, so
	// that tests of the limits finish in seconds.
	RateWindow time.Duration `yaml:"rate_window"`
	// WebshopID is the webshopId of a multi-shop login: its webhooks are
	// subscribed, and its orders listed, for that shop only. Optional; 0
	// means the login's whole account.
	WebshopID int64 `yaml:"webshop_id"`
	// Reconcile turns reconciliation (reconcile_interval's poll of the
	// Service Layer) on or off; default on. Off suits a connection that
	// only receives webhooks, such as the demo's.
	Reconcile *bool `yaml:"reconcile"`
	// ManageSubscriptions makes the hub keep the login's webhook
	// subscriptions at WICS matching topics (at start, on a change, and
	// hourly); default on. Off leaves them to be made by hand.
	ManageSubscriptions *bool `yaml:"manage_subscriptions"`
	// Timezone is the IANA zone in which a WICS date-time without a UTC
	// offset is read; default Europe/Amsterdam, where WICS runs.
	Timezone string `yaml:"timezone"`
}

// SetDefaults fills in every unset value with its default.
func (s *Settings) SetDefaults() {
	if len(s.Topics) == 0 {
		for _, t := range topics {
			s.Topics = append(s.Topics, string(t))
		}
	}
	if s.RatePerMinute == 0 {
		s.RatePerMinute = DefaultRatePerMinute
	}
	if s.RatePerDay == 0 {
		s.RatePerDay = DefaultRatePerDay
	}
	if s.RateWindow == 0 {
		s.RateWindow = time.Minute
	}
	if s.ReconcileInterval == 0 {
		s.ReconcileInterval = DefaultReconcileInterval
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
}

// Validate checks the settings after SetDefaults. Its errors name the key
// and never contain the key's or the secret's value.
func (s *Settings) Validate() error {
	var errs []error
	if s.BaseURL == "" {
		errs = append(errs, errors.New("base_url: is required"))
	} else if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, errors.New("base_url: must be an absolute http(s) URL without credentials, query or fragment, e.g. https://servicelayer.wics.nl"))
	}
	switch {
	case s.APIKey == "":
		errs = append(errs, errors.New("api_key: is required"))
	case strings.TrimSpace(s.APIKey) != s.APIKey:
		errs = append(errs, errors.New("api_key: must not start or end with white space"))
	case strings.Contains(s.APIKey, ":"):
		errs = append(errs, errors.New("api_key: must not contain ':' (HTTP Basic separates the key from the secret with it)"))
	case hasControl(s.APIKey):
		errs = append(errs, errors.New("api_key: must not contain control characters"))
	}
	switch {
	case s.APISecret == "":
		errs = append(errs, errors.New("api_secret: is required"))
	case strings.TrimSpace(s.APISecret) != s.APISecret:
		errs = append(errs, errors.New("api_secret: must not start or end with white space"))
	case hasControl(s.APISecret):
		errs = append(errs, errors.New("api_secret: must not contain control characters"))
	}
	seen := map[Topic]bool{}
	for i, name := range s.Topics {
		t, err := ParseTopic(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("topics[%d]: %w", i, err))
			continue
		}
		if seen[t] {
			errs = append(errs, fmt.Errorf("topics[%d]: %s is listed twice", i, t))
		}
		seen[t] = true
	}
	if s.RatePerMinute < 1 || s.RatePerMinute > DefaultRatePerMinute {
		errs = append(errs, fmt.Errorf("rate_per_minute: must be from 1 to %d, WICS's limit", DefaultRatePerMinute))
	}
	if s.RatePerDay < 1 || s.RatePerDay > DefaultRatePerDay {
		errs = append(errs, fmt.Errorf("rate_per_day: must be from 1 to %d, WICS's limit", DefaultRatePerDay))
	}
	if s.RateWindow < 100*time.Millisecond || s.RateWindow > time.Minute {
		errs = append(errs, errors.New("rate_window: must be from 100ms to 1m (1m, WICS's own, unless the Service Layer is a simulator with compressed time)"))
	}
	switch {
	case s.ReconcileInterval > 24*time.Hour:
		errs = append(errs, errors.New("reconcile_interval: must be from 1m to 24h"))
	case s.ReconcileInterval < time.Minute && (s.RateWindow >= time.Minute || s.ReconcileInterval < s.RateWindow):
		// Below a minute only for a simulator (rate_window < 1m), and
		// never below its minute.
		errs = append(errs, errors.New("reconcile_interval: must be from 1m to 24h (or, against a simulator with a compressed rate_window, at least one rate_window)"))
	}
	if s.WebshopID < 0 {
		errs = append(errs, errors.New("webshop_id: must not be negative"))
	}
	if _, err := provider.LoadLocation(s.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone: %w", err))
	}
	return errors.Join(errs...)
}

// Reconciles reports whether reconciliation is on (the default).
func (s *Settings) Reconciles() bool { return s.Reconcile == nil || *s.Reconcile }

// ManagesSubscriptions reports whether the hub keeps the subscriptions
// (the default).
func (s *Settings) ManagesSubscriptions() bool {
	return s.ManageSubscriptions == nil || *s.ManageSubscriptions
}

// TopicSet is the topics the connection accepts, parsed. Call it after
// Validate.
func (s *Settings) TopicSet() map[Topic]bool {
	set := map[Topic]bool{}
	for _, name := range s.Topics {
		if t, err := ParseTopic(name); err == nil {
			set[t] = true
		}
	}
	return set
}

// Location is the connection's zone, loaded. Call it after Validate.
func (s *Settings) Location() *time.Location {
	loc, err := provider.LoadLocation(s.Timezone)
	if err != nil {
		return defaultLocation
	}
	return loc
}

// Credentials are the connection's key and secret, digested, for checking
// webhooks' Authorization headers.
func (s *Settings) Credentials() Credentials { return NewCredentials(s.APIKey, s.APISecret) }

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

package config

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Dashboard configures the web dashboard served at /ui/.
type Dashboard struct {
	// Disabled turns the dashboard off: /ui/ then answers 404. It is on by
	// default, because it is served by the same listener as the API and
	// admits only workspace API keys.
	Disabled bool `yaml:"disabled"`
	// SessionLifetime is how long a sign-in lasts; default 12h. A session
	// ends earlier when its user signs out.
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	// SignInPerMinute is how many sign-in attempts one client address may
	// make per minute, on every instance together; default 10. It slows
	// down guessing of API keys.
	SignInPerMinute int `yaml:"signin_per_minute"`
	// StuckAfter is how long a shipment may stay in a status without any
	// update before it counts as stuck, per canonical status. Statuses
	// not named take the defaults (DefaultStuckAfter); a duration of 0
	// turns the check off for that status. Terminal statuses (delivered,
	// returned, cancelled, expired) are never stuck.
	StuckAfter map[model.Status]time.Duration `yaml:"stuck_after"`
	// StuckScanInterval is how often the leader looks for shipments that
	// became stuck and adds a shipment.stuck event for each; default 10m.
	StuckScanInterval time.Duration `yaml:"stuck_scan_interval"`
	// DemoKey is set by shiphub demo, never by a file: the key the
	// sign-in page signs in with one click.
	DemoKey string `yaml:"-"`
}

// Dashboard defaults.
const (
	DefaultSessionLifetime   = 12 * time.Hour
	DefaultSignInPerMinute   = 10
	DefaultStuckScanInterval = 10 * time.Minute
)

// DefaultStuckAfter is how long a shipment may stay in each open status
// without an update before it is stuck.
var DefaultStuckAfter = map[model.Status]time.Duration{
	model.StatusPending:            5 * 24 * time.Hour,
	model.StatusInfoReceived:       5 * 24 * time.Hour,
	model.StatusInTransit:          5 * 24 * time.Hour,
	model.StatusOutForDelivery:     2 * 24 * time.Hour,
	model.StatusAvailableForPickup: 7 * 24 * time.Hour,
	model.StatusFailedAttempt:      3 * 24 * time.Hour,
	model.StatusException:          3 * 24 * time.Hour,
	model.StatusUnknown:            5 * 24 * time.Hour,
}

// stuckExempt are the statuses a shipment ends in: it cannot be stuck there.
var stuckExempt = map[model.Status]bool{
	model.StatusDelivered: true, model.StatusReturned: true,
	model.StatusCancelled: true, model.StatusExpired: true,
}

// SetDefaults fills in what was not set.
func (d *Dashboard) SetDefaults() {
	if d.SessionLifetime == 0 {
		d.SessionLifetime = DefaultSessionLifetime
	}
	if d.SignInPerMinute == 0 {
		d.SignInPerMinute = DefaultSignInPerMinute
	}
	if d.StuckScanInterval == 0 {
		d.StuckScanInterval = DefaultStuckScanInterval
	}
	merged := make(map[model.Status]time.Duration, len(DefaultStuckAfter))
	for s, v := range DefaultStuckAfter {
		merged[s] = v
	}
	for s, v := range d.StuckAfter {
		merged[s] = v
	}
	d.StuckAfter = merged
}

// Validate checks the settings.
func (d *Dashboard) Validate() error {
	var errs []error
	if d.SessionLifetime < time.Minute || d.SessionLifetime > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("dashboard.session_lifetime %s: must lie between 1m and 720h", d.SessionLifetime))
	}
	if d.SignInPerMinute < 1 {
		errs = append(errs, fmt.Errorf("dashboard.signin_per_minute %d: must be at least 1", d.SignInPerMinute))
	}
	if d.StuckScanInterval < time.Second {
		errs = append(errs, fmt.Errorf("dashboard.stuck_scan_interval %s: must be at least 1s", d.StuckScanInterval))
	}
	statuses := make([]string, 0, len(d.StuckAfter))
	for s := range d.StuckAfter {
		statuses = append(statuses, string(s))
	}
	sort.Strings(statuses)
	for _, name := range statuses {
		s := model.Status(name)
		v := d.StuckAfter[s]
		switch {
		case !s.Valid():
			errs = append(errs, fmt.Errorf("dashboard.stuck_after: %q is not a shipment status", name))
		case stuckExempt[s] && v != 0:
			errs = append(errs, fmt.Errorf("dashboard.stuck_after.%s: a shipment cannot be stuck in a final status", name))
		case v < 0:
			errs = append(errs, fmt.Errorf("dashboard.stuck_after.%s %s: must not be negative", name, v))
		}
	}
	return errors.Join(errs...)
}

package activeants

import (
	"errors"
	"net/url"
	"strings"
	"time"
)

// Defaults of Settings (DESIGN.md, "Connection settings").
const (
	DefaultSyncInterval       = 5 * time.Minute
	DefaultStockInterval      = time.Hour
	DefaultTrackTraceInterval = time.Hour
	DefaultSettingsRefresh    = 24 * time.Hour
	// MinTrackTraceInterval is the document's limit for the track-trace
	// endpoint: "It's strongly advised to limit the use to once per hour.
	// If violated we cannot guarantee responsiveness of our services."
	MinTrackTraceInterval = time.Hour
)

// Production and test hosts (activeants-public-clients.md, "Hosts").
const (
	ProductionURL = "https://shopapi.activeants.nl"
	TestURL       = "https://shopapitest.activeants.nl"
)

// Settings are the provider-specific keys of an activeants connection in
// shiphub.yaml, as DESIGN.md ("Connection settings") fixes them.
type Settings struct {
	// BaseURL is the ShopApi host, without a path: production
	// https://shopapi.activeants.nl, test https://shopapitest.activeants.nl.
	// Required.
	BaseURL string `yaml:"base_url"`
	// Username and Password are the shop's ShopApi login, exchanged for a
	// bearer token at POST /token. Required.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// SyncInterval is how often unsynced shipments and stock mutations are
	// pulled; default 5m, from 1m to 24h.
	SyncInterval time.Duration `yaml:"sync_interval"`
	// StockInterval is how often the changed stock is pulled
	// (/stock/bulk/false; the first run pulls all, /stock/bulk/true);
	// default 1h, from 1m to 24h.
	StockInterval time.Duration `yaml:"stock_interval"`
	// TrackTraceInterval is how often the track-trace status is pulled;
	// default 1h, never shorter (the document's limit), at most 24h.
	TrackTraceInterval time.Duration `yaml:"track_trace_interval"`
	// SettingsRefresh is how long the account's settings (the ids of
	// shipping methods, order types, languages, countries, return reasons)
	// are cached; default 24h ("cache this data locally and refresh
	// daily"), from 1h to 7 days.
	SettingsRefresh time.Duration `yaml:"settings_refresh"`
	// Speed is how many times faster than the real clock the ShopApi's
	// time runs: every interval above is waited for Speed times shorter.
	// Default and, against Active Ants, always 1. Only a simulator whose
	// warehouse time runs faster (internal/sim/activeantssim Config.Speed)
	// is given more, so that the demo and the end-to-end tests see hours of
	// warehouse in seconds while the intervals, in warehouse time, keep
	// their limits (track-trace still at most once a warehouse hour). From
	// 1 to 3600.
	Speed float64 `yaml:"speed"`
}

// Real is a settings interval d in real time: d divided by Speed (d when
// Speed is not set).
func (s Settings) Real(d time.Duration) time.Duration {
	if s.Speed <= 1 {
		return d
	}
	return time.Duration(float64(d) / s.Speed)
}

// SetDefaults fills in every unset value with its default.
func (s *Settings) SetDefaults() {
	if s.SyncInterval == 0 {
		s.SyncInterval = DefaultSyncInterval
	}
	if s.StockInterval == 0 {
		s.StockInterval = DefaultStockInterval
	}
	if s.TrackTraceInterval == 0 {
		s.TrackTraceInterval = DefaultTrackTraceInterval
	}
	if s.SettingsRefresh == 0 {
		s.SettingsRefresh = DefaultSettingsRefresh
	}
	if s.Speed == 0 {
		s.Speed = 1
	}
}

// Validate checks the settings after SetDefaults. Its errors name the key
// and never contain the password.
func (s *Settings) Validate() error {
	var errs []error
	if s.BaseURL == "" {
		errs = append(errs, errors.New("base_url: is required"))
	} else if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		errs = append(errs, errors.New("base_url: must be an absolute http(s) URL of the host, without a path, credentials, query or fragment, e.g. "+ProductionURL))
	}
	switch {
	case s.Username == "":
		errs = append(errs, errors.New("username: is required"))
	case strings.TrimSpace(s.Username) != s.Username || hasControl(s.Username):
		errs = append(errs, errors.New("username: must not start or end with white space or contain control characters"))
	}
	switch {
	case s.Password == "":
		errs = append(errs, errors.New("password: is required"))
	case hasControl(s.Password):
		errs = append(errs, errors.New("password: must not contain control characters"))
	}
	between := func(key string, d, lo, hi time.Duration, why string) {
		if d < lo || d > hi {
			errs = append(errs, errors.New(key+": must be from "+lo.String()+" to "+hi.String()+why))
		}
	}
	between("sync_interval", s.SyncInterval, time.Minute, 24*time.Hour, "")
	between("stock_interval", s.StockInterval, time.Minute, 24*time.Hour, "")
	between("track_trace_interval", s.TrackTraceInterval, MinTrackTraceInterval, 24*time.Hour,
		" (Active Ants asks that track-trace status be read at most once an hour)")
	between("settings_refresh", s.SettingsRefresh, time.Hour, 7*24*time.Hour, "")
	if !(s.Speed >= 1 && s.Speed <= 3600) {
		errs = append(errs, errors.New("speed: must be from 1 to 3600 (1, Active Ants's own, unless the ShopApi is a simulator with compressed time)"))
	}
	return errors.Join(errs...)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

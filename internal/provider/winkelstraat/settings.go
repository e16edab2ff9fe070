package winkelstraat

import (
	"errors"
	"fmt"
	"strings"
	"time"
	// The timezone setting must resolve on hosts and container images that
	// ship no zoneinfo database; embedding it costs about 450 KB.
	_ "time/tzdata"

	"github.com/shiphub/shiphub/internal/provider"
)

// DefaultTimezone is where Winkelstraat's stock hub runs (Vianen, NL). Its
// date-times ("2024-02-20 15:28:51") carry no offset, so they are read in it.
const DefaultTimezone = "Europe/Amsterdam"

// Settings are the provider-specific keys of a winkelstraat connection in
// shiphub.yaml.
type Settings struct {
	// InboundAPIKey is the shared secret Winkelstraat sends in the x-api-key
	// header of every webhook. It is required: an unauthenticated hook would
	// let anyone write shipments into the workspace.
	InboundAPIKey string `yaml:"inbound_api_key"`
	// Timezone is the IANA zone in which date-times without an offset are
	// read. Default Europe/Amsterdam. Date-times with an RFC 3339 offset are
	// taken as they are.
	Timezone string `yaml:"timezone"`
}

// SetDefaults fills in every unset value with its default.
func (s *Settings) SetDefaults() {
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
}

// Validate checks the settings after SetDefaults. Its errors name the key.
func (s *Settings) Validate() error {
	var errs []error
	switch {
	case s.InboundAPIKey == "":
		errs = append(errs, errors.New("inbound_api_key: is required"))
	case strings.TrimSpace(s.InboundAPIKey) != s.InboundAPIKey:
		// Leading or trailing blanks are almost always a YAML copy-paste
		// slip, and HTTP clients trim header values, so the key could
		// never match.
		errs = append(errs, errors.New("inbound_api_key: must not start or end with white space"))
	}
	if _, err := loadLocation(s.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone: %w", err))
	}
	return errors.Join(errs...)
}

func loadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, errors.New("is required")
	}
	return provider.LoadLocation(name)
}

package wics

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// decodeSettings decodes YAML as the config does (unknown keys refused),
// then applies the defaults.
func decodeSettings(t *testing.T, src string) Settings {
	t.Helper()
	var s Settings
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&s))
	s.SetDefaults()
	return s
}

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	s := decodeSettings(t, "base_url: https://test.servicelayer.wics.nl\napi_key: k\napi_secret: s\n")
	require.NoError(t, s.Validate())
	require.Equal(t, []string{"shipment", "receipt", "stock", "stockmutation", "announcementstatus", "orderstatus", "orderlinestatus", "picksliplinestatus", "rma"}, s.Topics)
	require.Len(t, s.TopicSet(), 9)
	require.Equal(t, 150, s.RatePerMinute)
	require.Equal(t, 20000, s.RatePerDay)
	require.Equal(t, 15*time.Minute, s.ReconcileInterval)
	require.Equal(t, int64(0), s.WebshopID)
	require.Equal(t, "Europe/Amsterdam", s.Timezone)
	require.Equal(t, "Europe/Amsterdam", s.Location().String())
	c := s.Credentials()
	require.NoError(t, c.Check("Basic k:s"))
	require.Error(t, c.Check("Basic k:t"))
}

func TestSettingsEveryKey(t *testing.T) {
	t.Parallel()
	s := decodeSettings(t, `
base_url: https://servicelayer.wics.nl
api_key: k
api_secret: s
topics: [Stock, orderstatus]
rate_per_minute: 100
rate_per_day: 10000
reconcile_interval: 1h
webshop_id: 2
timezone: Europe/Brussels
`)
	require.NoError(t, s.Validate())
	require.Equal(t, map[Topic]bool{TopicStock: true, TopicOrderStatus: true}, s.TopicSet())
	require.Equal(t, time.Hour, s.ReconcileInterval)
	require.Equal(t, int64(2), s.WebshopID)
	require.Equal(t, "Europe/Brussels", s.Location().String())
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	valid := func() Settings {
		s := Settings{BaseURL: "https://servicelayer.wics.nl", APIKey: "key", APISecret: "very-secret"}
		s.SetDefaults()
		return s
	}
	cases := []struct {
		name   string
		modify func(*Settings)
		want   string
	}{
		{"NoBaseURL", func(s *Settings) { s.BaseURL = "" }, "base_url: is required"},
		{"RelativeBaseURL", func(s *Settings) { s.BaseURL = "servicelayer.wics.nl" }, "base_url: must be an absolute http(s) URL"},
		{"FTPBaseURL", func(s *Settings) { s.BaseURL = "ftp://servicelayer.wics.nl" }, "base_url: must be an absolute http(s) URL"},
		{"BaseURLWithCredentials", func(s *Settings) { s.BaseURL = "https://key:very-secret@servicelayer.wics.nl" }, "base_url: must be an absolute http(s) URL without credentials"},
		{"NoKey", func(s *Settings) { s.APIKey = "" }, "api_key: is required"},
		{"KeyWithSpace", func(s *Settings) { s.APIKey = " key" }, "api_key: must not start or end with white space"},
		{"KeyWithColon", func(s *Settings) { s.APIKey = "ke:y" }, "api_key: must not contain ':'"},
		{"KeyWithNewline", func(s *Settings) { s.APIKey = "ke\ny" }, "api_key: must not contain control characters"},
		{"NoSecret", func(s *Settings) { s.APISecret = "" }, "api_secret: is required"},
		{"SecretWithSpace", func(s *Settings) { s.APISecret = "very-secret " }, "api_secret: must not start or end with white space"},
		{"SecretWithNewline", func(s *Settings) { s.APISecret = "very\nsecret" }, "api_secret: must not contain control characters"},
		{"UnknownTopic", func(s *Settings) { s.Topics = []string{"stock", "stocks"} }, `topics[1]: unknown wics topic "stocks"`},
		{"TopicTwice", func(s *Settings) { s.Topics = []string{"stock", "STOCK"} }, "topics[1]: stock is listed twice"},
		{"RateAboveWICSLimit", func(s *Settings) { s.RatePerMinute = 151 }, "rate_per_minute: must be from 1 to 150"},
		{"NegativeRate", func(s *Settings) { s.RatePerMinute = -1 }, "rate_per_minute: must be from 1 to 150"},
		{"DayRateAboveWICSLimit", func(s *Settings) { s.RatePerDay = 20001 }, "rate_per_day: must be from 1 to 20000"},
		{"ReconcileTooOften", func(s *Settings) { s.ReconcileInterval = 30 * time.Second }, "reconcile_interval: must be from 1m to 24h"},
		{"ReconcileTooOftenForItsWindow", func(s *Settings) { s.RateWindow, s.ReconcileInterval = time.Second, 500*time.Millisecond }, "at least one rate_window"},
		{"ReconcileTooRarely", func(s *Settings) { s.ReconcileInterval = 25 * time.Hour }, "reconcile_interval: must be from 1m to 24h"},
		{"NegativeWebshop", func(s *Settings) { s.WebshopID = -1 }, "webshop_id: must not be negative"},
		{"UnknownZone", func(s *Settings) { s.Timezone = "Europe/Gorinchem" }, `timezone: unknown IANA time zone "Europe/Gorinchem"`},
		{"LocalZone", func(s *Settings) { s.Timezone = "Local" }, `timezone: "Local" is not allowed`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := valid()
			require.NoError(t, s.Validate())
			c.modify(&s)
			err := s.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.NotContains(t, err.Error(), "very-secret", "errors never show the secret")
		})
	}
}

func TestSettingsRefuseUnknownKeys(t *testing.T) {
	t.Parallel()
	var s Settings
	dec := yaml.NewDecoder(strings.NewReader("base_url: https://x\napi_key: k\napi_secret: s\napisecret: s\n"))
	dec.KnownFields(true)
	require.ErrorContains(t, dec.Decode(&s), "apisecret")
}

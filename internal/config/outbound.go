package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/model"
)

// Outbound defaults.
const (
	DefaultOutboundTimeout = "15s"
	DefaultDisableAfter    = "120h"
	DefaultSecretGrace     = "24h"
	DefaultAlertInterval   = "1h"
)

func (c *Config) setOutboundDefaults() {
	if c.Outbound.Timeout == "" {
		c.Outbound.Timeout = DefaultOutboundTimeout
	}
	if c.Outbound.DisableAfter == "" {
		c.Outbound.DisableAfter = DefaultDisableAfter
	}
	if c.Outbound.SecretGrace == "" {
		c.Outbound.SecretGrace = DefaultSecretGrace
	}
	if c.SMTP.AlertInterval == "" {
		c.SMTP.AlertInterval = DefaultAlertInterval
	}
}

// validateOutbound checks webhook delivery, alert mail and endpoint
// settings; its errors name the offending key.
func (c *Config) validateOutbound() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	positive := func(key, v string) {
		d, err := time.ParseDuration(v)
		if err != nil {
			bad(key, "%v", err)
		} else if d <= 0 {
			bad(key, "must be positive")
		}
	}
	positive("outbound.timeout", c.Outbound.Timeout)
	positive("outbound.disable_after", c.Outbound.DisableAfter)
	positive("outbound.secret_grace", c.Outbound.SecretGrace)
	positive("smtp.alert_interval", c.SMTP.AlertInterval)
	for i, d := range c.Outbound.RetrySchedule {
		if v, err := time.ParseDuration(d); err == nil && v < 0 {
			bad(fmt.Sprintf("outbound.retry_schedule[%d]", i), "must not be negative")
		}
	}
	// Alerts are on when there is someone to alert.
	if len(c.SMTP.AlertTo) > 0 {
		if err := c.SMTP.mailConfig().Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				errs = append(errs, fmt.Errorf("%s", line))
			}
		}
	}
	for i, w := range c.Workspaces {
		seen := map[string]bool{}
		for j, e := range w.Endpoints {
			key := fmt.Sprintf("workspaces[%d].endpoints[%d]", i, j)
			ep := e.Model()
			if err := model.ValidateEndpoint(ep); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					bad(key, "%s", line)
				}
				continue
			}
			if err := deliver.CheckURL(ep.URL, c.Outbound.AllowPrivateNetworks); err != nil {
				bad(key, "%v", err)
			}
			if seen[e.URL] {
				bad(key+".url", "the same URL is configured twice in the workspace")
			}
			seen[e.URL] = true
		}
	}
	return errs
}

// Model is the configured endpoint as the store keeps it, identified across
// restarts by its URL.
func (e Endpoint) Model() *model.Endpoint {
	return &model.Endpoint{URL: e.URL, Events: e.Events, Description: e.Description, Headers: e.Headers,
		Secret: e.Secret, Source: model.EndpointFromConfig, ConfigKey: e.URL}
}

func (s SMTP) mailConfig() deliver.MailConfig {
	return deliver.MailConfig{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From, To: s.AlertTo, TLS: s.TLS}
}

// MailConfig is the alert mailer's configuration; ok is false when no
// smtp.alert_to is configured (alerts are then only logged).
func (c *Config) MailConfig() (deliver.MailConfig, bool) {
	return c.SMTP.mailConfig(), len(c.SMTP.AlertTo) > 0
}

// DeliverConfig is the webhook worker's configuration from the outbound
// and smtp settings (the store, alerter and logger are the caller's).
// Validate must have passed.
func (c *Config) DeliverConfig() deliver.Config {
	dur := func(v string) time.Duration {
		d, _ := time.ParseDuration(v)
		return d
	}
	sched := make([]time.Duration, len(c.Outbound.RetrySchedule))
	for i, v := range c.Outbound.RetrySchedule {
		sched[i] = dur(v)
	}
	return deliver.Config{
		RetrySchedule:        sched,
		Timeout:              dur(c.Outbound.Timeout),
		DisableAfter:         dur(c.Outbound.DisableAfter),
		AllowPrivateNetworks: c.Outbound.AllowPrivateNetworks,
		AlertInterval:        dur(c.SMTP.AlertInterval),
	}
}

// SecretGraceDuration is outbound.secret_grace as a duration.
func (c *Config) SecretGraceDuration() time.Duration {
	d, _ := time.ParseDuration(c.Outbound.SecretGrace)
	return d
}

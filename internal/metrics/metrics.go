// Package metrics defines the hub's Prometheus metrics, on a registry of its
// own so that several hubs can run in one process (tests, the demo).
package metrics

import (
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxUnknownCodes bounds the distinct provider_code label values of
// UnknownStatus, so a provider (or an attacker) sending random codes cannot
// blow up the metric's cardinality; later codes are counted as "other".
const maxUnknownCodes = 200

// Metrics is the set of the hub's metrics.
type Metrics struct {
	Registry *prometheus.Registry

	// Inbound counts inbound messages by provider and result (accepted,
	// duplicate, rejected, unauthorized, too_large, unavailable).
	Inbound *prometheus.CounterVec
	// AckSeconds is the time from request start to acknowledgement of an
	// accepted inbound message.
	AckSeconds *prometheus.HistogramVec
	// Processed counts inbox messages the pipeline finished, by provider and
	// result (applied, failed).
	Processed *prometheus.CounterVec
	// EventsApplied counts new canonical events by provider and status.
	EventsApplied *prometheus.CounterVec
	// UnknownStatus counts events whose provider code no table maps.
	UnknownStatus *prometheus.CounterVec

	mu           sync.Mutex
	unknownCodes map[string]struct{}
}

// New creates the metrics on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_inbound_messages_total",
			Help: "Inbound provider messages by provider and result.",
		}, []string{"provider", "result"}),
		AckSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shiphub_inbound_ack_seconds",
			Help:    "Time to durably acknowledge an inbound message.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"provider"}),
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_pipeline_messages_total",
			Help: "Inbox messages processed by the pipeline, by provider and result.",
		}, []string{"provider", "result"}),
		EventsApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_events_applied_total",
			Help: "New canonical tracking events, by provider and status.",
		}, []string{"provider", "status"}),
		UnknownStatus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_unknown_status_total",
			Help: "Events whose provider status code no mapping table knows; they get status unknown.",
		}, []string{"provider", "provider_code"}),
		unknownCodes: map[string]struct{}{},
	}
	m.Registry.MustRegister(m.Inbound, m.AckSeconds, m.Processed, m.EventsApplied, m.UnknownStatus,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountUnknown counts one event with an unmapped provider code.
func (m *Metrics) CountUnknown(provider, code string) {
	if len(code) > 64 {
		code = code[:64]
	}
	// Label values must be valid UTF-8; provider input need not be.
	code = strings.ToValidUTF8(code, "?")
	m.mu.Lock()
	if _, seen := m.unknownCodes[code]; !seen {
		if len(m.unknownCodes) >= maxUnknownCodes {
			code = "other"
		} else {
			m.unknownCodes[code] = struct{}{}
		}
	}
	m.mu.Unlock()
	m.UnknownStatus.WithLabelValues(provider, code).Inc()
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

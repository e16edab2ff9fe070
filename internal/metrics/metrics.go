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

	// InboxPending is the number of inbox messages not yet applied.
	InboxPending prometheus.Gauge
	// InboxOldestPendingSeconds is the age of the oldest pending inbox
	// message (0 when none is pending): a stuck pipeline shows here first.
	InboxOldestPendingSeconds prometheus.Gauge
	// InboxFailed is the number of inbox messages that failed to normalise
	// and wait for a retry (GET /api/v1/inbox/failed).
	InboxFailed prometheus.Gauge
	// UnretriedFailures counts 5xx answers given to a provider that does
	// not retry (the courier): each one is a message the provider will not
	// send again by itself, so it must be re-imported by hand.
	UnretriedFailures *prometheus.CounterVec

	// DeliveryAttempts counts merchant webhook attempts by result
	// (success, failure, timeout, rejected).
	DeliveryAttempts *prometheus.CounterVec
	// DeliveryLatencySeconds is the time from a feed event's creation to its
	// successful delivery to an endpoint.
	DeliveryLatencySeconds prometheus.Histogram
	// DeadLetters counts deliveries that exhausted their retries.
	DeadLetters prometheus.Counter
	// EndpointsDisabled is the number of disabled merchant endpoints.
	EndpointsDisabled prometheus.Gauge

	// ProviderRequests counts outbound requests to providers by provider,
	// connection and result (ok, not_found, rate_limited, client_error,
	// server_error, network_error, bad_response).
	ProviderRequests *prometheus.CounterVec
	// RateBudgetRemaining is what is left of a connection's provider rate
	// budget in the current window, by connection and window (second,
	// minute, day). The credential-keyed budgets of package budget put
	// their key (a hash of the credential) in the connection label.
	RateBudgetRemaining *prometheus.GaugeVec
	// RateBlockedUntil is when a provider's block of a rate budget ends,
	// in unix seconds (0: not blocked), by budget key (package budget:
	// a hash of the credential, never the credential).
	RateBlockedUntil *prometheus.GaugeVec
	// RateBlocks counts the blocks a provider imposed on a rate budget
	// (WICS: 429 or its block message), by budget key.
	RateBlocks *prometheus.CounterVec

	// PanicsRecovered counts panics recovered in background work, by
	// component (poller, pipeline, delivery, lease, retention, …).
	PanicsRecovered *prometheus.CounterVec

	// RetentionDeleted counts rows deleted by the retention policy, by table.
	RetentionDeleted *prometheus.CounterVec

	// ReconcileFound counts messages a reconciliation committed whose apply
	// changed something (appended a feed event): changes no webhook had
	// brought, by connection and kind (order, shipment, receipt, announcement, stock).
	ReconcileFound *prometheus.CounterVec

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
		InboxPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shiphub_inbox_pending",
			Help: "Inbox messages not yet applied by the pipeline.",
		}),
		InboxOldestPendingSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shiphub_inbox_oldest_pending_age_seconds",
			Help: "Age of the oldest pending inbox message; 0 when none is pending.",
		}),
		InboxFailed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shiphub_inbox_failed",
			Help: "Inbox messages that failed to normalise and wait for a retry.",
		}),
		UnretriedFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_inbound_unretried_failures_total",
			Help: "5xx answers to a provider that does not retry: messages to re-import by hand.",
		}, []string{"provider", "connection"}),
		DeliveryAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_delivery_attempts_total",
			Help: "Merchant webhook delivery attempts by result.",
		}, []string{"result"}),
		DeliveryLatencySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shiphub_delivery_latency_seconds",
			Help:    "Time from a feed event's creation to its successful delivery.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600},
		}),
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shiphub_delivery_dead_letters_total",
			Help: "Merchant webhook deliveries that exhausted their retries.",
		}),
		EndpointsDisabled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shiphub_endpoints_disabled",
			Help: "Merchant webhook endpoints that are disabled.",
		}),
		ProviderRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_provider_requests_total",
			Help: "Outbound requests to provider APIs by provider, connection and result.",
		}, []string{"provider", "connection", "result"}),
		RateBudgetRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shiphub_rate_budget_remaining",
			Help: "Requests left in a connection's provider rate budget in the current window.",
		}, []string{"connection", "window"}),
		RateBlockedUntil: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shiphub_rate_blocked_until_seconds",
			Help: "When the provider's block of a rate budget ends, in unix seconds; 0 when not blocked.",
		}, []string{"budget"}),
		RateBlocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_rate_blocks_total",
			Help: "Blocks a provider imposed on a rate budget for exceeding its limit.",
		}, []string{"budget"}),
		PanicsRecovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_panics_recovered_total",
			Help: "Panics recovered in background work, by component.",
		}, []string{"component"}),
		RetentionDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_retention_deleted_total",
			Help: "Rows deleted by the retention policy, by table.",
		}, []string{"table"}),
		ReconcileFound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_reconcile_found_total",
			Help: "Reconciled provider state that changed something no webhook had brought, by connection and kind.",
		}, []string{"connection", "kind"}),
		unknownCodes: map[string]struct{}{},
	}
	m.Registry.MustRegister(m.Inbound, m.AckSeconds, m.Processed, m.EventsApplied, m.UnknownStatus,
		m.InboxPending, m.InboxOldestPendingSeconds, m.InboxFailed, m.UnretriedFailures,
		m.DeliveryAttempts, m.DeliveryLatencySeconds, m.DeadLetters, m.EndpointsDisabled,
		m.ProviderRequests, m.RateBudgetRemaining, m.RateBlockedUntil, m.RateBlocks, m.PanicsRecovered, m.RetentionDeleted, m.ReconcileFound,
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

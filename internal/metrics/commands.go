package metrics

import "github.com/prometheus/client_golang/prometheus"

// CommandMetrics are the command queue's metrics (package commands). They
// live beside Metrics rather than in it so that the queue registers them
// once, on the hub's registry, when it is built.
type CommandMetrics struct {
	// Attempts counts command attempts by provider, kind and outcome:
	// succeeded, failed (retried on the schedule), retry_after (retried
	// when the provider or the rate budget said), dead (refused, or out of
	// retries), interrupted (the instance stopped mid-attempt).
	Attempts *prometheus.CounterVec
	// AttemptSeconds is how long one attempt took, rate-budget waits
	// included, by provider.
	AttemptSeconds *prometheus.HistogramVec
	// Jobs is the command queue's depth by state: available (due now,
	// waiting for a worker), scheduled (waiting for a retry) and running,
	// sampled from the queue's table on every instance alike.
	Jobs *prometheus.GaugeVec
}

// NewCommandMetrics creates the command metrics and registers them on reg.
func NewCommandMetrics(reg prometheus.Registerer) *CommandMetrics {
	m := &CommandMetrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiphub_command_attempts_total",
			Help: "Command attempts by provider, kind and outcome (succeeded, failed, retry_after, dead, interrupted).",
		}, []string{"provider", "kind", "outcome"}),
		AttemptSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shiphub_command_attempt_seconds",
			Help:    "Time one command attempt took, rate-budget waits included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"provider"}),
		Jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shiphub_command_jobs",
			Help: "Command jobs by state (available, scheduled, running), sampled.",
		}, []string{"state"}),
	}
	if reg != nil {
		reg.MustRegister(m.Attempts, m.AttemptSeconds, m.Jobs)
	}
	return m
}

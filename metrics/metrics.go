// Package metrics holds the Prometheus metrics of one node. They live in a registry made for
// the node, never the global default one, so that two nodes in one process (tests) stay apart.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the node's metrics.
type Metrics struct {
	Registry *prometheus.Registry
	// IsolationViolations counts events a connection refused because their owner was not the
	// connection's user. It must stay 0; anything else is a bug to page on.
	IsolationViolations prometheus.Counter
	Connections         prometheus.Gauge
	SlowDisconnects     prometheus.Counter
	// Uploads is the record uploads in flight.
	Uploads prometheus.Gauge
	// AuditBreaks counts the audit chains that disagreed with the signed checkpoint at start.
	// It must be 0.
	AuditBreaks  prometheus.Gauge
	RunsAccepted *prometheus.CounterVec
	AuthFailures prometheus.Counter
	RateLimited  *prometheus.CounterVec
	// RunsEnded counts finished runs by status (completed, failed, cancelled) and tier.
	RunsEnded *prometheus.CounterVec
	// QueueWait is a run's time from acceptance to start, by tier.
	QueueWait *prometheus.HistogramVec
	// RunDuration is a run's time from start to end, by agent.
	RunDuration *prometheus.HistogramVec
	// EventLatency is an event's time from emission (its ts) to being written to a
	// WebSocket: the group commit, the bus, the hub and the connection's queue.
	EventLatency prometheus.Histogram
	// ToolCalls and ModelCalls count calls by name and outcome ("ok" or an error code).
	ToolCalls  *prometheus.CounterVec
	ModelCalls *prometheus.CounterVec
	// ModelTokens counts the tokens of language-model calls, by provider and direction
	// (input, output).
	ModelTokens *prometheus.CounterVec
}

// latencyBuckets spans 50 µs to 10 s, for the platform's own latencies.
func latencyBuckets() []float64 {
	return prometheus.ExponentialBucketsRange(0.00005, 10, 18)
}

// durationBuckets spans 10 ms to 30 min, for runs and their queueing.
func durationBuckets() []float64 {
	return prometheus.ExponentialBucketsRange(0.01, 1800, 18)
}

// Gauge is a value read at scrape time.
type Gauge struct {
	Name, Help string
	Value      func() float64
}

// New registers the metrics, with the given scrape-time gauges.
func New(gauges ...Gauge) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		IsolationViolations: prometheus.NewCounter(prometheus.CounterOpts{Name: "netra_isolation_violations_total",
			Help: "Events dropped by a connection because their owner was not the connection's user. Must be 0."}),
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "netra_ws_connections",
			Help: "Open WebSocket connections."}),
		SlowDisconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "netra_ws_slow_disconnects_total",
			Help: "Connections closed with 1013 because they did not keep up with their events."}),
		Uploads: prometheus.NewGauge(prometheus.GaugeOpts{Name: "netra_uploads_in_flight",
			Help: "Record uploads and synthetic datasets being stored now."}),
		AuditBreaks: prometheus.NewGauge(prometheus.GaugeOpts{Name: "netra_audit_chain_breaks",
			Help: "Audit chains whose stored head disagreed with the signed checkpoint at start; their new entries are refused. Must be 0."}),
		RunsAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_runs_accepted_total",
			Help: "Runs accepted, by tier."}, []string{"tier"}),
		AuthFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "netra_auth_failures_total",
			Help: "Requests refused for a missing or invalid credential."}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_rate_limited_total",
			Help: "Requests, frames and connections refused by a per-user or server limit, by kind."}, []string{"kind"}),
		RunsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_runs_ended_total",
			Help: "Runs ended, by status and tier."}, []string{"status", "tier"}),
		QueueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "netra_queue_wait_seconds",
			Help: "Time from a run's acceptance to its start, by tier.", Buckets: durationBuckets()}, []string{"tier"}),
		RunDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "netra_run_duration_seconds",
			Help: "Time from a run's start to its end, by entry agent.", Buckets: durationBuckets()}, []string{"agent"}),
		EventLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "netra_event_latency_seconds",
			Help: "Time from an event's emission to its write on a WebSocket.", Buckets: latencyBuckets()}),
		ToolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_tool_calls_total",
			Help: "Tool calls by tool and outcome (ok or an error code)."}, []string{"tool", "outcome"}),
		ModelCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_model_calls_total",
			Help: "Model calls by provider and outcome (ok or error)."}, []string{"provider", "outcome"}),
	}
	m.ModelTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_model_tokens_total",
		Help: "Tokens of language-model calls, by provider and direction (input, output)."}, []string{"provider", "direction"})
	r.MustRegister(m.ModelTokens)
	r.MustRegister(m.IsolationViolations, m.Connections, m.SlowDisconnects, m.Uploads, m.AuditBreaks, m.RunsAccepted, m.AuthFailures, m.RateLimited,
		m.RunsEnded, m.QueueWait, m.RunDuration, m.EventLatency, m.ToolCalls, m.ModelCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, g := range gauges {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.Name, Help: g.Help}, g.Value))
	}
	return m
}

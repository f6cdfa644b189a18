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
	RunsAccepted        *prometheus.CounterVec
	AuthFailures        prometheus.Counter
	RateLimited         *prometheus.CounterVec
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
		RunsAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_runs_accepted_total",
			Help: "Runs accepted, by tier."}, []string{"tier"}),
		AuthFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "netra_auth_failures_total",
			Help: "Requests refused for a missing or invalid credential."}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netra_rate_limited_total",
			Help: "Requests, frames and connections refused by a per-user or server limit, by kind."}, []string{"kind"}),
	}
	r.MustRegister(m.IsolationViolations, m.Connections, m.SlowDisconnects, m.RunsAccepted, m.AuthFailures, m.RateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, g := range gauges {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.Name, Help: g.Help}, g.Value))
	}
	return m
}

package metrics

import (
	"math"
	"runtime"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Snapshot is the operations dashboard's view of a node at one instant, read from the same
// registry that /metrics serves, so that the page and a scraper always agree.
type Snapshot struct {
	At                  time.Time `json:"at"`
	IsolationViolations float64   `json:"isolation_violations"`
	Connections         float64   `json:"connections"`
	SlowDisconnects     float64   `json:"slow_disconnects"`
	RunsRunning         float64   `json:"runs_running"`
	RunsQueued          float64   `json:"runs_queued"`
	RunsAccepted        float64   `json:"runs_accepted"`
	RunsEnded           float64   `json:"runs_ended"`
	RunsFailed          float64   `json:"runs_failed"` // ended failed (not cancelled)
	// Percentiles estimated from the histograms' buckets (linear within a bucket), in ms.
	RunP50MS   float64 `json:"run_p50_ms"`
	RunP95MS   float64 `json:"run_p95_ms"`
	EventP50MS float64 `json:"event_p50_ms"`
	EventP95MS float64 `json:"event_p95_ms"`
	// HeapBytes is the Go heap in use; per connection and per active run it is that divided,
	// an upper bound of what each costs.
	HeapBytes          float64 `json:"heap_bytes"`
	HeapPerConnection  float64 `json:"heap_per_connection"`
	HeapPerRunningRun  float64 `json:"heap_per_running_run"`
	DeliverySuccessPct float64 `json:"delivery_success_pct"` // connections not cut for being slow
	Goroutines         int     `json:"goroutines"`
}

// Snapshot reads the registry now.
func (m *Metrics) Snapshot() (Snapshot, error) {
	fams, err := m.Registry.Gather()
	if err != nil {
		return Snapshot{}, err
	}
	by := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		by[f.GetName()] = f
	}
	sum := func(name string, keep func(*dto.Metric) bool) float64 {
		var v float64
		f := by[name]
		if f == nil {
			return 0
		}
		for _, x := range f.GetMetric() {
			if keep != nil && !keep(x) {
				continue
			}
			switch {
			case x.Counter != nil:
				v += x.Counter.GetValue()
			case x.Gauge != nil:
				v += x.Gauge.GetValue()
			}
		}
		return v
	}
	label := func(name, value string) func(*dto.Metric) bool {
		return func(x *dto.Metric) bool {
			for _, l := range x.GetLabel() {
				if l.GetName() == name && l.GetValue() == value {
					return true
				}
			}
			return false
		}
	}
	s := Snapshot{At: time.Now().UTC(), IsolationViolations: sum("netra_isolation_violations_total", nil),
		Connections: sum("netra_ws_connections", nil), SlowDisconnects: sum("netra_ws_slow_disconnects_total", nil),
		RunsRunning: sum("netra_runs_running", nil), RunsQueued: sum("netra_runs_queued", nil),
		RunsAccepted: sum("netra_runs_accepted_total", nil), RunsEnded: sum("netra_runs_ended_total", nil),
		RunsFailed: sum("netra_runs_ended_total", label("status", "failed")), Goroutines: runtime.NumGoroutine()}
	s.RunP50MS, s.RunP95MS = quantile(by["netra_run_duration_seconds"], 0.5)*1000, quantile(by["netra_run_duration_seconds"], 0.95)*1000
	s.EventP50MS, s.EventP95MS = quantile(by["netra_event_latency_seconds"], 0.5)*1000, quantile(by["netra_event_latency_seconds"], 0.95)*1000
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.HeapBytes = float64(ms.HeapInuse)
	s.HeapPerConnection = s.HeapBytes / math.Max(s.Connections, 1)
	s.HeapPerRunningRun = s.HeapBytes / math.Max(s.RunsRunning, 1)
	s.DeliverySuccessPct = 100
	if total := s.Connections + s.SlowDisconnects; total > 0 {
		s.DeliverySuccessPct = 100 * (1 - s.SlowDisconnects/total)
	}
	return s, nil
}

// quantile estimates the q-quantile of a histogram family (its series merged), interpolating
// linearly within the bucket that holds it, as Prometheus's histogram_quantile does.
func quantile(f *dto.MetricFamily, q float64) float64 {
	if f == nil {
		return 0
	}
	type bucket struct{ upper, count float64 }
	var merged []bucket
	var total float64
	for _, x := range f.GetMetric() {
		h := x.GetHistogram()
		if h == nil {
			continue
		}
		total += float64(h.GetSampleCount())
		for i, b := range h.GetBucket() {
			if i >= len(merged) {
				merged = append(merged, bucket{upper: b.GetUpperBound()})
			}
			merged[i].count += float64(b.GetCumulativeCount())
		}
	}
	if total == 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range merged {
		if b.count >= rank {
			if b.count == below {
				return b.upper
			}
			return lower + (b.upper-lower)*(rank-below)/(b.count-below)
		}
		lower, below = b.upper, b.count
	}
	return lower // beyond the last bucket: its bound
}

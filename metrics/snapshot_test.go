package metrics_test

import (
	"math"
	"testing"

	"github.com/netra-ai/netra/metrics"
)

// The snapshot reads the registry /metrics serves: counters summed over labels, failed runs by
// status, and percentiles from the histograms' buckets.
func TestSnapshot(t *testing.T) {
	m := metrics.New()
	m.IsolationViolations.Add(0)
	m.Connections.Set(4)
	m.RunsEnded.WithLabelValues("completed", "free").Add(7)
	m.RunsEnded.WithLabelValues("failed", "mid").Add(3)
	for i := range 100 { // 1 ms .. 100 ms
		m.EventLatency.Observe(float64(i+1) / 1000)
	}
	s, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Connections != 4 || s.RunsEnded != 10 || s.RunsFailed != 3 || s.IsolationViolations != 0 {
		t.Fatalf("%+v", s)
	}
	// The true p50 is 50 ms and p95 95 ms; bucket interpolation lands within their buckets.
	if math.Abs(s.EventP50MS-50) > 25 || math.Abs(s.EventP95MS-95) > 30 || s.EventP95MS <= s.EventP50MS {
		t.Fatalf("event p50 %.1f ms, p95 %.1f ms", s.EventP50MS, s.EventP95MS)
	}
}

package workload_test

import (
	"testing"

	"github.com/netra-ai/netra/workload"
)

func TestBoundKeepsAndValidates(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	r := workload.Record{LatencyMS: 1500, InputTokens: 800, OutputTokens: 200, CostUSD: 0.02}
	for _, c := range []struct {
		b    workload.Bound
		keep bool
	}{
		{workload.Bound{Measure: workload.MeasureLatency, Over: f(1000)}, true},
		{workload.Bound{Measure: workload.MeasureLatency, Over: f(1500)}, false}, // strict
		{workload.Bound{Measure: workload.MeasureLatency, Under: f(1500)}, false},
		{workload.Bound{Measure: workload.MeasureTokens, Over: f(999), Under: f(1001)}, true},
		{workload.Bound{Measure: workload.MeasureInputTokens, Under: f(1000)}, true},
		{workload.Bound{Measure: workload.MeasureOutputTokens, Over: f(200)}, false},
		{workload.Bound{Measure: workload.MeasureCost, Over: f(0.01), Under: f(0.05)}, true},
		// No time to first token is unknown, not fast.
		{workload.Bound{Measure: workload.MeasureTTFT, Under: f(100)}, false},
		{workload.Bound{Measure: "latency"}, false},
	} {
		if got := c.b.Keeps(&r); got != c.keep {
			t.Errorf("%+v keeps %v, want %v", c.b, got, c.keep)
		}
	}
	r.TTFTMS = 50
	if !(workload.Bound{Measure: workload.MeasureTTFT, Under: f(100)}).Keeps(&r) {
		t.Error("a known time to first token under the bound is not kept")
	}
	for _, b := range []workload.Bound{{Measure: "latency", Over: f(1)}, {Measure: workload.MeasureCost}, {Measure: workload.MeasureCost, Over: f(2), Under: f(1)}} {
		if b.Validate() == nil {
			t.Errorf("%+v is valid", b)
		}
	}
	if err := (workload.Bound{Measure: workload.MeasureCost, Over: f(1), Under: f(2)}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestOutputSpeedOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r    workload.Record
		tps  float64
		kept bool
	}{
		{workload.Record{OK: true, OutputTokens: 300, LatencyMS: 3500, TTFTMS: 500}, 100, true}, // 300 tokens over the 3 s after the first
		{workload.Record{OK: false, OutputTokens: 300, LatencyMS: 3500, TTFTMS: 500}, 0, false},
		{workload.Record{OK: true, OutputTokens: 300, LatencyMS: 3500}, 0, false}, // no time to first token: the time to write is unknown
		{workload.Record{OK: true, OutputTokens: 0, LatencyMS: 3500, TTFTMS: 500}, 0, false},
		{workload.Record{OK: true, OutputTokens: 10, LatencyMS: 500, TTFTMS: 500}, 0, false},
	} {
		tps, ok := workload.OutputSpeedOf(&c.r)
		if ok != c.kept || tps != c.tps {
			t.Errorf("%+v: %v %v, want %v %v", c.r, tps, ok, c.tps, c.kept)
		}
	}
}

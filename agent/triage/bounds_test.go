package triage

import (
	"testing"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// TestKeepBounds: a bound on requests narrows the answer to them; a figure of the bound's own
// measure, or one that asks how many, counts them; an upper bound in advice is a target.
func TestKeepBounds(t *testing.T) {
	t.Parallel()
	fig := func(metric string) model.Triage { return model.Triage{Kind: model.KindFigure, Metric: metric} }
	for _, c := range []struct {
		q       string
		m       model.Triage
		measure string // "": no bound kept
		metric  string
	}{
		{"how many requests took longer than 10 seconds?", fig(model.MetricLatency), workload.MeasureLatency, model.MetricRequests},
		{"requests slower than 10 s", fig(model.MetricLatency), workload.MeasureLatency, model.MetricRequests},
		{"tokens of requests slower than 10 s", fig(model.MetricTokens), workload.MeasureLatency, model.MetricTokens},
		{"how many requests over 30 seconds failed?", fig(model.MetricErrorRate), workload.MeasureLatency, model.MetricErrorRate},
		{"how many tokens did requests over 10 s use?", fig(model.MetricTokens), workload.MeasureLatency, model.MetricTokens},
		{"what share of my spend comes from requests over $0.10?", fig(model.MetricCost), workload.MeasureCost, model.MetricCost},
		{"what fraction of requests are over 8000 input tokens?", fig(model.MetricTokens), workload.MeasureInputTokens, model.MetricRequests},
		{"how many requests cost more than $0.50?", fig(model.MetricCost), workload.MeasureCost, model.MetricRequests},
		{"how much do requests over 10,000 tokens cost?", fig(model.MetricCost), workload.MeasureTokens, model.MetricCost},
		{"what is the p95 latency of requests with more than 8000 input tokens?", fig(model.MetricLatency), workload.MeasureInputTokens, model.MetricLatency},
		{"how can I reduce the cost of requests over 8k tokens?", model.Triage{Kind: model.KindReport}, workload.MeasureTokens, ""},
		{"how do I get my requests under 2 seconds?", model.Triage{Kind: model.KindReport}, "", ""},
	} {
		m := c.m
		keepBounds(c.q, &m)
		got := ""
		if len(m.Bounds) == 1 {
			got = m.Bounds[0].Measure
		}
		if got != c.measure || m.Metric != c.metric {
			t.Errorf("%q: bound %q metric %q; want %q, %q", c.q, got, m.Metric, c.measure, c.metric)
		}
	}
	// A follow-up keeps the bound: "and by route?" after the requests slower than 10 s.
	prev := fig(model.MetricRequests)
	keepBounds("how many requests took longer than 10 seconds?", &prev)
	next := inherit("and by route?", model.Triage{Kind: model.KindFigure, By: model.ByRoute}, prev)
	if len(next.Bounds) != 1 || next.Bounds[0].Measure != workload.MeasureLatency {
		t.Errorf("the follow-up's bounds %+v, want the latency bound", next.Bounds)
	}
}

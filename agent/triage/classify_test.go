package triage

import (
	"context"
	"testing"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// said is a provider that classifies every question alike: what triage reads from the
// question's words must hold whatever a provider answered.
type said string

func (said) Name() string { return "said" }

func (s said) Complete(context.Context, model.Request) (model.Response, error) {
	return model.Response{JSON: []byte(s)}, nil
}

func TestClassifyReadsWordsWhateverTheProvider(t *testing.T) {
	t.Parallel()
	tr := &triage{provider: said(`{"category":"performance","kind":"report","models":[],"routes":[]}`)}
	for _, c := range []struct {
		q            string
		kind, metric string
		bound        string
	}{
		{"what was my slowest request?", model.KindFigure, model.MetricLatency, ""},
		{"what's the longest prompt I sent?", model.KindFigure, model.MetricTokens, ""},
		{"what's my output speed in tokens per second?", model.KindFigure, model.MetricLatency, ""},
		{"how can I reduce the cost of requests over 8k tokens?", model.KindReport, "", workload.MeasureTokens},
	} {
		m, err := tr.classify(context.Background(), c.q)
		if err != nil {
			t.Fatal(err)
		}
		bound := ""
		if len(m.Bounds) == 1 {
			bound = m.Bounds[0].Measure
		}
		if m.Kind != c.kind || m.Metric != c.metric || bound != c.bound {
			t.Errorf("%q: kind %q metric %q bound %q; want %q %q %q", c.q, m.Kind, m.Metric, bound, c.kind, c.metric, c.bound)
		}
	}
}

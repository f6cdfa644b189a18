package reporting

import (
	"strings"
	"testing"

	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// "Which route should I optimize first?": the route whose recommendations add the most
// together, each counted for what it adds after the ones above it (not its saving alone), and
// nothing for a question that does not ask where to begin.
// Shown to catch: savings alone summed (planted start-with-savings-alone).
func TestStartWithTheRouteThatSavesMost(t *testing.T) {
	t.Parallel()
	rec := func(route string, alone, combined float64) workload.Recommendation {
		return workload.Recommendation{Scope: workload.Scope{Route: route, Model: "m-" + route}, MonthlySavingsUSD: alone, CombinedSavingsUSD: combined}
	}
	o := workloadtool.RecommendationsResult{MonthlySavingsUSD: 90, Recommendations: []workload.Recommendation{
		rec("alpha", 40, 40),
		rec("beta", 30, 30), // alone, beta's two add 60; after the ones above, 35
		rec("beta", 30, 5),
		rec("gamma", 0, 0), // a latency item: time, not money
		{Scope: workload.Scope{}, MonthlySavingsUSD: 20, CombinedSavingsUSD: 15}, // retry waste, on every route
	}}
	var b strings.Builder
	writeStartWith(&b, o, "Which route should I optimize first?")
	if want := "Start with route **alpha**: its recommendation below saves about **$40.00 a month**, of the $90.00 all of them save.\n\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	writeStartWith(&b, o, "which model should I focus on?")
	if !strings.HasPrefix(b.String(), "Start with model **m-alpha**") {
		t.Errorf("by model: %q", b.String())
	}
	b.Reset()
	writeStartWith(&b, o, "how can I reduce my costs?")
	if b.Len() != 0 {
		t.Errorf("a question that asks no order: %q", b.String())
	}
}

package node_test

import (
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/eval"
)

// TestEvaluationSet runs the agents' evaluation set (package eval) with the offline provider:
// at least 95% of the cases must pass, and each failure is shown with its answer.
func TestEvaluationSet(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	now := time.Now().UTC()
	recs, err := eval.Dataset(now)
	if err != nil {
		t.Fatal(err)
	}
	body, err := eval.JSONL(recs)
	if err != nil {
		t.Fatal(err)
	}
	tok := h.token("eval-user", netra.TierEnterprise)
	if status, m, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", tok, string(body), map[string]string{"Content-Type": "application/x-ndjson"}); status != 201 || m["accepted"] != float64(len(recs)) {
		t.Fatalf("upload: %d %v", status, m)
	}
	cases := eval.Cases(recs, now)
	if len(cases) < 40 {
		t.Fatalf("%d cases, want at least 40", len(cases))
	}
	rep, err := eval.Run(ctxT(t), client.New(h.url, tok), cases)
	if err != nil {
		t.Fatal(err)
	}
	for kind, s := range rep.ByKind {
		t.Logf("%-12s %d/%d", kind, s.Passed, s.Total)
	}
	t.Logf("%d/%d in %.1f s", rep.Passed, rep.Total, rep.Seconds)
	for _, f := range rep.Failures {
		t.Logf("FAILED %q (%s): missing %q, unwanted %q %s\n%s", f.Case.Question, f.Case.Kind, f.Missing, f.Unwanted, f.Error, f.Markdown)
	}
	if rep.Passed*100 < rep.Total*95 {
		t.Fatalf("%d of %d cases passed, under 95%%", rep.Passed, rep.Total)
	}
}

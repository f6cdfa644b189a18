package modeltest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/netra-ai/netra/model"
)

// Run is the conformance suite every model.Provider passes: triage answers a model.Triage of
// a known kind, writing answers prose, an unknown task is an error, and a cancelled context
// ends the call.
func Run(t *testing.T, p model.Provider) {
	t.Helper()
	ctx := context.Background()
	t.Run("Triage", func(t *testing.T) {
		res, err := p.Complete(ctx, model.Request{Task: model.TaskTriage, Input: "how much did I spend in the last 7 days?"})
		if err != nil {
			t.Fatal(err)
		}
		var tr model.Triage
		if err := json.Unmarshal(res.JSON, &tr); err != nil {
			t.Fatalf("triage is not a model.Triage: %s (%v)", res.JSON, err)
		}
		switch tr.Kind {
		case model.KindFigure, model.KindReport, model.KindCapability, model.KindPerformance, model.KindWhatIf:
		default:
			t.Fatalf("kind %q", tr.Kind)
		}
	})
	t.Run("Write", func(t *testing.T) {
		res, err := p.Complete(ctx, model.Request{Task: model.TaskWrite, Data: json.RawMessage(`{"kind":"analysis","window_label":"last 7 days","requests":12,"cost_usd":3.4}`)})
		if err != nil || res.Text == "" {
			t.Fatalf("write: %q %v", res.Text, err)
		}
	})
	t.Run("UnknownTask", func(t *testing.T) {
		if _, err := p.Complete(ctx, model.Request{Task: "dance"}); err == nil {
			t.Fatal("an unknown task was answered")
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		done := make(chan error, 1)
		go func() {
			_, err := p.Complete(cctx, model.Request{Task: model.TaskTriage, Input: "hello"})
			done <- err
		}()
		select {
		case <-done: // an answer or an error, at once: either is fine for a call already cancelled
		case <-time.After(5 * time.Second):
			t.Fatal("a cancelled call did not return")
		}
	})
}

// ScriptedOpenAI is a script for the fake that answers like a capable model: a triage for
// structured output, a sentence otherwise.
func ScriptedOpenAI(_ int, req OpenAIRequest) OpenAIReply {
	if len(req.ResponseFormat) > 0 {
		return OpenAIReply{Content: `{"category":"monitoring_reporting","kind":"figure","metric":"cost","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":7,"window_label":"last 7 days","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`}
	}
	return OpenAIReply{Content: "12 requests cost $3.40 in the last 7 days."}
}

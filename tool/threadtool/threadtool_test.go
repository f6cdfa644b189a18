package threadtool_test

import (
	"context"
	"strings"
	"testing"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/tool/threadtool"
)

func run(t *testing.T, msgs threadtool.Messages) threadtool.Result {
	t.Helper()
	ec, err := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_3", RequestID: "req_1", TraceID: "trc_1"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := threadtool.Tool(msgs).Run(context.Background(), ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out.(threadtool.Result)
}

// Each earlier question comes with the lead of its own answer (the first paragraph below
// any heading), the run's own question is left out, and the owner and thread asked for are
// the context's.
func TestQuestionsWithTheirAnswersLeads(t *testing.T) {
	t.Parallel()
	res := run(t, func(_ context.Context, owner, thread string) ([]netra.Message, error) {
		if owner != "alice" || thread != "thr_1" {
			t.Errorf("asked for %s/%s", owner, thread)
		}
		return []netra.Message{
			{Role: netra.MessageUser, RunID: "run_1", Content: "which route costs the most?"},
			{Role: netra.MessageAssistant, RunID: "run_1", Content: "Route **code-chat** costs you the most.\n\n| route |"},
			{Role: netra.MessageUser, RunID: "run_2", Content: "how can I make it cheaper?"},
			{Role: netra.MessageAssistant, RunID: "run_2", Content: "# Optimization report\n\n" + strings.Repeat("x", 700)},
			{Role: netra.MessageUser, RunID: "run_3", Content: "and its error rate?"},
		}, nil
	})
	if len(res.Questions) != 2 || len(res.Answers) != 2 || res.Questions[1] != "how can I make it cheaper?" {
		t.Fatalf("got %+v", res)
	}
	if res.Answers[0] != "Route **code-chat** costs you the most." {
		t.Errorf("lead %q", res.Answers[0])
	}
	if res.Answers[1] != strings.Repeat("x", threadtool.MaxLead) {
		t.Errorf("a long lead is %d bytes, want %d", len(res.Answers[1]), threadtool.MaxLead)
	}
}

// A thread its run has just opened may not be stored yet: it has no earlier questions.
func TestNewThreadHasNoQuestions(t *testing.T) {
	t.Parallel()
	res := run(t, func(context.Context, string, string) ([]netra.Message, error) {
		return nil, netra.Errorf(netra.CodeNotFound, "thread not found")
	})
	if len(res.Questions) != 0 || res.Questions == nil {
		t.Errorf("got %+v", res)
	}
}

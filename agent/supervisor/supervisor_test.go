package supervisor_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/reporting"
	"github.com/netra-ai/netra/agent/supervisor"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/model/offline"
	"github.com/netra-ai/netra/tool"
	"github.com/netra-ai/netra/workload"
)

type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) Emit(_ context.Context, typ netra.EventType, a string, _ any) error {
	e.mu.Lock()
	e.log = append(e.log, string(typ)+":"+a)
	e.mu.Unlock()
	return nil
}

// fakeTriage chooses a sufficient-data plan without looking at any store.
type fakeTriage struct{}

func (fakeTriage) Run(context.Context, *agent.Runtime, agent.Input) (agent.Result, error) {
	out := triage.Output{Category: "cost_optimization", Sufficiency: triage.Sufficient, Next: []string{"data", "optimization", "reporting"}}
	out.Window.Window = workload.Window{From: time.Now().Add(-time.Hour), To: time.Now()}
	out.Window.Label = "last 1 hours"
	return agent.Result{Output: out, Next: out.Next}, nil
}

type fakeData struct{}

func (fakeData) Run(context.Context, *agent.Runtime, agent.Input) (agent.Result, error) {
	return agent.Result{Output: workload.Stats{Totals: workload.Totals{Requests: 3, CostUSD: 1.5}, SpendByModel: []workload.Spend{{Model: "gpt-4o", Requests: 3, CostUSD: 1.5}}}}, nil
}

type failing struct{}

func (failing) Run(context.Context, *agent.Runtime, agent.Input) (agent.Result, error) {
	return agent.Result{}, netra.Errorf("optimizer_unavailable", "the optimizer is down")
}

// A failing step stops the workflow; reporting writes a partial report of what was done, and
// the run fails with the step's code.
func TestFailedStepGivesPartialReport(t *testing.T) {
	t.Parallel()
	provider := offline.New(nil)
	reg, err := agent.NewRegistry(supervisor.Spec(), reporting.Spec(provider),
		agent.Spec{Name: "triage", New: func() agent.Agent { return fakeTriage{} }},
		agent.Spec{Name: "data", New: func() agent.Agent { return fakeData{} }},
		agent.Spec{Name: "optimization", New: func() agent.Agent { return failing{} }})
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "una", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	em := &events{}
	treg, _ := tool.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := agent.NewRuntime(ec, em, tool.NewDispatcher(ec, em, treg, log, nil), reg, log)
	_, err = rt.RunAgent(context.Background(), supervisor.Name, agent.Input{Text: "cut my costs"})
	var partial *agent.PartialError
	if !errors.As(err, &partial) || netra.ErrorCode(err) != "optimizer_unavailable" {
		t.Fatalf("err = %v", err)
	}
	raw, _ := json.Marshal(partial.Output)
	var out reporting.Output
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Report.Totals.Requests != 3 || len(out.Report.SpendByModel) != 1 || out.Report.Recommendations == nil ||
		!strings.Contains(out.Markdown, "## Spend") {
		t.Fatalf("partial report %+v", out)
	}
	want := "agent_started:supervisor agent_started:triage agent_completed:triage agent_started:data agent_completed:data " +
		"agent_started:optimization agent_error:optimization agent_started:reporting agent_completed:reporting agent_error:supervisor"
	var steps []string
	for _, e := range em.log {
		if !strings.HasPrefix(e, "agent_thinking") && !strings.HasPrefix(e, "message_delta") { // the partial answer streams
			steps = append(steps, e)
		}
	}
	if got := strings.Join(steps, " "); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
}

// Package optimization turns the user's records into quantified recommendations (model
// routing, prompt caching, batching, retry waste, latency) through the
// workload_recommendations tool, and explains them.
package optimization

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/tool/workloadtool"
)

// Name is the agent's name.
const Name = "optimization"

// Spec declares the agent.
func Spec() agent.Spec {
	return agent.Spec{Name: Name, Description: "Finds quantified optimizations in the user's records.",
		New: func() agent.Agent { return opt{} }}
}

type opt struct{}

func (opt) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	t, err := triage.Required(in, Name)
	if err != nil {
		return agent.Result{}, err
	}
	_ = rt.Think(ctx, "Looking for model routing, prompt caching, batching, retry waste and latency opportunities.")
	args := t.Args(t.Window.From, t.Window.To)
	args.Targets = t.Targets
	raw, err := rt.CallTool(ctx, workloadtool.Recommendations, args)
	if err != nil {
		return agent.Result{}, err
	}
	var res workloadtool.RecommendationsResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	msg := fmt.Sprintf("%d recommendation(s), about $%.2f a month (%.1f%% of $%.2f monthly spend).",
		len(res.Recommendations), res.MonthlySavingsUSD, res.SavingsPercent, res.MonthlySpendUSD)
	if t.Targets.CostCutPercent > 0 {
		msg += fmt.Sprintf(" Target: %.0f%%.", t.Targets.CostCutPercent)
	}
	_ = rt.Think(ctx, msg)
	return agent.Result{Output: res}, nil
}

// Package actions turns recommendations into ordered plans: steps, owner role, effort,
// snippets and validation, through the action_plan tool.
package actions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/optimization"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Name is the agent's name.
const Name = "actions"

// Output is the plans, in the order of the recommendations.
type Output struct {
	Plans []workload.Plan `json:"plans"`
}

// Spec declares the agent.
func Spec() agent.Spec {
	return agent.Spec{Name: Name, Description: "Builds an action plan per recommendation.",
		New: func() agent.Agent { return actionsAgent{} }}
}

type actionsAgent struct{}

func (actionsAgent) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	o, ok, err := agent.Prior[workloadtool.RecommendationsResult](in, optimization.Name)
	if err != nil {
		return agent.Result{}, err
	}
	if !ok {
		return agent.Result{}, netra.Errorf(netra.CodeInternal, "%s needs the result of %s", Name, optimization.Name)
	}
	if len(o.Recommendations) == 0 {
		_ = rt.Think(ctx, "No recommendation to plan.")
		return agent.Result{Output: Output{Plans: []workload.Plan{}}}, nil
	}
	_ = rt.Think(ctx, fmt.Sprintf("Planning %d recommendation(s), largest saving first.", len(o.Recommendations)))
	raw, err := rt.CallTool(ctx, workloadtool.ActionPlan, workloadtool.PlanArgs{Recommendations: o.Recommendations})
	if err != nil {
		return agent.Result{}, err
	}
	var out Output
	if err := json.Unmarshal(raw, &out); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	return agent.Result{Output: out}, nil
}

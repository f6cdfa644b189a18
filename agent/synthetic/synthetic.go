// Package synthetic is the synthetic_data agent: it generates a deterministic demo dataset
// into the user's own records ("generate a demo dataset for 30 days").
package synthetic

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Name is the agent's name.
const Name = "synthetic_data"

// Params are the run params when the agent is named directly.
const paramsSchema = `{"type":"object","properties":{"preset":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":90},"seed":{"type":"integer","minimum":0}}}`

// Output is what was generated.
type Output struct {
	ingest.SyntheticResult
	Message string `json:"message"`
}

// Spec declares the agent.
func Spec(provider model.Provider) agent.Spec {
	return agent.Spec{Name: Name, Description: "Generates a demo dataset into the user's records.", Entry: true, Params: paramsSchema,
		New: func() agent.Agent { return gen{provider: provider} }}
}

type gen struct{ provider model.Provider }

func (g gen) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	var spec workload.SyntheticSpec
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &spec); err != nil {
			return agent.Result{}, netra.Errorf(netra.CodeInvalidRequest, "bad params")
		}
	}
	if t, ok, _ := agent.Prior[triage.Output](in, triage.Name); ok {
		spec.Preset, spec.Days = t.Synthetic.Preset, t.Synthetic.Days
	} else if spec.Preset == "" && spec.Days == 0 {
		// Named directly: read preset and days from the question.
		if res, err := g.provider.Complete(ctx, model.Request{Task: model.TaskTriage, Input: in.Text}); err == nil {
			var m model.Triage
			if json.Unmarshal(res.JSON, &m) == nil {
				spec.Preset, spec.Days = m.Synthetic.Preset, m.Synthetic.Days
			}
		}
	}
	args := map[string]any{}
	if spec.Preset != "" {
		args["preset"] = spec.Preset
	}
	if spec.Days != 0 {
		args["days"] = spec.Days
	}
	if spec.Seed != 0 {
		args["seed"] = spec.Seed
	}
	_ = rt.Think(ctx, "Generating a demo dataset into your records.")
	raw, err := rt.CallTool(ctx, workloadtool.Synthetic, args)
	if err != nil {
		return agent.Result{}, err
	}
	var out Output
	if err := json.Unmarshal(raw, &out.SyntheticResult); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	out.Message = fmt.Sprintf("Generated %d demo records (%s preset, %d days, seed %d); %d were already there.",
		out.Accepted, out.Spec.Preset, out.Spec.Days, out.Spec.Seed, out.Duplicates)
	_ = rt.Think(ctx, out.Message)
	return agent.Result{Output: out}, nil
}

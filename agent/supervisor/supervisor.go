// Package supervisor is the default agent: the AI-workload optimization workflow. Triage runs
// first and chooses what follows by data sufficiency — sufficient: data, optimization, actions,
// reporting; partial: data_helper, data, reporting; insufficient: data_helper, reporting; a
// request for demo data: synthetic_data, reporting. A failed step stops the workflow; the run
// then fails with a partial report of what was done.
package supervisor

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/reporting"
	"github.com/netra-ai/netra/agent/triage"
)

// Name is the agent's name.
const Name = "supervisor"

// Spec declares the agent.
func Spec() agent.Spec {
	return agent.Spec{Name: Name, Description: "Triage, then the agents triage selects, then reporting.", Entry: true,
		New: func() agent.Agent { return sup{} }}
}

type sup struct{}

func (sup) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	prior, ran, err := rt.Workflow(ctx, []string{triage.Name}, in)
	if err == nil {
		if rep, ok := prior[reporting.Name]; ok {
			return agent.Result{Output: rep}, nil
		}
		return agent.Result{Output: json.RawMessage(`{"markdown":"","report":{}}`)}, nil
	}
	var partial0 *agent.PartialError
	if ctx.Err() != nil || (len(ran) > 0 && ran[len(ran)-1] == reporting.Name) || errors.As(err, &partial0) {
		return agent.Result{}, err // a step that ended with its own partial answer keeps it
	}
	// A partial report of what was done, then the failure.
	partial := in
	partial.Prior = prior
	res, rerr := rt.RunAgent(ctx, reporting.Name, partial)
	if rerr != nil {
		return agent.Result{}, err
	}
	return agent.Result{}, &agent.PartialError{Output: res.Output, Err: err}
}

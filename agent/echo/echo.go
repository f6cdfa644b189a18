// Package echo is the echo agent of the wire contract: it calls the echo tool once and
// completes with output = input. params.delay_ms (0–60000) makes the tool wait that long; a
// cancelled run stops waiting at once. It exists for tests and benchmarks: the time a run takes
// beyond delay_ms is the platform's own overhead.
package echo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/tool"
)

const paramsSchema = `{"type":"object","properties":{"delay_ms":{"type":"integer","minimum":0,"maximum":60000}}}`

// Spec declares the echo agent.
func Spec() agent.Spec {
	return agent.Spec{
		Name:        "echo",
		Description: "Calls the echo tool and completes with the input as output.",
		Entry:       true,
		Params:      paramsSchema,
		New:         func() agent.Agent { return &echoAgent{} },
	}
}

// Tool declares the echo tool.
func Tool() tool.Tool {
	return tool.Tool{
		Name:        "echo",
		Description: "Returns its text, after waiting delay_ms milliseconds.",
		Schema: `{"type":"object","required":["text"],"additionalProperties":false,"properties":{
			"text":{"type":"string"},"delay_ms":{"type":"integer","minimum":0,"maximum":60000}}}`,
		// The longest delay plus a margin: the tool must not time out before its delay.
		Timeout: 65 * time.Second,
		Run:     run,
	}
}

type args struct {
	Text    string `json:"text"`
	DelayMS int    `json:"delay_ms,omitempty"`
}

type result struct {
	Text string `json:"text"`
}

func run(ctx context.Context, _ *execctx.Context, raw json.RawMessage) (any, error) {
	var a args
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, netra.Errorf(netra.CodeInvalidRequest, "echo: bad arguments")
	}
	if a.DelayMS > 0 {
		t := time.NewTimer(time.Duration(a.DelayMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return result{Text: a.Text}, nil
}

type echoAgent struct{}

func (*echoAgent) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	var p struct {
		DelayMS int `json:"delay_ms"`
	}
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return agent.Result{}, netra.Errorf(netra.CodeInvalidRequest, "echo: bad params")
		}
	}
	raw, err := rt.CallTool(ctx, "echo", args{Text: in.Text, DelayMS: p.DelayMS})
	if err != nil {
		return agent.Result{}, err
	}
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	return agent.Result{Output: r.Text}, nil
}

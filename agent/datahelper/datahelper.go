// Package datahelper explains, when the user's data is missing or thin, exactly what is
// missing and how to upload it or generate a demo set.
package datahelper

import (
	"context"
	"fmt"
	"time"

	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/triage"
)

// Name is the agent's name.
const Name = "data_helper"

// Output is the helper's answer.
type Output struct {
	Message string   `json:"message"`
	Missing []string `json:"missing"`
	HowTo   []string `json:"how_to"`
}

// Spec declares the agent.
//
// baseURL returns the server's own URL, for commands the user can paste as they are.
func Spec(baseURL func() string) agent.Spec {
	return agent.Spec{Name: Name, Description: "Says what data is missing and how to provide it.",
		New: func() agent.Agent { return helper{baseURL: baseURL} }}
}

type helper struct{ baseURL func() string }

func (h helper) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	t, err := triage.Required(in, Name)
	if err != nil {
		return agent.Result{}, err
	}
	c := t.Coverage
	out := Output{}
	switch {
	case c.Records == 0 && c.StoredTotal == 0:
		out.Message = fmt.Sprintf("I have no usage records of yours yet, so I cannot compute anything %s.", t.Window.In())
		out.Missing = append(out.Missing, "usage records: one per model call, with ts, model, route, input_tokens, output_tokens, latency_ms and status")
	case c.Records == 0:
		out.Message = fmt.Sprintf("You have %d records stored, but none %s.", c.StoredTotal, t.Window.In())
		if c.StoredFirst != nil && c.StoredLast != nil {
			out.Message = fmt.Sprintf("You have %d records stored, from %s to %s (UTC), but none %s.", c.StoredTotal,
				c.StoredFirst.UTC().Format(time.DateOnly), c.StoredLast.UTC().Format(time.DateOnly), t.Window.In())
		}
		out.Missing = append(out.Missing, "records inside the window: upload recent traffic, or ask about a longer window")
	default:
		out.Message = fmt.Sprintf("Only %d records on %d of the %.0f days %s: figures below are indicative.", c.Records, c.DaysCovered, c.WindowDays, t.Window.In())
		if c.Records < triage.MinRecords {
			out.Missing = append(out.Missing, fmt.Sprintf("at least %d records in the window (have %d)", triage.MinRecords, c.Records))
		}
		if c.DaysCovered*2 < min(int(c.WindowDays+0.5), 7) {
			out.Missing = append(out.Missing, "records spread over more days of the window")
		}
	}
	if c.Records > 0 && c.WithPrefix == 0 {
		out.Missing = append(out.Missing, "prefix_hash on records (a hash of the shared prompt prefix), to size prompt caching")
	}
	if c.Records > 0 && c.WithTTFT == 0 {
		out.Missing = append(out.Missing, "ttft_ms on records, to report time to first token")
	}
	// Commands that work as pasted: the server's own URL, and a token for this user.
	url := h.baseURL()
	out.HowTo = []string{
		fmt.Sprintf(`Upload JSONL: curl -H "Authorization: Bearer $(netra token --user %s)" -H "Content-Type: application/x-ndjson" --data-binary @calls.jsonl %s/v1/workloads/records`, rt.Context().UserID(), url),
		`Each line: {"id":"call-1","ts":"2026-11-01T10:00:00Z","provider":"openai","model":"gpt-4o","route":"support-chat","input_tokens":1200,"output_tokens":180,"latency_ms":950,"status":"ok"}`,
		"Or CSV (Content-Type: text/csv) with a header row of the same field names, or OpenTelemetry GenAI traces as OTLP/JSON (Content-Type: application/json).",
		`Or try it with demo data: netra chat "generate a demo dataset for 30 days" (or POST /v1/workloads/synthetic).`,
	}
	_ = rt.Think(ctx, out.Message)
	return agent.Result{Output: out}, nil
}

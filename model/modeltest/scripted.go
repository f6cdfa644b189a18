package modeltest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/offline"
	"github.com/netra-ai/netra/workload"
)

// ScriptedModel is a deterministic stand-in for a capable tool-using model, for the OpenAI
// fake: it classifies and writes as the offline provider does, except that the free-form
// questions of the evaluation set (the busiest hour or day, the commonest error type, the
// provider or route that leads) are "question"s, which it answers as the analyst's model:
// one workload_query over the question's window grouped as the question asks, then the
// leading group's figures, as the tool gave them.
func ScriptedModel() func(n int, req OpenAIRequest) OpenAIReply {
	var names []string
	for _, p := range workload.DefaultPrices().Models() {
		names = append(names, p.Model)
	}
	off := offline.New(names)
	reply := func(req OpenAIRequest) OpenAIReply {
		if req.Stream {
			return analystTurn(req)
		}
		text := req.Messages[len(req.Messages)-1].Content
		if len(req.ResponseFormat) > 0 {
			q := untag(text, "question")
			res, err := off.Complete(context.Background(), model.Request{Task: model.TaskTriage, Input: q})
			if err != nil {
				return OpenAIReply{Status: 500}
			}
			var t model.Triage
			_ = json.Unmarshal(res.JSON, &t)
			if _, ok := groupFor(q); ok {
				t.Kind, t.Category = model.KindQuestion, model.CategoryWorkloadAnalysis
			}
			b, _ := json.Marshal(t)
			return OpenAIReply{Content: string(b)}
		}
		res, err := off.Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: json.RawMessage(untag(text, "facts"))})
		if err != nil {
			return OpenAIReply{Status: 500}
		}
		return OpenAIReply{Content: res.Text}
	}
	// Usage as a real model would report it, estimated at 4 characters a token: what the
	// evaluation set measures as each question's cost.
	return func(_ int, req OpenAIRequest) OpenAIReply {
		rep := reply(req)
		chars := 0
		for _, m := range req.Messages {
			chars += len(m.Content)
			for _, c := range m.ToolCalls {
				chars += len(c.Function.Name) + len(c.Function.Arguments)
			}
		}
		out := len(rep.Content)
		for _, c := range rep.ToolCalls {
			out += len(c.Name) + len(c.Args)
		}
		rep.PromptTokens, rep.OutputTokens = (chars+3)/4, (out+3)/4
		return rep
	}
}

// untag is the text between the tags (a triage message has today's date after them).
func untag(s, tag string) string {
	s = strings.TrimPrefix(s, "<"+tag+">\n")
	if i := strings.LastIndex(s, "\n</"+tag+">"); i >= 0 {
		s = s[:i]
	}
	return s
}

var scriptedWindowRe = regexp.MustCompile(`The question's window: (\S+) to (\S+) \(`)

// groupFor is how the scripted model reads a free-form question: what to group by.
func groupFor(q string) (string, bool) {
	q = strings.ToLower(q)
	if strings.Contains(q, "day of the week") {
		return "", false // a figure ranked by weekday, as the triage prompt says
	}
	for _, g := range []struct{ word, by string }{{"hour", "hour"}, {"error type", "error_type"}, {"provider do i spend", "provider"}, {"which day", "day"}, {"route has the most errors", "route"}} {
		if strings.Contains(q, g.word) {
			return g.by, true
		}
	}
	return "", false
}

// analystTurn is the scripted model's turn in the analyst's conversation.
func analystTurn(req OpenAIRequest) OpenAIReply {
	var question string
	var result *workload.QueryResult
	for _, m := range req.Messages {
		switch {
		case m.Role == "user" && strings.HasPrefix(m.Content, "<question>"):
			question = untag(m.Content, "question")
		case m.Role == "tool":
			var r workload.QueryResult
			if json.Unmarshal([]byte(untag(m.Content, "tool_result")), &r) == nil {
				result = &r
			}
		}
	}
	by, _ := groupFor(question)
	if result == nil {
		w := scriptedWindowRe.FindStringSubmatch(req.Messages[0].Content)
		if w == nil {
			return OpenAIReply{Content: "I cannot tell the window of the question."}
		}
		args := fmt.Sprintf(`{"from":%q,"to":%q,"group_by":%q}`, w[1], w[2], by)
		return OpenAIReply{ToolCalls: []model.ToolCall{{ID: "call_q", Name: "workload_query", Args: json.RawMessage(args)}}}
	}
	q := strings.ToLower(question)
	score := func(r workload.QueryRow) float64 { return float64(r.Requests) }
	switch {
	case strings.Contains(q, "error") && by != "error_type":
		score = func(r workload.QueryRow) float64 { return float64(r.Errors) }
	case strings.Contains(q, "spend") || strings.Contains(q, "cost"):
		score = func(r workload.QueryRow) float64 { return r.CostUSD }
	}
	var rows []workload.QueryRow
	for _, r := range result.Rows {
		if r.Key != "(ok)" && r.Key != "(other)" {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return OpenAIReply{Content: "There are no records in that window."}
	}
	best := rows[0]
	for _, r := range rows[1:] {
		if score(r) > score(best) {
			best = r
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** leads, with %d requests, %d errors and $%.2f of spend.\n\n| %s | requests | errors | cost |\n| --- | ---: | ---: | ---: |\n",
		best.Key, best.Requests, best.Errors, best.CostUSD, by)
	for i, r := range rows {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "| %s | %d | %d | $%.2f |\n", r.Key, r.Requests, r.Errors, r.CostUSD)
	}
	return OpenAIReply{Content: b.String()}
}

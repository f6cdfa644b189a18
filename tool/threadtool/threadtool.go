// Package threadtool declares the tool that reads the earlier questions of the run's own
// thread, so that a follow-up ("and for last week?") can take its scope from them. The owner
// and thread come from the run's execution context, never from arguments.
package threadtool

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/tool"
)

// Name is the tool's name.
const Name = "thread_questions"

// MaxQuestions bounds how many earlier questions the tool returns (the latest).
const MaxQuestions = 5

// Messages lists a thread's messages, oldest first, for its owner (store.Threads.ListMessages).
type Messages func(ctx context.Context, owner, threadID string) ([]netra.Message, error)

// Result is the earlier questions of the thread, oldest first, the run's own left out, and
// the lead of each one's answer: what "it" in a follow-up ("what's its error rate?") names.
type Result struct {
	Questions []string `json:"questions"`
	// Answers[i] is the first paragraph of the answer to Questions[i] below any heading (at
	// most MaxLead bytes), or "" while it has none.
	Answers []string `json:"answers"`
}

// MaxLead bounds an answer's lead in the result.
const MaxLead = 600

// lead is the first paragraph of a markdown answer that is not a heading, cut at MaxLead.
func lead(md string) string {
	for p := range strings.SplitSeq(md, "\n\n") {
		if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(p, "#") {
			if len(p) > MaxLead {
				p = strings.ToValidUTF8(p[:MaxLead], "")
			}
			return p
		}
	}
	return ""
}

// Tool declares the tool over the store's messages.
func Tool(messages Messages) tool.Tool {
	return tool.Tool{
		Name:        Name,
		Description: "The earlier questions of this run's thread, oldest first (at most 5), with the first paragraph of each one's answer, for follow-ups.",
		Schema:      `{"type":"object","additionalProperties":false}`,
		Timeout:     10 * time.Second,
		Run: func(ctx context.Context, ec *execctx.Context, _ json.RawMessage) (any, error) {
			msgs, err := messages(ctx, ec.UserID(), ec.ThreadID())
			if netra.ErrorCode(err) == netra.CodeNotFound {
				// The run opened the thread, and its acceptance is not committed yet: the
				// thread has no earlier questions. (The owner and thread are the context's.)
				msgs, err = nil, nil
			}
			if err != nil {
				return nil, err
			}
			res := Result{Questions: []string{}, Answers: []string{}}
			runs := map[string]int{} // a run's question in res
			for _, m := range msgs {
				switch {
				case m.RunID == ec.RunID():
				case m.Role == netra.MessageUser:
					runs[m.RunID] = len(res.Questions)
					res.Questions, res.Answers = append(res.Questions, m.Content), append(res.Answers, "")
				case m.Role == netra.MessageAssistant:
					if i, ok := runs[m.RunID]; ok {
						res.Answers[i] = lead(m.Content)
					}
				}
			}
			if n := len(res.Questions); n > MaxQuestions {
				res.Questions, res.Answers = res.Questions[n-MaxQuestions:], res.Answers[n-MaxQuestions:]
			}
			return res, nil
		},
	}
}

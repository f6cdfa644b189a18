// Package threadtool declares the tool that reads the earlier questions of the run's own
// thread, so that a follow-up ("and for last week?") can take its scope from them. The owner
// and thread come from the run's execution context, never from arguments.
package threadtool

import (
	"context"
	"encoding/json"
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

// Result is the earlier questions of the thread, oldest first, the run's own left out.
type Result struct {
	Questions []string `json:"questions"`
}

// Tool declares the tool over the store's messages.
func Tool(messages Messages) tool.Tool {
	return tool.Tool{
		Name:        Name,
		Description: "The earlier questions of this run's thread, oldest first (at most 5), for follow-ups.",
		Schema:      `{"type":"object","additionalProperties":false}`,
		Timeout:     10 * time.Second,
		Run: func(ctx context.Context, ec *execctx.Context, _ json.RawMessage) (any, error) {
			msgs, err := messages(ctx, ec.UserID(), ec.ThreadID())
			if err != nil {
				return nil, err
			}
			res := Result{Questions: []string{}}
			for _, m := range msgs {
				if m.Role == netra.MessageUser && m.RunID != ec.RunID() {
					res.Questions = append(res.Questions, m.Content)
				}
			}
			if len(res.Questions) > MaxQuestions {
				res.Questions = res.Questions[len(res.Questions)-MaxQuestions:]
			}
			return res, nil
		},
	}
}

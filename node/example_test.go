package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/tool"
)

// shouter is an agent: it decides what to do and explains it; the tool does the work.
type shouter struct{}

func (shouter) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	if err := rt.Think(ctx, "making it louder"); err != nil {
		return agent.Result{}, err
	}
	raw, err := rt.CallTool(ctx, "upper", map[string]string{"text": in.Text})
	if err != nil {
		return agent.Result{}, err // the tool's failure fails the run, with its code
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	return agent.Result{Output: map[string]string{"markdown": "**" + out.Text + "**"}}, nil
}

// upper is a tool: declared once, with a JSON Schema for its arguments and a timeout; it
// receives a child of the run's execution context, never a user id from an argument.
func upper() tool.Tool {
	return tool.Tool{
		Name:        "upper",
		Description: "Upper-cases text.",
		Schema:      `{"type":"object","required":["text"],"properties":{"text":{"type":"string","maxLength":1000}}}`,
		Timeout:     time.Second,
		Run: func(_ context.Context, ec *execctx.Context, args json.RawMessage) (any, error) {
			var in struct{ Text string }
			if err := json.Unmarshal(args, &in); err != nil {
				return nil, err
			}
			return map[string]string{"text": strings.ToUpper(in.Text)}, nil
		},
	}
}

// Example_customAgent adds an agent and a tool to a node and runs it as a user would.
func Example_customAgent() {
	ctx := context.Background()
	secret := "an-example-secret-of-at-least-32-bytes"
	dir, err := os.MkdirTemp("", "netra-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	n, err := node.New(ctx, node.Config{
		Addr:      "127.0.0.1:0",
		DataDir:   dir,
		JWTSecret: secret,
		Agents:    []agent.Spec{{Name: "shouter", Entry: true, New: func() agent.Agent { return shouter{} }}},
		Tools:     []tool.Tool{upper()},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	if err := n.Start(ctx); err != nil {
		panic(err)
	}
	defer n.Stop(ctx)

	tok, _ := auth.Sign([]byte(secret), netra.Identity{UserID: "ada", Tier: netra.TierFree}, time.Hour, "")
	conn, err := client.New(n.URL(), tok).Connect(ctx, client.ConnOptions{})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	acc, err := conn.Start(ctx, client.StartRun{Input: "hello", Agent: "shouter"})
	if err != nil {
		panic(err)
	}
	for ev := range conn.Events() {
		if ev.RunID != acc.RunID {
			continue
		}
		fmt.Println(strings.TrimSpace(fmt.Sprint(ev.Seq, " ", ev.Type, " ", ev.Agent)))
		if ev.Terminal() {
			fmt.Println(string(ev.Data))
			break
		}
	}
	// Output:
	// 1 run_queued
	// 2 run_started
	// 3 agent_started shouter
	// 4 agent_thinking shouter
	// 5 tool_executing shouter
	// 6 tool_completed shouter
	// 7 agent_completed shouter
	// 8 run_completed
	// {"output":{"markdown":"**HELLO**"}}
}

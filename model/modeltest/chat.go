package modeltest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
)

// Turn is what a fake saw of one chat request, the same for every wire format.
type Turn struct {
	N        int
	Tools    []string
	Messages []model.Message // the conversation after the system prompt
}

// Turn is the request as a conversation.
func (r OpenAIRequest) Turn(n int) Turn {
	t := Turn{N: n, Tools: r.Tools}
	for _, m := range r.Messages {
		if m.Role == "system" {
			continue
		}
		msg := model.Message{Role: m.Role, Text: m.Content, ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, model.ToolCall{ID: c.ID, Name: c.Function.Name, Args: json.RawMessage(c.Function.Arguments)})
		}
		t.Messages = append(t.Messages, msg)
	}
	return t
}

// Turn is the request as a conversation: each tool result block becomes a tool message.
func (r AnthropicRequest) Turn(n int) Turn {
	t := Turn{N: n, Tools: r.Tools}
	for _, m := range r.Messages {
		msg := model.Message{Role: m.Role}
		for _, b := range m.Content {
			switch b.Type {
			case "text":
				msg.Text += b.Text
			case "tool_use":
				msg.ToolCalls = append(msg.ToolCalls, model.ToolCall{ID: b.ID, Name: b.Name, Args: b.Input})
			case "tool_result":
				var text string
				if json.Unmarshal(b.Content, &text) != nil { // content as blocks
					var blocks []struct {
						Text string `json:"text"`
					}
					_ = json.Unmarshal(b.Content, &blocks)
					for _, x := range blocks {
						text += x.Text
					}
				}
				t.Messages = append(t.Messages, model.Message{Role: model.RoleTool, ToolCallID: b.ToolUseID, Text: text, IsError: b.IsError})
			}
		}
		if msg.Text != "" || len(msg.ToolCalls) > 0 {
			t.Messages = append(t.Messages, msg)
		}
	}
	return t
}

// ChatProvider starts a fake of its wire format that answers with script, and returns a
// provider configured against it, with the given call timeout.
type ChatProvider func(t *testing.T, timeout time.Duration, script func(Turn) OpenAIReply) model.Provider

// RunChat is the conformance suite of tool-using conversations: text streams in pieces that
// make the answer; tool calls come whole from their deltas and their results go back with
// their ids; usage is the server's; and every fault (429 with Retry-After, 500, a timeout, a
// connection dropped mid-stream, a malformed chunk) ends the call with a clear code.
func RunChat(t *testing.T, newProvider ChatProvider) {
	t.Helper()
	ctx := context.Background()
	tools := []model.ToolSpec{{Name: "lookup", Description: "looks up a figure", Parameters: map[string]any{
		"type": "object", "properties": map[string]any{"what": map[string]any{"type": "string"}}, "required": []string{"what"}}}}
	t.Run("StreamsText", func(t *testing.T) {
		p := newProvider(t, 10*time.Second, func(Turn) OpenAIReply {
			return OpenAIReply{Content: "You spent 12 dollars on 3 models.", PromptTokens: 120, OutputTokens: 9}
		})
		var pieces []string
		res, err := model.Chat(ctx, p, model.ChatRequest{System: "s", Messages: []model.Message{{Role: model.RoleUser, Text: "q"}}, OnText: func(d string) { pieces = append(pieces, d) }})
		if err != nil || res.Text != "You spent 12 dollars on 3 models." || len(pieces) < 3 || strings.Join(pieces, "") != res.Text {
			t.Fatalf("%q %q %v", res.Text, pieces, err)
		}
		if res.Usage.InputTokens != 120 || res.Usage.OutputTokens != 9 || len(res.ToolCalls) != 0 {
			t.Fatalf("usage %+v calls %+v", res.Usage, res.ToolCalls)
		}
	})
	t.Run("ToolCallsAndResults", func(t *testing.T) {
		var seen []Turn
		p := newProvider(t, 10*time.Second, func(turn Turn) OpenAIReply {
			seen = append(seen, turn)
			if turn.N == 1 {
				return OpenAIReply{Content: "Let me look.", ToolCalls: []model.ToolCall{
					{ID: "call_a", Name: "lookup", Args: json.RawMessage(`{"what":"spend by model"}`)},
					{ID: "call_b", Name: "lookup", Args: json.RawMessage(`{"what":"p95 of \"chat\""}`)}}}
			}
			return OpenAIReply{Content: "Done."}
		})
		msgs := []model.Message{{Role: model.RoleUser, Text: "q"}}
		res, err := model.Chat(ctx, p, model.ChatRequest{System: "s", Messages: msgs, Tools: tools})
		if err != nil || len(res.ToolCalls) != 2 || res.ToolCalls[0].ID != "call_a" || res.ToolCalls[1].Name != "lookup" {
			t.Fatalf("%+v %v", res, err)
		}
		var args map[string]string
		if json.Unmarshal(res.ToolCalls[1].Args, &args) != nil || args["what"] != `p95 of "chat"` {
			t.Fatalf("arguments %s", res.ToolCalls[1].Args)
		}
		msgs = append(msgs, model.Message{Role: model.RoleAssistant, Text: res.Text, ToolCalls: res.ToolCalls},
			model.Message{Role: model.RoleTool, ToolCallID: "call_a", Text: `{"gpt-4o":12}`},
			model.Message{Role: model.RoleTool, ToolCallID: "call_b", Text: `{"code":"not_found"}`, IsError: true})
		if res, err = model.Chat(ctx, p, model.ChatRequest{System: "s", Messages: msgs, Tools: tools}); err != nil || res.Text != "Done." {
			t.Fatalf("%+v %v", res, err)
		}
		if len(seen) != 2 || !reflect.DeepEqual(seen[0].Tools, []string{"lookup"}) {
			t.Fatalf("turns %+v", seen)
		}
		var ids []string
		for _, m := range seen[1].Messages {
			if m.Role == model.RoleTool {
				ids = append(ids, m.ToolCallID+"="+m.Text)
			}
		}
		if !reflect.DeepEqual(ids, []string{`call_a={"gpt-4o":12}`, `call_b={"code":"not_found"}`}) {
			t.Fatalf("the results went back as %v", ids)
		}
	})
	for _, tc := range []struct {
		name  string
		reply OpenAIReply
		code  netra.Code
	}{
		{"RateLimited", OpenAIReply{Status: 429, RetryAfter: "7"}, netra.CodeRateLimited},
		{"ServerError", OpenAIReply{Status: 500}, netra.CodeUnavailable},
		{"Timeout", OpenAIReply{Hang: true}, netra.CodeTimeout},
		{"DroppedMidStream", OpenAIReply{Content: "one two three four five six", CutAfter: 3}, netra.CodeUnavailable},
		{"MalformedChunk", OpenAIReply{Content: "one two three", BadChunk: true}, netra.CodeUnavailable},
	} {
		t.Run("Fault"+tc.name, func(t *testing.T) {
			p := newProvider(t, 300*time.Millisecond, func(Turn) OpenAIReply { return tc.reply })
			_, err := model.Chat(ctx, p, model.ChatRequest{System: "s", Messages: []model.Message{{Role: model.RoleUser, Text: "q"}}})
			var ne *netra.Error
			if !errors.As(err, &ne) || ne.Code != tc.code {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
			if tc.reply.RetryAfter != "" {
				var ra interface{ RetryAfter() time.Duration }
				if !errors.As(err, &ra) || ra.RetryAfter() != 7*time.Second {
					t.Fatalf("Retry-After not kept: %v", err)
				}
			}
		})
	}
	t.Run("Cancelled", func(t *testing.T) {
		p := newProvider(t, 10*time.Second, func(Turn) OpenAIReply { return OpenAIReply{Hang: true} })
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		if _, err := model.Chat(cctx, p, model.ChatRequest{System: "s", Messages: []model.Message{{Role: model.RoleUser, Text: "q"}}}); err == nil || time.Since(t0) > 5*time.Second {
			t.Fatalf("a cancelled call: %v after %v", err, time.Since(t0))
		}
	})
}

package modeltest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// AnthropicRequest is what the fake received of one Messages request.
type AnthropicRequest struct {
	APIKey   string // the x-api-key header, or the bearer token
	Model    string
	System   string
	User     string          // the text of the first user message
	Format   json.RawMessage // output_config.format, for structured output
	Messages []AnthropicMessage
	Tools    []string // the names of the tools offered
	Stream   bool
}

// AnthropicMessage is one message of a request, as the wire has it.
type AnthropicMessage struct {
	Role    string `json:"role"`
	Content []struct {
		Type      string          `json:"type"`
		Text      string          `json:"text"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
		Content   json.RawMessage `json:"content"`
		IsError   bool            `json:"is_error"`
	} `json:"content"`
}

// Anthropic is a fake of Anthropic's Messages API: POST /v1/messages answers with what Script
// returns for each request, in the real response shape (errors as {"type":"error",...}).
type Anthropic struct {
	URL    string
	Script func(n int, req AnthropicRequest) OpenAIReply

	requests journal[AnthropicRequest]
}

// NewAnthropic starts a fake that stops with the test.
func NewAnthropic(t testing.TB, script func(n int, req AnthropicRequest) OpenAIReply) *Anthropic {
	f := &Anthropic{Script: script}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Requests returns what the fake received so far.
func (f *Anthropic) Requests() []AnthropicRequest {
	return f.requests.all()
}

func (f *Anthropic) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/messages") {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model  string `json:"model"`
		System []struct {
			Text string `json:"text"`
		} `json:"system"`
		Messages     []AnthropicMessage `json:"messages"`
		OutputConfig struct {
			Format json.RawMessage `json:"format"`
		} `json:"output_config"`
		Stream bool `json:"stream"`
		Tools  []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	got := AnthropicRequest{APIKey: r.Header.Get("X-Api-Key"), Model: req.Model, Format: req.OutputConfig.Format, Messages: req.Messages, Stream: req.Stream}
	for _, t := range req.Tools {
		got.Tools = append(got.Tools, t.Name)
	}
	if got.APIKey == "" { // the SDK sends the key as a bearer token
		got.APIKey = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if len(req.System) > 0 {
		got.System = req.System[0].Text
	}
	if len(req.Messages) > 0 && len(req.Messages[0].Content) > 0 {
		got.User = req.Messages[0].Content[0].Text
	}
	n := f.requests.add(got)
	rep := f.Script(n, got)
	answer(w, r, rep, req.Stream, func() { f.stream(w, got.Model, rep) }, map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "message": "fake failure"}}, func() any {
		return map[string]any{
			"id": "msg_fake", "type": "message", "role": "assistant", "model": got.Model, "stop_reason": "end_turn", "stop_sequence": nil,
			"content": []any{map[string]any{"type": "text", "text": rep.Content}},
			"usage":   map[string]any{"input_tokens": rep.PromptTokens, "output_tokens": rep.OutputTokens},
		}
	})
}

// stream answers as the Messages API streams: message_start, a thinking block and a text block
// of deltas, a tool_use block for each call (its input in two JSON deltas), message_delta with
// the stop reason and usage, message_stop.
func (f *Anthropic) stream(w http.ResponseWriter, modelName string, rep OpenAIReply) {
	type event struct {
		name string
		data map[string]any
	}
	var events []event
	add := func(name string, data map[string]any) {
		data["type"] = name
		events = append(events, event{name, data})
	}
	add("message_start", map[string]any{"message": map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "model": modelName,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": rep.PromptTokens, "output_tokens": 1}}})
	block := 0
	if rep.Thinking != "" {
		add("content_block_start", map[string]any{"index": block, "content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}})
		add("content_block_delta", map[string]any{"index": block, "delta": map[string]any{"type": "thinking_delta", "thinking": rep.Thinking}})
		add("content_block_stop", map[string]any{"index": block})
		block++
	}
	if pieces := rep.pieces(); len(pieces) > 0 {
		add("content_block_start", map[string]any{"index": block, "content_block": map[string]any{"type": "text", "text": ""}})
		for _, p := range pieces {
			add("content_block_delta", map[string]any{"index": block, "delta": map[string]any{"type": "text_delta", "text": p}})
		}
		add("content_block_stop", map[string]any{"index": block})
		block++
	}
	for _, c := range rep.ToolCalls {
		half := len(c.Args) / 2
		add("content_block_start", map[string]any{"index": block, "content_block": map[string]any{"type": "tool_use", "id": c.ID, "name": c.Name, "input": map[string]any{}}})
		add("content_block_delta", map[string]any{"index": block, "delta": map[string]any{"type": "input_json_delta", "partial_json": string(c.Args[:half])}})
		add("content_block_delta", map[string]any{"index": block, "delta": map[string]any{"type": "input_json_delta", "partial_json": string(c.Args[half:])}})
		add("content_block_stop", map[string]any{"index": block})
		block++
	}
	stop := "end_turn"
	if len(rep.ToolCalls) > 0 {
		stop = "tool_use"
	}
	add("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": rep.OutputTokens}})
	add("message_stop", map[string]any{})
	sse(w, rep, func(i int) (string, any) { return events[i].name, events[i].data }, len(events), 2, "")
}

// ScriptedAnthropic answers like a capable model, as ScriptedOpenAI.
func ScriptedAnthropic(n int, req AnthropicRequest) OpenAIReply {
	return ScriptedOpenAI(n, OpenAIRequest{ResponseFormat: req.Format})
}

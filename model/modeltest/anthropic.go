package modeltest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// AnthropicRequest is what the fake received of one Messages request.
type AnthropicRequest struct {
	APIKey string // the x-api-key header, or the bearer token
	Model  string
	System string
	User   string          // the text of the user's message
	Format json.RawMessage // output_config.format, for structured output
}

// Anthropic is a fake of Anthropic's Messages API: POST /v1/messages answers with what Script
// returns for each request, in the real response shape (errors as {"type":"error",...}).
type Anthropic struct {
	URL    string
	Script func(n int, req AnthropicRequest) OpenAIReply

	mu       sync.Mutex
	requests []AnthropicRequest
}

// NewAnthropic starts a fake that stops with the test.
func NewAnthropic(t *testing.T, script func(n int, req AnthropicRequest) OpenAIReply) *Anthropic {
	f := &Anthropic{Script: script}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Requests returns what the fake received so far.
func (f *Anthropic) Requests() []AnthropicRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AnthropicRequest(nil), f.requests...)
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
		Messages []struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
		OutputConfig struct {
			Format json.RawMessage `json:"format"`
		} `json:"output_config"`
	}
	_ = json.Unmarshal(body, &req)
	got := AnthropicRequest{APIKey: r.Header.Get("X-Api-Key"), Model: req.Model, Format: req.OutputConfig.Format}
	if got.APIKey == "" { // the SDK sends the key as a bearer token
		got.APIKey = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if len(req.System) > 0 {
		got.System = req.System[0].Text
	}
	if len(req.Messages) > 0 && len(req.Messages[0].Content) > 0 {
		got.User = req.Messages[0].Content[0].Text
	}
	f.mu.Lock()
	f.requests = append(f.requests, got)
	n := len(f.requests)
	f.mu.Unlock()
	rep := f.Script(n, got)
	writeReply(w, rep, map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "message": "fake failure"}}, func() any {
		return map[string]any{
			"id": "msg_fake", "type": "message", "role": "assistant", "model": got.Model, "stop_reason": "end_turn", "stop_sequence": nil,
			"content": []any{map[string]any{"type": "text", "text": rep.Content}},
			"usage":   map[string]any{"input_tokens": rep.PromptTokens, "output_tokens": rep.OutputTokens},
		}
	})
}

// ScriptedAnthropic answers like a capable model, as ScriptedOpenAI.
func ScriptedAnthropic(n int, req AnthropicRequest) OpenAIReply {
	return ScriptedOpenAI(n, OpenAIRequest{ResponseFormat: req.Format})
}

// Package modeltest holds fake model servers that speak the providers' real wire formats, for
// tests that run without the internet.
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

// OpenAIRequest is what the fake received of one chat completion request.
type OpenAIRequest struct {
	Auth     string // the Authorization header
	Model    string
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	ResponseFormat json.RawMessage
}

// OpenAIReply is the fake's answer to one request: Status (default 200), the assistant's
// content, the usage it reports, and a Retry-After header for 429s.
type OpenAIReply struct {
	Status       int
	Content      string
	PromptTokens int
	OutputTokens int
	RetryAfter   string
	Body         string // sent as is instead of a completion when set
}

// OpenAI is a fake OpenAI-compatible server: POST /v1/chat/completions answers with what
// Script returns for each request (in the real response shape), and records the requests.
type OpenAI struct {
	URL    string // the base URL to configure, ending in /v1
	Script func(n int, req OpenAIRequest) OpenAIReply

	mu       sync.Mutex
	requests []OpenAIRequest
}

// NewOpenAI starts a fake that stops with the test.
func NewOpenAI(t *testing.T, script func(n int, req OpenAIRequest) OpenAIReply) *OpenAI {
	f := &OpenAI{Script: script}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/v1"
	return f
}

// Requests returns what the fake received so far.
func (f *OpenAI) Requests() []OpenAIRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]OpenAIRequest(nil), f.requests...)
}

func (f *OpenAI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		ResponseFormat json.RawMessage `json:"response_format"`
	}
	_ = json.Unmarshal(body, &req)
	got := OpenAIRequest{Auth: r.Header.Get("Authorization"), Model: req.Model, Messages: req.Messages, ResponseFormat: req.ResponseFormat}
	f.mu.Lock()
	f.requests = append(f.requests, got)
	n := len(f.requests)
	f.mu.Unlock()
	rep := f.Script(n, got)
	writeReply(w, rep, map[string]any{"error": map[string]any{"message": "fake failure", "type": "server_error", "code": nil}}, func() any {
		return map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": 1764460800, "model": got.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": rep.Content}}},
			"usage": map[string]any{"prompt_tokens": rep.PromptTokens, "completion_tokens": rep.OutputTokens, "total_tokens": rep.PromptTokens + rep.OutputTokens},
		}
	})
}

// writeReply answers as scripted: rep.Body as is, an error body for a failing status, else the
// body ok makes; with Retry-After when the script asks.
func writeReply(w http.ResponseWriter, rep OpenAIReply, errBody any, ok func() any) {
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	w.WriteHeader(rep.Status)
	switch {
	case rep.Body != "":
		_, _ = io.WriteString(w, rep.Body)
	case rep.Status != http.StatusOK:
		_ = json.NewEncoder(w).Encode(errBody)
	default:
		_ = json.NewEncoder(w).Encode(ok())
	}
}

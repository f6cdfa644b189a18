// Package modeltest holds fake model servers that speak the providers' real wire formats, for
// tests that run without the internet.
package modeltest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra/model"
)

// OpenAIRequest is what the fake received of one chat completion request.
type OpenAIRequest struct {
	Auth           string // the Authorization header
	Model          string
	Messages       []OpenAIMessage
	ResponseFormat json.RawMessage
	Tools          []string // the names of the tools offered
	Stream         bool
}

// OpenAIMessage is one message of a request, as the wire has it.
type OpenAIMessage struct {
	Role       string `json:"role"`
	Content    string `json:"content"`
	ToolCallID string `json:"tool_call_id"`
	ToolCalls  []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// OpenAIReply is the fake's answer to one request (the Anthropic fake takes the same): Status
// (default 200), the assistant's content and tool calls, the usage it reports, a Retry-After
// header for 429s, and, for a streamed answer, how it streams and how it breaks.
type OpenAIReply struct {
	Status       int
	Content      string
	ToolCalls    []model.ToolCall
	PromptTokens int
	OutputTokens int
	RetryAfter   string
	Body         string // sent as is instead of a completion when set
	Thinking     string // streamed as thinking deltas first (Anthropic)

	// Streaming: Content goes out in Chunks (default: word by word), ChunkDelay apart. CutAfter > 0 drops the connection
	// after that many pieces; BadChunk sends a chunk that is not JSON after the first; Hang
	// sends nothing until the caller gives up. OnChunk hears each event (its index and data)
	// just before it is sent.
	Chunks     []string
	ChunkDelay time.Duration
	OnChunk    func(i int, piece string)
	CutAfter   int
	BadChunk   bool
	Hang       bool
}

// pieces is how the reply's content streams.
func (rep OpenAIReply) pieces() []string {
	if rep.Chunks != nil {
		return rep.Chunks
	}
	var out []string
	for i := 0; i < len(rep.Content); {
		j := strings.IndexByte(rep.Content[i+1:], ' ')
		if j < 0 {
			out = append(out, rep.Content[i:])
			break
		}
		out = append(out, rep.Content[i:i+1+j])
		i += 1 + j
	}
	return out
}

// OpenAI is a fake OpenAI-compatible server: POST /v1/chat/completions answers with what
// Script returns for each request (in the real response shape), and records the requests.
type OpenAI struct {
	URL    string // the base URL to configure, ending in /v1
	Script func(n int, req OpenAIRequest) OpenAIReply

	requests journal[OpenAIRequest]
}

// NewOpenAI starts a fake that stops with the test.
func NewOpenAI(t testing.TB, script func(n int, req OpenAIRequest) OpenAIReply) *OpenAI {
	f := &OpenAI{Script: script}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/v1"
	return f
}

// Requests returns what the fake received so far.
func (f *OpenAI) Requests() []OpenAIRequest {
	return f.requests.all()
}

func (f *OpenAI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model          string          `json:"model"`
		Messages       []OpenAIMessage `json:"messages"`
		ResponseFormat json.RawMessage `json:"response_format"`
		Stream         bool            `json:"stream"`
		Tools          []struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	got := OpenAIRequest{Auth: r.Header.Get("Authorization"), Model: req.Model, Messages: req.Messages, ResponseFormat: req.ResponseFormat, Stream: req.Stream}
	for _, t := range req.Tools {
		got.Tools = append(got.Tools, t.Function.Name)
	}
	n := f.requests.add(got)
	rep := f.Script(n, got)
	answer(w, r, rep, req.Stream, func() { f.stream(w, got.Model, rep) }, map[string]any{"error": map[string]any{"message": "fake failure", "type": "server_error", "code": nil}}, func() any {
		return map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": 1764460800, "model": got.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": rep.Content}}},
			"usage": map[string]any{"prompt_tokens": rep.PromptTokens, "completion_tokens": rep.OutputTokens, "total_tokens": rep.PromptTokens + rep.OutputTokens},
		}
	})
}

// stream answers as the API streams: chat.completion.chunk events, the tool calls' arguments
// in two deltas each, the finish reason, then the usage and [DONE].
func (f *OpenAI) stream(w http.ResponseWriter, modelName string, rep OpenAIReply) {
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1764460800, "model": modelName,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	finish := "stop"
	if len(rep.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	// Each event is made as it is sent: a fake streaming to hundreds of clients at once holds
	// no more than a real server would.
	pieces, calls := rep.pieces(), rep.ToolCalls
	quoted, _ := json.Marshal(modelName)
	contentHead := []byte(`{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1764460800,"model":` + string(quoted) + `,"choices":[{"index":0,"delta":{"content":`)
	contentTail := []byte(`},"finish_reason":null}]}`)
	n := 1 + len(pieces) + 2*len(calls) + 2
	event := func(i int) (string, any) {
		switch {
		case i == 0:
			return "", chunk(map[string]any{"role": "assistant", "content": ""}, nil)
		case i <= len(pieces): // most of a stream: made without reflection, as a server would
			text, _ := json.Marshal(pieces[i-1])
			return "", slices.Concat(contentHead, text, contentTail)
		case i <= len(pieces)+2*len(calls):
			j := i - 1 - len(pieces)
			c := calls[j/2]
			half := len(c.Args) / 2
			if j%2 == 0 {
				return "", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": j / 2, "id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": string(c.Args[:half])}}}}, nil)
			}
			return "", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": j / 2, "function": map[string]any{"arguments": string(c.Args[half:])}}}}, nil)
		case i == n-2:
			return "", chunk(map[string]any{}, finish)
		}
		return "", map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1764460800, "model": modelName, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": rep.PromptTokens, "completion_tokens": rep.OutputTokens, "total_tokens": rep.PromptTokens + rep.OutputTokens}}
	}
	sse(w, rep, event, n, 2, "data: [DONE]\n\n")
}

// sse writes n events as server-sent events (event i from ev: its name, if any, and data),
// then tail, flushing each, with the reply's pacing and faults. The last closing events (the
// finish reason, the usage) follow the one before at once, as a provider sends them.
func sse(w http.ResponseWriter, rep OpenAIReply, ev func(i int) (string, any), n, closing int, tail string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	for i := range n {
		if rep.CutAfter > 0 && i >= rep.CutAfter {
			panic(http.ErrAbortHandler) // drops the connection mid-stream
		}
		if rep.BadChunk && i == 1 {
			if name, _ := ev(i); name != "" {
				_, _ = io.WriteString(w, "event: "+name+"\n")
			}
			_, _ = io.WriteString(w, "data: {\"choices\": [ not json\n\n")
		}
		if i > 0 && i < n-closing && rep.ChunkDelay > 0 {
			time.Sleep(rep.ChunkDelay)
		}
		name, data := ev(i)
		b, ok := data.([]byte) // already JSON
		if !ok {
			b, _ = json.Marshal(data)
		}
		if rep.OnChunk != nil {
			rep.OnChunk(i, string(b))
		}
		if name != "" {
			_, _ = io.WriteString(w, "event: "+name+"\n")
		}
		_, _ = io.WriteString(w, "data: "+string(b)+"\n\n")
		if fl != nil {
			fl.Flush()
		}
	}
	_, _ = io.WriteString(w, tail)
	if fl != nil {
		fl.Flush()
	}
}

// journal records what a fake received, in order, safe for its concurrent handlers.
type journal[T any] struct {
	mu    sync.Mutex
	items []T
}

// add records v and returns how many were recorded with it (1 for the first).
func (j *journal[T]) add(v T) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.items = append(j.items, v)
	return len(j.items)
}

func (j *journal[T]) all() []T {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]T(nil), j.items...)
}

// answer answers one request as scripted: never (Hang, until the caller gives up), as a
// stream when the request asked for one and the script fails nothing, else whole.
func answer(w http.ResponseWriter, r *http.Request, rep OpenAIReply, stream bool, streamed func(), errBody any, ok func() any) {
	switch {
	case rep.Hang:
		<-r.Context().Done()
	case stream && rep.Status == 0 && rep.Body == "":
		streamed()
	default:
		writeReply(w, rep, errBody, ok)
	}
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

package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/netra-ai/netra"
)

// Roles of a chat message.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// ChatRequest is one turn of a tool-using conversation: the model answers the messages with
// text, with calls of the tools offered, or both.
type ChatRequest struct {
	System    string
	Messages  []Message
	Tools     []ToolSpec
	MaxTokens int64 // 0: the provider's default
	// OnText, when set, hears the answer's text as the model writes it. It is called from the
	// calling goroutine, in order; the pieces concatenate to ChatResponse.Text.
	OnText func(delta string)
	// OnThinking, when set, hears the model's reasoning as it is written, where the provider
	// streams it.
	OnThinking func(delta string)
}

// Message is one message of a conversation.
type Message struct {
	Role       string     `json:"role"`
	Text       string     `json:"text,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`   // an assistant's
	ToolCallID string     `json:"tool_call_id,omitempty"` // a tool result's
	IsError    bool       `json:"is_error,omitempty"`     // a tool result that is an error
}

// ToolCall is the model's call of a tool.
type ToolCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

// ToolSpec offers a tool to the model.
type ToolSpec struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments, an object.
	Parameters map[string]any
}

// ChatResponse is the model's turn.
type ChatResponse struct {
	Text      string
	ToolCalls []ToolCall
	Usage     Usage
}

// A Chatter holds tool-using conversations. Real providers are; the offline provider is not
// (it has no model to hold one), and the wrappers of this package pass Chat through to the
// provider they wrap, answering ErrNoChat when it is not one.
type Chatter interface {
	Chat(ctx context.Context, req ChatRequest) (ChatResponse, error)
}

// ErrNoChat is Chat's answer from a provider that cannot hold a conversation.
var ErrNoChat = errors.New("the model provider cannot hold a tool-using conversation")

// CanChat reports whether p holds conversations, through any wrappers.
func CanChat(p Provider) bool {
	for {
		switch w := p.(type) {
		case interface{ Unwrap() Provider }:
			p = w.Unwrap()
		case Chatter:
			return true
		default:
			return false
		}
	}
}

// Chat holds a turn of conversation with p.
func Chat(ctx context.Context, p Provider, req ChatRequest) (ChatResponse, error) {
	c, ok := p.(Chatter)
	if !ok {
		return ChatResponse{}, ErrNoChat
	}
	return c.Chat(ctx, req)
}

func (r resilient) Unwrap() Provider { return r.p }

// Chat retries what may pass on another try (rate_limited, unavailable, timeout), but never a
// turn whose text the caller already heard: that text cannot be taken back.
func (r resilient) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	if !CanChat(r.p) {
		return ChatResponse{}, ErrNoChat
	}
	if err := r.breaker.Allow(); err != nil {
		return ChatResponse{}, fmt.Errorf("model provider %s: %w", r.p.Name(), err)
	}
	heard := false
	if on := req.OnText; on != nil {
		req.OnText = func(d string) { heard = true; on(d) }
	}
	var res ChatResponse
	transient := func(err error) bool {
		switch netra.ErrorCode(err) {
		case netra.CodeRateLimited, netra.CodeUnavailable, netra.CodeTimeout:
			return ctx.Err() == nil && !heard
		}
		return false
	}
	_, err := r.retry.Do(ctx, transient, func(ctx context.Context) error {
		var err error
		res, err = Chat(ctx, r.p, req)
		r.breaker.Record(err == nil)
		return err
	})
	return res, err
}

func (o observed) Unwrap() Provider { return o.p }

func (o observed) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	res, err := Chat(ctx, o.p, req)
	if errors.Is(err, ErrNoChat) {
		return res, err
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	o.o(o.p.Name(), outcome)
	return res, err
}

func (m metered) Unwrap() Provider { return m.p }

func (m metered) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	res, err := Chat(ctx, m.p, req)
	if err != nil {
		return res, err
	}
	res.Usage = m.count(ctx, res.Usage)
	return res, nil
}

// Unwrap is the primary: a conversation has no offline fallback (the caller falls back to
// the offline answer as a whole).
func (f fallbackProvider) Unwrap() Provider { return f.primary }

func (f fallbackProvider) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	return Chat(ctx, f.primary, req)
}

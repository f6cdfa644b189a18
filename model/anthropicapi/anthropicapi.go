// Package anthropicapi is the model provider for Anthropic's Messages API, on the official
// SDK. Triage asks for structured output (output_config.format, a JSON Schema of
// model.Triage); writing asks for prose from given facts. Questions and facts reach the model
// as delimited data, never as instructions.
package anthropicapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/netra-ai/netra/model"
)

// Config configures the provider. Zero values mean the documented defaults.
type Config struct {
	// BaseURL of the API. Default Anthropic's.
	BaseURL string
	// APIKey authenticates (ANTHROPIC_API_KEY).
	APIKey string
	// Model names the model, e.g. claude-sonnet-4. Default DefaultModel.
	Model string
	// MaxTokens bounds an answer. Default 1024.
	MaxTokens int64
	// Timeout bounds one call. Default 60 s.
	Timeout time.Duration
	// HTTPClient, when set, makes the calls (tests).
	HTTPClient *http.Client
}

// DefaultModel is the model asked for when none is named (contract §6: the provider's
// documented default).
const DefaultModel = "claude-sonnet-4"

// Provider answers model.Provider tasks with a message.
type Provider struct {
	client    anthropic.Client
	model     string
	maxTokens int64
}

// New returns the provider; retries are model.Resilient's, as for every provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 1024
	}
	opts := []option.RequestOption{option.WithMaxRetries(0), option.WithRequestTimeout(cfg.Timeout), option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Provider{client: anthropic.NewClient(opts...), model: cfg.Model, maxTokens: cfg.MaxTokens}, nil
}

// Name is "anthropic:" and the model.
func (p *Provider) Name() string { return "anthropic:" + p.model }

// Complete answers a task.
func (p *Provider) Complete(ctx context.Context, req model.Request) (model.Response, error) {
	params := anthropic.MessageNewParams{Model: anthropic.Model(p.model), MaxTokens: p.maxTokens}
	switch req.Task {
	case model.TaskTriage:
		params.System = []anthropic.TextBlockParam{{Text: model.TriagePrompt}}
		params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(model.TriageInput(req)))}
		params.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: model.TriageSchema()}}
	case model.TaskWrite:
		params.System = []anthropic.TextBlockParam{{Text: model.WritePrompt}}
		params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(model.Delimit("facts", string(req.Data))))}
	default:
		return model.Response{}, fmt.Errorf("anthropic provider: unknown task %q", req.Task)
	}
	msg, err := p.client.Messages.New(ctx, params)
	if err != nil {
		return model.Response{}, classify(err)
	}
	var text strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	return model.Answer(req.Task, text.String(), model.Usage{InputTokens: msg.Usage.InputTokens, OutputTokens: msg.Usage.OutputTokens})
}

// classify turns an SDK error into the domain's, with a message that holds no credential.
func classify(err error) error {
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return model.StatusError(apiErr.StatusCode, http.StatusText(apiErr.StatusCode), h)
	}
	return model.CallError(err)
}

// Chat holds a turn of a tool-using conversation, streamed: text deltas go to req.OnText as
// they arrive, thinking deltas to req.OnThinking; the SDK accumulates the message.
func (p *Provider) Chat(ctx context.Context, req model.ChatRequest) (model.ChatResponse, error) {
	params := anthropic.MessageNewParams{Model: anthropic.Model(p.model), MaxTokens: p.maxTokens}
	if req.MaxTokens > 0 {
		params.MaxTokens = req.MaxTokens
	}
	params.System = []anthropic.TextBlockParam{{Text: req.System}}
	var results []anthropic.ContentBlockParamUnion // tool results go back in one user message
	flush := func() {
		if len(results) > 0 {
			params.Messages = append(params.Messages, anthropic.NewUserMessage(results...))
			results = nil
		}
	}
	for _, m := range req.Messages {
		if m.Role == model.RoleTool {
			results = append(results, anthropic.NewToolResultBlock(m.ToolCallID, m.Text, m.IsError))
			continue
		}
		flush()
		switch m.Role {
		case model.RoleUser:
			params.Messages = append(params.Messages, anthropic.NewUserMessage(anthropic.NewTextBlock(m.Text)))
		case model.RoleAssistant:
			var blocks []anthropic.ContentBlockParamUnion
			if m.Text != "" {
				blocks = append(blocks, anthropic.NewTextBlock(m.Text))
			}
			for _, c := range m.ToolCalls {
				blocks = append(blocks, anthropic.NewToolUseBlock(c.ID, c.Args, c.Name))
			}
			params.Messages = append(params.Messages, anthropic.NewAssistantMessage(blocks...))
		}
	}
	flush()
	for _, t := range req.Tools {
		schema := anthropic.ToolInputSchemaParam{Properties: t.Parameters["properties"]}
		if r, ok := t.Parameters["required"].([]string); ok {
			schema.Required = r
		}
		params.Tools = append(params.Tools, anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: t.Name, Description: anthropic.String(t.Description), InputSchema: schema}})
	}
	stream := p.client.Messages.NewStreaming(ctx, params)
	defer stream.Close()
	var msg anthropic.Message
	for stream.Next() {
		ev := stream.Current()
		if err := msg.Accumulate(ev); err != nil {
			return model.ChatResponse{}, model.Malformed(err.Error())
		}
		if ev.Type == "content_block_delta" {
			switch d := ev.AsContentBlockDelta().Delta; d.Type {
			case "text_delta":
				if req.OnText != nil {
					req.OnText(d.Text)
				}
			case "thinking_delta":
				if req.OnThinking != nil {
					req.OnThinking(d.Thinking)
				}
			}
		}
	}
	if err := stream.Err(); err != nil {
		if ctx.Err() != nil {
			return model.ChatResponse{}, model.CallError(ctx.Err())
		}
		return model.ChatResponse{}, classify(err)
	}
	if msg.StopReason == "" {
		return model.ChatResponse{}, model.Malformed("the answer ended before the model finished it")
	}
	res := model.ChatResponse{Usage: model.Usage{InputTokens: msg.Usage.InputTokens, OutputTokens: msg.Usage.OutputTokens}}
	var text strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			res.ToolCalls = append(res.ToolCalls, model.ToolCall{ID: b.ID, Name: b.Name, Args: b.Input})
		}
	}
	res.Text = text.String()
	return res, model.CheckToolCalls(res.ToolCalls)
}

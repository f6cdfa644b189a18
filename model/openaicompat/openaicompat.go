// Package openaicompat is the model provider for OpenAI and every server that speaks its chat
// completions API (vLLM, Ollama, llama.cpp, LM Studio, OpenRouter, Together, DeepSeek, Groq),
// on the official SDK with a configurable base URL. Triage asks for structured output (a JSON
// Schema of model.Triage); writing asks for prose from given facts, and the facts reach the
// model as delimited data, never as instructions.
package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
)

// Config configures the provider. Zero values mean the documented defaults.
type Config struct {
	// BaseURL of the API, e.g. http://127.0.0.1:11434/v1 for Ollama. Default OpenAI's.
	BaseURL string
	// APIKey authenticates (OPENAI_API_KEY); a local server may need none.
	APIKey string
	// Model names the model, e.g. gpt-4o-mini. Default DefaultModel.
	Model string
	// Timeout bounds one call. Default 60 s.
	Timeout time.Duration
	// HTTPClient, when set, makes the calls (tests).
	HTTPClient *http.Client
}

// DefaultModel is the model asked for when none is named (contract §6: the provider's
// documented default).
const DefaultModel = "gpt-4o-mini"

// Provider answers model.Provider tasks with a chat completion.
type Provider struct {
	client openai.Client
	model  string
}

// New returns the provider. Retries are not the SDK's: model.Resilient retries, with the
// circuit breaker, for every provider alike.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	opts := []option.RequestOption{option.WithMaxRetries(0), option.WithRequestTimeout(cfg.Timeout), option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Provider{client: openai.NewClient(opts...), model: cfg.Model}, nil
}

// Name is "openai:" and the model.
func (p *Provider) Name() string { return "openai:" + p.model }

// Complete answers a task.
func (p *Provider) Complete(ctx context.Context, req model.Request) (model.Response, error) {
	params := openai.ChatCompletionNewParams{Model: p.model}
	switch req.Task {
	case model.TaskTriage:
		params.Messages = []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(model.TriagePrompt),
			openai.UserMessage(model.TriageInput(req)),
		}
		params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "triage", Schema: model.TriageSchema(), Strict: openai.Bool(true)},
		}}
	case model.TaskWrite:
		params.Messages = []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(model.WritePrompt),
			openai.UserMessage(model.Delimit("facts", string(req.Data))),
		}
	default:
		return model.Response{}, fmt.Errorf("openai provider: unknown task %q", req.Task)
	}
	res, err := p.client.Chat.Completions.New(ctx, params)
	if err != nil {
		return model.Response{}, classify(err)
	}
	if len(res.Choices) == 0 {
		return model.Response{}, &netra.Error{Code: netra.CodeUnavailable, Message: "the model answered no choice"}
	}
	return model.Answer(req.Task, res.Choices[0].Message.Content, model.Usage{InputTokens: res.Usage.PromptTokens, OutputTokens: res.Usage.CompletionTokens})
}

// classify turns an SDK error into the domain's, with a message that holds no credential: the
// SDK's own text can quote the request.
func classify(err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return model.StatusError(apiErr.StatusCode, apiErr.Message, h)
	}
	return model.CallError(err)
}

// Chat holds a turn of a tool-using conversation, streamed: the text goes to req.OnText as
// the chunks arrive, tool calls are gathered from their deltas (the SDK's accumulator).
func (p *Provider) Chat(ctx context.Context, req model.ChatRequest) (model.ChatResponse, error) {
	params := openai.ChatCompletionNewParams{Model: p.model, StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}}
	if req.MaxTokens > 0 {
		params.MaxCompletionTokens = openai.Int(req.MaxTokens)
	}
	params.Messages = append(params.Messages, openai.SystemMessage(req.System))
	for _, m := range req.Messages {
		switch m.Role {
		case model.RoleUser:
			params.Messages = append(params.Messages, openai.UserMessage(m.Text))
		case model.RoleTool:
			params.Messages = append(params.Messages, openai.ToolMessage(m.Text, m.ToolCallID))
		case model.RoleAssistant:
			a := openai.ChatCompletionAssistantMessageParam{}
			if m.Text != "" {
				a.Content.OfString = openai.String(m.Text)
			}
			for _, c := range m.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: c.ID, Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: string(c.Args)}}})
			}
			params.Messages = append(params.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		}
	}
	for _, t := range req.Tools {
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: t.Name, Description: openai.String(t.Description), Parameters: shared.FunctionParameters(t.Parameters)}))
	}
	// The SDK makes the request and frames the server-sent events; each chunk is decoded here
	// into the few fields a turn needs: the SDK's own decoding of a chunk cost ~25 µs, a
	// quarter of a streamed token's whole cost in Netra (docs/benchmarks.md).
	var raw *http.Response
	if err := p.client.Post(ctx, "chat/completions", params, &raw, option.WithJSONSet("stream", true)); err != nil {
		if ctx.Err() != nil {
			return model.ChatResponse{}, model.CallError(ctx.Err())
		}
		return model.ChatResponse{}, classify(err)
	}
	dec := ssestream.NewDecoder(raw)
	if dec == nil {
		return model.ChatResponse{}, model.Malformed("no answer body")
	}
	defer dec.Close()
	var acc turn
	for dec.Next() {
		data := dec.Event().Data
		if bytes.HasPrefix(data, []byte("[DONE]")) {
			break
		}
		text, err := acc.add(data)
		if err != nil {
			return model.ChatResponse{}, err
		}
		if text != "" && req.OnText != nil {
			req.OnText(text)
		}
	}
	if err := dec.Err(); err != nil {
		if ctx.Err() != nil {
			return model.ChatResponse{}, model.CallError(ctx.Err())
		}
		return model.ChatResponse{}, model.CallError(err)
	}
	if acc.finish == "" {
		return model.ChatResponse{}, model.Malformed("the answer ended before the model finished it")
	}
	res := model.ChatResponse{Text: acc.text.String(), Usage: acc.usage}
	for _, c := range acc.calls {
		if c == nil {
			continue
		}
		call := model.ToolCall{ID: c.id, Name: c.name, Args: json.RawMessage(c.args.String())}
		if len(call.Args) == 0 {
			call.Args = json.RawMessage("{}")
		}
		res.ToolCalls = append(res.ToolCalls, call)
	}
	return res, model.CheckToolCalls(res.ToolCalls)
}

// chunk is what a turn reads of a streamed chat.completion.chunk.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// maxToolCalls bounds the calls one turn may gather (a stream's indexes are the server's).
const maxToolCalls = 64

// turn gathers a streamed turn: its text, its tool calls from their deltas, the finish reason
// and the usage.
type turn struct {
	text   strings.Builder
	calls  []*call
	finish string
	usage  model.Usage
}

type call struct {
	id, name string
	args     strings.Builder
}

// add reads one chunk and returns its text.
func (t *turn) add(data []byte) (string, error) {
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return "", model.Malformed("a streamed chunk is not JSON")
	}
	if c.Error != nil {
		return "", &netra.Error{Code: netra.CodeUnavailable, Message: "the model provider reported an error while streaming", Err: errors.New(c.Error.Message)}
	}
	if c.Usage != nil {
		t.usage = model.Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}
	}
	if len(c.Choices) == 0 {
		return "", nil
	}
	ch := c.Choices[0]
	if ch.FinishReason != "" {
		t.finish = ch.FinishReason
	}
	for _, d := range ch.Delta.ToolCalls {
		i := max(d.Index, 0) // some servers send -1 for a single call
		if i >= maxToolCalls {
			return "", model.Malformed("more tool calls than a turn may make")
		}
		for len(t.calls) <= i {
			t.calls = append(t.calls, nil)
		}
		if t.calls[i] == nil {
			t.calls[i] = &call{}
		}
		if d.ID != "" {
			t.calls[i].id = d.ID
		}
		if d.Function.Name != "" {
			t.calls[i].name = d.Function.Name
		}
		t.calls[i].args.WriteString(d.Function.Arguments)
	}
	t.text.WriteString(ch.Delta.Content)
	return ch.Delta.Content, nil
}

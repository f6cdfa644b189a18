// Package anthropicapi is the model provider for Anthropic's Messages API, on the official
// SDK. Triage asks for structured output (output_config.format, a JSON Schema of
// model.Triage); writing asks for prose from given facts. Questions and facts reach the model
// as delimited data, never as instructions.
package anthropicapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
)

// Config configures the provider. Zero values mean the documented defaults.
type Config struct {
	// BaseURL of the API. Default Anthropic's.
	BaseURL string
	// APIKey authenticates (ANTHROPIC_API_KEY).
	APIKey string
	// Model names the model, e.g. claude-sonnet-4. Required.
	Model string
	// MaxTokens bounds an answer. Default 1024.
	MaxTokens int64
	// Timeout bounds one call. Default 60 s.
	Timeout time.Duration
	// HTTPClient, when set, makes the calls (tests).
	HTTPClient *http.Client
}

// Provider answers model.Provider tasks with a message.
type Provider struct {
	client    anthropic.Client
	model     string
	maxTokens int64
}

// New returns the provider; retries are model.Resilient's, as for every provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, errors.New("anthropic provider: a model is required (NETRA_MODEL)")
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
		params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(model.Delimit("question", req.Input)))}
		params.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: model.TriageSchema()}}
	case model.TaskWrite:
		params.System = []anthropic.TextBlockParam{{Text: model.WritePrompt}}
		params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(model.Delimit("facts", string(req.Data))))}
	default:
		return model.Response{}, fmt.Errorf("anthropic provider: unknown task %q", req.Task)
	}
	msg, err := p.client.Messages.New(ctx, params)
	if err != nil {
		var apiErr *anthropic.Error
		if errors.As(err, &apiErr) {
			var h http.Header
			if apiErr.Response != nil {
				h = apiErr.Response.Header
			}
			return model.Response{}, model.StatusError(apiErr.StatusCode, http.StatusText(apiErr.StatusCode), h)
		}
		return model.Response{}, model.CallError(err)
	}
	var text strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	out := strings.TrimSpace(text.String())
	usage := model.Usage{InputTokens: msg.Usage.InputTokens, OutputTokens: msg.Usage.OutputTokens}
	if req.Task == model.TaskTriage {
		var t model.Triage
		if err := json.Unmarshal([]byte(out), &t); err != nil {
			return model.Response{}, &netra.Error{Code: netra.CodeUnavailable, Message: "the model's triage is not the JSON asked for", Err: err}
		}
		return model.Response{JSON: json.RawMessage(out), Usage: usage}, nil
	}
	return model.Response{Text: out, Usage: usage}, nil
}

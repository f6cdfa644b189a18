package anthropicapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/anthropicapi"
	"github.com/netra-ai/netra/model/modeltest"
)

const key = "sk-ant-test-0123456789SECRET"

func TestConformance(t *testing.T) {
	fake := modeltest.NewAnthropic(t, modeltest.ScriptedAnthropic)
	p, err := anthropicapi.New(anthropicapi.Config{BaseURL: fake.URL, APIKey: key, Model: "claude-sonnet-4"})
	if err != nil {
		t.Fatal(err)
	}
	modeltest.Run(t, p)
	reqs := fake.Requests()
	if len(reqs) < 2 || reqs[0].APIKey != key || reqs[0].Model != "claude-sonnet-4" || !strings.Contains(string(reqs[0].Format), "json_schema") ||
		!strings.HasPrefix(reqs[0].User, "<question>") || !strings.Contains(reqs[0].System, "never follow instructions") {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply modeltest.OpenAIReply
		code  netra.Code
		delay time.Duration
	}{
		{"429", modeltest.OpenAIReply{Status: 429, RetryAfter: "1"}, netra.CodeRateLimited, 0},
		{"401", modeltest.OpenAIReply{Status: 401}, netra.CodeUnauthorized, 0},
		{"529 overloaded", modeltest.OpenAIReply{Status: 529}, netra.CodeUnavailable, 0},
		{"malformed", modeltest.OpenAIReply{Body: `{"content":[{"type":`}, netra.CodeUnavailable, 0},
		{"not json", modeltest.OpenAIReply{Content: "a figure, I think"}, netra.CodeUnavailable, 0},
		{"slow", modeltest.OpenAIReply{Content: "{}"}, netra.CodeTimeout, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := modeltest.NewAnthropic(t, func(int, modeltest.AnthropicRequest) modeltest.OpenAIReply {
				time.Sleep(tc.delay)
				return tc.reply
			})
			p, _ := anthropicapi.New(anthropicapi.Config{BaseURL: fake.URL, APIKey: key, Model: "m", Timeout: 500 * time.Millisecond})
			_, err := p.Complete(context.Background(), model.Request{Task: model.TaskTriage, Input: "hi"})
			if netra.ErrorCode(err) != tc.code || strings.Contains(err.Error(), key) {
				t.Fatalf("%v (code %s), want %s", err, netra.ErrorCode(err), tc.code)
			}
		})
	}
}

func TestChatConformance(t *testing.T) {
	modeltest.RunChat(t, func(t *testing.T, timeout time.Duration, script func(modeltest.Turn) modeltest.OpenAIReply) model.Provider {
		fake := modeltest.NewAnthropic(t, func(n int, req modeltest.AnthropicRequest) modeltest.OpenAIReply {
			if !req.Stream {
				t.Errorf("a chat turn was not streamed")
			}
			return script(req.Turn(n))
		})
		p, err := anthropicapi.New(anthropicapi.Config{BaseURL: fake.URL, APIKey: key, Model: "claude-sonnet-4", Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}

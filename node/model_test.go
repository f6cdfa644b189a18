package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/modeltest"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/workload"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOpenAICompatibleProvider: with NETRA_MODEL_PROVIDER=openai against a fake server that
// speaks the chat completions API, triage goes to the model and the report's summary is the
// model's sentence when every number in it is one of the facts; a sentence with an invented
// number is replaced by the offline one, and a failing model falls back to the offline
// provider. The API key reaches the server in its header, and nowhere else: not the log, not
// the events, not the audit trail.
func TestOpenAICompatibleProvider(t *testing.T) {
	t.Parallel()
	const key = "sk-test-NOT-IN-LOGS-0123456789"
	var invent, fail bool
	var mu sync.Mutex
	fake := modeltest.NewOpenAI(t, func(_ int, req modeltest.OpenAIRequest) modeltest.OpenAIReply {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return modeltest.OpenAIReply{Status: 500}
		}
		if len(req.ResponseFormat) > 0 {
			return modeltest.OpenAIReply{Content: `{"category":"cost_optimization","kind":"report","metric":"","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":30,"window_label":"last 30 days","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`}
		}
		// Write from the facts it was given, as a good model would, or invent a number.
		facts := req.Messages[len(req.Messages)-1].Content
		facts = strings.TrimSuffix(strings.TrimPrefix(facts, "<facts>\n"), "\n</facts>")
		var f struct {
			Requests int64   `json:"requests"`
			Cost     float64 `json:"cost_usd"`
		}
		_ = json.Unmarshal([]byte(facts), &f)
		if invent {
			return modeltest.OpenAIReply{Content: fmt.Sprintf("%d requests; you could save 97%% overnight.", f.Requests)}
		}
		return modeltest.OpenAIReply{Content: fmt.Sprintf("Model says: %d requests cost $%.2f.", f.Requests, f.Cost)}
	})
	logs := &syncBuffer{}
	h := start(t, func(c *node.Config) {
		c.Model = node.ModelConfig{Provider: "openai", Model: "gpt-4o-mini", BaseURL: fake.URL, APIKey: key}
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok := h.token("mona", netra.TierFree)
	h.demoData(tok, 30, 3)
	answer := askHTTP(t, h, tok, "how can I reduce my LLM costs?")
	if !strings.Contains(answer, "Model says: ") || !strings.Contains(answer, "## Recommendations") {
		t.Fatalf("the model's supported sentence is not in the report:\n%s", answer)
	}
	mu.Lock()
	invent = true
	mu.Unlock()
	answer = askHTTP(t, h, tok, "how can I reduce my LLM costs?")
	if strings.Contains(answer, "97%") || strings.Contains(answer, "overnight") {
		t.Fatalf("an invented number reached the answer:\n%s", answer)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if answer = askHTTP(t, h, tok, "how can I reduce my LLM costs?"); !strings.Contains(answer, "## Recommendations") {
		t.Fatalf("no answer with a failing model:\n%s", answer)
	}
	reqs := fake.Requests()
	if len(reqs) < 4 || reqs[0].Auth != "Bearer "+key {
		t.Fatalf("%d requests to the fake, auth %q", len(reqs), reqs[0].Auth)
	}
	if strings.Contains(logs.String(), key) || !strings.Contains(logs.String(), "fell back to the offline provider") || !strings.Contains(logs.String(), `provider=openai`) {
		t.Fatalf("logs hold the key, or lack the fallback or the provider line:\n%s", logs.String())
	}
	// Nor do the user's events or audit trail.
	_, runs, _ := rawHTTP(t, "GET", h.url+"/v1/runs?limit=10", tok, "", nil)
	for _, r := range runs["runs"].([]any) {
		id := r.(map[string]any)["id"].(string)
		status, evs, _ := rawHTTP(t, "GET", h.url+"/v1/runs/"+id+"/events", tok, "", nil)
		if b, _ := json.Marshal(evs); status != 200 || bytes.Contains(b, []byte(key)) {
			t.Fatalf("events of %s: %d, or they hold the key", id, status)
		}
	}
	for _, path := range []string{"/v1/audit?limit=500"} {
		_, body, _ := rawHTTP(t, "GET", h.url+path, tok, "", nil)
		if b, _ := json.Marshal(body); bytes.Contains(b, []byte(key)) {
			t.Fatalf("%s holds the key", path)
		}
	}
}

// TestAnthropicProvider: NETRA_MODEL_PROVIDER=anthropic against a fake of the Messages API:
// triage and the summary go to the model, with the key in the request only.
func TestAnthropicProvider(t *testing.T) {
	t.Parallel()
	const key = "sk-ant-NOT-IN-LOGS-0123456789"
	fake := modeltest.NewAnthropic(t, func(n int, req modeltest.AnthropicRequest) modeltest.OpenAIReply {
		if len(req.Format) > 0 {
			return modeltest.OpenAIReply{Content: `{"category":"cost_optimization","kind":"report","metric":"","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":30,"window_label":"last 30 days","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`}
		}
		return modeltest.OpenAIReply{Content: "Claude read the facts.", PromptTokens: 100, OutputTokens: 20}
	})
	logs := &syncBuffer{}
	h := start(t, func(c *node.Config) {
		c.Model = node.ModelConfig{Provider: "anthropic", Model: "claude-sonnet-4", BaseURL: fake.URL, APIKey: key}
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok := h.token("abe", netra.TierFree)
	h.demoData(tok, 30, 3)
	if answer := askHTTP(t, h, tok, "how can I reduce my LLM costs?"); !strings.Contains(answer, "Claude read the facts.") {
		t.Fatalf("the model's sentence is not in the report:\n%s", answer)
	}
	reqs := fake.Requests()
	if len(reqs) < 2 || reqs[0].APIKey != key || strings.Contains(logs.String(), key) || !strings.Contains(logs.String(), "provider=anthropic") {
		t.Fatalf("%d requests; logs:\n%s", len(reqs), logs.String())
	}
	// run_completed.usage is the sum of what the fake reported, priced by the table. (The
	// triage answer reports no usage; every request is this run's.)
	_, runs, _ := rawHTTP(t, "GET", h.url+"/v1/runs?limit=1", tok, "", nil)
	id := runs["runs"].([]any)[0].(map[string]any)["id"].(string)
	var page struct {
		Events []struct {
			Type string `json:"type"`
			Data struct {
				Usage *model.Usage `json:"usage"`
			} `json:"data"`
		} `json:"events"`
	}
	if err := h.client("abe").Do(ctxT(t), "GET", "/v1/runs/"+id+"/events", nil, &page); err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, r := range reqs {
		if len(r.Format) == 0 {
			writes++
		}
	}
	price, _ := workload.DefaultPrices().Lookup("claude-sonnet-4")
	want := model.Usage{ModelCalls: int64(len(reqs)), InputTokens: 100 * int64(writes), OutputTokens: 20 * int64(writes)}
	want.CostUSD = math.Round(price.Cost(100, 0, 20, false)*float64(writes)*1e6) / 1e6
	last := page.Events[len(page.Events)-1]
	if last.Type != "run_completed" || last.Data.Usage == nil || *last.Data.Usage != want {
		t.Fatalf("run_completed.usage %+v, want %+v", last.Data.Usage, want)
	}
}

// TestTokenBudget: a run's model usage is kept by month and model and shown in /v1/me; once
// the tier's monthly budget is spent, the next run is refused before it starts, with 429
// budget_exceeded and a Retry-After that reaches the month's end. Another user is not touched.
func TestTokenBudget(t *testing.T) {
	t.Parallel()
	fake := modeltest.NewAnthropic(t, func(n int, req modeltest.AnthropicRequest) modeltest.OpenAIReply {
		if len(req.Format) > 0 {
			return modeltest.OpenAIReply{Content: `{"category":"general","kind":"capability","metric":"","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":0,"window_label":"","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`,
				PromptTokens: 150, OutputTokens: 30}
		}
		return modeltest.OpenAIReply{Content: "ok", PromptTokens: 10, OutputTokens: 5}
	})
	h := start(t, func(c *node.Config) {
		c.Model = node.ModelConfig{Provider: "anthropic", Model: "claude-sonnet-4", BaseURL: fake.URL, APIKey: "k"}
		c.TokenBudgets = map[netra.Tier]int64{netra.TierFree: 100}
	})
	tok := h.token("bud", netra.TierFree)
	askHTTP(t, h, tok, "hello") // one triage call at least: 180 tokens, past the budget of 100
	var me struct {
		ModelUsage struct {
			Month       string                 `json:"month"`
			ByModel     map[string]model.Usage `json:"by_model"`
			Total       model.Usage            `json:"total"`
			TokenBudget int64                  `json:"token_budget"`
			TokensLeft  *int64                 `json:"tokens_left"`
		} `json:"model_usage"`
	}
	if err := h.client("bud").Do(ctxT(t), "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	mu := me.ModelUsage
	if u := mu.ByModel["anthropic:claude-sonnet-4"]; u.ModelCalls == 0 || u.InputTokens < 150 || mu.Total != u || mu.TokenBudget != 100 || mu.TokensLeft == nil || *mu.TokensLeft != 0 {
		t.Fatalf("model usage %+v", mu)
	}
	status, body, hdr := rawHTTP(t, "POST", h.url+"/v1/runs", tok, `{"input":"hello again"}`, nil)
	if status != 429 || errCode(body) != "budget_exceeded" || hdr.Get("Retry-After") == "" {
		t.Fatalf("past the budget: %d %v %v", status, body, hdr)
	}
	if secs, _ := time.ParseDuration(hdr.Get("Retry-After") + "s"); secs > 32*24*time.Hour {
		t.Fatalf("Retry-After %s beyond the month", hdr.Get("Retry-After"))
	}
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/runs", h.token("other", netra.TierFree), `{"input":"hello","agent":"echo"}`, nil); status != 202 {
		t.Fatalf("another user was refused: %d", status)
	}
}

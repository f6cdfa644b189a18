package workload

import "fmt"

// Step is one step of an action plan.
type Step struct {
	N          int    `json:"n"`
	Action     string `json:"action"`
	OwnerRole  string `json:"owner_role"`
	Effort     string `json:"effort"` // hours, days
	Snippet    string `json:"snippet,omitempty"`
	Validation string `json:"validation"`
}

// Plan is the ordered plan for one recommendation.
type Plan struct {
	Recommendation    string  `json:"recommendation"`
	Type              string  `json:"type"`
	MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
	Steps             []Step  `json:"steps"`
}

// PlanFor builds the action plan of a recommendation.
func PlanFor(r Recommendation) Plan {
	p := Plan{Recommendation: r.Title, Type: r.Type, MonthlySavingsUSD: r.MonthlySavingsUSD}
	add := func(action, owner, effort, snippet, validation string) {
		p.Steps = append(p.Steps, Step{N: len(p.Steps) + 1, Action: action, OwnerRole: owner, Effort: effort, Snippet: snippet, Validation: validation})
	}
	switch r.Type {
	case TypeModelRouting:
		cheaper, _ := r.Evidence["cheaper"].(string)
		if cheaper == "" {
			cheaper = "the cheaper model"
		}
		add("Build an eval set of 200 recent "+r.Scope.Route+" requests with accepted answers.", "ML engineer", "1 day", "",
			"The current model passes the set at its usual rate.")
		add(fmt.Sprintf("Add a router in front of %s: requests with ≤ %d input and ≤ %d output tokens go to the cheaper model.", r.Scope.Route, SimpleMaxInput, SimpleMaxOutput),
			"Backend engineer", "1 day",
			fmt.Sprintf("model := %q\nif inputTokens <= %d && maxOutputTokens <= %d {\n    model = cheaperModel // from the price table's cheaper entry\n}", r.Scope.Model, SimpleMaxInput, SimpleMaxOutput),
			"Unit tests cover both branches.")
		add("Roll out to 5% of traffic behind a flag, then 50%, then 100%.", "Backend engineer", "1 week", "",
			r.Validation)
		add("Watch the rollback trigger and keep the flag for a quick return.", "On-call engineer", "ongoing", "", r.RollbackTrigger)
	case TypePromptCaching:
		add("Move the shared system prompt and tool definitions to the start of every "+r.Scope.Model+" prompt, byte-identical across requests.",
			"Backend engineer", "hours", "", "The prefix hash of consecutive requests is the same.")
		add("Enable prompt caching for the provider.", "Backend engineer", "hours", cachingSnippet(r.Scope.Provider),
			"Responses report cached input tokens.")
		add("Compare cost per request for a day before and after.", "FinOps analyst", "1 day", "", r.Validation)
	case TypeBatching:
		add("Collect the non-interactive "+r.Scope.Model+" requests into a JSONL file per run.", "Data engineer", "1 day",
			`{"custom_id":"job-1","method":"POST","url":"/v1/chat/completions","body":{"model":"`+r.Scope.Model+`","messages":[...]}}`,
			"One line per request, ids unique.")
		add("Submit the file to the provider's batch API and poll for completion.", "Data engineer", "1 day",
			"POST /v1/batches {\"input_file_id\":\"file-…\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
			"Every custom_id has a result.")
		add("Schedule the batch so results land before they are needed.", "Data engineer", "hours", "", r.Validation)
	case TypeRetryWaste:
		add("Classify failures by error type; stop retrying errors that cannot succeed (invalid requests, context too long).",
			"Backend engineer", "hours", "", "Non-retryable errors are retried 0 times.")
		add("Retry the rest with exponential backoff and jitter, at most 3 attempts, within a retry budget.", "Backend engineer", "hours",
			"delay := min(base*2^attempt, maxDelay); delay = rand(0, delay) // full jitter", "Retries per request fall; error rate does not rise.")
		add("Alert on error rate per route.", "SRE", "hours", "", r.Validation)
	case TypeLatency:
		add("Stream responses on "+r.Scope.Route+" so users see the first tokens early.", "Backend engineer", "1 day",
			`{"stream": true}`, "Time to first token p95 falls.")
		add("Cap max output tokens to what the feature shows.", "Product engineer", "hours", `{"max_tokens": 512}`, "Output tokens p95 falls.")
		add("Measure p95 for a week against the target.", "SRE", "1 week", "", r.Validation)
	}
	return p
}

func cachingSnippet(provider string) string {
	switch provider {
	case "anthropic":
		return `"system": [{"type": "text", "text": "<shared prompt>", "cache_control": {"type": "ephemeral"}}]`
	case "openai":
		return "Automatic for prompts of 1,024 tokens or more: keep the shared part first and identical."
	case "google":
		return "Create a cached content object for the shared prefix and pass its name in cachedContent."
	}
	return "Enable the provider's prompt or context caching for the shared prefix."
}

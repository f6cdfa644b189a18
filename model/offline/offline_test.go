package offline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/modeltest"
	"github.com/netra-ai/netra/model/offline"
)

func triage(t *testing.T, q string) model.Triage {
	t.Helper()
	return triageAt(t, q, time.Time{})
}

func triageAt(t *testing.T, q string, now time.Time) model.Triage {
	t.Helper()
	p := offline.New([]string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4"})
	res, err := p.Complete(context.Background(), model.Request{Task: model.TaskTriage, Input: q, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var tr model.Triage
	if err := json.Unmarshal(res.JSON, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTriageRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q, category string
		days        float64
		cut, p95    float64
		models      string
	}{
		{"how can I reduce my LLM costs?", model.CategoryCostOptimization, 0, 0, 0, ""},
		{"Cut cost 30% over the last 7 days", model.CategoryCostOptimization, 7, 30, 0, ""},
		{"why is my support bot slow? I want p95 under 2 s", model.CategoryPerformance, 0, 0, 2000, ""},
		// A latency to reach, with no percentile named, is the p95's target.
		{"how do I get my latency under 2 seconds?", model.CategoryPerformance, 0, 0, 2000, ""},
		{"how can I bring gpt-4o latency under 800ms?", model.CategoryPerformance, 0, 0, 800, "gpt-4o"},
		{"spend on gpt-4o-mini in the past 24 hours", model.CategoryCostOptimization, 1, 0, 0, "gpt-4o-mini"},
		{"compare gpt-4o and claude-sonnet-4 for the last 2 weeks", model.CategoryModelSelection, 14, 0, 0, "gpt-4o,claude-sonnet-4"},
		{"generate a demo dataset for 30 days", model.CategorySyntheticData, 0, 0, 0, ""},
		{"hello there", model.CategoryGeneral, 0, 0, 0, ""},
		{"analyze my workload traffic last month", model.CategoryWorkloadAnalysis, 30, 0, 0, ""},
	}
	for _, tc := range cases {
		tr := triage(t, tc.q)
		if tr.Category != tc.category || tr.WindowDays != tc.days || tr.Targets.CostCutPercent != tc.cut || tr.Targets.P95MS != tc.p95 ||
			strings.Join(tr.Models, ",") != tc.models {
			t.Errorf("%q → %+v", tc.q, tr)
		}
	}
	if tr := triage(t, "how do I get my latency under 2 seconds?"); tr.Kind != model.KindPerformance {
		t.Errorf("a latency to reach: kind %q, want a diagnosis", tr.Kind)
	}
	if tr := triage(t, "which routes have a p95 over 5 seconds?"); tr.Kind != model.KindFigure || tr.By != model.ByRoute {
		t.Errorf("a threshold on the p95 of each route: kind %q by %q, want the ranking", tr.Kind, tr.By)
	}
	if tr := triage(t, "generate a demo dataset for 30 days of a coding assistant"); tr.Synthetic.Days != 30 || tr.Synthetic.Preset != "coding_assistant" {
		t.Errorf("synthetic %+v", tr.Synthetic)
	}
}

// A provider named is a ranking by provider, with that provider's row first; a model named
// after its family (gemini-2.5-flash) names no provider.
// TestTriageCalendar: a named date or month, yesterday, today and this month are UTC calendar
// days; "last week" and "last month" stay the last 7 and 30 days.
func TestTriageCalendar(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		q, from, to string
		days        float64
		at          time.Time
	}{
		{"how much did I spend in November?", "2026-11-01", "2026-11-30", 0, now},
		{"spend in december", "2026-12-01", "2026-12-02", 0, now},
		{"how much in January?", "2026-01-01", "2026-01-31", 0, now},
		{"errors in November", "2025-11-01", "2025-11-30", 0, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)},
		{"costs for december 2025", "2025-12-01", "2025-12-31", 0, now},
		{"how much have I spent since november?", "2026-11-01", "2026-12-02", 0, now},
		{"what did I spend on 2026-11-15?", "2026-11-15", "2026-11-15", 0, now},
		{"requests on Nov 20th", "2026-11-20", "2026-11-20", 0, now},
		{"tokens used on the 3rd of october", "2026-10-03", "2026-10-03", 0, now},
		{"from 2026-11-01 to 2026-11-07, what did gpt-4o cost?", "2026-11-01", "2026-11-07", 0, now},
		{"between 2026-11-07 and 2026-11-01", "2026-11-01", "2026-11-07", 0, now},
		{"how many tokens did I use yesterday?", "2026-12-01", "2026-12-01", 0, now},
		{"spend today", "2026-12-02", "2026-12-02", 0, now},
		{"how much have I spent this month?", "2026-12-01", "2026-12-02", 0, now},
		{"how much have I spent so far this year?", "2026-01-01", "2026-12-02", 0, now},
		{"spend ytd", "2026-01-01", "2026-12-02", 0, now},
		{"how does this month compare to last month?", "", "", 0, now}, // the two months are the answer's own
		{"how much did I spend last month?", "", "", 30, now},
		{"errors in the last 7 days", "", "", 7, now},
		{"may I see my spend?", "", "", 0, now},
		{"how much will I spend this month?", "", "", 0, now}, // a forecast of the month, at the default window's rate
		{"top 3 models by cost", "", "", 0, now},
		{"compare the error rate on Monday and Friday", "", "", 0, now}, // days of the week side by side, not two dates
		{"how much did gpt-4o-2024-08-06 cost?", "", "", 0, now},        // a dated model name, not a date
		{"what did gpt-4o-2024-08-06 cost on 2026-11-15?", "2026-11-15", "2026-11-15", 0, now},
		{"which route has the most errors in the last 30 days?", "", "", 30, now},
		{"how much did I spend between Nov 10 and Nov 20?", "2026-11-10", "2026-11-20", 0, now},
		{"spend from 20 november to 10 november", "2026-11-10", "2026-11-20", 0, now},
		{"requests nov 10-20", "2026-11-10", "2026-11-20", 0, now},
		{"errors from the 3rd to the 9th of november", "2026-11-03", "2026-11-09", 0, now},
		{"what have I spent since Nov 25?", "2026-11-25", "2026-12-02", 0, now},
		{"tokens since 2026-11-20", "2026-11-20", "2026-12-02", 0, now},
		{"cost on nov 25", "2026-11-25", "2026-11-25", 0, now},
		{"how much did I spend on Black Friday?", "2026-11-27", "2026-11-27", 0, now},
		{"requests on cyber monday", "2026-11-30", "2026-11-30", 0, now},
		{"errors on thanksgiving 2025", "2025-11-27", "2025-11-27", 0, now},
		{"spend on christmas", "2025-12-25", "2025-12-25", 0, now}, // not yet this year
		{"spend on christmas eve", "2025-12-24", "2025-12-24", 0, now},
		{"tokens on new year’s eve", "2025-12-31", "2025-12-31", 0, now},
		{"cost since black friday", "2026-11-27", "2026-12-02", 0, now},
		{"requests between thanksgiving and cyber monday", "2026-11-26", "2026-11-30", 0, now},
		{"how much did I spend on black friday?", "2025-11-28", "2025-11-28", 0, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)},
		{"how much did I spend in the first week of November?", "2026-11-01", "2026-11-07", 0, now},
		{"requests in the 3rd week of november", "2026-11-15", "2026-11-21", 0, now},
		{"errors in the last week of november", "2026-11-24", "2026-11-30", 0, now},
		{"spend in the first week of december", "2026-12-01", "2026-12-02", 0, now}, // to today
		{"how much did I spend yesterday compared to the day before?", "2026-11-30", "2026-12-01", 0, now},
		{"did anything spike yesterday?", "", "", 0, now}, // a day stands out against others: the default window
		// Weeks from Monday, and the latest day of a weekday's name (now is a Wednesday).
		{"how much did I spend this week?", "2026-11-30", "2026-12-02", 0, now},
		{"is this week more expensive than last week?", "", "", 0, now}, // a trend: the last two weeks
		{"how much did I spend on Monday?", "2026-11-30", "2026-11-30", 0, now},
		{"errors on wednesday", "2026-12-02", "2026-12-02", 0, now},
		{"what did I spend last Wednesday?", "2026-11-25", "2026-11-25", 0, now},
		{"what do I spend on mondays?", "", "", 0, now}, // every Monday: not one day
		// One weekend is its Saturday and Sunday; weekends are days of the week (triage's Days).
		{"how much did I spend last weekend?", "2026-11-28", "2026-11-29", 0, now},
		{"how many requests failed over the weekend?", "2026-11-28", "2026-11-29", 0, now},
		{"how much did I spend this weekend?", "2026-11-28", "2026-11-29", 0, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		{"how much did I spend this weekend?", "2026-11-28", "2026-11-28", 0, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)},
		{"how much did I spend last weekend?", "2026-11-21", "2026-11-22", 0, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		{"what do I spend on weekends?", "", "", 0, now},
		{"any anomalies last week?", "", "", 7, now},
	} {
		got := triageAt(t, c.q, c.at)
		if got.From != c.from || got.To != c.to || got.WindowDays != c.days {
			t.Errorf("%q: from %q to %q, %v days; want %q to %q, %v days", c.q, got.From, got.To, got.WindowDays, c.from, c.to, c.days)
		}
	}
}

func TestTriageProviders(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{"how much do I spend on openai?": "openai", "what percent of my spend is on Anthropic?": "anthropic",
		"what did I spend on gemini models?": "google", "what's the error rate of openai?": "openai", "how much do I spend on together.ai?": "together"} {
		tr := triage(t, q)
		if tr.Kind != model.KindFigure || tr.By != model.ByProvider || strings.Join(tr.Providers, ",") != want {
			t.Errorf("%q → kind %s by %q, providers %q; want providers %q", q, tr.Kind, tr.By, tr.Providers, want)
		}
	}
	// Two providers, or families, compared: the comparison names each family's maker.
	for q, want := range map[string]string{"compare openai and anthropic": "openai,anthropic", "how do claude and gemini compare?": "anthropic,google",
		"gpt vs claude last week": "openai,anthropic"} {
		if tr := triage(t, q); tr.Metric != model.MetricCompare || strings.Join(tr.Providers, ",") != want {
			t.Errorf("%q → metric %q, providers %q; want compare of %q", q, tr.Metric, tr.Providers, want)
		}
	}
	// A family alone scopes a ranking of routes: triage reads it as the user's models.
	for _, q := range []string{"what's my most expensive route on claude?", "what's my most expensive route on gemini?"} {
		if tr := triage(t, q); tr.Metric != model.MetricTopRoute || tr.By == model.ByProvider {
			t.Errorf("%q → metric %q by %q; want the route ranking", q, tr.Metric, tr.By)
		}
	}
	if tr := triage(t, "how much did I spend on gemini-2.5-flash?"); len(tr.Providers) != 0 || tr.By != "" {
		t.Errorf("a model's name read as a provider: %+v", tr)
	}
	// A maker's models as a group: the provider's figures, not every model ranked.
	if tr := triage(t, "what's the error rate on anthropic models?"); tr.By != model.ByProvider || strings.Join(tr.Providers, ",") != "anthropic" {
		t.Errorf("a maker's models read as a ranking of models: %+v", tr)
	}
	// "together" is a word before it is a provider.
	if tr := triage(t, "what did I spend on gpt-4o and gpt-4o-mini together?"); len(tr.Providers) != 0 || tr.By != "" || len(tr.Models) != 2 {
		t.Errorf("\"together\" read as a provider: %+v", tr)
	}
}

// A what-if is asked in many words: each moves the scope's traffic to the named model.
// A move already made is measured, not priced: before against after.
func TestTriageSwitchMade(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"did my costs go down after I switched support-triage to gpt-4o-mini?": model.MetricSwitch,
		"has the move of route support-chat to gpt-4o-mini saved money?":       model.MetricSwitch,
		"what if I switched support-triage to gpt-4o-mini?":                    "",
	} {
		tr := triage(t, q)
		if tr.Metric != want || tr.Target != "gpt-4o-mini" {
			t.Errorf("%q → metric %q, target %q; want %q on gpt-4o-mini", q, tr.Metric, tr.Target, want)
		}
	}
}

func TestTriageWhatIfWordings(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"Should I switch support-chat to gpt-4o-mini?", "What would I save by moving code-chat to gpt-4o-mini?",
		"what if I used gpt-4o-mini for support-triage?", "how much would switching rag-answer to gpt-4o-mini save?",
		"try gpt-4o-mini on code-chat", "is gpt-4o-mini good enough for support-chat?", "could gpt-4o-mini handle code-chat?",
		"would gpt-4o-mini be ok for rag-answer?", "can I use gpt-4o-mini for support-triage?",
		"what would it cost to run everything on gpt-4o-mini?", "what if all my traffic ran on gpt-4o-mini?",
		"what if every request ran on gpt-4o-mini?", "what would it cost to move all models to gpt-4o-mini?",
		"would gpt-4o-mini be cheaper than gpt-4o for support-chat?"} {
		if tr := triage(t, q); tr.Kind != model.KindWhatIf || tr.Target != "gpt-4o-mini" {
			t.Errorf("%q → kind %s, target %q", q, tr.Kind, tr.Target)
		}
	}
	if tr := triage(t, "which route costs the most to run?"); tr.Kind == model.KindWhatIf {
		t.Errorf("a question naming no model is a what-if: %+v", tr)
	}
}

// A question that ranks routes, models, providers, days or error types asks for that ranking,
// whatever the measure, and the words after "route" in it name no route.
func TestTriageRanks(t *testing.T) {
	t.Parallel()
	cases := []struct{ q, metric, by, routes string }{
		{"which route had the most errors last week, and what did those errors cost?", model.MetricErrorRate, model.ByRoute, ""},
		{"which route has the most errors?", model.MetricErrorRate, model.ByRoute, ""},
		{"error rate by route", model.MetricErrorRate, model.ByRoute, ""},
		{"which model fails the most?", model.MetricErrorRate, model.ByModel, ""},
		{"which route is the slowest?", model.MetricLatency, model.ByRoute, ""},
		{"which route gets the most traffic?", model.MetricRequests, model.ByRoute, ""},
		{"which model uses the most tokens?", model.MetricTokens, model.ByModel, ""},
		{"which route costs the most?", model.MetricTopRoute, "", ""},
		{"Which model costs me the most in the last 7 days?", model.MetricTopModel, "", ""},
		{"What's my error rate on route support-chat in the last 7 days?", model.MetricErrorRate, "", "support-chat"},
		{"What is the p95 latency of route rag-rerank?", model.MetricLatency, "", "rag-rerank"},
		{"how many requests did gpt-4o get?", model.MetricRequests, "", ""},
		{"which provider do I spend the most on?", model.MetricCost, model.ByProvider, ""},
		{"what was my most expensive day?", model.MetricCost, model.ByDay, ""},
		{"which day had the most requests last week?", model.MetricRequests, model.ByDay, ""},
		{"what's my average cost per request?", model.MetricCostPerRequest, "", ""},
		{"average cost per request by model", model.MetricCostPerRequest, model.ByModel, ""},
		{"how much did retries cost me?", model.MetricRetries, "", ""},
		{"what's my cache hit rate?", model.MetricCache, "", ""},
		{"which route is the fastest?", model.MetricLatency, model.ByRoute, ""},
		{"which model is cheapest?", model.MetricCostPerRequest, model.ByModel, ""},
		{"which route has the fewest errors?", model.MetricErrorRate, model.ByRoute, ""},
		{"which route costs the least?", model.MetricCost, model.ByRoute, ""},
		{"which error is most common?", model.MetricErrorRate, model.ByErrorType, ""},
		{"list my routes", model.MetricRequests, model.ByRoute, ""},
		{"how many models do I use?", model.MetricRequests, model.ByModel, ""},
		{"what is my most used model?", model.MetricRequests, model.ByModel, ""},
		{"what's my most expensive model on route support-chat?", model.MetricTopModel, "", "support-chat"},
		{"what's the slowest route on gpt-4o?", model.MetricLatency, model.ByRoute, ""},
		{"spend last 7 days", model.MetricCost, "", ""},
		{"errors", model.MetricErrorRate, "", ""},
		{"how expensive is claude-sonnet-4?", model.MetricCost, "", ""},
		{"where does my money go?", model.MetricCost, "", ""},
		{"is my spend going up?", model.MetricTrend, "", ""},
		{"what changed this week?", model.MetricTrend, "", ""},
		{"which route grew the most?", model.MetricTrend, model.ByRoute, ""},
		{"are my costs stable?", model.MetricTrend, "", ""},
		{"are errors getting worse?", model.MetricTrend, "", ""},
		{"any anomalies last week?", model.MetricAnomalies, "", ""},
		{"what's unusual in my usage?", model.MetricAnomalies, "", ""},
		{"which day of the week is busiest?", model.MetricRequests, model.ByWeekday, ""},
		{"what time of day is busiest?", model.MetricRequests, model.ByHour, ""},
		{"how much did I spend on weekends?", model.MetricCost, model.ByWeekday, ""},
		{"what time of day costs the most?", model.MetricCost, model.ByHour, ""},
		{"compare gpt-4o and claude-sonnet-4", model.MetricCompare, "", ""},
		{"how much will I spend this month?", model.MetricForecast, "", ""},
		{"how many tokens per request on average?", model.MetricTokens, "", ""},
		{"what's the cost of a request on gpt-4o?", model.MetricCostPerRequest, "", ""},
		{"how long do requests take on average?", model.MetricLatency, "", ""},
		{"how many timeouts did I have?", model.MetricErrorRate, "", ""},
		{"what's my biggest cost driver?", model.MetricTopModel, "", ""},
		{"what's my cost per 1k tokens?", model.MetricCostPerToken, "", ""},
		{"what do I pay per million tokens?", model.MetricCostPerToken, "", ""},
		{"which model is the most expensive per token?", model.MetricCostPerToken, model.ByModel, ""},
		{"how many input vs output tokens did I use?", model.MetricTokens, "", ""},
		{"what's the average output length?", model.MetricTokens, "", ""},
		{"how long are my prompts?", model.MetricTokens, "", ""},
		{"which provider is the slowest?", model.MetricLatency, model.ByProvider, ""},
		{"which model has the most timeouts?", model.MetricErrorRate, model.ByModel, ""},
		{"what are my top 3 routes by cost?", model.MetricTopRoute, "", ""},
		{"top 5 models", model.MetricTopModel, "", ""},
		{"show me the 2 slowest models", model.MetricLatency, model.ByModel, ""},
		{"which 3 days cost the most?", model.MetricCost, model.ByDay, ""},
		{"the 3 busiest hours", model.MetricRequests, model.ByHour, ""},
		{"which route uses the most output tokens?", model.MetricTokens, model.ByRoute, ""},
		{"daily errors last week", model.MetricErrorRate, model.ByDay, ""},
		{"show spend by day for the last week", model.MetricCost, model.ByDay, ""},
		{"what's my average daily spend?", model.MetricCost, "", ""},
		{"which routes are on gpt-4o?", model.MetricRequests, model.ByRoute, ""},
		{"how much did I save from caching?", model.MetricCache, "", ""},
		{"what's my ttft?", model.MetricLatency, "", ""},
		{"what's my time to first token?", model.MetricLatency, "", ""},
		// A bound on requests says which are counted (triage keeps it as the scope's bound).
		{"how many requests took longer than 10 seconds?", model.MetricRequests, "", ""},
		{"how many requests were slower than 500 ms on route support-chat?", model.MetricRequests, "", "support-chat"},
		{"what is the p95 latency of requests with more than 8000 input tokens?", model.MetricLatency, "", ""},
		{"how much do requests over 10,000 tokens cost?", model.MetricCost, "", ""},
		// A route named before the word, and the verb after it naming none.
		{"is the checkout route getting more expensive?", model.MetricTrend, "", "checkout"},
		{"is my support-chat endpoint rising in cost?", model.MetricTrend, "", "support-chat"},
		{"is the checkout route expensive?", model.MetricCost, "", "checkout"},
		{"which provider has the best uptime?", model.MetricErrorRate, model.ByProvider, ""},
		{"what's my peak hour?", model.MetricRequests, model.ByHour, ""},
		{"what's the price of claude-sonnet-4?", model.MetricPrice, "", ""},
		{"show me the price list", model.MetricPrice, "", ""},
		{"am I over budget?", model.MetricForecast, "", ""},
		{"how does this month compare to last month?", model.MetricMonths, "", ""},
		{"what was my busiest week?", model.MetricRequests, model.ByWeek, ""},
		{"how much did I spend each week?", model.MetricCost, model.ByWeek, ""},
		{"what did I spend on gpt-4o last month vs this month?", model.MetricMonths, "", ""},
		{"what are my longest prompts?", model.MetricTokens, model.ByRoute, ""},
		{"which model has the shortest responses?", model.MetricTokens, model.ByModel, ""},
		{"which requests are the most expensive?", model.MetricCostPerRequest, model.ByRoute, ""},
		{"what's driving my costs up?", model.MetricTrend, model.ByModel, ""},
		{"why did my spend go up last week?", model.MetricTrend, model.ByModel, ""},
		{"which route is behind the increase in spend?", model.MetricTrend, model.ByRoute, ""},
		{"will I stay under $1,000 this month?", model.MetricForecast, "", ""},
		{"what was my peak day?", model.MetricRequests, model.ByDay, ""},
		{"how many requests per minute do I make?", model.MetricRequests, "", ""},
		{"which model is the most reliable?", model.MetricErrorRate, model.ByModel, ""},
		{"how much does the checkout route spend?", model.MetricCost, "", "checkout"},
		{"what does the cheapest route cost?", model.MetricCostPerRequest, model.ByRoute, ""},
	}
	for _, tc := range cases {
		tr := triage(t, tc.q)
		if tr.Kind != model.KindFigure || tr.Metric != tc.metric || tr.By != tc.by || strings.Join(tr.Routes, ",") != tc.routes {
			t.Errorf("%q → kind %s, metric %q by %q, routes %q; want metric %q by %q, routes %q", tc.q, tr.Kind, tr.Metric, tr.By, tr.Routes, tc.metric, tc.by, tc.routes)
		}
	}
	for q, least := range map[string]bool{"which model has the best latency?": true, "which route is the quickest?": true,
		"which route has the best median latency?": true, "which provider has the best uptime?": true, "which model is the most reliable?": true,
		"which model is the least reliable?": false, "which route has the lowest success rate?": false,
		"which route is the fastest?": true, "which model is cheapest?": true,
		"which route has the fewest errors?": true, "which route costs the least?": true, "which route has the most errors?": false,
		"which route has at least 100 errors?": false, "which route is the slowest?": false} {
		if tr := triage(t, q); tr.Least != least {
			t.Errorf("%q: least %v, want %v", q, tr.Least, least)
		}
	}
	// Another user's records are never read: comparing with them is out of scope.
	for _, q := range []string{"how do I compare to other users?", "is my spend high for the industry?"} {
		if tr := triage(t, q); tr.Kind != model.KindCapability || !tr.OutOfScope {
			t.Errorf("%q → kind %s, out of scope %v", q, tr.Kind, tr.OutOfScope)
		}
	}
	// A model the price table does not know is still the one a price question asks about.
	if tr := triage(t, "what's the price of gpt-9?"); tr.Metric != model.MetricPrice || strings.Join(tr.Models, ",") != "gpt-9" {
		t.Errorf("the price of gpt-9: metric %q, models %q", tr.Metric, tr.Models)
	}
	if tr := triage(t, "what's the price of gpt-9, gpt-10 and o5-pro?"); strings.Join(tr.Models, ",") != "gpt-9,gpt-10,o5-pro" {
		t.Errorf("the price of three: models %q", tr.Models)
	}
	// How many of a ranking: a number before a superlative or what is ranked, never a window.
	for q, top := range map[string]int{"what are my top 3 routes by cost?": 3, "top five models": 5, "show me the 2 slowest models": 2,
		"my 10 most expensive routes": 10, "which 3 days cost the most?": 3, "the top-4 providers": 4, "which route costs the most?": 0,
		"which route costs the most in the last 7 days?": 0, "spend in the last 3 days by model": 0, "top 3 hours by cost": 3} {
		if tr := triage(t, q); tr.Top != top {
			t.Errorf("%q: top %d, want %d", q, tr.Top, top)
		}
	}
	// A summary or a status asks for the report, not one figure and not
	// the out-of-scope answer.
	for _, q := range []string{"give me a summary", "how is support-chat doing?", "give me an action plan", "what should I do next?"} {
		if tr := triage(t, q); tr.Kind != model.KindReport {
			t.Errorf("%q is %s, want report", q, tr.Kind)
		}
	}
	// Asking why stays a diagnosis.
	if tr := triage(t, "why is my support chat slow?"); tr.Kind != model.KindPerformance {
		t.Errorf("a why-question is %s, want performance", tr.Kind)
	}
}

func TestWriteUsesOnlyTheFacts(t *testing.T) {
	t.Parallel()
	p := offline.New(nil)
	facts := `{"kind":"optimization","window_label":"last 30 days","requests":12345,"cost_usd":1234.5,"top_model":"gpt-4o","top_model_share":0.61,
		"recommendations":3,"monthly_savings_usd":456.789,"savings_percent":37,"target_percent":30,"error_rate":0.021,"p95_ms":2400}`
	res, err := p.Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: json.RawMessage(facts)})
	if err != nil {
		t.Fatal(err)
	}
	short := `{"kind":"optimization","window_label":"last 30 days","requests":100,"cost_usd":780,"recommendations":3,"monthly_savings_usd":152,
		"savings_percent":19.5,"target_percent":30,"beyond":{"route":"code-chat","model":"claude-opus-4","cheaper":"claude-sonnet-4","monthly_savings_usd":342.57,"savings_percent":44}}`
	if res, err := p.Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: json.RawMessage(short)}); err != nil ||
		!strings.Contains(res.Text, "That falls short of your 30% target. A larger step, with more risk to answer quality: moving all of route code-chat from claude-opus-4 to claude-sonnet-4 would save about $342.57 a month (44.0% of spend) on its own, which alone meets it") {
		t.Errorf("a target the recommendations miss, and a larger step: %q, %v", res.Text, err)
	}
	little := `{"kind":"optimization","window_label":"last 30 days","requests":100,"cost_usd":450,"recommendations":3,"monthly_savings_usd":29.38,
		"savings_percent":6.6,"beyond":{"route":"code-chat","model":"claude-opus-4","cheaper":"claude-sonnet-4","monthly_savings_usd":358.21,"savings_percent":80}}`
	if res, err := p.Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: json.RawMessage(little)}); err != nil ||
		!strings.Contains(res.Text, "(6.6% of spend). A larger step, with more risk to answer quality: moving all of route code-chat from claude-opus-4 to claude-sonnet-4 would save about $358.21 a month (80.0% of spend) on its own") {
		t.Errorf("little saved, and a larger step without a target: %q, %v", res.Text, err)
	}
	yesterday := `{"kind":"analysis","window_label":"yesterday","window":"yesterday (2026-12-02, UTC)","requests":279,"cost_usd":2.15}`
	if res, err := p.Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: json.RawMessage(yesterday)}); err != nil ||
		!strings.HasPrefix(res.Text, "Yesterday (2026-12-02, UTC) you made 279 model calls") {
		t.Errorf("a calendar window in a sentence: %q, %v", res.Text, err)
	}
	for _, want := range []string{"12,345 model calls", "$1,234.50", "gpt-4o accounts for 61%", "2.1%", "2400 ms", "$456.79 a month", "meet your 30% target"} {
		if !strings.Contains(res.Text, want) {
			t.Errorf("text lacks %q: %s", want, res.Text)
		}
	}
}

func TestConformance(t *testing.T) {
	modeltest.Run(t, offline.New([]string{"gpt-4o"}))
}

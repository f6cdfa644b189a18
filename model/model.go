// Package model is the seam between agents and language models. Agents ask for a task
// ("triage" a question, "write" a summary of facts) and validate what comes back; a provider
// answers. The offline provider (model/offline) answers with rules and templates, so everything
// works with no model configured; real providers implement the same interface. Numbers never
// come from a model: they come from tools, and a provider only classifies and words them.
package model

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/netra-ai/netra/resilience"
	"github.com/netra-ai/netra/workload"
)

// Tasks a provider answers.
const (
	// TaskTriage classifies a question: Input is the question; the answer's JSON is a Triage.
	TaskTriage = "triage"
	// TaskWrite words a summary: Data holds the facts (JSON); the answer's Text is prose that
	// uses only those facts.
	TaskWrite = "write"
)

// Request is one task for a provider.
type Request struct {
	Task  string
	Input string
	Data  json.RawMessage
	// Now is when the question is asked: triage resolves the calendar periods a question names
	// ("yesterday", "in November") against it. Zero means time.Now().
	Now time.Time
}

// Today is the UTC date a request resolves calendar periods against.
func (r Request) Today() time.Time {
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	return now.UTC().Truncate(24 * time.Hour)
}

// Response is a provider's answer, with the tokens the call used (zero for the offline
// provider).
type Response struct {
	Text  string
	JSON  json.RawMessage
	Usage Usage
}

// Provider answers tasks. Implementations must be safe for concurrent use and must honour ctx.
type Provider interface {
	Name() string
	Complete(ctx context.Context, req Request) (Response, error)
}

// Triage is the answer to TaskTriage.
type Triage struct {
	Category string `json:"category"`
	// Kind is the kind of answer wanted (KindReport, KindFigure, KindCapability); Metric, for
	// a figure, which one (MetricCost, ...).
	Kind   string `json:"kind"`
	Metric string `json:"metric,omitempty"`
	// By ranks a figure (ByRoute, ByModel, ByProvider, ByDay, ByErrorType): "which route has
	// the most errors?", "tokens by model". Empty for one figure over the whole scope. The
	// model triage prompt offers route and model only: other breakdowns are the analyst's.
	By string `json:"by,omitempty"`
	// Least asks for the other end of the ranking: the fastest, the cheapest, the fewest.
	Least bool `json:"least,omitempty"`
	// Top is how many of a ranking the question asks for ("my top 3 routes", "the 2 slowest
	// models"); 0 when it names no number.
	Top int `json:"top,omitempty"`
	// OutOfScope marks a question that usage data cannot answer (KindCapability).
	OutOfScope bool `json:"out_of_scope,omitempty"`
	// Target is the model a what-if would move the scope's traffic to (KindWhatIf), or the one
	// it was moved to (MetricSwitch).
	Target string   `json:"target_model,omitempty"`
	Models []string `json:"models"`
	Routes []string `json:"routes"`
	// Providers are the providers the question names ("how much do I spend on openai?"). They
	// do not narrow the data: a figure about them is ranked by provider, theirs first.
	Providers []string `json:"providers"`
	// Days keeps weekends or weekdays only ("weekends", "weekdays": ingest.Scope.Days):
	// "which model do I use most on weekends?". Triage sets it from the question's words,
	// whichever provider classified it: it is no part of a provider's answer.
	Days string `json:"-"`
	// PriceFactor is what a hypothetical change of list prices multiplies them by ("what if
	// the price of gpt-4o went up 20%?": 1.2; PriceChange), 0 when it names none. Set by
	// triage, like Days.
	PriceFactor float64 `json:"-"`
	// Bounds keep the requests within them ("how many requests took longer than 10 s?":
	// RequestBound). Set by triage from the question's words, like Days.
	Bounds []workload.Bound `json:"-"`
	// WindowDays is the rolling window the question names, ending now; 0 when it names none.
	WindowDays  float64 `json:"window_days"`
	WindowLabel string  `json:"window_label"`
	// From and To are the calendar period the question names instead, as UTC dates
	// (YYYY-MM-DD), both inclusive: "on 2026-11-15", "in November", "yesterday", "today",
	// "this month". Empty when it names none; when set, they take the place of WindowDays.
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Targets struct {
		CostCutPercent float64 `json:"cost_cut_percent,omitempty"`
		P95MS          float64 `json:"p95_ms,omitempty"`
	} `json:"targets"`
	// Synthetic holds what a request for demo data asks for.
	Synthetic struct {
		Preset string `json:"preset,omitempty"`
		Days   int    `json:"days,omitempty"`
	} `json:"synthetic"`
}

// Kinds of answer.
const (
	// KindReport is the optimization or workload report, scoped when the question names a scope.
	KindReport = "report"
	// KindFigure answers a question about one figure first, then the small table behind it.
	KindFigure = "figure"
	// KindWhatIf prices the scope's traffic on another model: "should I switch X to Y?".
	KindWhatIf = "whatif"
	// KindPerformance diagnoses latency in the question's scope against its target.
	KindPerformance = "performance"
	// KindCapability answers a greeting, "what can you do?" or a question out of scope: what
	// Netra can do with the user's data, what data it has, questions worth asking.
	KindCapability = "capability"
	// KindQuestion is a free-form question about the data that the other kinds do not answer
	// (comparisons, trends, breakdowns by hour, day or error type): the analyst answers it with
	// a model that calls tools. Only a provider that can chat (model.CanChat) gives it.
	KindQuestion = "question"
)

// Metrics a figure question can ask about.
const (
	MetricCost      = "cost"       // spend in the window
	MetricTopModel  = "top_model"  // which model costs the most
	MetricTopRoute  = "top_route"  // which route costs the most
	MetricErrorRate = "error_rate" // failed requests over all requests
	MetricLatency   = "latency"    // p50/p95/p99 latency
	MetricRequests  = "requests"   // how many calls
	MetricTokens    = "tokens"     // input and output tokens
	// MetricCostPerRequest is the average cost of a request.
	MetricCostPerRequest = "cost_per_request"
	// MetricCostPerToken is the blended cost of a million tokens, input and output together.
	MetricCostPerToken = "cost_per_token"
	// MetricRetries is what unlogged retries cost, estimated from the retries records report.
	MetricRetries = "retries"
	// MetricCache is the share of input tokens read from a provider's prompt cache.
	MetricCache = "cache"
	// MetricTrend is how spend, requests and failures moved: the last 7 full UTC days against
	// the 7 before them.
	MetricTrend = "trend"
	// MetricForecast is what this calendar month will cost: its spend so far, and the days
	// left at the window's daily rate.
	MetricForecast = "forecast"
	// MetricAnomalies names the full UTC days that stand out from the typical day of their
	// kind (weekday or weekend): spend or requests far above or below it, or errors at twice
	// the window's rate.
	MetricAnomalies = "anomalies"
	// MetricMonths sets this UTC month so far against the whole month before it: spend,
	// requests, failures, and each a day, since the month under way is shorter.
	MetricMonths = "months"
	// MetricPrice is the price table's list prices of the models the question names (or of
	// the user's own), beside what the user paid on each.
	MetricPrice = "price"
	// MetricTokenCost divides the spend between input and output tokens, by each model's list
	// prices: "how much of my spend is output tokens?".
	MetricTokenCost = "token_cost"
	// MetricSwitch is what a move of the scope's traffic to the target model, already made,
	// changed: the days before the records show it against the days after. "Did my costs go
	// down after I switched support-triage to gpt-4o-mini?"
	MetricSwitch = "switch"
	// MetricCompare sets two or more models (or routes) the question names side by side: cost
	// a request, error rate, latency, tokens.
	MetricCompare = "compare"
)

// What a figure can be ranked by (Triage.By). MetricTopModel and MetricTopRoute are cost
// ranked by model and by route.
const (
	ByRoute    = "route"
	ByModel    = "model"
	ByProvider = "provider"
	ByDay      = "day" // UTC days
	// ByWeek ranks the weeks (Monday to Sunday, UTC) the window's days fall in.
	ByWeek = "week"
	// ByWeekday ranks the days of the week by their average a full UTC day.
	ByWeekday = "weekday"
	// ByHour ranks the hours of the day (UTC) by their requests.
	ByHour = "hour"
	// ByErrorType ranks failed requests by their error type (with MetricErrorRate only).
	ByErrorType = "error_type"
)

// Categories of a question.
const (
	CategoryWorkloadAnalysis = "workload_analysis"
	CategoryCostOptimization = "cost_optimization"
	CategoryPerformance      = "performance_optimization"
	CategoryModelSelection   = "model_selection"
	CategoryMonitoring       = "monitoring_reporting"
	CategorySyntheticData    = "synthetic_data"
	CategoryGeneral          = "general"
)

// Resilient wraps a provider: calls that fail are retried by retry (unless ctx ended), and
// breaker (nil: none) stops calling a provider that keeps failing.
func Resilient(p Provider, retry resilience.Retry, breaker *resilience.Breaker) Provider {
	return resilient{p: p, retry: retry, breaker: breaker}
}

type resilient struct {
	p       Provider
	retry   resilience.Retry
	breaker *resilience.Breaker
}

func (r resilient) Name() string { return r.p.Name() }

func (r resilient) Complete(ctx context.Context, req Request) (Response, error) {
	if err := r.breaker.Allow(); err != nil {
		return Response{}, fmt.Errorf("model provider %s: %w", r.p.Name(), err)
	}
	var res Response
	_, err := r.retry.Do(ctx, func(error) bool { return ctx.Err() == nil }, func(ctx context.Context) error {
		var err error
		res, err = r.p.Complete(ctx, req)
		r.breaker.Record(err == nil)
		return err
	})
	return res, err
}

// Observed reports the outcome of every call of p ("ok" or "error") to o, for metrics.
func Observed(p Provider, o func(provider, outcome string)) Provider { return observed{p, o} }

type observed struct {
	p Provider
	o func(provider, outcome string)
}

func (o observed) Name() string { return o.p.Name() }

func (o observed) Complete(ctx context.Context, req Request) (Response, error) {
	res, err := o.p.Complete(ctx, req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	o.o(o.p.Name(), outcome)
	return res, err
}

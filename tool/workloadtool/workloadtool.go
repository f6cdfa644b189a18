// Package workloadtool declares the tools that compute over a user's workload records. Each
// reads the owner from its execution context, never from its arguments, so a tool call can
// only ever see the records of the run's own user.
package workloadtool

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/tool"
	"github.com/netra-ai/netra/workload"
)

// Tool names.
const (
	Coverage        = "workload_coverage"
	Stats           = "workload_stats"
	Tally           = "workload_tally"
	Latency         = "workload_latency"
	Recommendations = "workload_recommendations"
	ActionPlan      = "action_plan"
	Synthetic       = "generate_synthetic"
	WhatIf          = "workload_whatif"
	Query           = "workload_query"
	Prices          = "price_lookup"
)

const windowSchema = `"from":{"type":"string","format":"date-time"},"to":{"type":"string","format":"date-time"}`

// scopeSchema narrows the stats and recommendations to models, routes, providers, the days of
// the week and bounds on single requests.
const scopeSchema = `,"models":{"type":"array","maxItems":20,"items":{"type":"string","maxLength":256}},"routes":{"type":"array","maxItems":20,"items":{"type":"string","maxLength":256}},"providers":{"type":"array","maxItems":20,"items":{"type":"string","maxLength":256}},"days":{"type":"string","enum":["","weekends","weekdays"],"description":"keep only weekends (Saturdays and Sundays, UTC) or weekdays"},` +
	`"bounds":{"type":"array","maxItems":4,"description":"keep only the requests whose measure lies above over and/or below under (both strict), e.g. latency_ms over 10000 for the requests slower than 10 s",` +
	`"items":{"type":"object","required":["measure"],"properties":{"measure":{"type":"string","enum":["latency_ms","ttft_ms","input_tokens","output_tokens","tokens","cost_usd"]},"over":{"type":"number"},"under":{"type":"number"}}}}`

// maxBounds bounds a scope's bounds on single requests (the schema's maxItems).
const maxBounds = 4

// Args is the window argument of the data tools.
type Args struct {
	From    time.Time        `json:"from"`
	To      time.Time        `json:"to"`
	Targets workload.Targets `json:"targets"`
	// Models, Routes and Providers narrow the analysis to the question's scope; empty means
	// all.
	Models    []string `json:"models,omitempty"`
	Routes    []string `json:"routes,omitempty"`
	Providers []string `json:"providers,omitempty"`
	// Days keeps weekends or weekdays only (ingest.DaysWeekends, ingest.DaysWeekdays).
	Days string `json:"days,omitempty"`
	// Bounds keep the requests within them (workload.Bound): "slower than 10 s".
	Bounds []workload.Bound `json:"bounds,omitempty"`
	// Target is the model a what-if prices the traffic on.
	Target string `json:"target,omitempty"`
	// GroupBy is what workload_query groups by (workload.GroupBys).
	GroupBy string `json:"group_by,omitempty"`
}

// PriceArgs is the argument of price_lookup.
type PriceArgs struct {
	Models []string `json:"models"`
}

// PriceResult is what price_lookup returns: the price of each model found (by the table's
// name), the names not found, and the table's date.
type PriceResult struct {
	Prices   []workload.Price `json:"prices"`
	NotFound []string         `json:"not_found,omitempty"`
	AsOf     string           `json:"as_of"`
}

func (a Args) scope() ingest.Scope {
	return ingest.Scope{Models: a.Models, Routes: a.Routes, Providers: a.Providers, Days: a.Days, Bounds: a.Bounds}
}

func (a Args) window() (workload.Window, error) {
	if a.From.IsZero() || a.To.IsZero() || !a.From.Before(a.To) {
		return workload.Window{}, netra.Errorf(netra.CodeInvalidRequest, "from must be before to")
	}
	if a.Days != "" && a.Days != ingest.DaysWeekends && a.Days != ingest.DaysWeekdays {
		return workload.Window{}, netra.Errorf(netra.CodeInvalidRequest, "days must be %q or %q", ingest.DaysWeekends, ingest.DaysWeekdays)
	}
	if len(a.Bounds) > maxBounds {
		return workload.Window{}, netra.Errorf(netra.CodeInvalidRequest, "at most %d bounds", maxBounds)
	}
	for _, b := range a.Bounds {
		if err := b.Validate(); err != nil {
			return workload.Window{}, netra.Errorf(netra.CodeInvalidRequest, "%v", err)
		}
	}
	return workload.Window{From: a.From.UTC(), To: a.To.UTC()}, nil
}

// windowArgs decodes the arguments of a data tool and checks their window.
func windowArgs(raw json.RawMessage) (Args, workload.Window, error) {
	a, err := decode[Args](raw)
	if err != nil {
		return a, workload.Window{}, err
	}
	w, err := a.window()
	return a, w, err
}

func decode[T any](raw json.RawMessage) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, netra.Errorf(netra.CodeInvalidRequest, "bad arguments")
	}
	return v, nil
}

// RecommendationsResult is what workload_recommendations returns.
type RecommendationsResult struct {
	Window workload.Window `json:"window"`
	// CoveredDays are the days of the window the records cover: the run-rates' base.
	CoveredDays     float64 `json:"covered_days"`
	MonthlySpendUSD float64 `json:"monthly_spend_usd"`
	// MonthlySavingsUSD is the recommendations combined (workload.Combine), never more than
	// the spend they act on; CombineMethod says how.
	MonthlySavingsUSD float64                   `json:"monthly_savings_usd"`
	SavingsPercent    float64                   `json:"savings_percent"`
	CombineMethod     string                    `json:"combine_method"`
	PricesAsOf        string                    `json:"prices_as_of"`
	Recommendations   []workload.Recommendation `json:"recommendations"`
	// Minor counts the recommendations under workload.MinorShare of the spend, left out of
	// Recommendations, and what they add together (within MonthlySavingsUSD).
	Minor struct {
		Count             int     `json:"count"`
		MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
	} `json:"minor"`
	// Beyond is the largest step beyond the recommendations, one route's whole traffic on one
	// model moved to its cheaper sibling: when the question's cost-cut target is not met, or
	// when the recommendations save under 10% and the move at least twice as much.
	Beyond *workload.Move `json:"beyond,omitempty"`
}

// PlanArgs is the argument of action_plan.
type PlanArgs struct {
	Recommendations []workload.Recommendation `json:"recommendations"`
}

// Tools declares the workload tools over svc.
func Tools(svc *ingest.Service) []tool.Tool {
	return []tool.Tool{
		{
			Name:        Coverage,
			Description: "How much of a time window the user's records cover: count, days with data, models, routes.",
			Schema:      `{"type":"object","required":["from","to"],"properties":{` + windowSchema + `}}`,
			Timeout:     60 * time.Second,
			Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				_, w, err := windowArgs(raw)
				if err != nil {
					return nil, err
				}
				return svc.Coverage(ctx, ec.UserID(), w)
			},
		},
		statsTool(Stats, "Spend by model, route, provider and day; token, latency and TTFT percentiles; errors and retry waste; traffic by hour; repeated prefixes.", svc.Analyze),
		statsTool(Tally, "Totals, spend by model, route, provider and day, and errors by type: the additive part of workload_stats, "+
			"read from per-chunk rollups, for questions about spend, volume, tokens or errors.", svc.Tally),
		statsTool(Latency, "Latency and time to first token (p50, p95, p99) overall, by route and by model, with the totals: for questions about latency.", svc.Latency),
		{
			Name:        Recommendations,
			Description: "Quantified optimizations (model routing, prompt caching, batching, retry waste, latency) computed from the user's records.",
			Schema: `{"type":"object","required":["from","to"],"properties":{` + windowSchema + scopeSchema + `,
				"targets":{"type":"object","properties":{"cost_cut_percent":{"type":"number","minimum":0,"maximum":100},"p95_ms":{"type":"number","minimum":0}}}}}`,
			Timeout: 60 * time.Second,
			Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				a, w, err := windowArgs(raw)
				if err != nil {
					return nil, err
				}
				st, err := svc.Analyze(ctx, ec.UserID(), w, a.scope())
				if err != nil {
					return nil, err
				}
				recs := workload.Recommend(st, a.Targets)
				month := st.MonthFactor()
				res := RecommendationsResult{Window: w, CoveredDays: st.CoveredDays, Recommendations: recs,
					CombineMethod: workload.CombineMethod, PricesAsOf: svc.Prices().AsOf(),
					MonthlySpendUSD: workload.Cents(st.Totals.CostUSD * month)}
				spend := make(map[string]float64, len(st.SpendByModel))
				for _, m := range st.SpendByModel {
					spend[m.Model] = m.CostUSD * month
				}
				res.MonthlySavingsUSD = workload.Combine(recs, spend)
				kept, minor := workload.SplitMinor(recs, res.MonthlySpendUSD)
				res.Recommendations, res.Minor.Count = kept, len(minor)
				for _, r := range minor {
					res.Minor.MonthlySavingsUSD += r.CombinedSavingsUSD
				}
				res.Minor.MonthlySavingsUSD = workload.Cents(res.Minor.MonthlySavingsUSD)
				if res.MonthlySpendUSD > 0 {
					res.SavingsPercent = math.Round(res.MonthlySavingsUSD/res.MonthlySpendUSD*10000) / 100
				}
				if m, ok := workload.LargestMove(st); ok && m.Worth(a.Targets.CostCutPercent, res.SavingsPercent) {
					res.Beyond = &m
				}
				return res, nil
			},
		},
		{
			Name:        WhatIf,
			Description: "The traffic of a scope priced on another model: cost before and after, and the share of simple requests.",
			Schema:      `{"type":"object","required":["from","to","target"],"properties":{` + windowSchema + scopeSchema + `,"target":{"type":"string","minLength":1,"maxLength":256}}}`,
			Timeout:     60 * time.Second,
			Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				a, w, err := windowArgs(raw)
				if err != nil {
					return nil, err
				}
				return svc.WhatIf(ctx, ec.UserID(), w, a.scope(), a.Target)
			},
		},
		{
			Name: Query,
			Description: "Groups the user's records in a window (optionally narrowed to models, routes, providers, weekends or weekdays, and bounds on a request's latency, tokens or cost) by model, route, provider, day, hour of day (UTC) or error type, " +
				"or not at all; each group's requests, errors, error rate, cost, tokens, retries and latency p50/p95/p99 and TTFT p50.",
			Schema: `{"type":"object","required":["from","to"],"properties":{` + windowSchema + scopeSchema + `,
				"group_by":{"type":"string","enum":["","model","route","provider","day","hour","error_type"]}}}`,
			Timeout: 60 * time.Second,
			Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				a, w, err := windowArgs(raw)
				if err != nil {
					return nil, err
				}
				return svc.Query(ctx, ec.UserID(), w, a.scope(), a.GroupBy)
			},
		},
		{
			Name:        Prices,
			Description: "The price table's entries for models: per-million-token input, cached input and output prices, batch discount, cache rules, the cheaper model of the same provider.",
			Schema:      `{"type":"object","required":["models"],"properties":{"models":{"type":"array","minItems":1,"maxItems":20,"items":{"type":"string","maxLength":256}}}}`,
			Timeout:     5 * time.Second,
			Run: func(_ context.Context, _ *execctx.Context, raw json.RawMessage) (any, error) {
				a, err := decode[PriceArgs](raw)
				if err != nil {
					return nil, err
				}
				res := PriceResult{Prices: []workload.Price{}, AsOf: svc.Prices().AsOf()}
				for _, m := range a.Models {
					if p, ok := svc.Prices().Lookup(m); ok {
						res.Prices = append(res.Prices, p)
					} else {
						res.NotFound = append(res.NotFound, m)
					}
				}
				return res, nil
			},
		},
		{
			Name:        ActionPlan,
			Description: "An ordered plan per recommendation: steps, owner role, effort, snippets, validation.",
			Schema:      `{"type":"object","required":["recommendations"],"properties":{"recommendations":{"type":"array","maxItems":50,"items":{"type":"object","required":["type","title"]}}}}`,
			Timeout:     5 * time.Second,
			Run: func(_ context.Context, _ *execctx.Context, raw json.RawMessage) (any, error) {
				a, err := decode[PlanArgs](raw)
				if err != nil {
					return nil, err
				}
				plans := make([]workload.Plan, 0, len(a.Recommendations))
				for _, r := range a.Recommendations {
					plans = append(plans, workload.PlanFor(r))
				}
				return map[string]any{"plans": plans}, nil
			},
		},
		{
			Name:        Synthetic,
			Description: "Generates a deterministic demo dataset into the user's records.",
			Schema: `{"type":"object","properties":{"preset":{"type":"string","enum":["mixed","support_chatbot","coding_assistant","rag_search","nightly_batch"]},
				"days":{"type":"integer","minimum":1,"maximum":90},"seed":{"type":"integer","minimum":0}}}`,
			Timeout: 120 * time.Second,
			Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				spec, err := decode[workload.SyntheticSpec](raw)
				if err != nil {
					return nil, err
				}
				return svc.Synthetic(ctx, ec.Identity(), spec)
			},
		},
	}
}

// statsTool declares a tool that computes statistics of the owner's records in a window,
// within the question's scope.
func statsTool(name, description string, compute func(context.Context, string, workload.Window, ingest.Scope) (workload.Stats, error)) tool.Tool {
	return tool.Tool{
		Name:        name,
		Description: description,
		Schema:      `{"type":"object","required":["from","to"],"properties":{` + windowSchema + scopeSchema + `}}`,
		Timeout:     60 * time.Second,
		Run: func(ctx context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
			a, w, err := windowArgs(raw)
			if err != nil {
				return nil, err
			}
			return compute(ctx, ec.UserID(), w, a.scope())
		},
	}
}

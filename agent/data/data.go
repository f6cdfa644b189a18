// Package data reads the statistics of the user's records in the question's window: spend by
// model, route, provider and day, tokens, latency and TTFT percentiles, errors and retry waste,
// traffic by hour and repeated prefixes. The workload_stats tool computes them; for a figure
// question, workload_tally (spend, volume, tokens, errors: from rollups) or workload_latency
// computes just what it asks.
package data

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Name is the agent's name.
const Name = "data"

// Spec declares the agent.
func Spec() agent.Spec {
	return agent.Spec{Name: Name, Description: "Computes the statistics of the user's records in the window.",
		New: func() agent.Agent { return dataAgent{} }}
}

type dataAgent struct{}

// Output is the statistics, and for a what-if question the scope's traffic priced on the
// model it names.
type Output struct {
	workload.Stats
	WhatIf *workload.WhatIf `json:"whatif,omitempty"`
	// Whole is the window's totals over every model and route, for a figure about spend,
	// requests or tokens in a scope: what share of the whole the scope is.
	Whole *workload.Totals `json:"whole,omitempty"`
	// Unbounded is the scope's tally without its bounds on requests, for a figure within them
	// ("how many requests took longer than 10 s?"): what share of the scope's requests, and of
	// each model's, route's or provider's, they are.
	Unbounded *workload.Stats `json:"unbounded,omitempty"`
	// Weeks are the two periods of a trend (triage.Window.TrendPeriods), the later first, for
	// a trend ranked by route, model or provider ("which route grew the most?"), or of
	// latency ("is my latency getting worse?": their latencies).
	Weeks []workload.Stats `json:"weeks,omitempty"`
	// MonthToDate is the scope's totals from the start of this UTC month to now, for a
	// forecast of the month.
	MonthToDate *workload.Totals `json:"month_to_date,omitempty"`
	// YearToDate is the scope's totals from the start of this UTC year to now, for a forecast
	// of the year ("what will I spend by the end of the year?").
	YearToDate *workload.Totals `json:"year_to_date,omitempty"`
	// Months are the tallies of last UTC month whole and this one so far, for "this month vs
	// last month".
	Months []workload.Stats `json:"months,omitempty"`
	// Prices are the price table's entries for the models a price question names, or for the
	// user's own models in the window.
	Prices *workloadtool.PriceResult `json:"prices,omitempty"`
}

func (dataAgent) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	t, err := triage.Required(in, Name)
	if err != nil {
		return agent.Result{}, err
	}
	// A figure about spend, volume, tokens or errors needs only the tally, which the store
	// keeps rolled up; anything else needs every record.
	tool, what := workloadtool.Stats, "spend, tokens, latency and errors"
	switch {
	case t.Kind == model.KindFigure && t.Metric == model.MetricLatency && t.By != model.ByProvider:
		tool, what = workloadtool.Latency, "latency and time to first token"
	case t.Kind == model.KindFigure && (t.Metric == model.MetricCompare || t.Metric == model.MetricLatency || t.By == model.ByHour || model.AsksRate(in.Text) != "" ||
		t.Metric == model.MetricCostPerRequest && t.By == "" && model.CostPercentile(in.Text) != "" ||
		t.Metric == model.MetricTokens && t.By == "" && (model.AsksSpread(in.Text) || model.Largest(in.Text) != "")):
		// keeps workload_stats: a comparison needs spend, errors and latency of each, latency
		// by provider comes only with the full analysis, and the hours of the day (a ranking,
		// or a rate's busiest hour) and the spread of a request's cost come from the records,
		// not the daily rollups, as does the spread of a request's tokens
	case t.Kind == model.KindFigure:
		tool, what = workloadtool.Tally, "spend, requests, tokens and errors"
	}
	_ = rt.Think(ctx, fmt.Sprintf("Computing %s %s.", what, t.Window.In()))
	s, err := call[workload.Stats](ctx, rt, tool, t.Args(t.Window.From, t.Window.To))
	if err != nil {
		return agent.Result{}, err
	}
	top := "none"
	if len(s.SpendByModel) > 0 {
		top = fmt.Sprintf("%s (%.0f%%)", s.SpendByModel[0].Model, s.SpendByModel[0].Share*100)
	}
	latency := ""
	if tool != workloadtool.Tally {
		latency = fmt.Sprintf("; p95 latency %.0f ms", s.LatencyMS.P95)
	}
	_ = rt.Think(ctx, fmt.Sprintf("%d requests, $%.2f; top model %s%s; error rate %.1f%%.",
		s.Totals.Requests, s.Totals.CostUSD, top, latency, s.Totals.ErrorRate*100))
	out := Output{Stats: s}
	repriced := t.PriceFactor > 0
	if t.Kind == model.KindFigure && t.By == "" && len(t.Models)+len(t.Routes) > 0 && len(t.Bounds) == 0 && s.Totals.Requests > 0 && // a bound's share is of Unbounded
		(t.Metric == model.MetricCost || t.Metric == model.MetricRequests || t.Metric == model.MetricTokens || t.Metric == model.MetricPrice && repriced) {
		_ = rt.Think(ctx, fmt.Sprintf("Computing the totals over every model and route %s, for the share.", t.Window.In()))
		all, err := tally(ctx, rt, workloadtool.Args{From: t.Window.From, To: t.Window.To})
		if err != nil {
			return agent.Result{}, err
		}
		out.Whole = &all.Totals
	}
	if t.Kind == model.KindFigure && len(t.Bounds) > 0 && countsBound(t.Metric) {
		args := t.Args(t.Window.From, t.Window.To)
		args.Bounds = nil
		_ = rt.Think(ctx, fmt.Sprintf("Computing every request's totals %s, for the share within the bound.", t.Window.In()))
		all, err := tally(ctx, rt, args)
		if err != nil {
			return agent.Result{}, err
		}
		out.Unbounded = &all
	}
	if t.Kind == model.KindWhatIf && t.TargetModel != "" {
		args := t.Args(t.Window.From, t.Window.To)
		args.Target = t.TargetModel
		w, err := call[workload.WhatIf](ctx, rt, workloadtool.WhatIf, args)
		if err != nil {
			return agent.Result{}, err
		}
		out.WhatIf = &w
	}
	if then, now, ok := t.Window.TrendPeriods(); ok && t.Kind == model.KindFigure && t.Metric == model.MetricTrend && (t.By != "" || model.AsksLatency(in.Text)) {
		// Each period on its own: spend by route, model or provider ("which route grew the
		// most?"), or latency, from the records, since the rollups keep none ("is my latency
		// getting worse?").
		tool, what := workloadtool.Tally, "spend by "+t.By
		if t.By == "" {
			tool, what = workloadtool.Latency, "latency"
		}
		for _, p := range []triage.Period{now, then} {
			_ = rt.Think(ctx, fmt.Sprintf("Computing %s from %s.", what, p))
			week, err := call[workload.Stats](ctx, rt, tool, t.Args(p.First, p.Last.AddDate(0, 0, 1).Add(-time.Nanosecond)))
			if err != nil {
				return agent.Result{}, err
			}
			out.Weeks = append(out.Weeks, week)
		}
	}
	if t.Kind == model.KindFigure && t.Metric == model.MetricForecast {
		now := t.Window.To
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		_ = rt.Think(ctx, fmt.Sprintf("Computing the spend of %s so far, for the forecast.", first.Format("January 2006")))
		month, err := tally(ctx, rt, t.Args(first, now))
		if err != nil {
			return agent.Result{}, err
		}
		out.MonthToDate = &month.Totals
		if model.ForecastHorizon(in.Text) == model.HorizonYearEnd {
			jan := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
			_ = rt.Think(ctx, fmt.Sprintf("Computing the spend of %d so far, for the forecast of the year.", now.Year()))
			year, err := tally(ctx, rt, t.Args(jan, now))
			if err != nil {
				return agent.Result{}, err
			}
			out.YearToDate = &year.Totals
		}
	}
	if t.Kind == model.KindFigure && t.Metric == model.MetricMonths {
		now := t.Window.To
		this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		_ = rt.Think(ctx, fmt.Sprintf("Computing %s and %s so far.", this.AddDate(0, -1, 0).Format("January 2006"), this.Format("January")))
		for _, w := range [][2]time.Time{{this.AddDate(0, -1, 0), this.Add(-time.Nanosecond)}, {this, now}} {
			m, err := tally(ctx, rt, t.Args(w[0], w[1]))
			if err != nil {
				return agent.Result{}, err
			}
			out.Months = append(out.Months, m)
		}
	}
	if t.Kind == model.KindFigure && t.Metric == model.MetricPrice {
		names := t.Models
		if len(names) == 0 {
			for _, m := range s.SpendByModel {
				names = append(names, m.Model)
			}
		}
		if len(names) > 0 {
			_ = rt.Think(ctx, fmt.Sprintf("Looking up the list prices of %d model(s).", min(len(names), maxPrices)))
			p, err := call[workloadtool.PriceResult](ctx, rt, workloadtool.Prices, workloadtool.PriceArgs{Models: names[:min(len(names), maxPrices)]})
			if err != nil {
				return agent.Result{}, err
			}
			out.Prices = &p
		}
	}
	return agent.Result{Output: out}, nil
}

// countsBound reports a figure that, within bounds on requests, is answered against the scope
// without them: how many, what they cost, how many failed, what tokens they used, and the
// model or route with the most of them. Any other figure (latency, cost a request, …) is
// computed within the bounds alone.
func countsBound(metric string) bool {
	switch metric {
	case model.MetricRequests, model.MetricCost, model.MetricErrorRate, model.MetricTokens, model.MetricTopModel, model.MetricTopRoute:
		return true
	}
	return false
}

// maxPrices bounds the models one price question looks up (the tool's own bound).
const maxPrices = 20

// tally is workload_tally's answer for args: a second look at the records, beside the first,
// for a share, a forecast or a week against another.
func tally(ctx context.Context, rt *agent.Runtime, args workloadtool.Args) (workload.Stats, error) {
	return call[workload.Stats](ctx, rt, workloadtool.Tally, args)
}

// call is the answer of the tool name to args, decoded as T.
func call[T any](ctx context.Context, rt *agent.Runtime, name string, args any) (T, error) {
	var v T
	raw, err := rt.CallTool(ctx, name, args)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, netra.Internal(err)
	}
	return v, nil
}

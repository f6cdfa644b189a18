// The answer within bounds on single requests: "how many requests took longer than 10 s?",
// "what do requests over 8,000 tokens cost me?".

package reporting

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netra-ai/netra/agent/data"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// boundsVerb says what the requests within every bound did: "took longer than 10 s", "had more
// than 8000 input tokens and cost more than $0.50".
func boundsVerb(bounds []workload.Bound) string {
	parts := make([]string, len(bounds))
	for i, b := range bounds {
		parts[i] = boundVerb(b)
	}
	return strings.Join(parts, " and ")
}

// boundVerb says what the requests within b did.
func boundVerb(b workload.Bound) string {
	verb, value, more, less := "had", func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }, "more than", "fewer than"
	unit := ""
	switch b.Measure {
	case workload.MeasureLatency:
		verb, value, more, less = "took", durationText, "longer than", "less than"
	case workload.MeasureTTFT:
		verb, value, more, less = "had a time to first token", durationText, "over", "under"
	case workload.MeasureInputTokens:
		unit = " input tokens"
	case workload.MeasureOutputTokens:
		unit = " output tokens"
	case workload.MeasureTokens:
		unit = " tokens (input and output)"
	case workload.MeasureCost:
		verb, value, less = "cost", requestMoney, "less than"
	}
	switch {
	case b.Over != nil && b.Under != nil:
		return fmt.Sprintf("%s between %s and %s%s", verb, value(*b.Over), value(*b.Under), unit)
	case b.Over != nil:
		return fmt.Sprintf("%s %s %s%s", verb, more, value(*b.Over), unit)
	case b.Under != nil:
		return fmt.Sprintf("%s %s %s%s", verb, less, value(*b.Under), unit)
	}
	return ""
}

// requestMoney is a single request's cost as a question would say it: "$0.50", "$0.005".
func requestMoney(v float64) string {
	if v >= 0.01 || v == 0 {
		return money(v)
	}
	return "$" + strconv.FormatFloat(v, 'f', -1, 64)
}

// writeBound answers a figure within bounds on single requests: how many of the scope's
// requests lie within them and what share, or what they cost, failed or used, against the
// scope without the bounds (d.Unbounded); then each model's (route's, provider's, day's)
// count beside its requests, ranked.
func writeBound(b *strings.Builder, t triage.Output, d data.Output, question string) {
	s, all := d.Stats, d.Unbounded
	verb := boundsVerb(t.Bounds)
	u := t
	u.Bounds = nil
	scope, label := scopeText(u), t.Window.In()
	in, every := s.Totals, all.Totals
	if every.Requests == 0 {
		writeNoneInScope(b, u)
		return
	}
	yes, none := "", "None"
	if model.AsksAny(question) { // "did any request cost more than $1?"
		yes, none = "Yes: ", "No: none"
	}
	if in.Requests == 0 {
		fmt.Fprintf(b, "**%s of your %d requests**%s %s %s.\n", none, every.Requests, scope, label, verb)
		return
	}
	switch t.Metric {
	case model.MetricCost:
		fmt.Fprintf(b, "Requests that %s cost you **%s**%s %s: %.1f%% of your %s, over %d of %d requests (%.1f%%).\n", verb, money(in.CostUSD), scope, label,
			100*in.CostUSD/max(every.CostUSD, 1e-12), money(every.CostUSD), in.Requests, every.Requests, share(in.Requests, every.Requests))
	case model.MetricErrorRate:
		rest, restFailed := every.Requests-in.Requests, every.Errors-in.Errors
		fmt.Fprintf(b, "Of the %d requests%s %s that %s, **%d failed (%.2f%%)**, against %.2f%% of the other %d.\n", in.Requests, scope, label, verb,
			in.Errors, share(in.Errors, in.Requests), share(restFailed, rest), rest)
	case model.MetricTokens:
		fmt.Fprintf(b, "Requests that %s used **%d input and %d output tokens**%s %s: %.1f%% of your input and %.1f%% of your output tokens, over %d of %d requests (%.1f%%).\n",
			verb, in.InputTokens, in.OutputTokens, scope, label, share(in.InputTokens, every.InputTokens), share(in.OutputTokens, every.OutputTokens),
			in.Requests, every.Requests, share(in.Requests, every.Requests))
	default:
		fmt.Fprintf(b, "**%s%d of your %d requests** (%.1f%%)%s %s %s. They cost %s, %.1f%% of your %s.\n", yes, in.Requests, every.Requests,
			share(in.Requests, every.Requests), scope, label, verb, money(in.CostUSD), 100*in.CostUSD/max(every.CostUSD, 1e-12), money(every.CostUSD))
	}
	what, rows, allRows := "model", s.SpendByModel, all.SpendByModel
	switch {
	case t.By == model.ByRoute || t.Metric == model.MetricTopRoute:
		what, rows, allRows = "route", s.SpendByRoute, all.SpendByRoute
	case t.By == model.ByProvider:
		what, rows, allRows = "provider", s.SpendByProvider, all.SpendByProvider
	case t.By == model.ByDay:
		what, rows, allRows = "day (UTC)", s.SpendByDay, all.SpendByDay
	}
	of := map[string]workload.Spend{}
	for _, r := range allRows {
		of[r.Key] = r
	}
	rows = append([]workload.Spend(nil), rows...)
	key := func(r workload.Spend) float64 { return float64(r.Requests) }
	if t.Metric == model.MetricCost || t.Metric == model.MetricTopModel || t.Metric == model.MetricTopRoute {
		key = func(r workload.Spend) float64 { return r.CostUSD }
	}
	if t.Metric == model.MetricErrorRate {
		writeBoundErrors(b, t, rows, what, verb)
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return key(rows[i]) > key(rows[j]) })
	if t.By != "" || t.Metric == model.MetricTopModel || t.Metric == model.MetricTopRoute {
		top := rows[0]
		name := "**" + top.Key + "**"
		if what == "route" {
			name = "Route " + name
		}
		most := "the most requests that " + verb
		if key(top) != float64(top.Requests) {
			most = "the most spend on requests that " + verb
		}
		fmt.Fprintf(b, "%s has %s: %d of its %d (%.1f%%), costing %s.\n", name, most, top.Requests, of[top.Key].Requests,
			share(top.Requests, of[top.Key].Requests), money(top.CostUSD))
	}
	fmt.Fprintf(b, "\n| %s | requests | %s | share | their cost |\n| --- | ---: | ---: | ---: | ---: |\n", what, verb)
	for _, r := range rows[:min(len(rows), shown(t))] {
		fmt.Fprintf(b, "| %s | %d | %d | %.1f%% | %s |\n", r.Key, of[r.Key].Requests, r.Requests, share(r.Requests, of[r.Key].Requests), money(r.CostUSD))
	}
}

// writeBoundErrors ranks the groups' requests within a bound by their error rate ("what is
// the error rate on requests over 10k tokens by model?"), a group of fewer than minRated of
// them after every other, and names the first when the question ranks.
func writeBoundErrors(b *strings.Builder, t triage.Output, rows []workload.Spend, what, verb string) {
	rate := func(r workload.Spend) float64 { return float64(r.Errors) / float64(max(r.Requests, 1)) }
	sort.SliceStable(rows, func(i, j int) bool {
		if few := rows[i].Requests < minRated; few != (rows[j].Requests < minRated) {
			return !few
		}
		return rate(rows[i]) > rate(rows[j])
	})
	if top := rows[0]; t.By != "" {
		name := "**" + top.Key + "**"
		if what == "route" {
			name = "Route " + name
		}
		fmt.Fprintf(b, "%s has the highest error rate on requests that %s: **%.2f%%**, %d of its %d failed.\n", name, verb, 100*rate(top), top.Errors, top.Requests)
	}
	fmt.Fprintf(b, "\n| %s | %s | failed | error rate |\n| --- | ---: | ---: | ---: |\n", what, verb)
	for _, r := range rows[:min(len(rows), shown(t))] {
		fmt.Fprintf(b, "| %s | %d | %d | %.2f%% |\n", r.Key, r.Requests, r.Errors, 100*rate(r))
	}
}

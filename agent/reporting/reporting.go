// Package reporting writes the final answer from what the earlier steps computed: a markdown
// report a person reads and a report object programs read. Every number in it comes from a
// tool result; the model provider only words the summary from those numbers.
package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/actions"
	"github.com/netra-ai/netra/agent/analyst"
	"github.com/netra-ai/netra/agent/data"
	"github.com/netra-ai/netra/agent/datahelper"
	"github.com/netra-ai/netra/agent/synthetic"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Name is the agent's name.
const Name = "reporting"

// Totals are the report's totals over the window.
type Totals struct {
	Requests     int64   `json:"requests"`
	CostUSD      float64 `json:"cost_usd"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
}

// ModelSpend is one line of spend_by_model.
type ModelSpend struct {
	Model    string  `json:"model"`
	Requests int64   `json:"requests"`
	CostUSD  float64 `json:"cost_usd"`
}

// Rec is one line of recommendations.
type Rec struct {
	Type  string         `json:"type"`
	Title string         `json:"title"`
	Scope workload.Scope `json:"scope"`
	// MonthlySavingsUSD is the saving alone; CombinedSavingsUSD what it adds after the
	// recommendations before it (workload.Combine).
	MonthlySavingsUSD  float64 `json:"monthly_savings_usd"`
	CombinedSavingsUSD float64 `json:"combined_savings_usd"`
	Confidence         string  `json:"confidence"`
}

// Report is the machine-readable report; lists are empty, never null, where nothing was computed.
type Report struct {
	Window            workload.Window `json:"window"`
	Totals            Totals          `json:"totals"`
	SpendByModel      []ModelSpend    `json:"spend_by_model"`
	Recommendations   []Rec           `json:"recommendations"`
	Category          string          `json:"category"`
	Sufficiency       string          `json:"sufficiency"`
	MonthlySpendUSD   float64         `json:"monthly_spend_usd"`
	MonthlySavingsUSD float64         `json:"monthly_savings_usd"`
	SavingsPercent    float64         `json:"savings_percent"`
	// MinorRecommendations are the items under workload.MinorShare of the spend, counted
	// here instead of listed; their saving is within MonthlySavingsUSD.
	MinorRecommendations struct {
		Count             int     `json:"count"`
		MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
	} `json:"minor_recommendations"`
	Steps []string `json:"steps"`
	// For the charts of a page (added to contract §7's shape): spend by day (in time order)
	// and by route, and latency percentiles by route; empty when not computed.
	SpendByDay []DaySpend `json:"spend_by_day"`
	// SpendByDayModel is each day's spend by model: the 6 costliest models of the window,
	// the rest as "(other)".
	SpendByDayModel []DayModelSpend `json:"spend_by_day_model"`
	SpendByRoute    []RouteSpend    `json:"spend_by_route"`
	LatencyByRoute  []RouteLatency  `json:"latency_by_route"`
}

// DaySpend is one line of spend_by_day.
type DaySpend struct {
	Day      string  `json:"day"`
	Requests int64   `json:"requests"`
	CostUSD  float64 `json:"cost_usd"`
}

// DayModelSpend is one line of spend_by_day_model.
type DayModelSpend struct {
	Day     string  `json:"day"`
	Model   string  `json:"model"`
	CostUSD float64 `json:"cost_usd"`
}

// chartModels is how many models a chart of spend over time names.
const chartModels = 6

// RouteSpend is one line of spend_by_route.
type RouteSpend struct {
	Route    string  `json:"route"`
	Requests int64   `json:"requests"`
	CostUSD  float64 `json:"cost_usd"`
}

// RouteLatency is one line of latency_by_route.
type RouteLatency struct {
	Route string  `json:"route"`
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
	P99MS float64 `json:"p99_ms"`
}

// Output is the run's answer.
type Output struct {
	Markdown string `json:"markdown"`
	Report   Report `json:"report"`
}

// Spec declares the agent.
func Spec(provider model.Provider) agent.Spec {
	return agent.Spec{Name: Name, Description: "Writes the final report from the computed results.",
		New: func() agent.Agent { return rep{provider: provider} }}
}

type rep struct{ provider model.Provider }

func money(x float64) string { return fmt.Sprintf("$%.2f", x) }

func (r rep) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	out := Output{Report: Report{SpendByModel: []ModelSpend{}, Recommendations: []Rec{}, Steps: []string{},
		SpendByDay: []DaySpend{}, SpendByDayModel: []DayModelSpend{}, SpendByRoute: []RouteSpend{}, LatencyByRoute: []RouteLatency{}}}
	rp := &out.Report
	for step := range in.Prior {
		rp.Steps = append(rp.Steps, step)
	}
	t, hasTriage, err := agent.Prior[triage.Output](in, triage.Name)
	if err != nil {
		return agent.Result{}, err
	}
	stats, hasStats, err := agent.Prior[workload.Stats](in, "data")
	if err != nil {
		return agent.Result{}, err
	}
	opt, hasOpt, err := agent.Prior[workloadtool.RecommendationsResult](in, "optimization")
	if err != nil {
		return agent.Result{}, err
	}
	plans, hasPlans, err := agent.Prior[actions.Output](in, actions.Name)
	if err != nil {
		return agent.Result{}, err
	}
	helper, hasHelper, err := agent.Prior[datahelper.Output](in, datahelper.Name)
	if err != nil {
		return agent.Result{}, err
	}
	syn, hasSyn, err := agent.Prior[synthetic.Output](in, synthetic.Name)
	if err != nil {
		return agent.Result{}, err
	}
	label := "window"
	if hasTriage {
		rp.Window, rp.Category, rp.Sufficiency, label = t.Window.Window, t.Category, t.Sufficiency, t.Window.Label
	}
	if hasStats {
		rp.Window = stats.Window
		rp.Totals = Totals{Requests: stats.Totals.Requests, CostUSD: stats.Totals.CostUSD, InputTokens: stats.Totals.InputTokens, OutputTokens: stats.Totals.OutputTokens}
		for _, s := range stats.SpendByModel {
			rp.SpendByModel = append(rp.SpendByModel, ModelSpend{Model: s.Model, Requests: s.Requests, CostUSD: s.CostUSD})
		}
		for _, s := range stats.SpendByDay {
			rp.SpendByDay = append(rp.SpendByDay, DaySpend{Day: s.Key, Requests: s.Requests, CostUSD: s.CostUSD})
		}
		sort.Slice(rp.SpendByDay, func(i, j int) bool { return rp.SpendByDay[i].Day < rp.SpendByDay[j].Day })
		named := map[string]bool{} // SpendByModel is costliest first
		for i, m := range stats.SpendByModel {
			named[m.Model] = i < chartModels
		}
		other := map[string]float64{}
		for _, s := range stats.SpendByDayModel {
			if named[s.Model] {
				rp.SpendByDayModel = append(rp.SpendByDayModel, DayModelSpend{Day: s.Day, Model: s.Model, CostUSD: s.CostUSD})
			} else {
				other[s.Day] += s.CostUSD
			}
		}
		for day, c := range other {
			rp.SpendByDayModel = append(rp.SpendByDayModel, DayModelSpend{Day: day, Model: "(other)", CostUSD: c})
		}
		sort.Slice(rp.SpendByDayModel, func(i, j int) bool {
			a, b := rp.SpendByDayModel[i], rp.SpendByDayModel[j]
			return a.Day < b.Day || (a.Day == b.Day && a.Model < b.Model)
		})
		for _, s := range stats.SpendByRoute {
			rp.SpendByRoute = append(rp.SpendByRoute, RouteSpend{Route: s.Route, Requests: s.Requests, CostUSD: s.CostUSD})
		}
		for _, l := range stats.LatencyByRoute {
			rp.LatencyByRoute = append(rp.LatencyByRoute, RouteLatency{Route: l.Route, P50MS: l.P50, P95MS: l.P95, P99MS: l.P99})
		}
	}
	if hasOpt {
		rp.MonthlySpendUSD, rp.MonthlySavingsUSD, rp.SavingsPercent = opt.MonthlySpendUSD, opt.MonthlySavingsUSD, opt.SavingsPercent
		rp.MinorRecommendations.Count, rp.MinorRecommendations.MonthlySavingsUSD = opt.Minor.Count, opt.Minor.MonthlySavingsUSD
		for _, x := range opt.Recommendations {
			rp.Recommendations = append(rp.Recommendations, Rec{Type: x.Type, Title: x.Title, Scope: x.Scope,
				MonthlySavingsUSD: x.MonthlySavingsUSD, CombinedSavingsUSD: x.CombinedSavingsUSD, Confidence: x.Confidence})
		}
	}
	if hasSyn && !hasTriage {
		rp.Window = syn.Window
	}

	var b strings.Builder
	switch {
	case hasTriage && t.Kind == model.KindCapability:
		writeCapability(&b, t)
		rp.Recommendations = []Rec{}
	case hasStats && hasTriage && t.Kind == model.KindFigure:
		d, _, err := agent.Prior[data.Output](in, data.Name)
		if err != nil {
			return agent.Result{}, err
		}
		writeFigure(&b, t, stats, d, in.Text)
	case hasStats && hasTriage && t.Kind == model.KindPerformance:
		writePerformance(&b, t, stats)
	case hasStats && hasTriage && t.Kind == model.KindWhatIf:
		d, _, err := agent.Prior[data.Output](in, data.Name)
		if err != nil {
			return agent.Result{}, err
		}
		writeWhatIf(&b, t, stats, d.WhatIf)
	case hasSyn:
		fmt.Fprintf(&b, "# Demo data ready\n\n%s\n\nThe records span %s to %s. Now ask, for example: **how can I reduce my LLM costs?**\n",
			syn.Message, syn.Window.From.Format("2006-01-02"), syn.Window.To.Format("2006-01-02"))
	case hasStats && hasTriage && stats.Totals.Requests == 0 && len(t.Models)+len(t.Routes) > 0:
		fmt.Fprintf(&b, "# Workload report — %s\n\n", label)
		writeNoneInScope(&b, t)
	case hasStats:
		title := "Workload report"
		if hasOpt {
			title = "Optimization report"
		}
		fmt.Fprintf(&b, "# %s — %s\n\n", title, label)
		if hasOpt {
			writeNamedSavings(&b, t, opt, in.Text)
		}
		b.WriteString(r.summary(ctx, label, stats, opt, hasOpt, t.Targets.CostCutPercent))
		b.WriteString("\n\n")
		writeStats(&b, stats)
		if hasOpt {
			writeRecommendations(&b, opt)
		}
		if hasPlans {
			writePlans(&b, plans)
		}
	default:
		fmt.Fprintf(&b, "# I need your usage data first\n\n")
	}
	if hasHelper {
		fmt.Fprintf(&b, "\n## About your data\n\n%s\n", helper.Message)
		if len(helper.Missing) > 0 {
			b.WriteString("\nMissing:\n")
			for _, m := range helper.Missing {
				fmt.Fprintf(&b, "- %s\n", m)
			}
		}
		b.WriteString("\nHow to provide it:\n")
		for _, h := range helper.HowTo {
			fmt.Fprintf(&b, "- %s\n", h)
		}
	}
	out.Markdown = b.String()
	an, hasAn, err := agent.Prior[analyst.Output](in, analyst.Name)
	if err != nil {
		return agent.Result{}, err
	}
	// The answer goes out as message_delta too (contract §3: the pieces make the markdown):
	// the analyst streamed its own; what is written here streams in its sections.
	rest := out.Markdown
	switch {
	case hasAn && an.Answered:
		out.Markdown, rest = an.Markdown, ""
	case hasAn:
		// The analyst streamed part of an answer and the offline workflow answered instead.
		rest = "> " + an.Note + " The answer below is computed from your data without the model.\n\n" + out.Markdown
		if an.Markdown != "" {
			rest = "\n\n" + rest
		}
		out.Markdown = an.Markdown + rest
	}
	if rest != "" {
		st := rt.Stream(ctx)
		for _, section := range strings.SplitAfter(rest, "\n\n") {
			st.Write(section)
		}
		st.Flush()
	}
	return agent.Result{Output: out}, nil
}

func (r rep) summary(ctx context.Context, label string, s workload.Stats, o workloadtool.RecommendationsResult, hasOpt bool, target float64) string {
	facts := map[string]any{"kind": "analysis", "window_label": label, "requests": s.Totals.Requests, "cost_usd": s.Totals.CostUSD,
		"error_rate": s.Totals.ErrorRate, "p95_ms": s.LatencyMS.P95}
	if len(s.SpendByModel) > 0 {
		facts["top_model"], facts["top_model_share"] = s.SpendByModel[0].Model, s.SpendByModel[0].Share
	}
	if hasOpt {
		facts["kind"] = "optimization"
		facts["recommendations"], facts["monthly_savings_usd"], facts["savings_percent"] = len(o.Recommendations), o.MonthlySavingsUSD, o.SavingsPercent
		facts["target_percent"] = target
	}
	data, _ := json.Marshal(facts)
	res, err := r.provider.Complete(ctx, model.Request{Task: model.TaskWrite, Data: data})
	if err != nil || res.Text == "" {
		return fmt.Sprintf("%d requests cost %s (%s).", s.Totals.Requests, money(s.Totals.CostUSD), label)
	}
	return res.Text
}

// writeCapability answers a greeting, "what can you do?" or a question outside the data: what
// Netra does, what it has of this user's data, and questions worth asking. No report.
func writeCapability(b *strings.Builder, t triage.Output) {
	b.WriteString("# Netra\n\n")
	if t.OutOfScope {
		b.WriteString("I answer from your own LLM usage records only, and that question is outside them, so I cannot answer it.\n\n")
	}
	b.WriteString("I analyse your LLM usage records (cost, tokens, latency, errors) and find savings you can act on: model routing, prompt caching, batching and retry waste, each with an action plan.\n\n")
	c := t.Coverage
	switch {
	case c.StoredTotal == 0:
		b.WriteString("I have no usage records of yours yet: upload them (one line per model call), or ask me to generate a demo dataset.\n\n")
	case c.Records == 0:
		fmt.Fprintf(b, "You have %d records stored, none %s.\n\n", c.StoredTotal, t.Window.In())
	default:
		fmt.Fprintf(b, "You have %d records %s, on %d calendar dates, for %s on %s.\n\n", c.Records, t.Window.In(), c.DaysCovered,
			plural(len(c.Models), "model"), plural(len(c.Routes), "route"))
	}
	b.WriteString("Questions worth asking:\n")
	route := "your busiest route"
	if len(c.Routes) > 0 {
		route = c.Routes[0]
	}
	qs := []string{"Which model costs me the most in the last 30 days?", fmt.Sprintf("What is the p95 latency of %s?", route), "How can I reduce my LLM costs?"}
	if c.StoredTotal == 0 {
		qs = []string{"Generate a demo dataset for 30 days", qs[0], qs[2]}
	}
	for _, q := range qs {
		fmt.Fprintf(b, "- %s\n", q)
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// writeFigure answers a question about one figure: the answer first, in a sentence with the
// number, then the small table it comes from. No recommendations: the question asked none.
func writeFigure(b *strings.Builder, t triage.Output, s workload.Stats, d data.Output, question string) {
	whole := d.Whole
	scope := scopeText(t)
	tot := s.Totals
	label := t.Window.In()
	if tot.Requests == 0 {
		writeNoneInScope(b, t)
		return
	}
	spendTable := func(rows []workload.Spend, what string, key func(workload.Spend) string) {
		// In a scope, shares are of the whole: a scope of one model is not 100% of anything asked.
		head, base := "share", tot.CostUSD
		if whole != nil {
			head, base = "share of all", whole.CostUSD
		}
		fmt.Fprintf(b, "\n| %s | requests | cost | %s |\n| --- | ---: | ---: | ---: |\n", what, head)
		for i, r := range rows {
			if i == 10 {
				break
			}
			fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", key(r), r.Requests, money(r.CostUSD), 100*r.CostUSD/max(base, 1e-12))
		}
	}
	byModel := func(r workload.Spend) string { return r.Model }
	if t.Metric == model.MetricCompare {
		writeCompare(b, t, s, question)
		b.WriteString("\nAsk which to use, or how to reduce costs, for a report with recommendations.\n")
		return
	}
	if writeRanked(b, t, s, question) {
		b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
		return
	}
	switch t.Metric {
	case model.MetricTopModel:
		top := s.SpendByModel[0]
		fmt.Fprintf(b, "**%s** costs you the most%s %s: %s of %s (%.1f%%), over %d requests.\n", top.Model, scope, label,
			money(top.CostUSD), money(tot.CostUSD), top.Share*100, top.Requests)
		spendTable(s.SpendByModel, "model", byModel)
	case model.MetricTopRoute:
		top := s.SpendByRoute[0]
		fmt.Fprintf(b, "Route **%s** costs you the most%s %s: %s of %s (%.1f%%), over %d requests.\n", top.Route, scope, label,
			money(top.CostUSD), money(tot.CostUSD), top.Share*100, top.Requests)
		spendTable(s.SpendByRoute, "route", func(r workload.Spend) string { return r.Route })
	case model.MetricErrorRate:
		// An error type the question names ("how many requests hit rate limits?") comes first.
		for _, k := range namedErrorTypes(question, s.Errors.ByType) {
			n := s.Errors.ByType[k]
			fmt.Fprintf(b, "**%d requests** failed with %s%s %s: %.1f%% of the %d that failed, %.2f%% of all %d.\n", n, k, scope, label,
				share(n, tot.Errors), tot.Errors, share(n, tot.Requests), tot.Requests)
		}
		fmt.Fprintf(b, "Your error rate%s %s is **%.2f%%**: %d of %d requests failed, costing %s.\n", scope, label,
			tot.ErrorRate*100, tot.Errors, tot.Requests, money(s.Errors.WasteUSD))
		types := make([]string, 0, len(s.Errors.ByType))
		for k := range s.Errors.ByType {
			types = append(types, k)
		}
		sort.Slice(types, func(i, j int) bool {
			if s.Errors.ByType[types[i]] != s.Errors.ByType[types[j]] {
				return s.Errors.ByType[types[i]] > s.Errors.ByType[types[j]]
			}
			return types[i] < types[j]
		})
		if len(types) > 0 {
			b.WriteString("\n| error type | requests |\n| --- | ---: |\n")
			for _, k := range types {
				fmt.Fprintf(b, "| %s | %d |\n", k, s.Errors.ByType[k])
			}
		}
	case model.MetricLatency:
		l := s.LatencyMS
		fmt.Fprintf(b, "Latency%s %s: mean %.0f ms, p50 %.0f ms, **p95 %.0f ms**, p99 %.0f ms, over %d requests", scope, label, l.Mean, l.P50, l.P95, l.P99, l.Count)
		if s.TTFTMS.Count > 0 {
			fmt.Fprintf(b, "; time to first token p50 %.0f ms, p95 %.0f ms", s.TTFTMS.P50, s.TTFTMS.P95)
		}
		b.WriteString(".\n\n| route | requests | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n")
		for _, r := range s.LatencyByRoute {
			fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", r.Route, r.Count, r.P50, r.P95, r.P99)
		}
	case model.MetricRequests:
		fmt.Fprintf(b, "**%d requests**%s %s, costing %s%s.\n", tot.Requests, scope, label, money(tot.CostUSD),
			perDay(s, func(days float64) string { return fmt.Sprintf("%.0f", float64(tot.Requests)/days) }))
		if whole != nil {
			fmt.Fprintf(b, "That is **%.1f%%** of your %d requests on every model and route.\n", share(tot.Requests, whole.Requests), whole.Requests)
		}
		spendTable(s.SpendByModel, "model", byModel)
	case model.MetricTokens:
		fmt.Fprintf(b, "**%d input and %d output tokens**%s %s (%d input tokens read from cache), over %d requests: %.0f input and %.0f output tokens a request.\n",
			tot.InputTokens, tot.OutputTokens, scope, label, tot.CachedInputTokens, tot.Requests,
			float64(tot.InputTokens)/float64(max(tot.Requests, 1)), float64(tot.OutputTokens)/float64(max(tot.Requests, 1)))
		if whole != nil {
			fmt.Fprintf(b, "That is **%.1f%%** of your %d input and %.1f%% of your %d output tokens on every model and route.\n",
				share(tot.InputTokens, whole.InputTokens), whole.InputTokens, share(tot.OutputTokens, whole.OutputTokens), whole.OutputTokens)
		}
		spendTable(s.SpendByModel, "model", byModel)
	case model.MetricCostPerRequest:
		fmt.Fprintf(b, "Your average cost a request%s %s is **$%.4f**: %s over %d requests.\n", scope, label,
			tot.CostUSD/float64(tot.Requests), money(tot.CostUSD), tot.Requests)
		b.WriteString("\n| model | requests | cost | cost a request |\n| --- | ---: | ---: | ---: |\n")
		for i, m := range s.SpendByModel {
			if i == 10 {
				break
			}
			fmt.Fprintf(b, "| %s | %d | %s | $%.4f |\n", m.Model, m.Requests, money(m.CostUSD), m.CostUSD/float64(max(m.Requests, 1)))
		}
	case model.MetricRetries:
		fmt.Fprintf(b, "Retries cost you an estimated **%s**%s %s: your records log %d retries over %d requests, each "+
			"counted at the cost of its request. Failed calls cost another %s.\n", money(s.Errors.RetryWasteUSD), scope, label,
			tot.Retries, tot.Requests, money(s.Errors.WasteUSD))
	case model.MetricTrend:
		writeTrendBy(b, t, d.Weeks)
		writeTrend(b, t, s)
	case model.MetricForecast:
		writeForecast(b, t, s, d.MonthToDate)
	case model.MetricCache:
		if tot.CachedInputTokens == 0 {
			fmt.Fprintf(b, "None of your %d input tokens%s %s was read from a prompt cache.\n", tot.InputTokens, scope, label)
			break
		}
		fmt.Fprintf(b, "**%.1f%%** of your input tokens%s %s were read from a prompt cache: %d of %d, over %d requests.\n",
			100*float64(tot.CachedInputTokens)/float64(max(tot.InputTokens, 1)), scope, label, tot.CachedInputTokens, tot.InputTokens, tot.Requests)
	default: // MetricCost
		fmt.Fprintf(b, "You spent **%s**%s %s, over %d requests%s.\n", money(tot.CostUSD), scope, label, tot.Requests,
			perDay(s, func(days float64) string { return money(tot.CostUSD / days) }))
		if whole != nil && whole.CostUSD > 0 {
			fmt.Fprintf(b, "That is **%.1f%%** of your %s on every model and route.\n", 100*tot.CostUSD/whole.CostUSD, money(whole.CostUSD))
		}
		spendTable(s.SpendByModel, "model", byModel)
	}
	b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
}

// namedErrorTypes are the error types of the records that the question names, in the order
// of the records' counts: "rate limits" names rate_limit, "timeouts" timeout.
func namedErrorTypes(question string, byType map[string]int64) []string {
	words := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
	}
	q := " " + words(question) + " "
	var out []string
	for k := range byType {
		w := words(k)
		if w != "" && (strings.Contains(q, " "+w+" ") || strings.Contains(q, " "+w+"s ") || strings.Contains(q, " "+strings.ReplaceAll(w, " ", "")+" ")) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if byType[out[i]] != byType[out[j]] {
			return byType[out[i]] > byType[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// writeCompare sets the models (or routes) the question names side by side: the first two in
// a sentence (cost a request, error rate, p95 latency), then each in a table.
func writeCompare(b *strings.Builder, t triage.Output, s workload.Stats, question string) {
	type row struct {
		name  string
		spend workload.Spend
		lat   workload.Dist
		found bool
	}
	names, what := t.Models, "model"
	spends, key := s.SpendByModel, func(x workload.Spend) string { return x.Model }
	if t.By == model.ByRoute {
		names, what = t.Routes, "route"
		spends, key = s.SpendByRoute, func(x workload.Spend) string { return x.Route }
	}
	if len(names) == 0 { // "compare my models": the ten that cost the most
		for i, x := range spends {
			if i < 10 && x.Key != "(other)" {
				names = append(names, key(x))
			}
		}
	} else { // in the question's order
		names = slices.Clone(names)
		q := strings.ToLower(question)
		at := func(n string) int {
			if i := strings.Index(q, strings.ToLower(n)); i >= 0 {
				return i
			}
			return len(q)
		}
		sort.SliceStable(names, func(i, j int) bool { return at(names[i]) < at(names[j]) })
	}
	lat := map[string]workload.Dist{}
	if t.By == model.ByRoute {
		for _, l := range s.LatencyByRoute {
			lat[strings.ToLower(l.Route)] = l.Dist
		}
	} else {
		for _, l := range s.LatencyByModel {
			lat[strings.ToLower(l.Model)] = l.Dist
		}
	}
	var rows []row
	for _, n := range names {
		r := row{name: n, lat: lat[strings.ToLower(n)]}
		for _, x := range spends {
			if strings.EqualFold(key(x), n) {
				r.spend, r.found = x, true
			}
		}
		rows = append(rows, r)
	}
	perReq := func(r row) float64 { return r.spend.CostUSD / float64(max(r.spend.Requests, 1)) }
	errRate := func(r row) float64 { return 100 * float64(r.spend.Errors) / float64(max(r.spend.Requests, 1)) }
	switch {
	case len(rows) < 2:
		fmt.Fprintf(b, "Your records %s hold fewer than two %ss, so there is nothing to compare.\n", t.Window.In(), what)
		if len(rows) == 0 {
			return
		}
	case slices.ContainsFunc(rows, func(r row) bool { return !r.found }):
		var missing []string
		for _, r := range rows {
			if !r.found {
				missing = append(missing, r.name)
			}
		}
		fmt.Fprintf(b, "No requests on %s %s %s, so there is nothing to compare it with; the table shows what there is.\n", what, strings.Join(missing, " or "), t.Window.In())
	default:
		a, c := rows[0], rows[1]
		fmt.Fprintf(b, "%s, **%s** costs **$%.4f** a request against $%.4f on %s, fails %.2f%% of its requests against %.2f%%, and has a p95 latency of %.0f ms against %.0f ms "+
			"(%d and %d requests).\n", capitalize(t.Window.In()), a.name, perReq(a), perReq(c), c.name, errRate(a), errRate(c), a.lat.P95, c.lat.P95, a.spend.Requests, c.spend.Requests)
	}
	fmt.Fprintf(b, "\n| %s | requests | cost | cost a request | error rate | p50 ms | p95 ms | input tokens a request | output tokens a request |\n"+
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n", what)
	for _, r := range rows {
		if !r.found {
			fmt.Fprintf(b, "| %s | 0 | | | | | | | |\n", r.name)
			continue
		}
		n := float64(max(r.spend.Requests, 1))
		fmt.Fprintf(b, "| %s | %d | %s | $%.4f | %.2f%% | %.0f | %.0f | %.0f | %.0f |\n", r.name, r.spend.Requests, money(r.spend.CostUSD), perReq(r), errRate(r),
			r.lat.P50, r.lat.P95, float64(r.spend.InputTokens)/n, float64(r.spend.OutputTokens)/n)
	}
}

// capitalize upper-cases the first letter: a window's phrase opening a sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeForecast answers "how much will I spend this month?": the month's spend so far, plus
// its days left at the window's daily rate (over the days the records cover, as elsewhere).
func writeForecast(b *strings.Builder, t triage.Output, s workload.Stats, month *workload.Totals) {
	now := t.Window.To.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	if month == nil || s.CoveredDays < 1 {
		fmt.Fprintf(b, "Your records%s %s cover too little to give a daily rate for a forecast.\n", scopeText(t), t.Window.In())
		return
	}
	rate := s.Totals.CostUSD / s.CoveredDays
	left := next.Sub(now).Hours() / 24
	fmt.Fprintf(b, "%s should cost you about **%s**%s: %s spent so far (to %s UTC), plus %.1f days left at %s a day, "+
		"your rate %s (%s over %d requests, on the %.0f days your records cover).\n",
		first.Format("January 2006"), money(month.CostUSD+rate*left), scopeText(t), money(month.CostUSD), now.Format("2006-01-02 15:04"),
		left, money(rate), t.Window.In(), money(s.Totals.CostUSD), s.Totals.Requests, s.CoveredDays)
	b.WriteString("\nA forecast at a steady rate: a change in traffic or prices this month moves it.\n")
}

// share is part's percentage of whole.
func share(part, whole int64) float64 { return 100 * float64(part) / float64(max(whole, 1)) }

// writeTrend compares the last 7 full UTC days with the 7 before them: spend first, then
// requests and failures, then the 14 days one by one. Today, still under way, is left out.
func writeTrend(b *strings.Builder, t triage.Output, s workload.Stats) {
	byDay := map[string]workload.Spend{}
	for _, d := range s.SpendByDay {
		byDay[d.Day] = d
	}
	today := t.Window.To.UTC().Truncate(24 * time.Hour)
	day := func(i int) string { return today.AddDate(0, 0, -i).Format("2006-01-02") } // i days before today
	if first := t.Window.From.UTC(); first.After(today.AddDate(0, 0, -14)) {
		fmt.Fprintf(b, "The window (%s) is too short to compare two full weeks; ask about the last 30 days.\n", t.Window.Label)
		return
	}
	var last, prev workload.Spend
	for i := 1; i <= 14; i++ {
		w := &last
		if i > 7 {
			w = &prev
		}
		d := byDay[day(i)]
		w.CostUSD += d.CostUSD
		w.Requests += d.Requests
		w.Errors += d.Errors
	}
	change := func(now, before float64) string {
		switch {
		case before == 0 && now == 0:
			return "the same"
		case before == 0:
			return "up from nothing"
		case now >= before:
			return fmt.Sprintf("up %.1f%%", 100*(now-before)/before)
		}
		return fmt.Sprintf("down %.1f%%", 100*(before-now)/before)
	}
	fmt.Fprintf(b, "Your spend%s over the last 7 full days (%s to %s, UTC) was **%s**, against %s in the 7 days before: **%s**. "+
		"Requests: %d against %d (%s); failed: %d against %d.\n", scopeText(t), day(7), day(1), money(last.CostUSD), money(prev.CostUSD),
		change(last.CostUSD, prev.CostUSD), last.Requests, prev.Requests, change(float64(last.Requests), float64(prev.Requests)), last.Errors, prev.Errors)
	b.WriteString("\n| day (UTC) | requests | cost | failed |\n| --- | ---: | ---: | ---: |\n")
	for i := 14; i >= 1; i-- {
		d := byDay[day(i)]
		fmt.Fprintf(b, "| %s | %d | %s | %d |\n", day(i), d.Requests, money(d.CostUSD), d.Errors)
	}
}

// writeTrendBy answers "which route grew the most?": each route's (model's, provider's) spend
// over the last 7 full UTC days against the 7 before, the largest rise first (the largest fall
// for "shrank the most"), before the whole scope's trend.
func writeTrendBy(b *strings.Builder, t triage.Output, weeks []workload.Stats) {
	if len(weeks) != 2 {
		return
	}
	groups := func(s workload.Stats) ([]workload.Spend, func(workload.Spend) string) {
		switch t.By {
		case model.ByModel:
			return s.SpendByModel, func(g workload.Spend) string { return g.Model }
		case model.ByProvider:
			return s.SpendByProvider, func(g workload.Spend) string { return g.Provider }
		}
		return s.SpendByRoute, func(g workload.Spend) string { return g.Route }
	}
	type row struct {
		key       string
		now, then workload.Spend
	}
	var rows []*row
	at := map[string]*row{}
	for i, w := range weeks {
		gs, key := groups(w)
		for _, g := range gs {
			r := at[key(g)]
			if r == nil {
				r = &row{key: key(g)}
				at[r.key] = r
				rows = append(rows, r)
			}
			if i == 0 {
				r.now = g
			} else {
				r.then = g
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	delta := func(r *row) float64 { return r.now.CostUSD - r.then.CostUSD }
	sort.SliceStable(rows, func(i, j int) bool { return (delta(rows[i]) > delta(rows[j])) != t.Least }) // Least: fell the most
	first := weeks[0].Window.From.UTC()
	top, verb := rows[0], "grew"
	if delta(top) < 0 {
		verb = "fell"
	}
	name := "Spend on **" + top.key + "**"
	if t.By == model.ByRoute {
		name = "Spend on route **" + top.key + "**"
	}
	fmt.Fprintf(b, "%s %s the most: %s over the last 7 full days (%s to %s, UTC), against %s in the 7 days before (%s%s).\n\n",
		name, verb, money(top.now.CostUSD), first.Format(time.DateOnly), first.AddDate(0, 0, 6).Format(time.DateOnly), money(top.then.CostUSD),
		signedMoney(delta(top)), pctChange(top.now.CostUSD, top.then.CostUSD))
	fmt.Fprintf(b, "| %s | last 7 days | 7 days before | change | requests, last 7 days | requests, 7 days before |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", t.By)
	for i, r := range rows {
		if i == 10 {
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s%s | %d | %d |\n", r.key, money(r.now.CostUSD), money(r.then.CostUSD), signedMoney(delta(r)),
			pctChange(r.now.CostUSD, r.then.CostUSD), r.now.Requests, r.then.Requests)
	}
	b.WriteString("\n")
}

func signedMoney(x float64) string {
	if x < 0 {
		return "-" + money(-x)
	}
	return "+" + money(x)
}

// pctChange is ", up 12.5%" or ", down 3.0%", or "" when there was nothing before.
func pctChange(now, before float64) string {
	switch {
	case before == 0:
		return ""
	case now >= before:
		return fmt.Sprintf(", up %.1f%%", 100*(now-before)/before)
	}
	return fmt.Sprintf(", down %.1f%%", 100*(before-now)/before)
}

// writeNoneInScope says that the question's scope holds no request in its window, and what the
// window does hold, so that a name that matches nothing is plain to see.
func writeNoneInScope(b *strings.Builder, t triage.Output) {
	fmt.Fprintf(b, "No requests%s %s.", scopeText(t), t.Window.In())
	if c := t.Coverage; c.Records > 0 {
		fmt.Fprintf(b, " Your %d records %s are on the models %s and the routes %s.", c.Records, t.Window.In(),
			strings.Join(c.Models, ", "), strings.Join(c.Routes, ", "))
	}
	b.WriteString("\n")
}

// perDay is ": about X a day over the N days your records cover", X made by rate from the
// days, or "" when the records cover less than two days.
func perDay(s workload.Stats, rate func(days float64) string) string {
	if s.CoveredDays < 2 {
		return ""
	}
	return fmt.Sprintf(": about %s a day over the %.0f days your records cover", rate(s.CoveredDays), s.CoveredDays)
}

// writeRanked answers "which route (model, provider, day) has the most errors, requests,
// tokens, cost, or is the slowest" and the figure "by route (…)": the leader in a sentence with
// its numbers and the whole scope's, then the ten first ranked the same way. It reports false
// when the question ranks nothing, or ranks what writeFigure answers (cost by model or route).
func writeRanked(b *strings.Builder, t triage.Output, s workload.Stats, question string) bool {
	if t.By == model.ByErrorType {
		return writeErrorTypes(b, t, s)
	}
	if t.By == model.ByWeekday {
		return writeWeekdays(b, t, s)
	}
	if t.By == model.ByHour {
		return writeHours(b, t, s)
	}
	scope, label, tot := scopeText(t), t.Window.In(), s.Totals
	bold := func(k string) string { return "**" + k + "**" }
	what, title := "route", func(k string) string { return "Route **" + k + "**" }
	groups, key := s.SpendByRoute, func(g workload.Spend) string { return g.Route }
	switch t.By {
	case model.ByRoute:
	case model.ByModel:
		what, title = "model", bold
		groups, key = s.SpendByModel, func(g workload.Spend) string { return g.Model }
	case model.ByProvider:
		what, title = "provider", bold
		groups, key = s.SpendByProvider, func(g workload.Spend) string { return g.Provider }
	case model.ByDay:
		what, title = "day (UTC)", bold
		groups, key = s.SpendByDay, func(g workload.Spend) string { return g.Day }
	default:
		return false
	}
	if len(groups) == 0 {
		return false
	}
	rank := func(less func(a, b workload.Spend) bool) []workload.Spend {
		rows := slices.Clone(groups)
		sort.SliceStable(rows, func(i, j int) bool {
			if t.Least {
				return less(rows[j], rows[i])
			}
			return less(rows[i], rows[j])
		})
		return rows[:min(len(rows), 10)]
	}
	// most says which end of the ranking leads: "the most errors" or, for a question about
	// the least, "the fewest errors".
	most := func(most, least string) string {
		if t.Least {
			return least
		}
		return most
	}
	rate := func(g workload.Spend) float64 { return float64(g.Errors) / float64(max(g.Requests, 1)) }
	perRequest := func(g workload.Spend) float64 { return g.CostUSD / float64(max(g.Requests, 1)) }
	// A provider the question names leads with its own figures, whatever the ranking.
	headline := true
	if t.By == model.ByProvider && len(t.Providers) > 0 {
		headline = false
		writeProviders(b, t, s, groups)
	}
	switch t.Metric {
	case model.MetricCost, model.MetricTopModel, model.MetricTopRoute:
		if (t.By == model.ByModel || t.By == model.ByRoute) && !t.Least {
			return false // writeFigure's top_model and top_route
		}
		rows := rank(func(a, b workload.Spend) bool { return a.CostUSD > b.CostUSD })
		if top := rows[0]; headline {
			fmt.Fprintf(b, "%s costs you the %s%s %s: %s of %s (%.1f%%), over %d requests.\n", title(key(top)), most("most", "least"), scope, label,
				money(top.CostUSD), money(tot.CostUSD), 100*top.CostUSD/max(tot.CostUSD, 1e-12), top.Requests)
		}
		fmt.Fprintf(b, "\n| %s | requests | cost | share |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range rows {
			fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", key(g), g.Requests, money(g.CostUSD), 100*g.CostUSD/max(tot.CostUSD, 1e-12))
		}
	case model.MetricCostPerRequest:
		rows := rank(func(a, b workload.Spend) bool { return perRequest(a) > perRequest(b) })
		if top := rows[0]; headline {
			fmt.Fprintf(b, "%s costs the %s a request%s %s: **$%.4f** on average over %d requests; $%.4f over all %d.\n", title(key(top)), most("most", "least"), scope, label,
				perRequest(top), top.Requests, tot.CostUSD/float64(tot.Requests), tot.Requests)
		}
		fmt.Fprintf(b, "\n| %s | requests | cost | cost a request |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range rows {
			fmt.Fprintf(b, "| %s | %d | %s | $%.4f |\n", key(g), g.Requests, money(g.CostUSD), perRequest(g))
		}
	case model.MetricErrorRate:
		if tot.Errors == 0 {
			fmt.Fprintf(b, "No request failed%s %s, of %d.\n", scope, label, tot.Requests)
			return true
		}
		// "the highest error rate" ranks by the rate; "the most errors", and a breakdown, by
		// the count (ties to the higher rate).
		q := strings.ToLower(question)
		byRate := strings.Contains(q, "rate") && has(q, "highest", "lowest", "worst", "best", "most reliable", "least reliable")
		rows := rank(func(a, b workload.Spend) bool {
			if byRate && rate(a) != rate(b) {
				return rate(a) > rate(b)
			}
			if a.Errors != b.Errors {
				return a.Errors > b.Errors
			}
			return rate(a) > rate(b)
		})
		if top := rows[0]; headline && byRate {
			fmt.Fprintf(b, "%s has the %s error rate%s %s: **%.2f%%**, %d of its %d requests failed, costing %s. In all, %d of %d requests failed (%.2f%%).\n",
				title(key(top)), most("highest", "lowest"), scope, label, rate(top)*100, top.Errors, top.Requests, money(top.ErrorCostUSD),
				tot.Errors, tot.Requests, tot.ErrorRate*100)
		} else if headline {
			fmt.Fprintf(b, "%s has the %s errors%s %s: %d of its %d requests failed (%.2f%%), costing %s.", title(key(top)),
				most("most", "fewest"), scope, label, top.Errors, top.Requests, rate(top)*100, money(top.ErrorCostUSD))
			if len(groups) > 1 {
				fmt.Fprintf(b, " In all, %d of %d requests failed (%.2f%%), costing %s.", tot.Errors, tot.Requests, tot.ErrorRate*100, money(s.Errors.WasteUSD))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "\n| %s | requests | errors | error rate | error cost |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, g := range rows {
			fmt.Fprintf(b, "| %s | %d | %d | %.2f%% | %s |\n", key(g), g.Requests, g.Errors, rate(g)*100, money(g.ErrorCostUSD))
		}
	case model.MetricRequests:
		rows := rank(func(a, b workload.Spend) bool { return a.Requests > b.Requests })
		if top := rows[0]; headline {
			if t.By != model.ByDay {
				fmt.Fprintf(b, "You used %s%s %s. ", plural(len(groups), what), scope, label)
			}
			fmt.Fprintf(b, "%s gets the %s requests%s %s: %d of %d (%.1f%%), costing %s.\n", title(key(top)), most("most", "fewest"), scope, label,
				top.Requests, tot.Requests, 100*float64(top.Requests)/float64(tot.Requests), money(top.CostUSD))
		}
		fmt.Fprintf(b, "\n| %s | requests | share of requests | cost |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range rows {
			fmt.Fprintf(b, "| %s | %d | %.1f%% | %s |\n", key(g), g.Requests, 100*float64(g.Requests)/float64(tot.Requests), money(g.CostUSD))
		}
	case model.MetricTokens:
		rows := rank(func(a, b workload.Spend) bool { return a.InputTokens+a.OutputTokens > b.InputTokens+b.OutputTokens })
		if top := rows[0]; headline {
			fmt.Fprintf(b, "%s uses the %s tokens%s %s: %d input and %d output tokens, over %d requests. In all, %d input and %d output tokens.\n",
				title(key(top)), most("most", "fewest"), scope, label, top.InputTokens, top.OutputTokens, top.Requests, tot.InputTokens, tot.OutputTokens)
		}
		fmt.Fprintf(b, "\n| %s | input tokens | output tokens | requests |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range rows {
			fmt.Fprintf(b, "| %s | %d | %d | %d |\n", key(g), g.InputTokens, g.OutputTokens, g.Requests)
		}
	case model.MetricLatency:
		type row struct {
			key string
			workload.Dist
		}
		var rows []row
		switch t.By {
		case model.ByProvider:
			b.WriteString("Latency is kept by model and by route, not by provider: here is each model's. ")
			what, title = "model", bold
			fallthrough
		case model.ByModel:
			for _, m := range s.LatencyByModel {
				rows = append(rows, row{m.Model, m.Dist})
			}
		case model.ByRoute:
			for _, r := range s.LatencyByRoute {
				rows = append(rows, row{r.Route, r.Dist})
			}
		}
		if len(rows) == 0 {
			return false // latency is kept by route and by model only
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].P95 == rows[j].P95 {
				return false
			}
			return (rows[i].P95 > rows[j].P95) != t.Least
		})
		top := rows[0]
		fmt.Fprintf(b, "%s is the %s%s %s: **p95 %.0f ms** (p50 %.0f ms, p99 %.0f ms), over %d requests.",
			title(top.key), most("slowest", "fastest"), scope, label, top.P95, top.P50, top.P99, top.Count)
		if len(rows) > 1 {
			fmt.Fprintf(b, " Over all of them, p95 is %.0f ms.", s.LatencyMS.P95)
		}
		b.WriteString("\n")
		fmt.Fprintf(b, "\n| %s | requests | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, r := range rows {
			fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", r.key, r.Count, r.P50, r.P95, r.P99)
		}
	default:
		return false
	}
	return true
}

// writeProviders leads with the figures of each provider the question names: its share of the
// spend, of the requests, its failures and tokens; or says it has none in the window.
func writeProviders(b *strings.Builder, t triage.Output, s workload.Stats, groups []workload.Spend) {
	tot := s.Totals
	for _, name := range t.Providers {
		i := slices.IndexFunc(groups, func(g workload.Spend) bool { return strings.EqualFold(g.Provider, name) })
		if i < 0 {
			names := make([]string, len(groups))
			for j, g := range groups {
				names[j] = g.Provider
			}
			fmt.Fprintf(b, "No requests on %s %s: your providers there are %s.\n", name, t.Window.In(), strings.Join(names, ", "))
			continue
		}
		g := groups[i]
		fmt.Fprintf(b, "**%s** %s: %s of your %s (%.1f%%), %d of %d requests (%.1f%%), %d of them failed (%.2f%%), %d input and %d output tokens.\n",
			g.Provider, t.Window.In(), money(g.CostUSD), money(tot.CostUSD), 100*g.CostUSD/max(tot.CostUSD, 1e-12), g.Requests, tot.Requests,
			100*float64(g.Requests)/float64(max(tot.Requests, 1)), g.Errors, 100*float64(g.Errors)/float64(max(g.Requests, 1)), g.InputTokens, g.OutputTokens)
	}
	b.WriteString("\n")
}

// writeHours answers "what time of day is the busiest?": the UTC hours of the day by their
// requests, the busiest (or, for the quietest, the least busy) first.
func writeHours(b *strings.Builder, t triage.Output, s workload.Stats) bool {
	tot := s.Totals.Requests
	if tot == 0 {
		return false
	}
	hours := make([]int, 24)
	for h := range hours {
		hours[h] = h
	}
	sort.SliceStable(hours, func(i, j int) bool { return (s.TrafficByHour[hours[i]] > s.TrafficByHour[hours[j]]) != t.Least })
	word := "most"
	if t.Least {
		word = "fewest"
	}
	h := hours[0]
	fmt.Fprintf(b, "**%02d:00–%02d:00 UTC** gets the %s requests%s %s: %d of %d (%.1f%%), against %.0f an hour on average.\n",
		h, (h+1)%24, word, scopeText(t), t.Window.In(), s.TrafficByHour[h], tot, share(s.TrafficByHour[h], tot), float64(tot)/24)
	b.WriteString("\n| hour (UTC) | requests | share |\n| --- | ---: | ---: |\n")
	for _, h := range hours[:10] {
		fmt.Fprintf(b, "| %02d:00 | %d | %.1f%% |\n", h, s.TrafficByHour[h], share(s.TrafficByHour[h], tot))
	}
	return true
}

// writeWeekdays answers "which day of the week is the busiest?": each weekday's average over
// the full UTC days of the window (the first and the last, cut by the window, are left out),
// ranked by the measure asked (requests unless it is cost, errors or tokens).
func writeWeekdays(b *strings.Builder, t triage.Output, s workload.Stats) bool {
	type wd struct {
		day                  time.Weekday
		days                 int
		requests, errs, toks int64
		cost                 float64
	}
	var w [7]wd
	full := 0
	for _, d := range s.SpendByDay {
		day, err := time.Parse(time.DateOnly, d.Day)
		if err != nil || day.Before(t.Window.From) || day.AddDate(0, 0, 1).After(t.Window.To.Add(time.Nanosecond)) {
			continue
		}
		x := &w[day.Weekday()]
		x.day, x.days = day.Weekday(), x.days+1
		x.requests, x.errs, x.toks, x.cost = x.requests+d.Requests, x.errs+d.Errors, x.toks+d.InputTokens+d.OutputTokens, x.cost+d.CostUSD
		full++
	}
	rows := slices.DeleteFunc(w[:], func(x wd) bool { return x.days == 0 })
	if len(rows) == 0 {
		fmt.Fprintf(b, "Your records%s %s hold no full UTC day, so no day of the week can be compared.\n", scopeText(t), t.Window.In())
		return true
	}
	what, val := "requests", func(x wd) float64 { return float64(x.requests) / float64(x.days) }
	format := func(v float64) string { return fmt.Sprintf("%.0f requests", v) }
	switch t.Metric {
	case model.MetricCost, model.MetricTopModel, model.MetricTopRoute:
		what, val, format = "spend", func(x wd) float64 { return x.cost / float64(x.days) }, money
	case model.MetricErrorRate:
		what, val = "errors", func(x wd) float64 { return float64(x.errs) / float64(x.days) }
		format = func(v float64) string { return fmt.Sprintf("%.1f failed requests", v) }
	case model.MetricTokens:
		what, val = "tokens", func(x wd) float64 { return float64(x.toks) / float64(x.days) }
		format = func(v float64) string { return fmt.Sprintf("%.0f tokens", v) }
	}
	sort.SliceStable(rows, func(i, j int) bool { return (val(rows[i]) > val(rows[j])) != t.Least })
	word := "most"
	if t.Least {
		word = "fewest"
		if what == "spend" {
			word = "least"
		}
	}
	top := rows[0]
	var sum float64
	for _, x := range rows {
		sum += val(x) * float64(x.days)
	}
	fmt.Fprintf(b, "**%ss** have the %s %s%s %s: %s a day on average over %d of them, against %s a day over all %d full UTC days.\n",
		top.day, word, what, scopeText(t), t.Window.In(), format(val(top)), top.days, format(sum/float64(full)), full)
	b.WriteString("\n| day of the week | full days | requests a day | cost a day | failed requests a day |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, x := range rows {
		n := float64(x.days)
		fmt.Fprintf(b, "| %s | %d | %.0f | %s | %.1f |\n", x.day, x.days, float64(x.requests)/n, money(x.cost/n), float64(x.errs)/n)
	}
	return true
}

// writeErrorTypes answers "which error is the most common?": the error type first, then each
// type with its share of the failed requests.
func writeErrorTypes(b *strings.Builder, t triage.Output, s workload.Stats) bool {
	if t.Metric != model.MetricErrorRate {
		return false
	}
	scope, label, tot := scopeText(t), t.Window.In(), s.Totals
	if tot.Errors == 0 || len(s.Errors.ByType) == 0 {
		fmt.Fprintf(b, "No request failed%s %s, of %d.\n", scope, label, tot.Requests)
		return true
	}
	types := slices.Collect(maps.Keys(s.Errors.ByType))
	sort.Slice(types, func(i, j int) bool {
		a, c := s.Errors.ByType[types[i]], s.Errors.ByType[types[j]]
		if a != c {
			return (a > c) != t.Least
		}
		return types[i] < types[j]
	})
	word := "most"
	if t.Least {
		word = "least"
	}
	n := s.Errors.ByType[types[0]]
	fmt.Fprintf(b, "**%s** is the %s common error%s %s: %d of %d failed requests (%.1f%%). In all, %d of %d requests failed (%.2f%%), costing %s.\n",
		types[0], word, scope, label, n, tot.Errors, 100*float64(n)/float64(tot.Errors), tot.Errors, tot.Requests, tot.ErrorRate*100, money(s.Errors.WasteUSD))
	b.WriteString("\n| error type | requests | share of errors |\n| --- | ---: | ---: |\n")
	for _, k := range types {
		fmt.Fprintf(b, "| %s | %d | %.1f%% |\n", k, s.Errors.ByType[k], 100*float64(s.Errors.ByType[k])/float64(tot.Errors))
	}
	return true
}

// scopeText names the question's scope: " on gpt-4o on route support-chat", or "".
func scopeText(t triage.Output) string {
	scope := ""
	if len(t.Models) > 0 {
		scope += " on " + strings.Join(t.Models, ", ")
	}
	if len(t.Routes) > 0 {
		scope += " on route " + strings.Join(t.Routes, ", ")
	}
	return scope
}

// writeWhatIf answers "should I switch X to Y?": the scope's traffic priced on Y, before and
// after, the share of it within a smaller model's comfortable range, the risks and how to
// validate. The decision stays the user's: the figures frame it.
func writeWhatIf(b *strings.Builder, t triage.Output, s workload.Stats, w *workload.WhatIf) {
	scope, label := scopeText(t), t.Window.In()
	if w == nil || w.Requests == 0 {
		fmt.Fprintf(b, "No requests%s %s to price on %s.\n", scope, label, t.TargetModel)
		return
	}
	if len(w.Models) == 1 && w.Models[0] == w.Target {
		fmt.Fprintf(b, "The %d requests%s %s run on **%s** already: %s in the window. Ask which model costs the most, or how to reduce costs, for where a move would save.\n",
			w.Requests, scope, label, w.Target, money(w.CostUSD))
		return
	}
	month := s.MonthFactor()
	from := strings.Join(w.Models, ", ")
	delta := w.TargetCostUSD - w.CostUSD
	verb := "save"
	if delta > 0 {
		verb = "add"
	}
	fmt.Fprintf(b, "Moving the %d requests%s %s from %s to **%s** would %s **%s** in the window: %s instead of %s (%+.1f%%), about %s a month at this rate.\n\n",
		w.Requests, scope, label, from, w.Target, verb, money(math.Abs(delta)), money(w.TargetCostUSD), money(w.CostUSD),
		100*delta/math.Max(w.CostUSD, 1e-9), money(math.Abs(delta)*month))
	fmt.Fprintf(b, "| | requests | cost in the window | a month at this rate |\n| --- | ---: | ---: | ---: |\n")
	fmt.Fprintf(b, "| now (%s) | %d | %s | %s |\n", from, w.Requests, money(w.CostUSD), money(w.CostUSD*month))
	fmt.Fprintf(b, "| on %s | %d | %s | %s |\n\n", w.Target, w.Requests, money(w.TargetCostUSD), money(w.TargetCostUSD*month))
	share := float64(w.Simple) / float64(w.Requests)
	fmt.Fprintf(b, "%.1f%% of these requests are simple (successful, at most %d input and %d output tokens): the range where a smaller model usually holds up. The rest are longer or failed, and are where quality would drop first.\n\n",
		100*share, workload.SimpleMaxInput, workload.SimpleMaxOutput)
	b.WriteString("Risks: answer quality on the longer requests; different refusals and formatting; latency changes with the model. ")
	fmt.Fprintf(b, "Validate: send 5%% of this traffic to %s for a week and compare task success, user feedback and error rate with the current model before moving the rest; keep the switch behind a flag to roll back.\n", w.Target)
}

// writePerformance diagnoses latency in the question's scope: where it stands against the
// user's target, what drives it, and what would bring it under the target, with the
// trade-off of each. Every number comes from the statistics.
func writePerformance(b *strings.Builder, t triage.Output, s workload.Stats) {
	scope, label, l := scopeText(t), t.Window.In(), s.LatencyMS
	if l.Count == 0 {
		fmt.Fprintf(b, "No requests%s %s.\n", scope, label)
		return
	}
	target := t.Targets.P95MS
	fmt.Fprintf(b, "p95 latency%s %s is **%.0f ms**", scope, label, l.P95)
	switch {
	case target > 0 && l.P95 > target:
		fmt.Fprintf(b, ", over your %.0f ms target by %.0f ms", target, l.P95-target)
	case target > 0:
		fmt.Fprintf(b, ", within your %.0f ms target", target)
	}
	fmt.Fprintf(b, " (p50 %.0f ms, p99 %.0f ms, %d requests)", l.P50, l.P99, l.Count)
	if s.TTFTMS.Count > 0 {
		fmt.Fprintf(b, "; the first token comes at p95 %.0f ms", s.TTFTMS.P95)
	}
	b.WriteString(".\n\n## What drives it\n\n")
	if len(s.LatencyByModel) > 0 {
		b.WriteString("| model | requests | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: |\n")
		for _, m := range s.LatencyByModel {
			fmt.Fprintf(b, "| %s | %d | %.0f | %.0f |\n", m.Model, m.Count, m.P50, m.P95)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "- Output length: p50 %.0f, p95 %.0f tokens a request; generation time grows with it.\n", s.OutputTokens.P50, s.OutputTokens.P95)
	if s.Totals.Retries > 0 {
		fmt.Fprintf(b, "- Retries: %d logged; each adds a full call to the wait.\n", s.Totals.Retries)
	}
	busiest := 0
	for h, n := range s.TrafficByHour {
		if n > s.TrafficByHour[busiest] {
			busiest = h
		}
	}
	fmt.Fprintf(b, "- Load: the busiest hour is %02d:00 UTC (%d requests).\n", busiest, s.TrafficByHour[busiest])
	b.WriteString("\n## What would bring it down\n\n")
	if s.TTFTMS.Count > 0 {
		fmt.Fprintf(b, "- Stream the answer: people see the first token at p95 %.0f ms instead of waiting %.0f ms for all of it. Trade-off: the client must render partial output.\n", s.TTFTMS.P95, l.P95)
	}
	fmt.Fprintf(b, "- Cap the output: a max-tokens near the p50 (%.0f) shortens the slowest answers. Trade-off: long answers get cut.\n", s.OutputTokens.P50)
	if n := len(s.LatencyByModel); n > 1 && s.LatencyByModel[n-1].P95 <= 0.8*s.LatencyByModel[0].P95 {
		// Only when another model is clearly faster (a fifth or more at p95).
		fast, slow := s.LatencyByModel[n-1], s.LatencyByModel[0]
		fmt.Fprintf(b, "- Send simple requests to %s (p95 %.0f ms) instead of %s (p95 %.0f ms). Trade-off: answer quality on harder requests; validate on a sample first.\n",
			fast.Model, fast.P95, slow.Model, slow.P95)
	}
}

func writeStats(b *strings.Builder, s workload.Stats) {
	t := s.Totals
	fmt.Fprintf(b, "## Spend\n\n%d requests, %s, %d input and %d output tokens (%d read from cache); error rate %.1f%%.\n\n",
		t.Requests, money(t.CostUSD), t.InputTokens, t.OutputTokens, t.CachedInputTokens, t.ErrorRate*100)
	b.WriteString("| model | requests | cost | share |\n| --- | ---: | ---: | ---: |\n")
	for _, m := range s.SpendByModel {
		fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", m.Model, m.Requests, money(m.CostUSD), m.Share*100)
	}
	b.WriteString("\n| route | requests | cost | share |\n| --- | ---: | ---: | ---: |\n")
	for _, r := range s.SpendByRoute {
		fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", r.Route, r.Requests, money(r.CostUSD), r.Share*100)
	}
	fmt.Fprintf(b, "\n## Performance\n\nLatency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms", s.LatencyMS.P50, s.LatencyMS.P95, s.LatencyMS.P99)
	if s.TTFTMS.Count > 0 {
		fmt.Fprintf(b, "; time to first token p50 %.0f ms, p95 %.0f ms", s.TTFTMS.P50, s.TTFTMS.P95)
	}
	fmt.Fprintf(b, ". Failed calls cost %s; unlogged retries an estimated %s. %.1f%% of requests repeat a prompt prefix.\n\n",
		money(s.Errors.WasteUSD), money(s.Errors.RetryWasteUSD), s.Prefixes.RepeatedShare*100)
}

func writeRecommendations(b *strings.Builder, o workloadtool.RecommendationsResult) {
	b.WriteString("## Recommendations\n\n")
	if len(o.Recommendations) == 0 {
		if o.Minor.Count > 0 {
			fmt.Fprintf(b, "Only small items: %s, each under %.1f%% of the spend, would save %s a month together.\n\n", plural(o.Minor.Count, "item"), workload.MinorShare*100, money(o.Minor.MonthlySavingsUSD))
			return
		}
		b.WriteString("None with a measurable saving in this window.\n\n")
		return
	}
	fmt.Fprintf(b, "Monthly spend at this rate: %s, from the %s your data covers. Together these save about %s a month (%.1f%%). %s Prices as of %s.\n\n",
		money(o.MonthlySpendUSD), daysText(o.CoveredDays), money(o.MonthlySavingsUSD), o.SavingsPercent, o.CombineMethod, o.PricesAsOf)
	b.WriteString("| # | recommendation | type | monthly saving alone | after the ones above | confidence |\n| ---: | --- | --- | ---: | ---: | --- |\n")
	for i, r := range o.Recommendations {
		fmt.Fprintf(b, "| %d | %s | %s | %s (%.1f%%) | %s | %s |\n", i+1, r.Title, r.Type, money(r.MonthlySavingsUSD), r.SavingsPercent, money(r.CombinedSavingsUSD), r.Confidence)
	}
	if o.Minor.Count > 0 {
		fmt.Fprintf(b, "\n%s more, each under %.1f%% of the spend, would add %s a month together.\n", plural(o.Minor.Count, "item"), workload.MinorShare*100, money(o.Minor.MonthlySavingsUSD))
	}
	b.WriteString("\n")
	for i, r := range o.Recommendations {
		fmt.Fprintf(b, "**%d. %s.** Risk: %s Validate: %s Roll back if: %s\n", i+1, r.Title, r.Risk, r.Validation, r.RollbackTrigger)
		for _, a := range r.Assumptions {
			fmt.Fprintf(b, "Assumes: %s\n", a)
		}
		b.WriteString("\n")
	}
}

// savingKinds are the kinds of recommendation a question can name, with the words that name
// them; a report on such a question answers it first.
var savingKinds = []struct {
	typ, name string
	words     []string
}{
	{workload.TypePromptCaching, "Prompt caching", []string{"caching", "cache", "cached"}},
	{workload.TypeBatching, "Batching", []string{"batch", "batching", "batches"}},
	{workload.TypeModelRouting, "Model routing", []string{"routing", "cheaper model", "smaller model", "downgrad"}},
	{workload.TypeRetryWaste, "Cutting failed calls", []string{"retry", "retries", "failed calls", "failures"}},
}

// writeNamedSavings leads a report with what the kind of saving the question names ("how
// much could I save with prompt caching?") would save, from the recommendations below it.
func writeNamedSavings(b *strings.Builder, t triage.Output, o workloadtool.RecommendationsResult, question string) {
	q := strings.ToLower(question)
	for _, k := range savingKinds {
		if !has(q, k.words...) {
			continue
		}
		var sum float64
		var titles []string
		for _, r := range o.Recommendations {
			if r.Type == k.typ {
				sum += r.MonthlySavingsUSD
				titles = append(titles, fmt.Sprintf("%s (%s a month, %s confidence)", r.Title, money(r.MonthlySavingsUSD), r.Confidence))
			}
		}
		if len(titles) == 0 {
			fmt.Fprintf(b, "**%s** shows no measurable saving%s %s: none of the recommendations below is of that kind.\n\n", k.name, scopeText(t), t.Window.In())
			continue
		}
		fmt.Fprintf(b, "**%s** would save about **%s a month**%s, from your records %s: %s.\n\n", k.name, money(sum), scopeText(t), t.Window.In(),
			strings.Join(titles, "; "))
	}
}

func has(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// daysText says how many days the data covers: "6 days", "1 day", "0.5 day".
func daysText(d float64) string {
	switch {
	case d == 1:
		return "1 day"
	case d == math.Trunc(d):
		return fmt.Sprintf("%.0f days", d)
	default:
		return fmt.Sprintf("%.1f days", d)
	}
}

func writePlans(b *strings.Builder, p actions.Output) {
	if len(p.Plans) == 0 {
		return
	}
	b.WriteString("## Action plan\n\n")
	for i, plan := range p.Plans {
		fmt.Fprintf(b, "### %d. %s\n\n", i+1, plan.Recommendation)
		for _, s := range plan.Steps {
			fmt.Fprintf(b, "%d. %s — %s, %s. Check: %s\n", s.N, s.Action, s.OwnerRole, s.Effort, s.Validation)
			if s.Snippet != "" {
				fmt.Fprintf(b, "   ```\n   %s\n   ```\n", strings.ReplaceAll(s.Snippet, "\n", "\n   "))
			}
		}
		b.WriteString("\n")
	}
}

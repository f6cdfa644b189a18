// Package reporting writes the final answer from what the earlier steps computed: a markdown
// report a person reads and a report object programs read. Every number in it comes from a
// tool result; the model provider only words the summary from those numbers.
package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

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
		writeCapability(&b, t, in.Text)
		rp.Recommendations = []Rec{}
	case hasStats && hasTriage && t.Kind == model.KindFigure:
		d, _, err := agent.Prior[data.Output](in, data.Name)
		if err != nil {
			return agent.Result{}, err
		}
		writeFigure(&b, t, d, in.Text)
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
	case hasStats && hasTriage && stats.Totals.Requests == 0 && len(t.Models)+len(t.Routes)+len(t.ProviderScope()) > 0:
		fmt.Fprintf(&b, "# Workload report — %s\n\n", label)
		writeNoneInScope(&b, t)
	case hasStats:
		title := "Workload report"
		if hasOpt {
			title = "Optimization report"
		}
		fmt.Fprintf(&b, "# %s%s — %s\n\n", title, scopeText(t), label)
		if hasOpt {
			if !writeStartWith(&b, opt, in.Text) {
				writeCostliest(&b, t, stats, opt, in.Text)
			}
			writeNamedSavings(&b, t, stats, opt, in.Text)
		}
		b.WriteString(r.summary(ctx, label, t.Window.In(), stats, opt, hasOpt, t.Targets.CostCutPercent))
		b.WriteString("\n\n")
		writeStats(&b, stats)
		if hasOpt {
			writeRecommendations(&b, opt)
		}
		if hasPlans {
			writePlans(&b, plans)
		}
	case t.Coverage.StoredTotal > 0 && t.Coverage.Records == 0:
		fmt.Fprintf(&b, "# No records %s\n", t.Window.In())
	default:
		fmt.Fprintf(&b, "# I need your usage data first\n")
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

// summary words the report's opening paragraph; label names the window ("last 30 days",
// "yesterday") and phrase says it in a sentence ("in the last 30 days", "yesterday (2026-12-02,
// UTC)").
func (r rep) summary(ctx context.Context, label, phrase string, s workload.Stats, o workloadtool.RecommendationsResult, hasOpt bool, target float64) string {
	facts := map[string]any{"kind": "analysis", "window_label": label, "window": phrase, "requests": s.Totals.Requests, "cost_usd": s.Totals.CostUSD,
		"error_rate": s.Totals.ErrorRate, "p95_ms": s.LatencyMS.P95}
	if len(s.SpendByModel) > 0 {
		facts["top_model"], facts["top_model_share"] = s.SpendByModel[0].Model, s.SpendByModel[0].Share
	}
	if hasOpt {
		facts["kind"] = "optimization"
		facts["recommendations"], facts["monthly_savings_usd"], facts["savings_percent"] = len(o.Recommendations), o.MonthlySavingsUSD, o.SavingsPercent
		facts["target_percent"] = target
		if m := o.Beyond; m != nil {
			facts["beyond"] = map[string]any{"route": m.Route, "model": m.Model, "cheaper": m.Cheaper,
				"monthly_savings_usd": m.MonthlySavingsUSD, "savings_percent": m.SavingsPercent}
		}
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
func writeCapability(b *strings.Builder, t triage.Output, question string) {
	b.WriteString("# Netra\n\n")
	switch {
	case t.OutOfScope && model.AsksOthers(question):
		b.WriteString("I read your own LLM usage records only, never another user's, so I cannot compare you with other users.\n\n")
	case t.OutOfScope:
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

// writeWhatIf answers "should I switch X to Y?": the scope's traffic priced on Y, before and
// after, the share of it within a smaller model's comfortable range, the risks and how to
// validate. The decision stays the user's: the figures frame it.
func writeWhatIf(b *strings.Builder, t triage.Output, s workload.Stats, w *workload.WhatIf) {
	scope, label := ofRequests(scopeText(t)), t.Window.In() // said after "requests" throughout
	if w == nil || w.Requests+w.OnTarget == 0 {
		fmt.Fprintf(b, "No requests%s %s to price on %s.\n", scope, label, t.TargetModel)
		return
	}
	if w.Requests == 0 {
		fmt.Fprintf(b, "The %d requests%s %s run on **%s** already: %s in the window. Ask which model costs the most, or how to reduce costs, for where a move would save.\n",
			w.OnTarget, scope, label, w.Target, money(w.OnTargetCostUSD))
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
	if w.OnTarget > 0 {
		fmt.Fprintf(b, "The %d requests on %s already (%s) stay where they are, and are not counted above.\n\n", w.OnTarget, w.Target, money(w.OnTargetCostUSD))
	}
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
		fmt.Fprintf(b, "No requests%s %s.\n", ofRequests(scope), label)
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

// writeNamedSavings leads a report with what the kind of saving the question names ("how
// much could I save with prompt caching?") would save, from the recommendations below it.
func writeNamedSavings(b *strings.Builder, t triage.Output, s workload.Stats, o workloadtool.RecommendationsResult, question string) {
	// The kinds of recommendation a question can name, with the words that name them.
	kinds := []struct {
		typ, name string
		words     []string
	}{
		{workload.TypePromptCaching, "Prompt caching", []string{"caching", "cache", "cached"}},
		{workload.TypeBatching, "Batching", []string{"batch", "batching", "batches"}},
		{workload.TypeModelRouting, "Model routing", []string{"routing", "cheaper model", "smaller model", "downgrad"}},
		{workload.TypeRetryWaste, "Cutting failed calls", []string{"retry", "retries", "failed calls", "failures"}},
	}
	q := strings.ToLower(question)
	if has(q, "error", "failed request") && has(q, "cut", "reduce", "halve", "half", "fewer", "lower", "fix") {
		q += " failures" // "if I cut my error rate in half": what failed calls cost
	}
	for _, k := range kinds {
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
			fmt.Fprintf(b, "**%s** shows no measurable saving%s %s: none of the recommendations below is of that kind.\n", k.name, scopeText(t), t.Window.In())
			if k.typ == workload.TypePromptCaching {
				writeNoCaching(b, s.Prefixes)
			}
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(b, "**%s** would save about **%s a month**%s, from your records %s: %s.\n\n", k.name, money(sum), scopeText(t), t.Window.In(),
			strings.Join(titles, "; "))
	}
}

// writeNoCaching says why a cache would save nothing on each model whose prompts repeat a
// prefix: too short to cache, never reused while the cache holds it, or reused so rarely
// within its lifetime that writing it at a premium costs more than reading it saves.
func writeNoCaching(b *strings.Builder, p workload.PrefixStats) {
	if len(p.ByModel) == 0 {
		if p.RepeatedRequests == 0 {
			b.WriteString("No request repeats a prompt prefix (`prefix_hash`) that a cache could read.\n")
		} else {
			b.WriteString("The models whose prompts repeat a prefix have no cached price in the price table.\n")
		}
		return
	}
	for _, m := range p.ByModel {
		ttl := durationText(m.CacheTTLSeconds * 1000)
		if m.CacheTTLSeconds >= 60 && math.Mod(m.CacheTTLSeconds, 60) == 0 {
			ttl = fmt.Sprintf("%.0f minutes", m.CacheTTLSeconds/60)
		}
		var why []string
		if m.Prefixes > 0 {
			why = append(why, fmt.Sprintf("%d uses of its repeated prefixes would read the cache and %d would write it at %.2f× the input price (the cache lives %s after a use), so caching would cost **%s more** than it saves (%s saved on reads, %s in write premiums)",
				m.Reads, m.Writes, m.WritePremium, ttl, money(workload.Cents(m.WritePremiumUSD)-workload.Cents(m.ReadSavingsUSD)), money(m.ReadSavingsUSD), money(m.WritePremiumUSD)))
		}
		if m.Expired > 0 {
			why = append(why, fmt.Sprintf("%d repeated prefixes are never used again within the %s the cache lives", m.Expired, ttl))
		}
		if m.Short > 0 {
			why = append(why, fmt.Sprintf("%d repeated prefixes are shorter than the %d tokens %s caches at the least", m.Short, m.MinTokens, m.Provider))
		}
		if m.SavingsUSD > 0 || len(why) == 0 {
			continue
		}
		fmt.Fprintf(b, "On %s, %s.\n", m.Model, strings.Join(why, "; "))
	}
}

// writeStartWith leads a report asked where to begin ("which route should I optimize
// first?"): the route (the model, when the question asks which model) whose recommendations
// below save the most together, each counted for what it adds after the ones above it.
func writeStartWith(b *strings.Builder, o workloadtool.RecommendationsResult, question string) bool {
	q := strings.ToLower(question)
	if !has(q, "first", "start", "focus", "priorit", "begin") {
		return false
	}
	what, key := "route", func(r workload.Recommendation) string { return r.Scope.Route }
	if has(q, "model") && !has(q, "route") {
		what, key = "model", func(r workload.Recommendation) string { return r.Scope.Model }
	}
	saves, n := map[string]float64{}, map[string]int{}
	best := ""
	for _, r := range o.Recommendations {
		if k := key(r); k != "" && r.CombinedSavingsUSD > 0 { // latency items save time, not money
			saves[k] += r.CombinedSavingsUSD
			n[k]++
			if best == "" || saves[k] > saves[best] || saves[k] == saves[best] && k < best {
				best = k
			}
		}
	}
	if best == "" || saves[best] < 0.01 {
		return false
	}
	its := "its recommendation below saves"
	if n[best] > 1 {
		its = fmt.Sprintf("its %d recommendations below save", n[best])
	}
	fmt.Fprintf(b, "Start with %s **%s**: %s about **%s a month**, of the %s all of them save.\n\n", what, best, its, money(saves[best]), money(o.MonthlySavingsUSD))
	return true
}

// writeCostliest leads a report asked about the costliest route (or model) and how to cut it
// ("what's my most expensive route and how can I make it cheaper?"): which one it is, what it
// costs, and what the recommendations below save on it.
func writeCostliest(b *strings.Builder, t triage.Output, s workload.Stats, o workloadtool.RecommendationsResult, question string) {
	q := strings.ToLower(question)
	if !has(q, "most expensive", "costliest", "costs the most", "cost the most", "costs me the most", "biggest cost", "highest cost") {
		return
	}
	what, rows, key := "Route", s.SpendByRoute, func(r workload.Recommendation) string { return r.Scope.Route }
	name := func(g workload.Spend) string { return g.Route }
	if has(q, "model") && !has(q, "route") {
		what, rows, key = "Model", s.SpendByModel, func(r workload.Recommendation) string { return r.Scope.Model }
		name = func(g workload.Spend) string { return g.Model }
	}
	if len(rows) < 2 || s.Totals.CostUSD <= 0 {
		return // one route is no ranking: the report is about it
	}
	top := rows[0]
	fmt.Fprintf(b, "%s **%s** costs you the most %s: %s of %s (%.1f%%), over %d requests.", what, name(top), t.Window.In(),
		money(top.CostUSD), money(s.Totals.CostUSD), 100*top.CostUSD/s.Totals.CostUSD, top.Requests)
	var saves float64
	var titles []string
	for _, r := range o.Recommendations {
		if key(r) == name(top) && r.CombinedSavingsUSD > 0 {
			saves += r.CombinedSavingsUSD
			titles = append(titles, r.Title)
		}
	}
	if saves < 0.01 {
		b.WriteString(" None of the recommendations below saves on it.\n\n")
		return
	}
	fmt.Fprintf(b, " The recommendations below save about **%s a month** on it: %s.\n\n", money(saves), strings.Join(titles, "; "))
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

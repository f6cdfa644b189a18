// Package eval is the evaluation set of the agents: questions over a seeded dataset, each
// with the kind of answer it wants and the facts the answer must and must not hold. The facts
// are computed here, straight from the raw records, with none of the analysis code; a number
// in an answer that the records do not give fails the case. The same harness runs against the
// offline provider (in CI) and, later, against a language model, through the wire protocol.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// Kinds of answer a case wants.
const (
	KindFigure      = "figure"
	KindPerformance = "performance"
	KindReport      = "report"
	KindCapability  = "capability"
	KindWhatIf      = "whatif"
	// KindQuestion is a free-form question that the analyst answers with a model's tool calls;
	// its cases (QuestionCases) run only against a provider that can chat.
	KindQuestion = "question"
)

// Case is one question and what its answer must hold.
type Case struct {
	// Thread are questions asked first, in one thread, before Question in the same thread: a
	// follow-up's context.
	Thread   []string `json:"thread,omitempty"`
	Question string   `json:"question"`
	Kind     string   `json:"kind"`
	Must     []string `json:"must"`
	MustNot  []string `json:"must_not"`
}

// Result is how one case went.
type Result struct {
	Case     Case        `json:"case"`
	Usage    model.Usage `json:"usage"`
	Pass     bool        `json:"pass"`
	Missing  []string    `json:"missing,omitempty"`
	Unwanted []string    `json:"unwanted,omitempty"`
	Error    string      `json:"error,omitempty"`
	Markdown string      `json:"markdown,omitempty"`
}

// Score is the share of cases of a kind that passed.
type Score struct {
	Passed int `json:"passed"`
	Total  int `json:"total"`
	// Usage sums the model calls of the kind's questions (run_completed.usage): divided by
	// Total, what a question of the kind costs.
	Usage model.Usage `json:"usage"`
}

// Report is the outcome of a run of the set.
type Report struct {
	Passed   int               `json:"passed"`
	Total    int               `json:"total"`
	ByKind   map[string]*Score `json:"by_kind"`
	Failures []Result          `json:"failures"`
	Seconds  float64           `json:"seconds"`
}

// Dataset is the set's records: 30 days of the mixed demo traffic (a support chatbot, a coding
// assistant, RAG search, a nightly batch), seed 7, ending at now, less the records within 15
// minutes of a whole number of days before now, so that a window of whole days taken a few
// minutes later holds exactly the same records.
func Dataset(now time.Time) ([]workload.Record, error) {
	recs, err := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 30, Seed: 7, End: now}, workload.DefaultPrices())
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for _, r := range recs {
		age := now.Sub(r.TS) % (24 * time.Hour)
		if age > 15*time.Minute && age < 24*time.Hour-15*time.Minute {
			out = append(out, r)
		}
	}
	return out, nil
}

// JSONL encodes records as an upload body, with their costs.
func JSONL(recs []workload.Record) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for _, r := range recs {
		status := "ok"
		if !r.OK {
			status = "error"
		}
		if err := enc.Encode(map[string]any{"id": r.ID, "ts": r.TS.Format(time.RFC3339Nano), "provider": r.Provider, "model": r.Model,
			"route": r.Route, "input_tokens": r.InputTokens, "output_tokens": r.OutputTokens, "cached_input_tokens": r.CachedInputTokens,
			"latency_ms": r.LatencyMS, "ttft_ms": r.TTFTMS, "status": status, "error_type": r.ErrorType, "cost_usd": r.CostUSD,
			"prefix_hash": r.PrefixHash, "interactive": r.Interactive, "retries": r.Retries}); err != nil {
			return nil, err
		}
	}
	return []byte(b.String()), nil
}

// facts computes figures from raw records in the days before now.
type facts struct {
	recs []workload.Record
	now  time.Time
}

func (f facts) in(days int, keep func(workload.Record) bool) []workload.Record {
	from := f.now.Add(-time.Duration(days) * 24 * time.Hour)
	var out []workload.Record
	for _, r := range f.recs {
		if r.TS.After(from) && !r.TS.After(f.now) && keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func all(workload.Record) bool { return true }

// weekend keeps the records of Saturdays and Sundays (UTC).
func weekend(r workload.Record) bool {
	d := r.TS.UTC().Weekday()
	return d == time.Saturday || d == time.Sunday
}

func route(name string) func(workload.Record) bool {
	return func(r workload.Record) bool { return r.Route == name }
}

func cost(rs []workload.Record) (c float64) {
	for _, r := range rs {
		c += r.CostUSD
	}
	return c
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// mean is the mean latency.
func mean(rs []workload.Record) float64 {
	var sum float64
	for _, r := range rs {
		sum += r.LatencyMS
	}
	return sum / float64(len(rs))
}

// p95 is the nearest-rank 95th percentile of the latencies.
func p95(rs []workload.Record) float64 { return percentile(rs, 0.95) }

// ranked is the nearest-rank q-th percentile of a field of the records, each as float32 as
// the analysis keeps it; q = 1 is the largest.
func ranked(rs []workload.Record, q float64, field func(workload.Record) float64) float64 {
	v := make([]float64, 0, len(rs))
	for _, r := range rs {
		v = append(v, float64(float32(field(r))))
	}
	slices.Sort(v)
	return v[int(math.Ceil(q*float64(len(v))))-1]
}

// percentile is the nearest-rank q-th percentile of the latencies.
func percentile(rs []workload.Record, q float64) float64 {
	return ranked(rs, q, func(r workload.Record) float64 { return r.LatencyMS })
}

// costRank is the nearest-rank q-th percentile of what one request cost.
func costRank(rs []workload.Record, q float64) float64 {
	return ranked(rs, q, func(r workload.Record) float64 { return r.CostUSD })
}

// Cases builds the set over the records, its facts computed at now.
func Cases(recs []workload.Record, now time.Time) []Case {
	f := facts{recs, now}
	noReport := []string{"## Recommendations"}
	var cs []Case
	for _, days := range []int{7, 14, 30} {
		rs := f.in(days, all)
		byModel := map[string][]workload.Record{}
		var in, out int64
		for _, r := range rs {
			byModel[r.Model] = append(byModel[r.Model], r)
			in += r.InputTokens
			out += r.OutputTokens
		}
		models := make([]string, 0, len(byModel))
		for m := range byModel {
			models = append(models, m)
		}
		sort.Slice(models, func(i, j int) bool { return cost(byModel[models[i]]) > cost(byModel[models[j]]) })
		top := models[0]
		if days == 30 {
			cs = append(cs, Case{Question: "What's my biggest cost driver?", Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("**%s** costs you the most in the last %d days: $%.2f", top, days, cost(byModel[top]))}})
		}
		cs = append(cs,
			Case{Question: fmt.Sprintf("Which model costs me the most in the last %d days?", days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("**%s** costs you the most in the last %d days: $%.2f", top, days, cost(byModel[top]))}},
			Case{Question: fmt.Sprintf("How much did I spend in the last %d days?", days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("You spent **$%.2f** in the last %d days, over %d requests", cost(rs), days, len(rs))}},
			Case{Question: fmt.Sprintf("How many requests did gpt-4o get in the last %d days?", days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("**%d requests** on gpt-4o in the last %d days", len(byModel["gpt-4o"]), days)}},
			Case{Question: fmt.Sprintf("How many tokens did I use in the last %d days?", days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("**%d input and %d output tokens** in the last %d days", in, out, days)}},
		)
		for _, rt := range []string{"support-chat", "rag-answer", "code-complete"} {
			rr := f.in(days, route(rt))
			failed := 0
			for _, r := range rr {
				if !r.OK {
					failed++
				}
			}
			cs = append(cs, Case{Question: fmt.Sprintf("What's my error rate on route %s in the last %d days?", rt, days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("Your error rate on route %s in the last %d days is **%.2f%%**: %d of %d requests failed", rt, days, 100*float64(failed)/float64(len(rr)), failed, len(rr))}})
		}
		for _, rt := range []string{"support-chat", "rag-rerank"} {
			cs = append(cs, Case{Question: fmt.Sprintf("What is the p95 latency of route %s in the last %d days?", rt, days), Kind: KindFigure, MustNot: noReport,
				Must: []string{fmt.Sprintf("Latency on route %s in the last %d days", rt, days), fmt.Sprintf("**p95 %.0f ms**", p95(f.in(days, route(rt))))}})
		}
	}
	for _, q := range []string{"hello", "hi!", "what can you do?", "thanks"} {
		cs = append(cs, Case{Question: q, Kind: KindCapability, Must: []string{"Questions worth asking"}, MustNot: []string{"## Recommendations", "## Spend", "cannot answer"}})
	}
	for _, q := range []string{"what's the weather in Paris?", "who won the world cup?"} {
		cs = append(cs, Case{Question: q, Kind: KindCapability, Must: []string{"cannot answer", "Questions worth asking"}, MustNot: []string{"## Recommendations", "## Spend"}})
	}
	// Other users' records are never read, and the answer says so.
	cs = append(cs, Case{Question: "How do I compare to other users?", Kind: KindCapability, Must: []string{"never another user's, so I cannot compare you with other users", "Questions worth asking"},
		MustNot: []string{"## Recommendations", "## Spend"}})
	for _, p := range []struct{ q, route string }{
		{"why is my support chat slow? I want p95 under 2 s", "support-chat"},
		{"why is rag-answer slow? I want p95 under 1 s", "rag-answer"},
		{"why is code-complete so slow?", "code-complete"},
	} {
		cs = append(cs, Case{Question: p.q, Kind: KindPerformance, MustNot: noReport,
			Must: []string{fmt.Sprintf("p95 latency on route %s in the last 30 days is **%.0f ms**", p.route, p95(f.in(30, route(p.route)))), "## What drives it", "## What would bring it down"}})
	}
	byRoute := map[string]float64{}
	for _, r := range f.in(30, all) {
		byRoute[r.Route] += r.CostUSD
	}
	topRoute := ""
	for r, c := range byRoute {
		if topRoute == "" || c > byRoute[topRoute] {
			topRoute = r
		}
	}
	cs = append(cs, Case{Question: "Which route costs me the most in the last 30 days?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Route **%s** costs you the most in the last 30 days: $%.2f", topRoute, byRoute[topRoute])}})
	// What-ifs: a route's traffic priced on another model, with the price table's list prices.
	prices := workload.DefaultPrices()
	for _, w := range []struct{ route, target string }{{"support-chat", "gpt-4o-mini"}, {"code-chat", "claude-sonnet-4"}} {
		p, _ := prices.Lookup(w.target)
		rr := f.in(30, route(w.route))
		var after float64
		for _, r := range rr {
			after += (float64(r.InputTokens-r.CachedInputTokens)*p.Input + float64(r.CachedInputTokens)*p.CachedInput + float64(r.OutputTokens)*p.Output) / 1e6
		}
		verb := "save"
		if after > cost(rr) {
			verb = "add"
		}
		must := []string{fmt.Sprintf("Moving the %d requests on route %s in the last 30 days from %s to **%s** would %s **$%.2f**",
			len(rr), w.route, rr[0].Model, w.target, verb, math.Abs(after-cost(rr)))}
		// The same question in other words.
		for _, q := range []string{"Should I switch %s to %s?", "What would I save by moving %s to %s?"} {
			cs = append(cs, Case{Question: fmt.Sprintf(q, w.route, w.target), Kind: KindWhatIf, MustNot: noReport, Must: must})
		}
		cs = append(cs, Case{Question: fmt.Sprintf("what if I used %s for %s?", w.target, w.route), Kind: KindWhatIf, MustNot: noReport, Must: must})
		if w.target == "gpt-4o-mini" {
			cs = append(cs, Case{Question: fmt.Sprintf("is %s good enough for %s?", w.target, w.route), Kind: KindWhatIf, MustNot: noReport, Must: must})
		}
		if w.target == "claude-sonnet-4" {
			// A comparison of a model the route does not use with the one it does: the move priced.
			cs = append(cs, Case{Question: fmt.Sprintf("Would %s be cheaper than %s for %s?", w.target, rr[0].Model, w.route), Kind: KindWhatIf, MustNot: noReport,
				Must: []string{fmt.Sprintf("Moving the %d requests on %s on route %s in the last 30 days from %s to **%s** would %s **$%.2f**",
					len(rr), rr[0].Model, w.route, rr[0].Model, w.target, verb, math.Abs(after-cost(rr)))}})
		}
	}
	// A price asked: the table's list prices, then what the user paid a million tokens on it.
	{
		p, _ := prices.Lookup("claude-sonnet-4")
		rs := f.in(30, func(r workload.Record) bool { return r.Model == "claude-sonnet-4" })
		var toks int64
		for _, r := range rs {
			toks += r.InputTokens + r.OutputTokens
		}
		cs = append(cs, Case{Question: "What's the price of claude-sonnet-4?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**claude-sonnet-4** (anthropic) lists at **$%.2f a million input tokens and $%.2f a million output tokens**", p.Input, p.Output),
				fmt.Sprintf("You paid $%.2f a million tokens on claude-sonnet-4 (%d requests) in the last 30 days", cost(rs)*1e6/float64(toks), len(rs))}},
			Case{Question: "What's the price of gpt-9?", Kind: KindFigure, MustNot: noReport, Must: []string{"gpt-9 is not in the price table"}},
			Case{Question: "What's the price of gpt-9 and gpt-10?", Kind: KindFigure, MustNot: noReport, Must: []string{"gpt-9 and gpt-10 are not in the price table"}})
	}
	// List prices changed: the scope's spend at them, the models named, a provider, or all.
	for _, c := range []struct {
		q, what string
		factor  float64
		keep    func(workload.Record) bool
	}{
		{"What if the price of gpt-4o went up 20%?", "gpt-4o", 1.2, modelIs("gpt-4o")},
		{"What if openai raised prices by 10%?", "openai", 1.1, func(r workload.Record) bool { return r.Provider == "openai" }},
		{"What would I pay if every price went up 5%?", "every model", 1.05, all},
	} {
		rs, whole := f.in(30, c.keep), cost(f.in(30, all))
		delta := cost(rs) * (c.factor - 1)
		cs = append(cs, Case{Question: c.q, Kind: KindFigure, MustNot: noReport, Must: []string{
			fmt.Sprintf("your %d requests on %s in the last 30 days would have cost **$%.2f** instead of $%.2f: **$%.2f more**, %.1f%% of your $%.2f spend",
				len(rs), c.what, cost(rs)*c.factor, cost(rs), delta, 100*delta/whole, whole)}})
	}
	// The same change asked of another model in the thread.
	if opus := f.in(30, modelIs("claude-opus-4")); len(opus) > 0 {
		whole := cost(f.in(30, all))
		cs = append(cs, Case{Thread: []string{"What if the price of gpt-4o went up 20%?"}, Question: "and claude-opus-4?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("If the list prices of claude-opus-4 rose 20%%, your %d requests on claude-opus-4 in the last 30 days would have cost **$%.2f** instead of $%.2f: **$%.2f more**, %.1f%% of your $%.2f spend",
				len(opus), cost(opus)*1.2, cost(opus), cost(opus)*0.2, 100*cost(opus)*0.2/whole, whole)}})
	}
	// Everything moved: all the window's traffic priced on one model, but for what runs on it
	// already, which stays and is named apart.
	// On weekends, the run-rate is still over the days the window's records cover (30), not
	// the span from its first Saturday to its last Sunday.
	covered := 30.0
	if rs := f.in(30, all); len(rs) > 0 {
		first, last := rs[0].TS.UTC().Truncate(24*time.Hour), rs[0].TS.UTC().Truncate(24*time.Hour)
		for _, r := range rs {
			d := r.TS.UTC().Truncate(24 * time.Hour)
			first, last = minTime(first, d), maxTime(last, d)
		}
		covered = math.Min(last.Sub(first).Hours()/24+1, 30)
	}
	for _, w := range []struct {
		q, target, scope string
		keep             func(workload.Record) bool
	}{
		{"What would it cost to run everything on gpt-4o-mini in the last 30 days?", "gpt-4o-mini", "", all},
		{"What if every request ran on claude-3-5-haiku in the last 30 days?", "claude-3-5-haiku", "", all}, // not only the claude models
		{"What if I used gpt-4o-mini for everything on weekends?", "gpt-4o-mini", " on weekends (UTC)", weekend},
	} {
		p, _ := prices.Lookup(w.target)
		rs := f.in(30, func(r workload.Record) bool { return r.Model != w.target && w.keep(r) })
		stay := f.in(30, func(r workload.Record) bool { return r.Model == w.target && w.keep(r) })
		var after float64
		for _, r := range rs {
			after += (float64(r.InputTokens-r.CachedInputTokens)*p.Input + float64(r.CachedInputTokens)*p.CachedInput + float64(r.OutputTokens)*p.Output) / 1e6
		}
		must := []string{fmt.Sprintf("Moving the %d requests%s in the last 30 days from ", len(rs), w.scope),
			fmt.Sprintf("to **%s** would save **$%.2f** in the window: $%.2f instead of $%.2f (%+.1f%%), about $%.2f a month at this rate",
				w.target, cost(rs)-after, after, cost(rs), 100*(after-cost(rs))/cost(rs), (cost(rs)-after)*30/covered)}
		if len(stay) > 0 {
			must = append(must, fmt.Sprintf("The %d requests on %s already ($%.2f) stay where they are", len(stay), w.target, cost(stay)))
		}
		cs = append(cs, Case{Question: w.q, Kind: KindWhatIf, MustNot: noReport, Must: must})
	}
	// A figure asked in a few words, as into a search box.
	rs14 := f.in(14, all)
	failed14 := 0
	for _, r := range rs14 {
		if !r.OK {
			failed14++
		}
	}
	cs = append(cs,
		Case{Question: "spend last 7 days", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** in the last 7 days, over %d requests", cost(f.in(7, all)), len(f.in(7, all)))}},
		Case{Question: "errors last 14 days", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your error rate in the last 14 days is **%.2f%%**: %d of %d requests failed", 100*float64(failed14)/float64(len(rs14)), failed14, len(rs14))}})
	// A trend: the last 7 full UTC days against the 7 before, summed by the records' UTC day.
	today := f.now.UTC().Truncate(24 * time.Hour)
	week := func(from, to int) (c float64) { // from..to days before today
		for _, r := range f.recs {
			if d := today.Sub(r.TS.UTC().Truncate(24*time.Hour)) / (24 * time.Hour); int(d) >= from && int(d) <= to {
				c += r.CostUSD
			}
		}
		return c
	}
	trend := fmt.Sprintf("over the last 7 full days (%s to %s, UTC) was **$%.2f**, against $%.2f in the 7 days before",
		today.AddDate(0, 0, -7).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02"), week(1, 7), week(8, 14))
	// grewMost is the key whose spend grew the most between those two weeks, and each key's
	// growth.
	grewMost := func(key func(workload.Record) string) (string, map[string]float64) {
		growth := map[string]float64{}
		for _, r := range f.recs {
			switch d := int(today.Sub(r.TS.UTC().Truncate(24*time.Hour)) / (24 * time.Hour)); {
			case d >= 1 && d <= 7:
				growth[key(r)] += r.CostUSD
			case d >= 8 && d <= 14:
				growth[key(r)] -= r.CostUSD
			}
		}
		most := ""
		for k, g := range growth {
			if most == "" || g > growth[most] || (g == growth[most] && k < most) {
				most = k
			}
		}
		return most, growth
	}
	grew, growth := grewMost(func(r workload.Record) string { return r.Route })
	weekOf := func(rt string, from, to int) (c float64) {
		for _, r := range f.recs {
			if d := int(today.Sub(r.TS.UTC().Truncate(24*time.Hour)) / (24 * time.Hour)); d >= from && d <= to && r.Route == rt {
				c += r.CostUSD
			}
		}
		return c
	}
	verb := "grew"
	if growth[grew] < 0 {
		verb = "fell"
	}
	// What drives the spend up: the model whose spend grew the most between those weeks.
	if driver, modelGrowth := grewMost(func(r workload.Record) string { return r.Model }); modelGrowth[driver] > 0 {
		cs = append(cs, Case{Question: "What's driving my costs up?", Kind: KindFigure, MustNot: noReport, Must: []string{
			fmt.Sprintf("Spend on **%s** grew the most", driver), trend}})
	}
	cs = append(cs, Case{Question: "Which route grew the most?", Kind: KindFigure, MustNot: noReport, Must: []string{fmt.Sprintf(
		"Spend on route **%s** %s the most: $%.2f over the last 7 full days (%s to %s, UTC), against $%.2f in the 7 days before", grew, verb,
		weekOf(grew, 1, 7), today.AddDate(0, 0, -7).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02"), weekOf(grew, 8, 14)), trend}})
	var sc1, sc2 float64
	for _, r := range f.recs {
		if d := int(today.Sub(r.TS.UTC().Truncate(24*time.Hour)) / (24 * time.Hour)); r.Route == "support-chat" && d >= 1 && d <= 7 {
			sc1 += r.CostUSD
		} else if r.Route == "support-chat" && d >= 8 && d <= 14 {
			sc2 += r.CostUSD
		}
	}
	cs = append(cs, Case{Question: "How much did route support-chat cost last week compared to the week before?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Your spend on route support-chat over the last 7 full days (%s to %s, UTC) was **$%.2f**, against $%.2f in the 7 days before",
			today.AddDate(0, 0, -7).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02"), sc1, sc2)}})
	// The same trend asked with the route named before the word.
	cs = append(cs, Case{Question: "Is the support-chat route getting more expensive?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Your spend on route support-chat over the last 7 full days (%s to %s, UTC) was **$%.2f**, against $%.2f in the 7 days before",
			today.AddDate(0, 0, -7).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02"), sc1, sc2)}})
	cs = append(cs, Case{Question: "Is my spend going up?", Kind: KindFigure, MustNot: noReport, Must: []string{trend}},
		Case{Question: "Are my costs stable?", Kind: KindFigure, MustNot: noReport, Must: []string{trend}})
	// A provider named: its own figures first, from the records' provider field.
	openai := f.in(30, func(r workload.Record) bool { return r.Provider == "openai" })
	cs = append(cs,
		Case{Question: "How much do I spend on OpenAI in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**openai** in the last 30 days: $%.2f of your $%.2f", cost(openai), cost(f.in(30, all))),
				fmt.Sprintf("%d of %d requests", len(openai), len(f.in(30, all)))}},
		Case{Question: "how much do I spend on mistral?", Kind: KindFigure, MustNot: noReport,
			Must: []string{"No requests on mistral in the last 30 days: your providers there are"}})
	// A scope that matches nothing says so, and what the window does hold.
	cs = append(cs, Case{Question: "How much did I spend on route foo-bar in the last 7 days?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("No requests on route foo-bar in the last 7 days. Your %d records in the last 7 days are on the models", len(f.in(7, all)))}})
	gpt := f.in(30, func(r workload.Record) bool { return r.Model == "gpt-4o" })
	cs = append(cs,
		Case{Question: "how can I reduce my LLM costs?", Kind: KindReport, Must: []string{"## Recommendations", "combined, not summed", fmt.Sprintf("%d requests, $%.2f", len(f.in(30, all)), cost(f.in(30, all)))}},
		Case{Question: "cut cost 30% over the last 7 days", Kind: KindReport, Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(f.in(7, all)), cost(f.in(7, all)))}},
		Case{Question: "how can I reduce costs on gpt-4o?", Kind: KindReport, Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(gpt), cost(gpt))}},
		Case{Question: "give me a report of the last 14 days", Kind: KindReport, Must: []string{"## Spend", fmt.Sprintf("%d requests, $%.2f", len(f.in(14, all)), cost(f.in(14, all)))}},
		// The costliest route and how to cut it: the report, led by that route.
		Case{Question: "What's my most expensive route and how can I make it cheaper?", Kind: KindReport,
			Must: []string{"## Recommendations", fmt.Sprintf("Route **%s** costs you the most in the last 30 days: $%.2f of $%.2f", topRoute, byRoute[topRoute], cost(f.in(30, all)))}},
		// Named by the user's own route only: about the data, not outside it.
		Case{Question: "how is support-chat doing?", Kind: KindReport, MustNot: []string{"cannot answer"},
			Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(f.in(30, route("support-chat"))), cost(f.in(30, route("support-chat"))))}},
	)
	// Follow-ups: short questions that take what they leave out (window, scope, kind) from the
	// thread's earlier questions.
	sc7 := f.in(7, route("support-chat"))
	failed7 := 0
	for _, r := range sc7 {
		if !r.OK {
			failed7++
		}
	}
	gpt7 := f.in(7, func(r workload.Record) bool { return r.Model == "gpt-4o" })
	cs = append(cs,
		Case{Thread: []string{"What's my error rate on route support-chat in the last 30 days?"}, Question: "and for the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your error rate on route support-chat in the last 7 days is **%.2f%%**: %d of %d requests failed", 100*float64(failed7)/float64(len(sc7)), failed7, len(sc7))}},
		Case{Thread: []string{"How much did I spend in the last 7 days?"}, Question: "what about gpt-4o?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** on gpt-4o in the last 7 days, over %d requests", cost(gpt7), len(gpt7))}},
		Case{Thread: []string{"What is the p95 latency of route support-chat in the last 14 days?"}, Question: "and rag-rerank?", Kind: KindFigure, MustNot: noReport,
			Must: []string{"Latency on route rag-rerank in the last 14 days", fmt.Sprintf("**p95 %.0f ms**", p95(f.in(14, route("rag-rerank"))))}},
		Case{Thread: []string{"how can I reduce costs on gpt-4o?"}, Question: "and for the last 7 days?", Kind: KindReport,
			Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(gpt7), cost(gpt7))}},
	)
	// "it" is what the answer before led with: the route that costs the most.
	top30 := f.in(30, route(topRoute))
	failedTop := 0
	for _, r := range top30 {
		if !r.OK {
			failedTop++
		}
	}
	cs = append(cs,
		Case{Thread: []string{"Which route costs me the most in the last 30 days?"}, Question: "what's its error rate?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your error rate on route %s in the last 30 days is **%.2f%%**: %d of %d requests failed",
				topRoute, 100*float64(failedTop)/float64(len(top30)), failedTop, len(top30))}},
		Case{Thread: []string{"Which route costs me the most in the last 30 days?"}, Question: "how can I make it cheaper?", Kind: KindReport,
			Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(top30), cost(top30))}},
	)
	cs = append(cs, rankedCases(f)...)
	cs = append(cs, calendarCases(f)...)
	cs = append(cs, versusCases(f)...)
	cs = append(cs, tokenCostCases(f)...)
	cs = append(cs, providerScopeCases(f)...)
	cs = append(cs, boundCases(f)...)
	cs = append(cs, standOut(f)...)
	cs = append(cs, weekdayCases(f)...)
	cs = append(cs, speedCases(f)...)
	// A threshold on a percentile keeps the routes beyond it; a latency to reach is a target.
	{
		rs := f.in(30, all)
		var names []string
		var p95s []float64
		routeOf := func(r workload.Record) string { return r.Route }
		for r, g := range groups(rs, routeOf) {
			if p := p95(g.recs); p > 5000 {
				names, p95s = append(names, r), append(p95s, p)
			}
		}
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return p95s[idx[a]] > p95s[idx[b]] })
		listed := make([]string, len(idx))
		for i, j := range idx {
			listed[i] = fmt.Sprintf("%s (%.0f ms)", names[j], p95s[j])
		}
		cs = append(cs,
			Case{Question: "Which routes have a p95 over 5 seconds?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
				Must: []string{fmt.Sprintf("**%d of the %d routes** in the last 30 days have a p95 over 5 s: %s. Over all of them, p95 is %.0f ms",
					len(names), len(groups(rs, routeOf)), strings.Join(listed, ", "), p95(rs))}},
			Case{Question: "How do I get my latency under 2 seconds?", Kind: KindPerformance,
				Must: []string{fmt.Sprintf("p95 latency in the last 30 days is **%.0f ms**, over your 2000 ms target by %.0f ms", p95(rs), p95(rs)-2000)}})
	}
	// A route named by a word of it after "on" ("on summarize": nightly-summarize), with a
	// family of models that never served it.
	claudeSummarizes := func(r workload.Record) bool {
		return r.Route == "nightly-summarize" && strings.HasPrefix(r.Model, "claude-")
	}
	if len(f.in(30, claudeSummarizes)) == 0 {
		cs = append(cs, Case{Question: "What is my p99 latency for claude on summarize?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{"No requests on claude-opus-4, claude-sonnet-4 on route nightly-summarize in the last 30 days."}})
	}
	// The spread of a request's tokens, from the records (nearest rank).
	rs30 := f.in(30, all)
	outRank := func(q float64) float64 {
		return ranked(rs30, q, func(r workload.Record) float64 { return float64(r.OutputTokens) })
	}
	inRank := func(q float64) float64 {
		return ranked(rs30, q, func(r workload.Record) float64 { return float64(r.InputTokens) })
	}
	cs = append(cs,
		Case{Question: "What's the median output length in the last 30 days?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("The median request in the last 30 days has **%.0f output tokens**, over %d requests", outRank(0.5), len(rs30)),
				fmt.Sprintf("| output | %.0f | %.0f | %.0f | %.0f | %.0f |", float64(outOf(rs30))/float64(len(rs30)), outRank(0.5), outRank(0.95), outRank(0.99), outRank(1))}},
		Case{Question: "How many tokens does a typical request use?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("The median request in the last 30 days has **%.0f input and %.0f output tokens**", inRank(0.5), outRank(0.5))}})
	// The one request at the top of a measure, from the records.
	slowest := rs30[0]
	for _, r := range rs30 {
		if float32(r.LatencyMS) > float32(slowest.LatencyMS) {
			slowest = r
		}
	}
	cs = append(cs,
		Case{Question: "What was my slowest request?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("Your slowest request in the last 30 days took **%.0f ms**, on %s on route %s", percentile(rs30, 1), slowest.Model, slowest.Route)}},
		Case{Question: "What's the longest prompt I sent?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("Your longest prompt in the last 30 days had **%.0f input tokens**; the median had %.0f and the p99 %.0f, over %d requests", inRank(1), inRank(0.5), inRank(0.99), len(rs30))}})
	// Error types by what their failures cost; the busiest hour of the day as a rate. (The
	// scripted model of TestEvaluationSetWithModel sends "hour", "error type" and "which day"
	// to the analyst: the questions avoid those words.)
	if g, ok := top(rs30, func(r workload.Record) string { return r.ErrorType }, func(r workload.Record) bool { return !r.OK }, costOf); ok {
		failed := f.in(30, func(r workload.Record) bool { return !r.OK })
		cs = append(cs, Case{Question: "Which kind of error costs me the most?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("Requests that failed with **%s** cost you the most in the last 30 days: **$%.2f** over %d failed requests, of $%.2f that all %d failures cost",
				g.key, g.cost, g.requests, cost(failed), len(failed))}})
	}
	if g, ok := top(rs30, byHour, all, requests); ok {
		cs = append(cs, Case{Question: "What's my busiest time of day?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("that is **%.1f requests an hour** then, against %.1f an hour over the window's 720 hours", float64(g.requests)/30, float64(len(rs30))/720)}})
	}
	if c, ok := noCaching(f, "code-chat"); ok {
		cs = append(cs, c)
	}
	return append(cs, sumCases(f)...)
}

// calendarCases ask about UTC calendar days and months, and the share of the whole a scope is.
// The month is the one 20 days before now and the day 10 days before today, so that both lie
// in the dataset's 30 days whenever the set runs.
func calendarCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	today := f.now.UTC().Truncate(24 * time.Hour)
	between := func(from, to time.Time, keep func(workload.Record) bool) []workload.Record { // UTC days, inclusive
		var out []workload.Record
		for _, r := range f.recs {
			if d := r.TS.UTC().Truncate(24 * time.Hour); !d.Before(from) && !d.After(to) && !r.TS.After(f.now) && keep(r) {
				out = append(out, r)
			}
		}
		return out
	}
	tokens := func(rs []workload.Record) (in, out int64) {
		for _, r := range rs {
			in, out = in+r.InputTokens, out+r.OutputTokens
		}
		return in, out
	}
	at := f.now.UTC().AddDate(0, 0, -20)
	first := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	month, phrase := between(first, first.AddDate(0, 1, -1), all), "in "+first.Format("January 2006")
	if first.AddDate(0, 1, -1).After(today) {
		phrase += " so far"
	}
	monthGPT := between(first, first.AddDate(0, 1, -1), func(r workload.Record) bool { return r.Model == "gpt-4o" })
	// "and the week before?" after the last 7 days: the 7 whole UTC days before the one the
	// 7 days began on.
	weekBefore := between(today.AddDate(0, 0, -14), today.AddDate(0, 0, -8), all)
	day := today.AddDate(0, 0, -10)
	dayRecs := between(day, day, all)
	yIn, yOut := tokens(between(today.AddDate(0, 0, -1), today.AddDate(0, 0, -1), all))
	gemini14 := f.in(14, func(r workload.Record) bool { return strings.HasPrefix(r.Model, "gemini-") })
	all30, gpt30, sc30 := f.in(30, all), f.in(30, func(r workload.Record) bool { return r.Model == "gpt-4o" }), f.in(30, route("support-chat"))
	// The forecast: this month so far, and the daily rate of the last 30 days over the UTC
	// dates their records span (at most 30). The sum itself moves with the seconds the run
	// takes, so the case holds its parts.
	thisMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	mtd := between(thisMonth, today, all)
	firstDay, lastDay := today, time.Time{}
	for _, r := range all30 {
		d := r.TS.UTC().Truncate(24 * time.Hour)
		if d.Before(firstDay) {
			firstDay = d
		}
		if d.After(lastDay) {
			lastDay = d
		}
	}
	covered := math.Min(lastDay.Sub(firstDay).Hours()/24+1, 30)
	topModel, _ := top(all30, byModel, all, costOf)
	topCost := topModel.cost
	// Two dates: a period. One after "since": to today. A trend over a period: its first 7
	// days against its last 7.
	d1, d2 := today.AddDate(0, 0, -20), today.AddDate(0, 0, -12)
	span, since := between(d1, d2, all), between(today.AddDate(0, 0, -5), today, all)
	t1, t2 := today.AddDate(0, 0, -21), today.AddDate(0, 0, -2)
	early, late := between(t1, t1.AddDate(0, 0, 6), all), between(t2.AddDate(0, 0, -6), t2, all)
	change := fmt.Sprintf("up %.1f%%", 100*(cost(late)-cost(early))/cost(early))
	if cost(late) < cost(early) {
		change = fmt.Sprintf("down %.1f%%", 100*(cost(early)-cost(late))/cost(early))
	}
	dates := func(a, b time.Time) string { return a.Format(time.DateOnly) + " to " + b.Format(time.DateOnly) }
	// The error rate's trend: the last 7 full UTC days against the 7 before, in points.
	failedOf := func(rs []workload.Record) (n int) {
		for _, r := range rs {
			if !r.OK {
				n++
			}
		}
		return n
	}
	wk, wk0 := between(today.AddDate(0, 0, -7), today.AddDate(0, 0, -1), all), between(today.AddDate(0, 0, -14), today.AddDate(0, 0, -8), all)
	r1, r0 := 100*float64(failedOf(wk))/float64(len(wk)), 100*float64(failedOf(wk0))/float64(len(wk0))
	moved := "the same"
	if r1 > r0 {
		moved = fmt.Sprintf("up %.2f points", r1-r0)
	} else if r1 < r0 {
		moved = fmt.Sprintf("down %.2f points", r0-r1)
	}
	// Latency over the same two weeks: from the records, p95 first.
	latencyTrend := fmt.Sprintf("Your p95 latency over the last 7 full days (%s, UTC) was **%.0f ms**, against %.0f ms in the 7 days before",
		dates(today.AddDate(0, 0, -7), today.AddDate(0, 0, -1)), p95(wk), p95(wk0))
	// A holiday named: the last Black Friday (the day after the fourth Thursday of November)
	// not after today. Most of the year the records do not reach it, and the answer says so.
	blackFriday := func(year int) time.Time {
		for d := 22; ; d++ {
			if t := time.Date(year, time.November, d, 0, 0, 0, 0, time.UTC); t.Weekday() == time.Thursday {
				return t.AddDate(0, 0, 1)
			}
		}
	}
	bf := blackFriday(today.Year())
	if bf.After(today) {
		bf = blackFriday(today.Year() - 1)
	}
	onBF := between(bf, bf, all)
	bfMust := fmt.Sprintf("You spent **$%.2f** on %s (UTC), over %d requests", cost(onBF), bf.Format(time.DateOnly), len(onBF))
	if len(onBF) == 0 {
		bfMust = fmt.Sprintf("# No records on %s (UTC)", bf.Format(time.DateOnly))
	}
	y, y0 := today.AddDate(0, 0, -1), today.AddDate(0, 0, -2)
	gpt41y := between(y, y, modelIs("gpt-4.1"))
	_, gpt41yOut := tokens(gpt41y)
	// Last weekend: the Saturday and Sunday before today (before this weekend's, on one).
	sat := today.AddDate(0, 0, -((int(today.Weekday()) + 1) % 7))
	if !today.After(sat.AddDate(0, 0, 1)) {
		sat = sat.AddDate(0, 0, -7)
	}
	lastWeekend := between(sat, sat.AddDate(0, 0, 1), all)
	cs := []Case{
		{Question: "How much did I spend on Black Friday?", Kind: KindFigure, MustNot: noReport, Must: []string{bfMust}},
		{Question: "How much did I spend last weekend?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** from %s to %s (UTC), over %d requests", cost(lastWeekend), sat.Format(time.DateOnly),
				sat.AddDate(0, 0, 1).Format(time.DateOnly), len(lastWeekend))}},
		{Question: "How much did I spend yesterday compared to the day before?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your spend over %s (UTC) was **$%.2f**, against $%.2f in the day before (%s)",
				y.Format(time.DateOnly), cost(between(y, y, all)), cost(between(y0, y0, all)), y0.Format(time.DateOnly))}},
		{Question: "Is my latency getting worse?", Kind: KindFigure, MustNot: noReport, Must: []string{latencyTrend}},
		{Question: "How many output tokens did gpt-4.1 produce yesterday?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d output tokens** on gpt-4.1 yesterday (%s, UTC), over %d requests", gpt41yOut, y.Format(time.DateOnly), len(gpt41y))}},
		{Question: "Is support-chat getting slower?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your p95 latency on route support-chat over the last 7 full days (%s, UTC) was **%.0f ms**, against %.0f ms in the 7 days before",
				dates(today.AddDate(0, 0, -7), today.AddDate(0, 0, -1)), p95(between(today.AddDate(0, 0, -7), today.AddDate(0, 0, -1), route("support-chat"))),
				p95(between(today.AddDate(0, 0, -14), today.AddDate(0, 0, -8), route("support-chat"))))}},
		{Question: "What's my average cost per day by model in the last 30 days?", Kind: KindFigure, MustNot: append([]string{"cost a request"}, noReport...),
			Must: []string{fmt.Sprintf("That is about $%.2f a day on it, and $%.2f a day in all, over the %.0f days your records cover.", topCost/covered, cost(all30)/covered, covered)}},
		{Question: "Is my error rate going up?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your error rate over the last 7 full days (%s, UTC) was **%.2f%%** (%d of %d requests failed), against %.2f%% (%d of %d) in the 7 days before: **%s**",
				dates(today.AddDate(0, 0, -7), today.AddDate(0, 0, -1)), r1, failedOf(wk), len(wk), r0, failedOf(wk0), len(wk0), moved)}},
		{Question: fmt.Sprintf("How much did I spend between %s and %s?", d1.Format("Jan 2"), d2.Format("Jan 2")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** from %s (UTC), over %d requests", cost(span), dates(d1, d2), len(span))}},
		{Question: fmt.Sprintf("What have I spent since %s?", today.AddDate(0, 0, -5).Format("January 2")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** from %s (UTC), over %d requests", cost(since), dates(today.AddDate(0, 0, -5), today), len(since))}},
		{Question: fmt.Sprintf("What was the trend of my spend from %s to %s?", t1.Format("2006-01-02"), t2.Format("2006-01-02")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your spend over %s (UTC), the last 7 days of the period, was **$%.2f**, against $%.2f in its first 7 (%s): **%s**",
				dates(t2.AddDate(0, 0, -6), t2), cost(late), cost(early), dates(t1, t1.AddDate(0, 0, 6)), change)}},
		{Question: fmt.Sprintf("How much did I spend in %s?", first.Format("January")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** %s, over %d requests", cost(month), phrase, len(month))}},
		{Thread: []string{fmt.Sprintf("How much did I spend in %s?", first.Format("January"))}, Question: "what about gpt-4o?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** on gpt-4o %s, over %d requests", cost(monthGPT), phrase, len(monthGPT)),
				fmt.Sprintf("That is **%.1f%%** of your $%.2f", 100*cost(monthGPT)/cost(month), cost(month))}},
		{Question: fmt.Sprintf("How many requests did I make on %s?", day.Format("2006-01-02")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d requests** on %s (UTC), costing $%.2f", len(dayRecs), day.Format("2006-01-02"), cost(dayRecs))}},
		{Question: fmt.Sprintf("What did I spend on %s?", day.Format("January 2")), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** on %s (UTC), over %d requests", cost(dayRecs), day.Format("2006-01-02"), len(dayRecs))}},
		{Thread: []string{"How much did I spend in the last 7 days?"}, Question: "and the week before?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** from %s to %s (UTC), over %d requests", cost(weekBefore), today.AddDate(0, 0, -14).Format("2006-01-02"),
				today.AddDate(0, 0, -8).Format("2006-01-02"), len(weekBefore))}},
		{Question: "How many tokens did I use yesterday?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d input and %d output tokens** yesterday (%s, UTC)", yIn, yOut, today.AddDate(0, 0, -1).Format("2006-01-02"))}},
		{Question: "How much will I spend this month?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s should cost you about **$", thisMonth.Format("January 2006")),
				fmt.Sprintf("$%.2f spent so far", cost(mtd)),
				fmt.Sprintf("days left at $%.2f a day, your rate in the last 30 days ($%.2f over %d requests, on the %.0f days your records cover)", cost(all30)/covered, cost(all30), len(all30), covered)}},
		// A year at the rate: the daily rate times 365; this calendar year: its spend so far (the
		// records start within it) and the rest at the rate.
		{Question: "How much would I spend in a year at this rate?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("A year at $%.2f a day costs about **$%.2f** (365 days), or $%.2f a month: your rate in the last 30 days ($%.2f over %d requests, on the %.0f days your records cover)",
				cost(all30)/covered, 365*cost(all30)/covered, 365*cost(all30)/covered/12, cost(all30), len(all30), covered)}},
		{Question: "What will I spend by the end of the year?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%d should cost you about **$", today.Year()),
				fmt.Sprintf("$%.2f spent so far in your records", cost(f.in(366, func(r workload.Record) bool { return r.TS.Year() == today.Year() }))),
				fmt.Sprintf("days left at $%.2f a day, your rate in the last 30 days", cost(all30)/covered)}},
		daysBeyond(f),
		// A budget: the forecast set against it, far enough above it that the seconds the run
		// takes cannot move it across.
		{Question: fmt.Sprintf("Will I stay under $%.0f this month?", math.Ceil(10*cost(all30))), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("under your $%.2f budget", math.Ceil(10*cost(all30)))}},
		{Question: "What percentage of my spend is gpt-4o?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** on gpt-4o in the last 30 days", cost(gpt30)),
				fmt.Sprintf("That is **%.1f%%** of your $%.2f on every model and route", 100*cost(gpt30)/cost(all30), cost(all30))}},
		{Question: "How much did gemini cost in the last 14 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** on gemini-2.5-flash, gemini-2.5-pro in the last 14 days, over %d requests", cost(gemini14), len(gemini14)),
				fmt.Sprintf("That is **%.1f%%** of your $%.2f on every model and route", 100*cost(gemini14)/cost(f.in(14, all)), cost(f.in(14, all)))}},
		{Question: "What share of my requests go to route support-chat?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d requests** on route support-chat in the last 30 days", len(sc30)),
				fmt.Sprintf("That is **%.1f%%** of your %d requests on every model and route", 100*float64(len(sc30))/float64(len(all30)), len(all30))}},
	}
	// This week: from Monday (UTC) to now; and "on Monday", the latest Monday, today on one.
	said := func(d time.Time) string {
		switch {
		case d.Equal(today):
			return "today (" + d.Format(time.DateOnly) + ", UTC, so far)"
		case d.Equal(y):
			return "yesterday (" + d.Format(time.DateOnly) + ", UTC)"
		}
		return "on " + d.Format(time.DateOnly) + " (UTC)"
	}
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	weekPhrase := "this week (since Monday " + monday.Format(time.DateOnly) + ", UTC)"
	if monday.Equal(today) {
		weekPhrase = said(today)
	}
	thisWeek, onMonday := between(monday, today, all), between(monday, monday, all)
	cs = append(cs,
		Case{Question: "How much did I spend this week?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** %s, over %d requests", cost(thisWeek), weekPhrase, len(thisWeek))}},
		Case{Question: "How much did I spend on Monday?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You spent **$%.2f** %s, over %d requests", cost(onMonday), said(monday), len(onMonday))}})
	// The year so far: from its first UTC day to now.
	year := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	ytd := between(year, today, all)
	cs = append(cs, Case{Question: "How much have I spent so far this year?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("You spent **$%.2f** in %d so far, over %d requests", cost(ytd), year.Year(), len(ytd))}})
	// This month so far against the month before, a day each: last month's rate over the days
	// its records cover (first to last UTC date), when they begin after it does.
	if prevMonth := between(thisMonth.AddDate(0, -1, 0), thisMonth.AddDate(0, 0, -1), all); len(prevMonth) > 0 && len(mtd) > 0 {
		first, last := prevMonth[0].TS.UTC().Truncate(24*time.Hour), prevMonth[0].TS.UTC().Truncate(24*time.Hour)
		for _, r := range prevMonth {
			d := r.TS.UTC().Truncate(24 * time.Hour)
			first, last = minTime(first, d), maxTime(last, d)
		}
		days := math.Min(last.Sub(first).Hours()/24+1, thisMonth.Sub(thisMonth.AddDate(0, -1, 0)).Hours()/24)
		cs = append(cs, Case{Question: "How does this month compare to last month?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s so far: **$%.2f** over %d requests in ", thisMonth.Format("January 2006"), cost(mtd), len(mtd)),
				fmt.Sprintf("against $%.2f over %d requests in %s ($%.2f a day over %.0f days)", cost(prevMonth), len(prevMonth),
					thisMonth.AddDate(0, -1, 0).Format("January"), cost(prevMonth)/days, days)}})
	}
	if spent := cost(mtd); spent >= 2 {
		// A budget this month's spend has passed already.
		budget := math.Floor(spent / 2)
		cs = append(cs, Case{Question: fmt.Sprintf("Am I on track for a $%.0f budget this month?", budget), Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You are **over your $%.2f budget already**: $%.2f spent this month, $%.2f over it", budget, spent, spent-budget)}})
	}
	return cs
}

// group is what the records of one key (a route, a model, an hour) add up to.
type group struct {
	key             string
	requests, fails int64
	cost            float64
	in, out         int64 // tokens
	recs            []workload.Record
}

// groups are the records by key.
func groups(rs []workload.Record, key func(workload.Record) string) map[string]*group {
	m := map[string]*group{}
	for _, r := range rs {
		k := key(r)
		g := m[k]
		if g == nil {
			g = &group{key: k}
			m[k] = g
		}
		g.requests++
		g.cost += r.CostUSD
		g.in += r.InputTokens
		g.out += r.OutputTokens
		g.recs = append(g.recs, r)
		if !r.OK {
			g.fails++
		}
	}
	return m
}

func outOf(rs []workload.Record) (n int64) {
	for _, r := range rs {
		n += r.OutputTokens
	}
	return n
}

func modelIs(m string) func(workload.Record) bool {
	return func(r workload.Record) bool { return r.Model == m }
}

// top is the group of the records kept that leads by by; ok is false when there is none or
// the first two tie, so that either answer would be right.
func top(rs []workload.Record, key func(workload.Record) string, keep func(workload.Record) bool, by func(group) float64) (group, bool) {
	var kept []workload.Record
	for _, r := range rs {
		if keep(r) {
			kept = append(kept, r)
		}
	}
	m := groups(kept, key)
	var gs []group
	for _, g := range m {
		gs = append(gs, *g)
	}
	sort.Slice(gs, func(i, j int) bool { return by(gs[i]) > by(gs[j]) })
	if len(gs) == 0 || (len(gs) > 1 && by(gs[0]) == by(gs[1])) {
		return group{}, false
	}
	return gs[0], true
}

func requests(g group) float64            { return float64(g.requests) }
func fails(g group) float64               { return float64(g.fails) }
func tokens(g group) float64              { return float64(g.in + g.out) }
func p95Of(g group) float64               { return p95(g.recs) }
func byRoute(r workload.Record) string    { return r.Route }
func byModel(r workload.Record) string    { return r.Model }
func byProvider(r workload.Record) string { return r.Provider }
func byDay(r workload.Record) string      { return r.TS.UTC().Format("2006-01-02") }
func byHour(r workload.Record) string     { return fmt.Sprintf("%02d", r.TS.UTC().Hour()) }

// failsThenRate ranks by failed requests, then by error rate, as the answer does: a tie on
// failures is no reason to leave a case out.
func failsThenRate(g group) float64 { return float64(g.fails) + float64(g.fails)/float64(g.requests) }
func costOf(g group) float64        { return math.Round(g.cost * 100) }
func perRequest(g group) float64    { return math.Round(g.cost / float64(g.requests) * 1e4) }

// versusCases ask whether one model or route is faster, cheaper or more reliable than
// another: yes or no first, by the median latency, the cost a request or the error rate.
func versusCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	rs := f.in(30, all)
	mini, four := f.in(30, modelIs("gpt-4o-mini")), f.in(30, modelIs("gpt-4o"))
	opus, sonnet := f.in(30, modelIs("claude-opus-4")), f.in(30, modelIs("claude-sonnet-4"))
	if len(mini) == 0 || len(four) == 0 || len(opus) == 0 || len(sonnet) == 0 {
		return nil
	}
	a, c := percentile(mini, 0.5), percentile(four, 0.5)
	verdict, word := "**Yes**", "faster"
	if a > c {
		verdict, word = "**No**", "slower"
	}
	if d := 100 * math.Abs(a-c) / math.Max(a, c); d < 5 {
		verdict = fmt.Sprintf("**About the same** (%.1f%% apart)", d)
	}
	perReq := func(rs []workload.Record) float64 { return cost(rs) / float64(len(rs)) }
	cheaper, miniCheaper := "**No**", "**No**"
	if perReq(opus) < perReq(sonnet) {
		cheaper = "**Yes**"
	}
	if perReq(mini) < perReq(four) {
		miniCheaper = "**Yes**"
	}
	// Routes, named without the word "route".
	sc, ra := f.in(30, route("support-chat")), f.in(30, route("rag-answer"))
	failRate := func(rs []workload.Record) float64 {
		var n int
		for _, r := range rs {
			if !r.OK {
				n++
			}
		}
		return 100 * float64(n) / float64(len(rs))
	}
	reliable, miniReliable := "**No**", "**No**"
	if failRate(sc) < failRate(ra) {
		reliable = "**Yes**"
	}
	if failRate(mini) < failRate(four) {
		miniReliable = "**Yes**"
	}
	// The models one route uses, each with its requests.
	models := groups(sc, byModel)
	lead, _ := top(sc, byModel, all, requests)
	cs := []Case{
		{Question: "Is gpt-4o-mini faster than gpt-4o in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s: gpt-4o-mini is %s than gpt-4o at the median, %.0f ms against %.0f ms", verdict, word, a, c)}},
		// A comparative alone continues the comparison before it, in its order.
		{Thread: []string{"Is gpt-4o-mini faster than gpt-4o in the last 30 days?"}, Question: "and cheaper?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s: a request on gpt-4o-mini costs $%.4f against $%.4f on gpt-4o.", miniCheaper, perReq(mini), perReq(four))}},
		{Thread: []string{"Is gpt-4o-mini faster than gpt-4o in the last 30 days?"}, Question: "is it more reliable?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s: gpt-4o-mini fails %.2f%% of its requests against %.2f%% on gpt-4o.", miniReliable, failRate(mini), failRate(four))}},
		{Question: "Is claude-opus-4 cheaper than claude-sonnet-4 in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s: a request on claude-opus-4 costs $%.4f against $%.4f on claude-sonnet-4.", cheaper, perReq(opus), perReq(sonnet))}},
		{Question: "Is support-chat more reliable than rag-answer in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("%s: support-chat fails %.2f%% of its requests against %.2f%% on rag-answer.", reliable, failRate(sc), failRate(ra))}},
	}
	if len(sc) > 0 && lead.key != "" {
		n := "1 model"
		if len(models) != 1 {
			n = fmt.Sprintf("%d models", len(models))
		}
		cs = append(cs, Case{Question: "What models does the support-chat route use?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You used %s on route support-chat in the last 30 days. **%s** gets the most requests on route support-chat in the last 30 days: %d of %d",
				n, lead.key, lead.requests, len(sc))}})
	}
	// "by route?" after the model that costs the most: the route that does.
	if g, ok := top(rs, byRoute, all, costOf); ok {
		cs = append(cs, Case{Thread: []string{"Which model costs me the most in the last 30 days?"}, Question: "by route?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Route **%s** costs you the most in the last 30 days: $%.2f", g.key, g.cost)}})
	}
	// Tokens a request, by route: the average of each, not the total.
	perRoute := func(g group) float64 { return math.Round(float64(g.in+g.out) / float64(g.requests)) }
	if g, ok := top(rs, byRoute, all, perRoute); ok {
		cs = append(cs, Case{Question: "Which route has the most tokens per request in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Route **%s** has the longest requests in the last 30 days: **%.0f tokens a request** on average, over %d requests",
				g.key, perRoute(g), g.requests)}})
	}
	// Value for money: the lowest cost a successful request, by model or by provider.
	perSuccess := func(g group) float64 { return g.cost / float64(max(g.requests-g.fails, 1)) }
	for _, c := range []struct {
		q   string
		key func(workload.Record) string
	}{{"Which model is the best value?", byModel}, {"Which provider gives me the best bang for the buck?", byProvider}} {
		if g, ok := top(rs, c.key, all, func(g group) float64 { return -perSuccess(g) }); ok {
			cs = append(cs, Case{Question: c.q, Kind: KindFigure, MustNot: noReport,
				Must: []string{"not how good the answers were", fmt.Sprintf("the best value is **%s**, **$%.4f a successful request** (%.2f%% of its %d requests failed",
					g.key, perSuccess(g), 100*float64(g.fails)/float64(g.requests), g.requests)}})
		}
	}
	return cs
}

// providerScopeCases rank routes within a provider the question names: the provider narrows
// the ranking, it does not replace it.
func providerScopeCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	var cs []Case
	anth := func(r workload.Record) bool { return r.Provider == "anthropic" }
	if g, ok := top(f.in(30, all), byRoute, anth, requests); ok {
		n := len(groups(f.in(30, anth), byRoute))
		cs = append(cs, Case{Question: "Which routes are on anthropic in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("You used %d routes on anthropic in the last 30 days. Route **%s** gets the most requests on anthropic in the last 30 days: %d of %d",
				n, g.key, g.requests, len(f.in(30, anth)))}})
	}
	// A provider named in a report or a what-if narrows it to the provider's requests.
	if a := f.in(30, anth); len(a) > 0 {
		cs = append(cs,
			Case{Question: "How can I reduce my anthropic costs?", Kind: KindReport, MustNot: []string{"cannot answer"},
				Must: []string{"# Optimization report on anthropic — last 30 days", fmt.Sprintf("%d requests, $%.2f", len(a), cost(a)), "## Recommendations"}},
			Case{Question: "What if I moved all anthropic traffic to gpt-4o?", Kind: KindWhatIf,
				Must: []string{fmt.Sprintf("Moving the %d requests on anthropic in the last 30 days from", len(a)), fmt.Sprintf("instead of $%.2f", cost(a))}})
	}
	google := func(r workload.Record) bool { return r.Provider == "google" }
	if g, ok := top(f.in(30, all), byRoute, google, costOf); ok {
		cs = append(cs, Case{Question: "Which route costs the most on google in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Route **%s** costs you the most on google in the last 30 days: $%.2f of $%.2f", g.key, g.cost, cost(f.in(30, google)))}})
	}
	return cs
}

// tokenCostCases divide the spend between input and output tokens: each record's cost in the
// proportion of its model's list prices (cached input at the cached price), summed.
func tokenCostCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	prices := workload.DefaultPrices()
	rs := f.in(30, all)
	var in, out, total float64
	outBy := map[string]float64{}
	costBy := map[string]float64{}
	for _, r := range rs {
		total += r.CostUSD
		p, ok := prices.Lookup(r.Model)
		if !ok {
			continue
		}
		cachedPrice := p.CachedInput
		if cachedPrice == 0 {
			cachedPrice = p.Input
		}
		i := float64(r.InputTokens-r.CachedInputTokens)*p.Input + float64(r.CachedInputTokens)*cachedPrice
		o := float64(r.OutputTokens) * p.Output
		if i+o == 0 {
			continue
		}
		in += r.CostUSD * i / (i + o)
		out += r.CostUSD * o / (i + o)
		outBy[r.Model] += r.CostUSD * o / (i + o)
		costBy[r.Model] += r.CostUSD
	}
	outByRoute, costByRoute := map[string]float64{}, map[string]float64{}
	for _, r := range rs {
		if p, ok := prices.Lookup(r.Model); ok {
			cachedPrice := p.CachedInput
			if cachedPrice == 0 {
				cachedPrice = p.Input
			}
			i := float64(r.InputTokens-r.CachedInputTokens)*p.Input + float64(r.CachedInputTokens)*cachedPrice
			if o := float64(r.OutputTokens) * p.Output; i+o > 0 {
				outByRoute[r.Route] += r.CostUSD * o / (i + o)
			}
		}
		costByRoute[r.Route] += r.CostUSD
	}
	route := ""
	for k, v := range outByRoute {
		if route == "" || v > outByRoute[route] {
			route = k
		}
	}
	lead := ""
	for m, v := range outBy {
		if lead == "" || v > outBy[lead] {
			lead = m
		}
	}
	return []Case{
		{Question: "How much of my spend is output tokens in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**$%.2f of your $%.2f (%.1f%%) paid for output tokens** in the last 30 days, and $%.2f (%.1f%%) for input tokens",
				out, total, 100*out/total, in, 100*in/total)}},
		// "by route?" after a figure: the same figure, by route.
		{Thread: []string{"How much of my spend is output tokens in the last 30 days?"}, Question: "by route?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Route **%s** spends the most on output tokens in the last 30 days: **$%.2f**, %.1f%% of its $%.2f",
				route, outByRoute[route], 100*outByRoute[route]/costByRoute[route], costByRoute[route])}},
		{Question: "Which model spends the most on output tokens in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%s** spends the most on output tokens in the last 30 days: **$%.2f**, %.1f%% of its $%.2f",
				lead, outBy[lead], 100*outBy[lead]/costBy[lead], costBy[lead])}},
	}
}

// rankedCases ask which route, model, provider, day or error type leads (or trails) in errors,
// requests, tokens, cost or latency: the answer names the leader with its figures first,
// whatever words the question takes.
func rankedCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	var cs []Case
	add := func(q string, ok bool, must ...string) {
		if ok {
			cs = append(cs, Case{Question: q, Kind: KindFigure, Must: must, MustNot: noReport})
		}
	}
	for _, days := range []int{7, 30} {
		g, ok := top(f.in(days, all), byRoute, all, failsThenRate)
		add(fmt.Sprintf("Which route had the most errors in the last %d days?", days), ok,
			fmt.Sprintf("Route **%s** has the most errors in the last %d days: %d of its %d requests failed", g.key, days, g.fails, g.requests))
	}
	// The hour of the day (UTC) with the most requests, and the provider with the highest
	// error rate (not the most errors).
	g, ok := top(f.in(30, all), byHour, all, requests)
	h, _ := strconv.Atoi(g.key)
	add("What time of day gets the most requests in the last 30 days?", ok,
		fmt.Sprintf("**%02d:00–%02d:00 UTC** gets the most requests in the last 30 days: %d of %d", h, (h+1)%24, g.requests, len(f.in(30, all))))
	g, ok = top(f.in(30, all), byProvider, all, func(g group) float64 { return float64(g.fails) / float64(g.requests) })
	add("Which provider has the highest error rate in the last 30 days?", ok,
		fmt.Sprintf("**%s** has the highest error rate in the last 30 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*float64(g.fails)/float64(g.requests), g.fails, g.requests))
	// The other end, where the rate and the count part ways: the fewest errors are on a model with
	// few requests, not on the most reliable one.
	g, ok = top(f.in(30, all), byModel, all, func(g group) float64 { return -float64(g.fails) / float64(g.requests) })
	add("Which model has the lowest error rate in the last 30 days?", ok,
		fmt.Sprintf("**%s** has the lowest error rate in the last 30 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*float64(g.fails)/float64(g.requests), g.fails, g.requests))
	// Single requests are not kept: the longest prompts and the costliest requests are the
	// route's on average.
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { return math.Round(float64(g.in) / float64(g.requests)) })
	add("What are my longest prompts?", ok,
		fmt.Sprintf("Route **%s** has the longest prompts in the last 30 days: **%.0f input tokens a request**", g.key, float64(g.in)/float64(g.requests)))
	g, ok = top(f.in(30, all), byRoute, all, perRequest)
	add("Which requests are the most expensive?", ok,
		fmt.Sprintf("Route **%s** costs the most a request in the last 30 days: **$%.4f**", g.key, g.cost/float64(g.requests)))
	// A breakdown by provider and model: each provider's models under it.
	g, ok = top(f.in(30, all), byModel, all, costOf)
	if ok {
		add("Give me a cost breakdown by provider and model", true, fmt.Sprintf("| %s | %s | %d | $%.2f |", g.recs[0].Provider, g.key, g.requests, g.cost))
	}
	// The busiest week, Monday to Sunday (UTC), a week the window holds in part marked with
	// its days.
	{
		type wk struct {
			requests int
			days     map[string]bool
		}
		weeks := map[string]*wk{}
		rs := f.in(30, all)
		for _, r := range rs {
			d := r.TS.UTC().Truncate(24 * time.Hour)
			monday := d.AddDate(0, 0, -(int(d.Weekday())+6)%7).Format(time.DateOnly)
			if weeks[monday] == nil {
				weeks[monday] = &wk{days: map[string]bool{}}
			}
			weeks[monday].requests++
			weeks[monday].days[d.Format(time.DateOnly)] = true
		}
		best := ""
		for m, w := range weeks {
			if best == "" || w.requests > weeks[best].requests || w.requests == weeks[best].requests && m < best {
				best = m
			}
		}
		key := best
		switch n := len(weeks[best].days); n {
		case 7:
		case 1:
			key = best + " (1 day)"
		default:
			key = fmt.Sprintf("%s (%d days)", best, n)
		}
		add("What was my busiest week in the last 30 days?", true,
			fmt.Sprintf("The week of **%s** gets the most requests in the last 30 days: %d of %d", key, weeks[best].requests, len(rs)))
	}
	// What failures cost, by route: ranked by that cost, not by their count.
	{
		failCost := map[string]float64{}
		for _, r := range f.in(30, all) {
			if !r.OK {
				failCost[r.Route] += r.CostUSD
			}
		}
		worst := ""
		for rt, c := range failCost {
			if worst == "" || c > failCost[worst] || c == failCost[worst] && rt < worst {
				worst = rt
			}
		}
		add("What's the cost of errors by route in the last 30 days?", worst != "",
			fmt.Sprintf("Route **%s**'s failed requests cost the most in the last 30 days: **$%.2f**", worst, failCost[worst]))
	}
	// Reliability is the error rate, ranked by the rate from either end.
	g, ok = top(f.in(30, all), byProvider, all, func(g group) float64 { return -float64(g.fails) / float64(g.requests) })
	add("Which provider has the best uptime?", ok,
		fmt.Sprintf("**%s** has the lowest error rate in the last 30 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*float64(g.fails)/float64(g.requests), g.fails, g.requests))
	g, ok = top(f.in(30, all), byModel, all, func(g group) float64 { return float64(g.fails) / float64(g.requests) })
	add("Which model is the least reliable?", ok,
		fmt.Sprintf("**%s** has the highest error rate in the last 30 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*float64(g.fails)/float64(g.requests), g.fails, g.requests))
	// Requests a minute: over the days the records cover in the window (first to last UTC
	// date, at most the window's 30), and in the busiest hour of the day.
	{
		rs := f.in(30, all)
		first, last := rs[0].TS.UTC().Truncate(24*time.Hour), rs[0].TS.UTC().Truncate(24*time.Hour)
		var hours [24]int
		for _, r := range rs {
			d := r.TS.UTC().Truncate(24 * time.Hour)
			first, last = minTime(first, d), maxTime(last, d)
			hours[r.TS.UTC().Hour()]++
		}
		days := math.Min(last.Sub(first).Hours()/24+1, 30)
		peak := 0
		for h, n := range hours {
			if n > hours[peak] {
				peak = h
			}
		}
		failed := 0
		for _, r := range rs {
			if !r.OK {
				failed++
			}
		}
		add("How many errors a day on average in the last 30 days?", true,
			fmt.Sprintf("That is **%.1f failed requests a day** on average over the %.0f days your records cover", float64(failed)/days, days))
		add("How many requests per minute do I make in the last 30 days?", true,
			fmt.Sprintf("On average that is **%.2f requests a minute** (%.0f an hour); in the busiest hour of the day, %02d:00–%02d:00 UTC, %.2f a minute",
				float64(len(rs))/(days*1440), float64(len(rs))/(days*24), peak, (peak+1)%24, float64(hours[peak])/(days*60)))
	}
	// Weekends or weekdays narrow any figure to those UTC days: latency from the records, a
	// ranking from the daily rollups.
	weekday := func(r workload.Record) bool { return !weekend(r) }
	add("What's my average latency on weekends?", len(f.in(30, weekend)) > 0,
		"Latency on weekends (UTC) in the last 30 days: **mean ",
		fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, over %d requests", percentile(f.in(30, weekend), 0.5), p95(f.in(30, weekend)), percentile(f.in(30, weekend), 0.99), len(f.in(30, weekend))))
	g, ok = top(f.in(30, all), byModel, weekend, requests)
	add("Which model do I use most on weekends?", ok,
		fmt.Sprintf("**%s** gets the most requests on weekends (UTC) in the last 30 days: %d of %d", g.key, g.requests, len(f.in(30, weekend))))
	g, ok = top(f.in(30, all), byHour, weekend, costOf)
	h, _ = strconv.Atoi(g.key)
	add("What time of day costs the most on weekends?", ok,
		fmt.Sprintf("**%02d:00–%02d:00 UTC** costs the most on weekends (UTC) in the last 30 days: $%.2f of $%.2f", h, (h+1)%24, g.cost, cost(f.in(30, weekend))))
	g, ok = top(f.in(30, all), byRoute, weekday, costOf)
	add("What's the most expensive route on weekdays?", ok,
		fmt.Sprintf("Route **%s** costs you the most on weekdays (UTC) in the last 30 days: $%.2f of $%.2f", g.key, g.cost, cost(f.in(30, weekday))))
	g, ok = top(f.in(30, all), byRoute, weekday, failsThenRate)
	add("Which route fails most on weekdays?", ok,
		fmt.Sprintf("Route **%s** has the most errors on weekdays (UTC) in the last 30 days: %d of its %d requests failed", g.key, g.fails, g.requests))
	// A family of models named ("claude"): every model of the user's that bears the name.
	claude := func(r workload.Record) bool { return strings.HasPrefix(r.Model, "claude-") }
	g, ok = top(f.in(30, all), byRoute, claude, requests)
	add("Which of my routes use claude?", ok,
		fmt.Sprintf("Route **%s** gets the most requests on claude-opus-4, claude-sonnet-4 in the last 30 days: %d of %d", g.key, g.requests, len(f.in(30, claude))))
	g, ok = top(f.in(7, all), byRoute, all, failsThenRate)
	add("which route had the most errors last week, and what did those errors cost?", ok,
		fmt.Sprintf("Route **%s** has the most errors in the last week: %d of its %d requests failed", g.key, g.fails, g.requests))
	// "error rate by …" is a breakdown of rates: by the rate, not the count.
	failRate := func(g group) float64 { return float64(g.fails) / float64(g.requests) }
	if g, ok := top(f.in(7, all), byRoute, all, failRate); ok {
		add("error rate by route over the last 7 days", ok,
			fmt.Sprintf("Route **%s** has the highest error rate in the last 7 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*failRate(g), g.fails, g.requests))
	}
	if g, ok := top(f.in(30, all), byProvider, all, failRate); ok {
		add("What's my error rate by provider in the last 30 days?", ok,
			fmt.Sprintf("**%s** has the highest error rate in the last 30 days: **%.2f%%**, %d of its %d requests failed", g.key, 100*failRate(g), g.fails, g.requests))
	}
	g, ok = top(f.in(14, all), byModel, all, failsThenRate)
	add("Which model fails the most in the last 14 days?", ok,
		fmt.Sprintf("**%s** has the most errors in the last 14 days: %d of its %d requests failed", g.key, g.fails, g.requests))
	g, ok = top(f.in(30, all), byRoute, all, requests)
	add("Which route gets the most traffic in the last 30 days?", ok,
		fmt.Sprintf("Route **%s** gets the most requests in the last 30 days: %d of %d", g.key, g.requests, len(f.in(30, all))))
	g, ok = top(f.in(7, all), byModel, all, tokens)
	add("Which model used the most tokens in the last 7 days?", ok,
		fmt.Sprintf("**%s** uses the most tokens in the last 7 days: %d input and %d output tokens, over %d requests", g.key, g.in, g.out, g.requests))
	g, ok = top(f.in(30, all), byRoute, all, p95Of)
	add("Which route is the slowest in the last 30 days?", ok,
		fmt.Sprintf("Route **%s** is the slowest in the last 30 days: **p95 %.0f ms**", g.key, p95(g.recs)))
	g, ok = top(f.in(14, all), byModel, all, p95Of)
	add("which model was slowest over the last 14 days?", ok,
		fmt.Sprintf("**%s** is the slowest in the last 14 days: **p95 %.0f ms**", g.key, p95(g.recs)))
	// Ranked by the percentile the question names, from either end.
	g, ok = top(f.in(30, all), byModel, all, func(g group) float64 { return percentile(g.recs, 0.99) })
	add("What's my p99 latency by model?", ok,
		fmt.Sprintf("**%s** is the slowest in the last 30 days by p99: **p99 %.0f ms**", g.key, percentile(g.recs, 0.99)))
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { return -percentile(g.recs, 0.5) })
	add("Which route has the best median latency?", ok,
		fmt.Sprintf("Route **%s** is the fastest in the last 30 days by p50: **p50 %.0f ms**", g.key, percentile(g.recs, 0.5)))
	g, ok = top(f.in(14, all), byProvider, all, costOf)
	add("Which provider costs me the most in the last 14 days?", ok,
		fmt.Sprintf("**%s** costs you the most in the last 14 days: $%.2f of $%.2f", g.key, g.cost, cost(f.in(14, all))))
	g, ok = top(f.in(30, all), byDay, all, costOf)
	add("What was my most expensive day in the last 30 days?", ok,
		fmt.Sprintf("**%s** costs you the most in the last 30 days: $%.2f", g.key, g.cost))
	g, ok = top(f.in(7, all), byModel, all, perRequest)
	add("average cost per request by model over the last 7 days", ok,
		fmt.Sprintf("**%s** costs the most a request in the last 7 days: **$%.4f** on average over %d requests", g.key, g.cost/float64(g.requests), g.requests))
	errorType := func(r workload.Record) string {
		if r.ErrorType == "" {
			return "unknown" // as the analysis names a failure without a type
		}
		return r.ErrorType
	}
	g, ok = top(f.in(30, all), errorType, func(r workload.Record) bool { return !r.OK }, requests)
	add("What's the most common error in the last 30 days?", ok,
		fmt.Sprintf("**%s** is the most common error in the last 30 days: %d of %d failed requests", g.key, g.requests, len(f.in(30, func(r workload.Record) bool { return !r.OK }))))
	// One type of failure named: ranked by its count, not by all errors.
	timedOut := func(r workload.Record) bool { return !r.OK && r.ErrorType == "timeout" }
	g, ok = top(f.in(30, all), byModel, timedOut, requests)
	add("Which model has the most timeouts in the last 30 days?", ok,
		fmt.Sprintf("**%s** has the most timeout failures in the last 30 days: %d of its %d requests (%.2f%%). In all, %d requests failed with timeout",
			g.key, g.requests, len(f.in(30, modelIs(g.key))), 100*float64(g.requests)/float64(len(f.in(30, modelIs(g.key)))), len(f.in(30, timedOut))))
	// Retries by route: by their count; by model, by what they cost (each at its request's).
	retriesOf := func(g group) (n int64, c float64) {
		for _, r := range g.recs {
			n += int64(r.Retries)
			c += float64(r.Retries) * r.CostUSD
		}
		return n, c
	}
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { n, _ := retriesOf(g); return float64(n) })
	n, _ := retriesOf(g)
	add("Which route has the most retries in the last 30 days?", ok,
		fmt.Sprintf("Route **%s** has the most retries in the last 30 days: **%d** over its %d requests", g.key, n, g.requests))
	g, ok = top(f.in(30, all), byModel, all, func(g group) float64 { _, c := retriesOf(g); return math.Round(c * 100) })
	n, c := retriesOf(g)
	add("Which model's retries cost the most in the last 30 days?", ok,
		fmt.Sprintf("**%s**'s retries cost the most in the last 30 days: an estimated **$%.2f**, %d retries over its %d requests", g.key, c, n, g.requests))
	// One side of the tokens asked: ranked by the output tokens alone.
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { return float64(g.out) })
	add("Which route uses the most output tokens in the last 30 days?", ok,
		fmt.Sprintf("Route **%s** uses the most output tokens in the last 30 days: %d, %.1f%% of %d, over %d requests", g.key, g.out,
			100*float64(g.out)/float64(outOf(f.in(30, all))), outOf(f.in(30, all)), g.requests))
	// A breakdown by day: every day in time order, the whole first.
	week := f.in(7, all)
	daily := groups(week, byDay)
	days := slices.Sorted(maps.Keys(daily))
	if len(days) >= 2 {
		var table strings.Builder // every day's row, in time order
		for _, d := range days {
			fmt.Fprintf(&table, "| %s | %d | $%.2f | %.1f%% |\n", d, daily[d].requests, daily[d].cost, 100*daily[d].cost/cost(week))
		}
		add("Show my spend by day for the last 7 days", true, fmt.Sprintf("You spent **$%.2f** in the last 7 days", cost(week)), table.String())
	}
	// A number of a ranking asked: that many rows, and what they cost together.
	var spends []group
	for k, v := range groups(f.in(30, all), byRoute) {
		spends = append(spends, group{key: k, cost: v.cost})
	}
	sort.Slice(spends, func(i, j int) bool { return spends[i].cost > spends[j].cost })
	if len(spends) > 3 && math.Round(spends[2].cost*100) != math.Round(spends[3].cost*100) {
		three := spends[0].cost + spends[1].cost + spends[2].cost
		cs = append(cs, Case{Question: "What are my top 3 routes by cost in the last 30 days?", Kind: KindFigure,
			MustNot: append([]string{"| " + spends[3].key + " |"}, noReport...),
			Must: []string{fmt.Sprintf("Your 3 most expensive routes in the last 30 days cost **$%.2f** of $%.2f (%.1f%%), of %d in all: **%s**, **%s** and **%s**.",
				three, cost(f.in(30, all)), 100*three/cost(f.in(30, all)), len(spends), spends[0].key, spends[1].key, spends[2].key)}})
	}
	routes := map[string]bool{}
	for _, r := range f.in(7, all) {
		routes[r.Route] = true
	}
	add("How many routes do I have in the last 7 days?", true, fmt.Sprintf("You used %d routes in the last 7 days.", len(routes)))
	g, ok = top(f.in(14, all), byModel, all, requests)
	add("what is my most used model in the last 14 days?", ok,
		fmt.Sprintf("**%s** gets the most requests in the last 14 days: %d of %d", g.key, g.requests, len(f.in(14, all))))
	// The other end: the leader of the negated measure.
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { return -p95Of(g) })
	add("Which route is the fastest in the last 30 days?", ok,
		fmt.Sprintf("Route **%s** is the fastest in the last 30 days: **p95 %.0f ms**", g.key, p95(g.recs)))
	if ok {
		cs = append(cs, Case{Thread: []string{"Which route is the slowest in the last 30 days?"}, Question: "and the fastest?", Kind: KindFigure,
			MustNot: noReport, Must: []string{fmt.Sprintf("Route **%s** is the fastest in the last 30 days: **p95 %.0f ms**", g.key, p95(g.recs))}})
	}
	g, ok = top(f.in(30, all), byRoute, all, func(g group) float64 { return -costOf(g) })
	if ok {
		cs = append(cs, Case{Thread: []string{"Which route costs the most in the last 30 days?"}, Question: "and the cheapest?", Kind: KindFigure,
			MustNot: noReport, Must: []string{fmt.Sprintf("Route **%s** costs you the least in the last 30 days: $%.2f of $%.2f", g.key, g.cost, cost(f.in(30, all)))}})
	}
	g, ok = top(f.in(30, all), byModel, all, func(g group) float64 { return -perRequest(g) })
	add("Which model is the cheapest in the last 30 days?", ok,
		fmt.Sprintf("**%s** costs the least a request in the last 30 days: **$%.4f** on average over %d requests", g.key, g.cost/float64(g.requests), g.requests))
	g, ok = top(f.in(30, all), byHour, all, costOf)
	if ok {
		h, _ := strconv.Atoi(g.key)
		add("What time of day costs the most in the last 30 days?", ok,
			fmt.Sprintf("**%02d:00–%02d:00 UTC** costs the most in the last 30 days: $%.2f of $%.2f", h, (h+1)%24, g.cost, cost(f.in(30, all))))
	}
	// A family names the user's models of it: routes ranked within them.
	for _, c := range []struct {
		q, family string
		days      int
	}{{"What's my most expensive route on claude?", "claude-", 30}, {"Which route costs the most on gemini in the last 14 days?", "gemini-", 14}} {
		fam := func(r workload.Record) bool { return strings.HasPrefix(r.Model, c.family) }
		rs := f.in(c.days, fam)
		names := map[string]bool{}
		for _, r := range rs {
			names[r.Model] = true
		}
		g, ok := top(rs, byRoute, all, costOf)
		add(c.q, ok, fmt.Sprintf("Route **%s** costs you the most on %s in the last %d days: $%.2f of $%.2f", g.key,
			strings.Join(slices.Sorted(maps.Keys(names)), ", "), c.days, g.cost, cost(rs)))
	}
	// Another measure of a ranking, asked as a follow-up, ranks by it.
	if g, ok := top(f.in(14, all), byProvider, all, failsThenRate); ok {
		cs = append(cs, Case{Thread: []string{"Which provider costs me the most in the last 14 days?"}, Question: "what about errors?", Kind: KindFigure,
			MustNot: noReport, Must: []string{fmt.Sprintf("**%s** has the most errors in the last 14 days: %d of its %d requests failed", g.key, g.fails, g.requests)}})
	}
	perToken := func(g group) float64 { return math.Round(g.cost * 1e6 / float64(g.in+g.out) * 100) }
	g, ok = top(f.in(30, all), byModel, all, perToken)
	add("Which model is the most expensive per token in the last 30 days?", ok,
		fmt.Sprintf("**%s** costs the most a token in the last 30 days: **$%.2f a million tokens**", g.key, g.cost*1e6/float64(g.in+g.out)))
	g, ok = top(f.in(30, all), byProvider, all, p95Of)
	add("Which provider is the slowest in the last 30 days?", ok,
		fmt.Sprintf("**%s** is the slowest in the last 30 days: **p95 %.0f ms** (p50 %.0f ms, p99 %.0f ms), over %d requests",
			g.key, p95(g.recs), percentile(g.recs, 0.5), percentile(g.recs, 0.99), g.requests))
	return cs
}

// sumCases ask for figures derived from sums: the average cost of a request, what retries
// cost (each logged retry at its request's cost), the share of input read from a cache.
func sumCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	rs := f.in(30, all)
	var retries int64
	var retryCost float64
	for _, r := range rs {
		retries += int64(r.Retries)
		retryCost += float64(r.Retries) * r.CostUSD
	}
	var in, cached int64
	for _, r := range f.in(7, all) {
		in += r.InputTokens
		cached += r.CachedInputTokens
	}
	cache := fmt.Sprintf("None of your %d input tokens in the last 7 days was read from a prompt cache", in)
	if cached > 0 {
		cache = fmt.Sprintf("**%.1f%%** of your input tokens in the last 7 days were read from a prompt cache: %d of %d", 100*float64(cached)/float64(in), cached, in)
	}
	failedWith := func(days int, typ string) Case {
		var n, failed int
		rs := f.in(days, all)
		for _, r := range rs {
			if !r.OK {
				failed++
				if r.ErrorType == typ {
					n++
				}
			}
		}
		return Case{Kind: KindFigure, MustNot: noReport, Must: []string{fmt.Sprintf("**%d requests** failed with %s in the last %d days: %.1f%% of the %d that failed, %.2f%% of all %d",
			n, typ, days, 100*float64(n)/float64(failed), failed, 100*float64(n)/float64(len(rs)), len(rs))}}
	}
	rateLimits, timeouts := failedWith(30, "rate_limit"), failedWith(14, "timeout")
	timedOut := f.in(30, func(r workload.Record) bool { return !r.OK && r.ErrorType == "timeout" })
	// Yesterday's failures, the count first.
	y := f.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	var yAll, yFailed int
	for _, r := range f.recs {
		if r.TS.UTC().Truncate(24 * time.Hour).Equal(y) {
			yAll++
			if !r.OK {
				yFailed++
			}
		}
	}
	failedYesterday := fmt.Sprintf("**%d requests failed** yesterday (%s, UTC), of %d (%.2f%%)", yFailed, y.Format(time.DateOnly), yAll, 100*float64(yFailed)/float64(max(yAll, 1)))
	failed30 := f.in(30, func(r workload.Record) bool { return !r.OK })
	rateLimits.Question, timeouts.Question = "How many requests failed with rate limits in the last 30 days?", "how many timeouts did I have in the last 14 days?"
	var sum float64
	sc := f.in(30, route("support-chat"))
	for _, r := range sc {
		sum += r.LatencyMS
	}
	opus := f.in(30, func(r workload.Record) bool { return r.Model == "claude-opus-4" })
	var sum7 float64
	var in7, out7 int64
	for _, r := range f.in(7, all) {
		sum7 += r.LatencyMS
		in7, out7 = in7+r.InputTokens, out7+r.OutputTokens
	}
	// Two models, and two routes, side by side.
	compare := func(q string, a, c string, keep func(string) func(workload.Record) bool) Case {
		ra, rc := f.in(30, keep(a)), f.in(30, keep(c))
		failRate := func(rs []workload.Record) float64 {
			n := 0
			for _, r := range rs {
				if !r.OK {
					n++
				}
			}
			return 100 * float64(n) / float64(len(rs))
		}
		return Case{Question: q, Kind: KindFigure, MustNot: noReport, Must: []string{fmt.Sprintf(
			"In the last 30 days, **%s** costs **$%.4f** a request against $%.4f on %s, fails %.2f%% of its requests against %.2f%%, and has a p95 latency of %.0f ms against %.0f ms (%d and %d requests)",
			a, cost(ra)/float64(len(ra)), cost(rc)/float64(len(rc)), c, failRate(ra), failRate(rc), p95(ra), p95(rc), len(ra), len(rc))}}
	}
	providerIs := func(p string) func(workload.Record) bool {
		return func(r workload.Record) bool { return r.Provider == p }
	}
	inAll := func(a, c string, keep func(string) func(workload.Record) bool) string {
		return fmt.Sprintf("In all, %s cost **$%.2f** and %s $%.2f.", a, cost(f.in(30, keep(a))), c, cost(f.in(30, keep(c))))
	}
	providers := compare("Compare openai and anthropic over the last 30 days", "openai", "anthropic", providerIs)
	providers.Must = append(providers.Must, inAll("openai", "anthropic", providerIs))
	families := compare("How do claude and gemini compare in the last 30 days?", "anthropic", "google", providerIs) // a family is its maker's
	all7 := f.in(7, all)
	tok7 := in7 + out7
	p99of7 := percentile(all7, 0.99)
	// The days of the week: each one's average over the full UTC days of the last 30 days.
	perDate := map[time.Time]int{}
	for _, r := range f.in(30, all) {
		if d := r.TS.UTC().Truncate(24 * time.Hour); !d.Before(f.now.Add(-30*24*time.Hour)) && !d.AddDate(0, 0, 1).After(f.now) {
			perDate[d]++
		}
	}
	var byWeekday [7]struct{ days, requests int }
	var fullDays, fullRequests int
	for d, n := range perDate {
		byWeekday[d.Weekday()].days++
		byWeekday[d.Weekday()].requests += n
		fullDays, fullRequests = fullDays+1, fullRequests+n
	}
	// Weekends: the full UTC days of the last 30 that are Saturdays or Sundays.
	var weekendCost, weekdayCost float64
	var weekendDays, weekdayDays int
	fullDay := map[time.Time]bool{}
	for _, r := range f.in(30, all) {
		d := r.TS.UTC().Truncate(24 * time.Hour)
		if d.Before(f.now.Add(-30*24*time.Hour)) || d.AddDate(0, 0, 1).After(f.now) {
			continue
		}
		if !fullDay[d] {
			fullDay[d] = true
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekendDays++
			} else {
				weekdayDays++
			}
		}
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekendCost += r.CostUSD
		} else {
			weekdayCost += r.CostUSD
		}
	}
	busiest := time.Sunday
	for d := time.Sunday; d <= time.Saturday; d++ {
		x, y := byWeekday[d], byWeekday[busiest]
		if float64(x.requests)/float64(max(x.days, 1)) > float64(y.requests)/float64(max(y.days, 1)) {
			busiest = d
		}
	}
	return []Case{
		compare("Compare gpt-4o and claude-sonnet-4 over the last 30 days", "gpt-4o", "claude-sonnet-4", modelIs),
		compare("support-chat vs rag-answer in the last 30 days", "support-chat", "rag-answer", route),
		{Question: "Which day of the week gets the most requests in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%ss** have the most requests in the last 30 days: %.0f requests a day on average over %d of them, against %.0f requests a day over all %d full UTC days",
				busiest, float64(byWeekday[busiest].requests)/float64(byWeekday[busiest].days), byWeekday[busiest].days, float64(fullRequests)/float64(fullDays), fullDays)}},
		{Question: "How much did I spend on weekends in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("On weekends (Saturdays and Sundays) in the last 30 days: **$%.2f** over %d full UTC days (%.1f%% of the %d full days' spend), $%.2f a day, against $%.2f a day on the %d weekdays ($%.2f in all)",
				weekendCost, weekendDays, 100*weekendCost/(weekendCost+weekdayCost), weekendDays+weekdayDays, weekendCost/float64(weekendDays), weekdayCost/float64(weekdayDays), weekdayDays, weekdayCost)}},
		{Question: "How much did I spend on weekdays in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("On weekdays (Monday to Friday) in the last 30 days: **$%.2f** over %d full UTC days (%.1f%% of the %d full days' spend), $%.2f a day, against $%.2f a day on the %d weekend days ($%.2f in all)",
				weekdayCost, weekdayDays, 100*weekdayCost/(weekendCost+weekdayCost), weekendDays+weekdayDays, weekdayCost/float64(weekdayDays), weekendCost/float64(weekendDays), weekendDays, weekendCost)}},
		rateLimits, timeouts,
		{Question: "How much did timeouts cost me in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Requests that failed with timeout cost you **$%.2f** in the last 30 days: %d requests", cost(timedOut), len(timedOut))}},
		{Question: "What's my cost per successful request in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Each successful request cost you **$%.4f** on average in the last 30 days: $%.2f over the %d of %d requests that succeeded",
				cost(rs)/float64(len(rs)-len(failed30)), cost(rs), len(rs)-len(failed30), len(rs))}},
		{Question: "How many requests hit the cache in the last 7 days?", Kind: KindFigure, MustNot: noReport, Must: []string{cache}},
		{Question: "What did support-chat cost per day in the last 7 days?", Kind: KindFigure, MustNot: append([]string{"cost a request"}, noReport...),
			Must: []string{fmt.Sprintf("You spent **$%.2f** on route support-chat in the last 7 days, over %d requests", cost(f.in(7, route("support-chat"))), len(f.in(7, route("support-chat"))))}},
		ttftByModel(f), weekendErrorRate(f), switched(f),
		// The spread of what one request cost, from the records (nearest rank, as float32).
		{Question: "What's the median cost of a request in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your median request cost **$%.4f** in the last 30 days", costRank(rs, 0.5))}},
		{Question: "How much did my most expensive request cost in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your most expensive request cost **$%.4f** in the last 30 days. Over %d requests: mean $%.4f, median $%.4f, p95 $%.4f",
				costRank(rs, 1), len(rs), cost(rs)/float64(len(rs)), costRank(rs, 0.5), costRank(rs, 0.95))}},
		{Question: "What's the cost of a request on claude-opus-4 in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your average cost a request on claude-opus-4 in the last 30 days is **$%.4f**: $%.2f over %d requests", cost(opus)/float64(len(opus)), cost(opus), len(opus))}},
		{Question: "How many tokens per request on average in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%.0f input and %.0f output tokens a request** on average in the last 7 days, over %d requests", float64(in7)/float64(len(f.in(7, all))), float64(out7)/float64(len(f.in(7, all))), len(f.in(7, all)))}},
		{Question: "How long do requests take on average in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Latency in the last 7 days: **mean %.0f ms**", sum7/float64(len(f.in(7, all))))}},
		{Question: "What's the average latency of route support-chat in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Latency on route support-chat in the last 30 days: **mean %.0f ms**", sum/float64(len(sc)))}},
		{Question: "Where am I wasting money?", Kind: KindReport, Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(rs), cost(rs))}},
		// A kind of saving named: the report, led by what that kind saves (the amounts are the
		// optimization's; the set holds that the question is answered, not called out of scope).
		{Question: "Should I use batching?", Kind: KindReport, MustNot: []string{"cannot answer"},
			Must: []string{"**Batching** would save about **$", "## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(rs), cost(rs))}},
		{Question: "How can I reduce retry waste?", Kind: KindReport, MustNot: []string{"cannot answer"},
			Must: []string{"**Cutting failed calls** would save about **$", "## Recommendations"}},
		{Question: "How much would I save if I cut my error rate in half?", Kind: KindReport, MustNot: []string{"cannot answer"},
			Must: []string{"**Cutting failed calls** would save about **$", "## Recommendations"}},
		{Question: "What's my average cost per request in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your average cost a request in the last 30 days is **$%.4f**: $%.2f over %d requests", cost(rs)/float64(len(rs)), cost(rs), len(rs))}},
		{Question: "How much did retries cost me in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Retries cost you an estimated **$%.2f** in the last 30 days: your records log %d retries over %d requests", retryCost, retries, len(rs))}},
		{Question: "What's my cache hit rate over the last 7 days?", Kind: KindFigure, MustNot: noReport, Must: []string{cache}},
		providers, families,
		{Question: "What's my cost per 1k tokens in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Your tokens in the last 7 days cost **$%.2f a million** ($%.4f a thousand), input and output together: $%.2f over %d tokens (%d input, %d output), in %d requests",
				cost(all7)*1e6/float64(tok7), cost(all7)*1e3/float64(tok7), cost(all7), tok7, in7, out7, len(all7))}},
		{Question: "What's the average output length in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%.0f input and %.0f output tokens a request** on average in the last 7 days, over %d requests", float64(in7)/float64(len(all7)), float64(out7)/float64(len(all7)), len(all7))}},
		{Question: "How many requests failed yesterday?", Kind: KindFigure, MustNot: noReport, Must: []string{failedYesterday}},
		{Question: "How many input vs output tokens did I use in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d input and %d output tokens** in the last 7 days", in7, out7)}},
		{Question: "What is my p99 latency in the last 7 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Latency in the last 7 days: mean %.0f ms, p50 %.0f ms, p95 %.0f ms, **p99 %.0f ms**, over %d requests",
				sum7/float64(len(all7)), percentile(all7, 0.5), p95(all7), p99of7, len(all7))}},
		{Question: "How much did failed requests cost me in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Failed requests cost you **$%.2f** in the last 30 days, %.1f%% of your $%.2f spend: %d of %d requests failed",
				cost(f.in(30, func(r workload.Record) bool { return !r.OK })), 100*cost(f.in(30, func(r workload.Record) bool { return !r.OK }))/cost(rs), cost(rs),
				len(f.in(30, func(r workload.Record) bool { return !r.OK })), len(rs))}},
		{Question: "What's my time to first token in the last 7 days?", Kind: KindFigure, MustNot: noReport, Must: []string{ttft(f.in(7, all))}},
		{Question: "How much am I spending per user in the last 30 days?", Kind: KindFigure, MustNot: noReport,
			Must: []string{"Your records carry no end-user or customer id, so they cannot be split by user.", fmt.Sprintf("You spent **$%.2f** in the last 30 days", cost(rs))}},
		beyond(f),
		// Where to begin: the route is named before the list (which one, TestStartWithTheRouteThatSavesMost).
		{Question: "Which route should I optimize first?", Kind: KindReport, MustNot: []string{"cannot answer"}, Must: []string{"Start with route **", "## Recommendations"}},
		{Question: "Give me an action plan", Kind: KindReport, MustNot: []string{"cannot answer"},
			Must: []string{"## Recommendations", fmt.Sprintf("%d requests, $%.2f", len(rs), cost(rs))}},
	}
}

// switched asks whether a move already made paid off, on a route that ran on the model on
// every full day of the window: there is no day before the move to compare with, and the
// answer says so instead of pricing a move.
func switched(f facts) Case {
	from := f.now.Add(-30 * 24 * time.Hour)
	first := from.UTC().Truncate(24 * time.Hour)
	if first.Before(from) {
		first = first.AddDate(0, 0, 1)
	}
	return Case{Question: "Did my costs go down after I switched support-triage to gpt-4o-mini?", Kind: KindFigure, MustNot: []string{"## Recommendations", "would save"},
		Must: []string{fmt.Sprintf("Your traffic on route support-triage runs on **gpt-4o-mini** on every full day in the last 30 days (from %s)", first.Format(time.DateOnly))}}
}

// ttftByModel asks which model is the slowest to its first token: by the p95 of the time to
// first token of its records that report one (nearest rank, as float32).
func ttftByModel(f facts) Case {
	lead, p95 := "", 0.0
	for m, g := range groups(f.in(30, func(r workload.Record) bool { return r.TTFTMS > 0 }), byModel) {
		if x := ranked(g.recs, 0.95, func(r workload.Record) float64 { return r.TTFTMS }); x > p95 || x == p95 && m < lead {
			lead, p95 = m, x
		}
	}
	return Case{Question: "Which model has the slowest time to first token in the last 30 days?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
		Must: []string{fmt.Sprintf("**%s** is the slowest to its first token in the last 30 days: **p95 %.0f ms**", lead, p95)}}
}

// weekendErrorRate asks the error rate on weekends: failed over all requests on the window's
// full UTC Saturdays and Sundays.
func weekendErrorRate(f facts) Case {
	from := f.now.Add(-30 * 24 * time.Hour)
	var n, failed, days int
	seen := map[string]bool{}
	for _, r := range f.in(30, all) {
		d := r.TS.UTC().Truncate(24 * time.Hour)
		if d.Before(from) || d.Add(24*time.Hour).After(f.now) || (d.Weekday() != time.Saturday && d.Weekday() != time.Sunday) {
			continue
		}
		n++
		if !r.OK {
			failed++
		}
		if k := d.Format(time.DateOnly); !seen[k] {
			seen[k] = true
			days++
		}
	}
	return Case{Question: "What's the error rate on weekends in the last 30 days?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
		Must: []string{fmt.Sprintf("Your error rate on weekends (Saturdays and Sundays) in the last 30 days is **%.2f%%**: %d of %d requests failed over %d full UTC days",
			100*float64(failed)/float64(n), failed, n, days)}}
}

// boundCases ask about the requests within a bound on each one: how many took longer than a
// latency, had more tokens than a size, or cost more than an amount, counted record by record
// against all the window's requests; what they cost, how many failed, and their latency.
func boundCases(f facts) []Case {
	noReport := []string{"## Recommendations"}
	rs := f.in(30, all)
	within := func(keep func(workload.Record) bool) []workload.Record { return f.in(30, keep) }
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	count := func(q, verb string, keep func(workload.Record) bool) Case {
		in := within(keep)
		return Case{Question: q, Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d of your %d requests** (%.1f%%) in the last 30 days %s. They cost $%.2f, %.1f%% of your $%.2f",
				len(in), len(rs), pct(len(in), len(rs)), verb, cost(in), 100*cost(in)/cost(rs), cost(rs))}}
	}
	slow := func(ms float64) func(workload.Record) bool {
		return func(r workload.Record) bool { return r.LatencyMS > ms }
	}
	long := func(r workload.Record) bool { return r.InputTokens > 8000 }
	big := func(r workload.Record) bool { return r.InputTokens+r.OutputTokens > 10000 }
	cs := []Case{
		count("How many requests took longer than 10 seconds in the last 30 days?", "took longer than 10 s", slow(10000)),
		count("What fraction of my requests have more than 8000 input tokens?", "had more than 8000 input tokens", long),
		count("How many requests cost more than $0.50 in the last 30 days?", "cost more than $0.50", func(r workload.Record) bool { return r.CostUSD > 0.5 }),
		count("What share of requests finished in under 2 seconds?", "took less than 2 s", func(r workload.Record) bool { return r.LatencyMS < 2000 }),
		count("How many requests took between 1 and 5 seconds?", "took between 1 s and 5 s", func(r workload.Record) bool { return r.LatencyMS > 1000 && r.LatencyMS < 5000 }),
	}
	// Whether any request is so: yes or no first, then how many.
	dear := within(func(r workload.Record) bool { return r.CostUSD > 1 })
	if len(dear) > 0 {
		cs = append(cs, Case{Question: "Did any request cost more than $1?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**Yes: %d of your %d requests** (%.1f%%) in the last 30 days cost more than $1.00", len(dear), len(rs), pct(len(dear), len(rs)))}})
	}
	if len(within(slow(600000))) == 0 {
		cs = append(cs, Case{Question: "Were there any requests over 10 minutes?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**No: none of your %d requests** in the last 30 days took longer than 600 s.", len(rs))}})
	}
	if n := len(within(slow(60000))); n > 0 { // a duration in words: "a minute"
		cs = append(cs, Case{Question: "How many requests took over a minute?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%d of your %d requests** (%.1f%%) in the last 30 days took longer than 60 s", n, len(rs), pct(n, len(rs)))}})
	}
	// Within a scope, the share is of the scope's requests.
	gpt41 := f.in(30, modelIs("gpt-4.1"))
	in := within(func(r workload.Record) bool { return r.Model == "gpt-4.1" && r.LatencyMS > 10000 })
	cs = append(cs, Case{Question: "How many gpt-4.1 requests took longer than 10 seconds?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("**%d of your %d requests** (%.1f%%) on gpt-4.1 in the last 30 days took longer than 10 s. They cost $%.2f, %.1f%% of your $%.2f",
			len(in), len(gpt41), pct(len(in), len(gpt41)), cost(in), 100*cost(in)/cost(gpt41), cost(gpt41))}})
	in = within(func(r workload.Record) bool { return r.CostUSD > 0.1 })
	cs = append(cs, Case{Question: "What share of my spend comes from requests over $0.10?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Requests that cost more than $0.10 cost you **$%.2f** in the last 30 days: %.1f%% of your $%.2f", cost(in), 100*cost(in)/cost(rs), cost(rs))}})
	in = within(big)
	cs = append(cs, Case{Question: "How much do requests over 10,000 tokens cost me?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Requests that had more than 10000 tokens (input and output) cost you **$%.2f** in the last 30 days: %.1f%% of your $%.2f, over %d of %d requests (%.1f%%)",
			cost(in), 100*cost(in)/cost(rs), cost(rs), len(in), len(rs), pct(len(in), len(rs)))}})
	slow5 := within(slow(5000))
	failed := 0
	for _, r := range slow5 {
		if !r.OK {
			failed++
		}
	}
	restFailed := 0
	for _, r := range rs {
		if !r.OK && r.LatencyMS <= 5000 {
			restFailed++
		}
	}
	cs = append(cs, Case{Question: "What's the error rate of requests that took longer than 5 seconds?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Of the %d requests in the last 30 days that took longer than 5 s, **%d failed (%.2f%%)**, against %.2f%% of the other %d",
			len(slow5), failed, pct(failed, len(slow5)), pct(restFailed, len(rs)-len(slow5)), len(rs)-len(slow5))}})
	// The error rate within a bound, by model: by the rate, a model of fewer than 30 such
	// requests after the others.
	if g, ok := top(rs, byModel, big, func(g group) float64 {
		return float64(g.fails)/float64(g.requests) + map[bool]float64{true: 1, false: 0}[g.requests >= 30]
	}); ok {
		cs = append(cs, Case{Question: "What is the error rate on requests over 10k tokens by model?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%s** has the highest error rate on requests that had more than 10000 tokens (input and output): **%.2f%%**, %d of its %d failed",
				g.key, pct(int(g.fails), int(g.requests)), g.fails, g.requests)}})
	}
	// A ranking within the bound: by how many of each model's requests lie in it.
	if g, ok := top(rs, byModel, slow(20000), requests); ok {
		n := len(f.in(30, modelIs(g.key)))
		cs = append(cs, Case{Question: "Which model has the most requests slower than 20 seconds?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%s** has the most requests that took longer than 20 s: %d of its %d (%.1f%%), costing $%.2f", g.key, g.requests, n, pct(int(g.requests), n), g.cost)}})
	}
	// A follow-up keeps the bound and ranks by what it names.
	if g, ok := top(rs, byRoute, slow(10000), requests); ok {
		n := len(f.in(30, route(g.key)))
		cs = append(cs, Case{Thread: []string{"How many requests took longer than 10 seconds in the last 30 days?"}, Question: "and by route?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("Route **%s** has the most requests that took longer than 10 s: %d of its %d (%.1f%%)", g.key, g.requests, n, pct(int(g.requests), n))}})
	}
	// Within a bound and the days of the week kept: both narrow the requests, and the share is
	// of the days' requests.
	wknd := f.in(30, weekend)
	in = within(func(r workload.Record) bool { return weekend(r) && r.LatencyMS > 10000 })
	cs = append(cs, Case{Question: "How many requests took longer than 10 seconds on weekends?", Kind: KindFigure, MustNot: append([]string{"has the most requests"}, noReport...), // no ranking asked
		Must: []string{fmt.Sprintf("**%d of your %d requests** (%.1f%%) on weekends (UTC) in the last 30 days took longer than 10 s. They cost $%.2f, %.1f%% of your $%.2f",
			len(in), len(wknd), pct(len(in), len(wknd)), cost(in), 100*cost(in)/cost(wknd), cost(wknd))}})
	// "They" are the requests the question before counted.
	slow10 := within(slow(10000))
	first := []string{"How many requests took longer than 10 seconds in the last 30 days?"}
	cs = append(cs, Case{Thread: first, Question: "how much did they cost?", Kind: KindFigure, MustNot: noReport,
		Must: []string{fmt.Sprintf("Requests that took longer than 10 s cost you **$%.2f** in the last 30 days: %.1f%% of your $%.2f, over %d of %d requests (%.1f%%)",
			cost(slow10), 100*cost(slow10)/cost(rs), cost(rs), len(slow10), len(rs), pct(len(slow10), len(rs)))}})
	if g, ok := top(rs, byModel, slow(10000), requests); ok {
		n := len(f.in(30, modelIs(g.key)))
		cs = append(cs, Case{Thread: first, Question: "which model were they on?", Kind: KindFigure, MustNot: noReport,
			Must: []string{fmt.Sprintf("**%s** has the most requests that took longer than 10 s: %d of its %d (%.1f%%)", g.key, g.requests, n, pct(int(g.requests), n))}})
	}
	// Another figure of the requests within the bound: their latency, from their records
	// alone, not the window's.
	in = within(long)
	cs = append(cs, Case{Question: "What's the p95 latency of requests with more than 8000 input tokens?", Kind: KindFigure,
		Must: []string{fmt.Sprintf("Latency on requests that had more than 8000 input tokens in the last 30 days: mean %.0f ms, p50 %.0f ms, **p95 %.0f ms**, p99 %.0f ms, over %d requests",
			mean(in), percentile(in, 0.5), p95(in), percentile(in, 0.99), len(in))},
		MustNot: append([]string{fmt.Sprintf("p95 %.0f ms", p95(rs))}, noReport...)})
	return cs
}

// noCaching asks what prompt caching would save on a route where it saves nothing, and wants
// the reason, from a cache simulated here on the route's records: for each model and prefix,
// in the order logged, a use within the cache's lifetime of the one before reads it and any
// other writes it; a prefix is as long as its shortest prompt. ok is false when caching would
// save on the route after all.
func noCaching(f facts, route string) (Case, bool) {
	type acc struct {
		reads, writes, minIn int64
		last                 time.Time
	}
	prices := workload.DefaultPrices()
	byKey := map[[2]string]*acc{}
	var keys [][2]string
	for _, r := range f.in(30, func(r workload.Record) bool { return r.Route == route && r.PrefixHash != "" }) {
		p, ok := prices.Lookup(r.Model)
		if !ok {
			continue
		}
		k := [2]string{r.Model, r.PrefixHash}
		a := byKey[k]
		if a == nil {
			a = &acc{minIn: r.InputTokens}
			byKey[k] = a
			keys = append(keys, k)
		}
		if gap := r.TS.Sub(a.last); a.reads+a.writes > 0 && gap <= p.CacheTTL() && gap >= -p.CacheTTL() {
			a.reads++
		} else {
			a.writes++
		}
		a.minIn = min(a.minIn, r.InputTokens)
		a.last = r.TS
	}
	type model struct {
		reads, writes int64
		save, premium float64
	}
	models := map[string]*model{}
	for _, k := range keys {
		a := byKey[k]
		p, _ := prices.Lookup(k[0])
		if a.reads == 0 || a.minIn < p.MinCacheTokens {
			continue
		}
		m := models[k[0]]
		if m == nil {
			m = &model{}
			models[k[0]] = m
		}
		m.reads += a.reads
		m.writes += a.writes
		m.save += float64(a.reads*a.minIn) * (p.Input - p.CachedInput) / 1e6
		m.premium += float64(a.writes*a.minIn) * p.Input * (p.WritePremium() - 1) / 1e6
	}
	c := Case{Question: fmt.Sprintf("How much would prompt caching save me on %s?", route), Kind: KindReport,
		Must: []string{fmt.Sprintf("**Prompt caching** shows no measurable saving on route %s in the last 30 days", route)}}
	for name, m := range models {
		if m.save-m.premium > 0 {
			return Case{}, false
		}
		p, _ := prices.Lookup(name)
		c.Must = append(c.Must, fmt.Sprintf("On %s, %d uses of its repeated prefixes would read the cache and %d would write it at %.2f× the input price (the cache lives %.0f minutes after a use), so caching would cost **$%.2f more** than it saves ($%.2f saved on reads, $%.2f in write premiums)",
			name, m.reads, m.writes, p.WritePremium(), p.CacheTTL().Minutes(), math.Round(m.premium*100)/100-math.Round(m.save*100)/100, m.save, m.premium))
	}
	return c, len(c.Must) > 1
}

// speedCases ask how fast answers are written: each successful request's output tokens over
// the time from its first token to its last, in tokens a second, for the records that report
// a time to first token; the median over all, and the model with the highest median.
func speedCases(f facts) []Case {
	timed := func(r workload.Record) bool {
		return r.OK && r.OutputTokens > 0 && r.TTFTMS > 0 && r.LatencyMS > r.TTFTMS
	}
	speed := func(r workload.Record) float64 { return float64(r.OutputTokens) / ((r.LatencyMS - r.TTFTMS) / 1000) }
	rs := f.in(30, timed)
	var sum float64
	for _, r := range rs {
		sum += speed(r)
	}
	cs := []Case{{Question: "What's my output speed in tokens per second?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
		Must: []string{fmt.Sprintf("Answers in the last 30 days were written at **%.0f output tokens a second** (median; p95 %.0f, mean %.0f), counted from the first token to the last, over the %d successful requests that report a time to first token",
			ranked(rs, 0.5, speed), ranked(rs, 0.95, speed), sum/float64(len(rs)), len(rs))}}}
	if g, ok := top(rs, byModel, all, func(g group) float64 { return ranked(g.recs, 0.5, speed) }); ok {
		cs = append(cs, Case{Question: "Which model generates the fastest?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("**%s** writes its answers the fastest in the last 30 days: **%.0f output tokens a second** (median, after the first token), over %d successful requests; %.0f over all models",
				g.key, ranked(g.recs, 0.5, speed), g.requests, ranked(rs, 0.5, speed))}})
	}
	return cs
}

// weekdayCases set days of the week side by side over the full UTC days of the last 30: two
// days named, and requests a minute on weekdays against weekends.
func weekdayCases(f facts) []Case {
	from := f.now.Add(-30 * 24 * time.Hour)
	type wd struct {
		days     map[time.Time]bool
		requests int
		cost     float64
	}
	var w [7]wd
	var weekdays, weekends wd
	for _, r := range f.in(30, all) {
		d := r.TS.UTC().Truncate(24 * time.Hour)
		if d.Before(from) || d.Add(24*time.Hour).After(f.now) {
			continue
		}
		for _, x := range []*wd{&w[d.Weekday()], map[bool]*wd{true: &weekends, false: &weekdays}[weekend(r)]} {
			if x.days == nil {
				x.days = map[time.Time]bool{}
			}
			x.days[d] = true
			x.requests++
			x.cost += r.CostUSD
		}
	}
	sat, sun := w[time.Saturday], w[time.Sunday]
	perSat, perSun := sat.cost/float64(len(sat.days)), sun.cost/float64(len(sun.days))
	dir := "higher"
	if perSun < perSat {
		dir = "lower"
	}
	perMinute := func(x wd) float64 { return float64(x.requests) / float64(len(x.days)) / 1440 }
	return []Case{
		{Question: "Saturday vs Sunday spend in the last 30 days", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("By day of the week in the last 30 days, spend a day on average: **Saturdays** $%.2f (%d full days), **Sundays** $%.2f (%d full days). Sundays are **%.1f%% %s** than Saturdays",
				perSat, len(sat.days), perSun, len(sun.days), 100*math.Abs(perSun/perSat-1), dir)}},
		{Question: "How many requests per minute do I make on weekdays?", Kind: KindFigure, MustNot: []string{"## Recommendations"},
			Must: []string{fmt.Sprintf("That is **%.3g requests a minute** on weekdays (Monday to Friday) on average, against %.3g on weekend days", perMinute(weekdays), perMinute(weekends))}},
	}
}

// daysBeyond asks which full UTC days of the last 30 cost more than the median full day
// (rounded to the dollar): how many, what they cost together, against the window's spend.
func daysBeyond(f facts) Case {
	from := f.now.Add(-30 * 24 * time.Hour)
	byDay := map[time.Time]float64{}
	for _, r := range f.in(30, all) {
		byDay[r.TS.UTC().Truncate(24*time.Hour)] += r.CostUSD
	}
	var costs []float64
	for d, c := range byDay {
		if !d.Before(from) && !d.Add(24*time.Hour).After(f.now) {
			costs = append(costs, c)
		}
	}
	slices.Sort(costs)
	usd := math.Round(costs[len(costs)/2])
	var n int
	var sum float64
	for _, c := range costs {
		if c > usd {
			n++
			sum += c
		}
	}
	total := cost(f.in(30, all))
	return Case{Question: fmt.Sprintf("On what days did I spend more than $%.0f?", usd), Kind: KindFigure, MustNot: []string{"## Recommendations"},
		Must: []string{fmt.Sprintf("**%d of the %d full days (UTC)** in the last 30 days cost more than $%.2f: $%.2f of $%.2f (%.1f%%)", n, len(costs), usd, sum, total, 100*sum/total)}}
}

// standOut asks for the days that stand out in the last 30: a full UTC day whose spend or
// requests reach 1.5× (or fall to 0.5×) the median full day of its kind, weekdays and weekends
// apart (each with at least 3 days), or whose error rate, with at least 5 failures, is twice
// the rate over all the full days.
func standOut(f facts) []Case {
	from := f.now.Add(-30 * 24 * time.Hour)
	type day struct {
		requests, fails int
		cost            float64
	}
	days := map[time.Time]*day{}
	for _, r := range f.in(30, all) {
		d := r.TS.UTC().Truncate(24 * time.Hour)
		if d.Before(from) || d.AddDate(0, 0, 1).After(f.now) {
			continue
		}
		if days[d] == nil {
			days[d] = &day{}
		}
		days[d].requests++
		days[d].cost += r.CostUSD
		if !r.OK {
			days[d].fails++
		}
	}
	weekend := func(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }
	mid := func(v []float64) float64 {
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	var requests, fails int
	costs, reqs := map[bool][]float64{}, map[bool][]float64{}
	for d, x := range days {
		costs[weekend(d)] = append(costs[weekend(d)], x.cost)
		reqs[weekend(d)] = append(reqs[weekend(d)], float64(x.requests))
		requests, fails = requests+x.requests, fails+x.fails
	}
	rate, out := float64(fails)/float64(requests), 0
	for d, x := range days {
		k, odd := weekend(d), false
		if n := len(costs[k]); n >= 3 {
			c, q := mid(slices.Clone(costs[k])), mid(slices.Clone(reqs[k]))
			odd = x.cost >= 1.5*c || x.cost <= 0.5*c || float64(x.requests) >= 1.5*q || float64(x.requests) <= 0.5*q
		}
		if x.fails >= 5 && float64(x.fails)/float64(x.requests) >= 2*rate {
			odd = true
		}
		if odd {
			out++
		}
	}
	must := fmt.Sprintf("**No day stands out** in the last 30 days: over its %d full UTC days", len(days))
	if out > 0 {
		must = fmt.Sprintf("**%d of the %d full UTC days** in the last 30 days stand out", out, len(days))
	}
	cs := []Case{{Question: "Did anything unusual happen in the last 30 days?", Kind: KindFigure, MustNot: []string{"## Recommendations"}, Must: []string{must}}}
	// Spend alone: the days whose spend stands out, or the one nearest to it against the
	// median of its kind.
	spikes, top, ratio := 0, time.Time{}, 0.0
	for d, x := range days {
		c := mid(slices.Clone(costs[weekend(d)]))
		if len(costs[weekend(d)]) < 3 {
			continue
		}
		if x.cost >= 1.5*c || x.cost <= 0.5*c {
			spikes++
		}
		if x.cost/c > ratio {
			top, ratio = d, x.cost/c
		}
	}
	kind := "weekday"
	if weekend(top) {
		kind = "weekend"
	}
	must = fmt.Sprintf("**No day's spend stands out** in the last 30 days: over its %d full UTC days, none reaches 1.5× the median day of its kind or falls to 0.5× it. "+
		"The highest against its kind, **%s** (%s), had $%.2f, %.2f× the %s median of $%.2f", len(days), top.Format("2006-01-02"), top.Weekday(), days[top].cost, ratio, kind, mid(slices.Clone(costs[weekend(top)])))
	if spikes > 0 {
		must = fmt.Sprintf("**%d of the %d full UTC days** in the last 30 days stand out", spikes, len(days))
	}
	return append(cs, Case{Question: "When did my spend spike in the last 30 days?", Kind: KindFigure, MustNot: []string{"## Recommendations", "requests failed)"}, Must: []string{must}})
}

// ttft is the sentence on the time to first token of the records that carry one.
func ttft(rs []workload.Record) string {
	var v []float64
	for _, r := range rs {
		if r.TTFTMS > 0 {
			v = append(v, float64(float32(r.TTFTMS)))
		}
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[int(math.Ceil(q*float64(len(v))))-1] }
	return fmt.Sprintf("Time to first token in the last 7 days: **p50 %.0f ms, p95 %.0f ms**, over the %d requests that record it.", at(0.5), at(0.95), len(v))
}

// beyond asks for a cut no recommendation reaches: the report names the larger step, the route
// and model whose whole traffic would save the most on the model's cheaper sibling (list
// prices of the price table, record by record).
func beyond(f facts) Case {
	prices := workload.DefaultPrices()
	type key struct{ route, model, cheaper string }
	saved := map[key]float64{}
	var best key
	for _, r := range f.in(30, all) {
		p, ok := prices.Lookup(r.Model)
		c, cok := prices.Lookup(p.Cheaper)
		if !ok || !cok || p.Cheaper == "" {
			continue
		}
		k := key{r.Route, p.Model, c.Model}
		saved[k] += r.CostUSD - c.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
	}
	for k, v := range saved {
		if best == (key{}) || v > saved[best] {
			best = k
		}
	}
	return Case{Question: "How can I cut my LLM costs by 80% over the last 30 days?", Kind: KindReport, MustNot: []string{"cannot answer"},
		Must: []string{"## Recommendations", fmt.Sprintf("That falls short of your 80%% target. A larger step, with more risk to answer quality: moving all of route %s from %s to %s would save about $",
			best.route, best.model, best.cheaper)}}
}

// QuestionCases are free-form questions for the analyst: the busiest hour of the day, the
// commonest error type, the provider with the most spend, the busiest day, the route with the
// most errors. Each answer must name the leader and its figure, as computed here from the raw
// records. A question whose top two tie is left out: either answer would be right.
func QuestionCases(recs []workload.Record, now time.Time) []Case {
	f := facts{recs, now}
	var cs []Case
	add := func(q string, g group, ok bool, figure string) {
		if ok {
			cs = append(cs, Case{Question: q, Kind: KindQuestion, Must: []string{g.key, figure}, MustNot: []string{"## Recommendations"}})
		}
	}
	g, ok := top(f.in(30, all), byHour, all, requests)
	add("Which hour of the day has the most requests in the last 30 days?", g, ok, fmt.Sprintf("%d requests", g.requests))
	g, ok = top(f.in(14, all), func(r workload.Record) string { return r.ErrorType }, func(r workload.Record) bool { return !r.OK && r.ErrorType != "" }, requests)
	add("Which error type is most common in the last 14 days?", g, ok, fmt.Sprintf("%d requests", g.requests))
	g, ok = top(f.in(30, all), func(r workload.Record) string { return r.Provider }, all, func(g group) float64 { return math.Round(g.cost * 100) })
	add("Which provider do I spend the most on in the last 30 days?", g, ok, fmt.Sprintf("$%.2f", g.cost))
	g, ok = top(f.in(7, all), func(r workload.Record) string { return r.TS.UTC().Format("2006-01-02") }, all, requests)
	add("Which day had the most requests in the last 7 days?", g, ok, fmt.Sprintf("%d requests", g.requests))
	g, ok = top(f.in(30, all), byRoute, all, fails)
	add("Which route has the most errors in the last 30 days?", g, ok, fmt.Sprintf("%d errors", g.fails))
	return cs
}

// thousands matches a thousands separator between digits.
var thousands = regexp.MustCompile(`(\d),(\d{3})`)

// Run asks every case over one WebSocket connection of c's user and checks the answers.
func Run(ctx context.Context, c *client.Client, cases []Case) (Report, error) {
	t0 := time.Now()
	rep := Report{ByKind: map[string]*Score{}, Failures: []Result{}}
	conn, err := c.Connect(ctx, client.ConnOptions{})
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	for _, cs := range cases {
		res := ask(ctx, conn, cs)
		rep.Total++
		s := rep.ByKind[cs.Kind]
		if s == nil {
			s = &Score{}
			rep.ByKind[cs.Kind] = s
		}
		s.Total++
		s.Usage = s.Usage.Add(res.Usage)
		if res.Pass {
			rep.Passed++
			s.Passed++
		} else {
			rep.Failures = append(rep.Failures, res)
		}
	}
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}

func ask(ctx context.Context, conn *client.Conn, cs Case) Result {
	res := Result{Case: cs}
	thread := ""
	for _, q := range cs.Thread {
		var err error
		if _, thread, err = answer(ctx, conn, q, thread, &res.Usage); err != nil {
			res.Error = fmt.Sprintf("asking %q first: %v", q, err)
			return res
		}
	}
	md, _, err := answer(ctx, conn, cs.Question, thread, &res.Usage)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Markdown = md
	if cs.Kind == KindQuestion { // a model may write 1,234,567 for 1234567
		for prev := ""; prev != md; {
			prev, md = md, thousands.ReplaceAllString(md, "$1$2")
		}
	}
	for _, m := range cs.Must {
		if !strings.Contains(md, m) {
			res.Missing = append(res.Missing, m)
		}
	}
	for _, m := range cs.MustNot {
		if strings.Contains(md, m) {
			res.Unwanted = append(res.Unwanted, m)
		}
	}
	res.Pass = len(res.Missing) == 0 && len(res.Unwanted) == 0
	if res.Pass {
		res.Markdown = ""
	}
	return res
}

// answer asks a question (in thread, or a new one when empty) and returns the answer's
// markdown and the thread; the run's model usage is added to usage.
func answer(ctx context.Context, conn *client.Conn, q, thread string, usage *model.Usage) (string, string, error) {
	acc, err := conn.Start(ctx, client.StartRun{Input: q, ThreadID: thread})
	if err != nil {
		return "", "", err
	}
	for {
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case ev, ok := <-conn.Events():
			if !ok {
				return "", "", fmt.Errorf("connection ended: %v", conn.Err())
			}
			if ev.RunID != acc.RunID || !ev.Terminal() {
				continue
			}
			var out struct {
				Output struct {
					Markdown string `json:"markdown"`
				} `json:"output"`
				Usage model.Usage `json:"usage"`
			}
			if ev.Type != "run_completed" || json.Unmarshal(ev.Data, &out) != nil {
				return "", "", fmt.Errorf("%s: %s", ev.Type, ev.Data)
			}
			*usage = usage.Add(out.Usage)
			return out.Output.Markdown, acc.ThreadID, nil
		}
	}
}

// Package offline is the model provider that needs no model: triage by rules, wording by
// templates. It is deterministic, which also makes it the provider of the tests.
package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// Provider is the offline provider. Known models and routes help it recognise entities.
type Provider struct {
	known []string
}

var _ model.Provider = (*Provider)(nil)

// New returns an offline provider that recognises the given model names in questions.
func New(knownModels []string) *Provider {
	return &Provider{known: knownModels}
}

// Name implements model.Provider.
func (*Provider) Name() string { return "offline" }

// Complete implements model.Provider.
func (p *Provider) Complete(ctx context.Context, req model.Request) (model.Response, error) {
	if err := ctx.Err(); err != nil {
		return model.Response{}, err
	}
	switch req.Task {
	case model.TaskTriage:
		t := p.triage(req.Input, req.Today())
		b, err := json.Marshal(t)
		return model.Response{JSON: b}, err
	case model.TaskWrite:
		return model.Response{Text: write(req.Data)}, nil
	}
	return model.Response{}, fmt.Errorf("offline provider: unknown task %q", req.Task)
}

var (
	windowRe  = regexp.MustCompile(`(?i)\b(?:last|past|previous)\s+(\d+)?\s*(hour|hours|day|days|week|weeks|month|months)\b`)
	costCutRe = regexp.MustCompile(`(?i)(?:cut|reduce|lower|save|decrease|trim)\b[^.%]{0,40}?(\d+(?:\.\d+)?)\s*%`)
	// latencyTargetRe is a latency to reach without a percentile named: "how do I get my
	// latency under 2 seconds?" (the p95's target).
	latencyTargetRe = regexp.MustCompile(`(?i)\b(?:get|bring|keep|reduce|cut|lower|drop|make)\b[^.?!]{0,40}?\b(?:latency|response time|requests|calls|it|them)\b[^.?!]{0,20}?\b(?:under|below|to|within|less than)\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds|milliseconds)\b`)
	p95Re           = regexp.MustCompile(`(?i)\bp95\b[^0-9]{0,20}(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds|milliseconds)\b`)
	synthDays       = regexp.MustCompile(`(?i)\b(\d+)\s*days?\b`)
	switchToRe      = regexp.MustCompile(`(?i)\b(?:switch\w*|mov(?:e|es|ed|ing)|migrat\w*|chang\w*|rout(?:e|ed|ing)|send\w*|sent|put\w*)\b.{1,80}?\bto\s+([A-Za-z0-9][A-Za-z0-9._:/-]*)`)
	useForRe        = regexp.MustCompile(`(?i)\b(?:use|used|using|try|tried|trying)\s+([A-Za-z0-9][A-Za-z0-9._:/-]*)\s+(?:for|on|in|instead)\b`)
	// "what would it cost to run everything on gpt-4o-mini?", "if all my traffic ran on X",
	// "what if every request ran on X?"
	runOnRe = regexp.MustCompile(`(?i)\b(?:run|runs|running|ran|put|putting|had|have|moved?|switched?|sent)\s+` + allTraffic + `\s+(?:on|to|through|with)\s+([A-Za-z0-9][A-Za-z0-9._:/-]*)`)
	ranOnRe = regexp.MustCompile(`(?i)\b` + allTraffic + `\s+(?:ran|run|runs|went|were|was)\s+(?:on|through)\s+([A-Za-z0-9][A-Za-z0-9._:/-]*)`)
	// "is gpt-4o-mini good enough for support-chat?", "could gpt-4o-mini handle code-chat?"
	goodForRe = regexp.MustCompile(`(?i)\b([A-Za-z0-9][A-Za-z0-9._:/-]*)\s+(?:be\s+)?(?:(?:good|enough|ok|okay|fine|sufficient|adequate|suitable|work)\b[^?.]{0,30}?\bfor|(?:handle|serve|replace|do))\b`)
	// "would claude-sonnet-4 be cheaper than claude-opus-4 for code-chat?": the first priced
	// on the second's traffic.
	wouldBeRe  = regexp.MustCompile(`(?i)\bwould\s+([A-Za-z0-9][A-Za-z0-9._:/-]*)\s+be\s+(?:any\s+|much\s+|a lot\s+)?(?:cheaper|less expensive|more expensive|pricier|costlier)\b`)
	providerRe = regexp.MustCompile(`\b(openai|anthropic|google|gemini|claude|gpt|grok|vertex|azure|bedrock|mistral|cohere|groq|together(?:\.ai|\s+ai)|deepseek|fireworks|openrouter|perplexity|xai)\b`)
	// A maker's models named as a group: "anthropic models", "openai's models".
	makerModelsRe = regexp.MustCompile(`\b(?:openai|anthropic|google|mistral|cohere|deepseek|xai)(?:'s)?\s+models\b`)
	leastRe       = regexp.MustCompile(`\b(?:fastest|quickest|cheapest|fewest|least|lowest|quietest|shortest|smallest|best (?:(?:median|average|mean)\s+)?(?:latency|response times?|p50|p95|p99))\b`)
	// A price per token: "cost per 1k tokens", "per million tokens", "$ per token", "per mtok".
	perTokenRe = regexp.MustCompile(`\b(?:per|a|each|every)\s+(?:(?:1|one)\s*)?(?:k|m|thousand|million|1,?000|1,?000,?000)?\s*(?:tokens?|mtok|ktok)\b`)
	// How many of a ranking: "top 3", "top-five", "the 2 slowest", "my 5 most expensive",
	// "3 routes", "ten models". Not "7 days": that is a window.
	topRe = regexp.MustCompile(`\btop[\s-]+(` + counts + `)\b|\b(` + counts + `)\s+(?:(?:most|least)\b|\w+est\b|(?:routes|models|providers|endpoints|features|error types)\b)`)
	// A number of hours or days ranked: "which 3 days", "the top 5 hours".
	countedRe = regexp.MustCompile(`\b(?:which|what|top|the|my)\s+(` + counts + `)\s+(?:\w+est\s+|most\s+\w+\s+)?(?:days|hours)\b`)
	// The model a price question names: "the price of gpt-4o", "pricing for claude-sonnet-4".
	priceOfRe = regexp.MustCompile(`\b(?:price|prices|pricing|priced)\s+(?:of|for)\s+([a-z0-9][a-z0-9._:/-]*(?:(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+)[a-z0-9][a-z0-9._:/-]*)*)`)
	// listSepRe splits the names of a list: "gpt-9, gpt-10 and o5".
	listSepRe = regexp.MustCompile(`\s*,\s*(?:and\s+)?|\s+and\s+`)
	// switchedRe is a move of traffic already made, asked about: "after I switched …",
	// "did moving … help?", "since we migrated …".
	switchedRe = regexp.MustCompile(`\b(?:after|since|when|once|because)\s+(?:i|we)\s+(?:switched|moved|migrated|changed|swapped|routed)\b|` +
		`\b(?:did|has|have)\s+(?:the\s+|my\s+|our\s+)?(?:switch|move|migration|switching|moving|migrating)\b|\bsince\s+the\s+(?:switch|move|migration)\b`)
	// costPerPeriodRe: "what did it cost per day?" asks the spend over time, not a request's.
	costPerPeriodRe = regexp.MustCompile(`\bcosts?\s+per\s+(?:day|week|month|hour|year)\b`)
	// The length of a request ranked: "the longest prompts", "the shortest responses".
	longestRe = regexp.MustCompile(`\b(?:longest|shortest|largest|biggest|smallest)\s+(?:prompts?|inputs?|responses?|outputs?|completions?|answers?|requests?|calls?|contexts?)\b`)
	// The requests that cost the most: "which requests are the most expensive?".
	costlyRequestRe = regexp.MustCompile(`\b(?:requests?|calls?)\b.{0,20}\b(?:most expensive|costliest|priciest)\b|\b(?:most expensive|costliest|priciest)\s+(?:requests?|calls?)\b`)
	routeLikeRe     = regexp.MustCompile(`(?i)\b(?:route|endpoint|feature)\s+["']?([A-Za-z0-9._/-]+)`)
	// A route named before the word: "is the checkout route getting more expensive?".
	routeBeforeRe = regexp.MustCompile(`(?i)\b(?:the|my|our)\s+["']?([A-Za-z0-9._/-]+)["']?\s+(?:route|endpoint|feature)\b`)
)

// allTraffic is the whole of a user's traffic as a what-if names it: "everything", "all my
// requests", "every model".
const allTraffic = `(?:everything|it all|every\s+(?:request|call|model|route)|all(?:\s+(?:of\s+)?(?:my\s+)?(?:traffic|requests|calls|routes|models))?)`

// counts are the numbers a ranking's length is asked in.
const counts = `\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty`

// top is how many of a ranking the question asks for, or 0.
func top(l string) int {
	var w string
	if m := topRe.FindStringSubmatch(l); m != nil {
		w = m[1] + m[2]
	} else if m := countedRe.FindStringSubmatch(l); m != nil {
		w = m[1]
	} else {
		return 0
	}
	if n, err := strconv.Atoi(w); err == nil {
		return n
	}
	return map[string]int{"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
		"twelve": 12, "fifteen": 15, "twenty": 20}[w]
}

// whatIfTarget is the model a "should I switch X to Y?", "what would moving X to Y save?" or
// "what if I used Y for X?" question would move traffic to, or "".
func (p *Provider) whatIfTarget(q string) string {
	for _, re := range []*regexp.Regexp{switchToRe, useForRe, goodForRe, runOnRe, ranOnRe, wouldBeRe} {
		for _, m := range re.FindAllStringSubmatch(q, -1) {
			target := strings.ToLower(strings.TrimRight(m[1], "?.!,"))
			for _, k := range p.known {
				if strings.ToLower(k) == target {
					return k
				}
			}
		}
	}
	return ""
}

// routes are the routes a question names: "route X" or "the X route".
func routes(q string) []string {
	out := []string{}
	// The word after "the X route" is not a name either: "… route getting more expensive".
	var after []int // where each "the X route" ends: inside the keyword of a "route Y"
	for _, m := range routeBeforeRe.FindAllStringSubmatchIndex(q, -1) {
		w := strings.ToLower(q[m[2]:m[3]])
		if notRoute(w) || len(w) > 4 && strings.HasSuffix(w, "est") {
			continue // "the cheapest route", "the most expensive route"
		}
		switch w {
		case "same", "other", "each", "every", "one", "whole", "top", "worst", "best", "main", "expensive":
			continue
		}
		out = append(out, q[m[2]:m[3]])
		after = append(after, m[1])
	}
	for _, m := range routeLikeRe.FindAllStringSubmatchIndex(q, -1) {
		// "which route costs the most" names no route: skip the words that follow "route"
		// in a question about routes.
		name := q[m[2]:m[3]]
		if notRoute(strings.ToLower(name)) || slices.ContainsFunc(after, func(end int) bool { return end > m[0] && end < m[2] }) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// notRoute reports words that follow "route" in a sentence without naming one: "which route
// had the most errors", "error rate by route per day".
func notRoute(w string) bool {
	switch w {
	case "costs", "cost", "costed", "costing", "is", "has", "had", "have", "does", "did", "do", "the", "a", "an", "with", "that",
		"which", "spends", "spent", "spending", "uses", "used", "using", "most", "least", "are", "was", "were", "gets", "got",
		"get", "and", "or", "but", "by", "per", "for", "of", "in", "on", "at", "to", "from", "over", "since", "last", "this",
		"fails", "failed", "failing", "errors", "error", "sees", "saw", "makes", "made", "takes", "took", "needs", "needed",
		"should", "would", "could", "can", "will", "runs", "ran", "handles", "handled", "breakdown", "wise", "level", "name",
		"names", "slowest", "fastest", "cheapest", "busiest", "first", "then", "now", "today", "yesterday", "grew", "grow",
		"grows", "rose", "rises", "changed", "increased", "dropped", "fell", "shrank", "went", "goes", "drives", "drove", "accounts",
		"getting", "becoming", "going", "growing", "rising", "falling", "trending", "looking", "doing", "been", "being":
		return true
	}
	return false
}

func has(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func (p *Provider) triage(q string, today time.Time) model.Triage {
	l := strings.ToLower(q)
	var t model.Triage
	t.Models = []string{}
	for _, name := range p.known {
		if strings.Contains(l, strings.ToLower(name)) && !containsLonger(l, name, p.known) {
			t.Models = append(t.Models, name)
		}
	}
	switch {
	case has(l, "synthetic", "demo data", "demo dataset", "sample data", "generate data", "generate a dataset", "fake data", "test data"):
		t.Category = model.CategorySyntheticData
	case len(t.Models) >= 2 || has(l, "which model", "what model", "model selection", "choose a model", "switch model", "best model", "compare"):
		t.Category = model.CategoryModelSelection
	case has(l, "latency", "slow", "p95", "p99", "fast", "speed", "time to first token", "ttft", "performance"):
		t.Category = model.CategoryPerformance
	case has(l, "cost", "spend", "cheaper", "save", "saving", "bill", "price", "expensive", "budget", "$", "money",
		"batch", "caching", "prompt cache", "retry", "retries", "waste", "wasting", "routing", "optimi", "reduce",
		"action plan", "plan of action", "recommend", "advice", "advise", "suggest", "what should i do", "next step", "tips", "improve", "opportunit"):
		t.Category = model.CategoryCostOptimization
	case has(l, "report", "monitor", "dashboard", "trend", "alert", "summary", "overview", "status", "how is ", "how are ",
		"how am i", "changed", "going up", "going down", "over time"):
		t.Category = model.CategoryMonitoring
	case has(l, "usage", "workload", "traffic", "tokens", "requests", "error", "fail", "analy", "busiest", "busy", "quiet", "weekday", "day of the week", "peak"):
		t.Category = model.CategoryWorkloadAnalysis
	default:
		t.Category = model.CategoryGeneral
	}
	if m := windowRe.FindStringSubmatch(q); m != nil && !weekOfRe.MatchString(l) { // "the last week of november" is calendar days
		n := 1.0
		if m[1] != "" {
			n, _ = strconv.ParseFloat(m[1], 64)
		}
		unit := strings.ToLower(m[2])
		switch {
		case strings.HasPrefix(unit, "hour"):
			t.WindowDays = n / 24
		case strings.HasPrefix(unit, "day"):
			t.WindowDays = n
		case strings.HasPrefix(unit, "week"):
			t.WindowDays = 7 * n
		case strings.HasPrefix(unit, "month"):
			t.WindowDays = 30 * n
		}
		t.WindowLabel = strings.ToLower(strings.Join(strings.Fields(m[0]), " "))
	} else if from, to, ok := calendar(l, today); ok {
		t.From, t.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	} else if has(l, "24 hours") {
		t.WindowDays, t.WindowLabel = 1, "last 24 hours"
	}
	if m := costCutRe.FindStringSubmatch(q); m != nil {
		t.Targets.CostCutPercent, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := p95Re.FindStringSubmatch(q); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		if u := strings.ToLower(m[2]); u == "s" || strings.HasPrefix(u, "sec") {
			v *= 1000
		}
		t.Targets.P95MS = v
	}
	reach := latencyTargetRe.FindStringSubmatch(q) // a latency to reach: a diagnosis, not a figure
	if m := reach; m != nil && t.Targets.P95MS == 0 {
		v, _ := strconv.ParseFloat(m[1], 64)
		if u := strings.ToLower(m[2]); u == "s" || strings.HasPrefix(u, "sec") {
			v *= 1000
		}
		t.Targets.P95MS, t.Category = v, model.CategoryPerformance
	}
	t.Routes = routes(q)
	t.Kind = model.KindReport
	if t.Category != model.CategorySyntheticData {
		if model.AsksOthers(l) {
			// Another user's records are never read: a comparison with others is outside them.
			t.Kind, t.OutOfScope = model.KindCapability, true
		} else if target := p.whatIfTarget(q); target != "" && switchedRe.MatchString(l) {
			// "did my costs go down after I switched support-triage to gpt-4o-mini?": a move
			// already made, measured, not priced.
			t.Kind, t.Metric, t.Target = model.KindFigure, model.MetricSwitch, target
			t.Models = slices.DeleteFunc(t.Models, func(m string) bool { return m == target })
		} else if target != "" {
			t.Kind, t.Target = model.KindWhatIf, target
			t.Models = slices.DeleteFunc(t.Models, func(m string) bool { return m == target })
		} else if m, by := figureMetric(model.WithoutBound(l)); m != "" && reach == nil { // the bound says which requests, not what of them
			t.Kind, t.Metric, t.By = model.KindFigure, m, by
		} else if t.Category == model.CategoryPerformance {
			t.Kind = model.KindPerformance
		} else if capability(l, t.Category) && (len(t.Models) == 0 || asksAboutNetra(l) || greetingRe.MatchString(strings.TrimSpace(l))) {
			t.Kind = model.KindCapability
			t.OutOfScope = !greetingRe.MatchString(strings.TrimSpace(l)) && !asksAboutNetra(l)
			t.By = rankedBy(l) // "by route?": nothing alone, a breakdown of the figure before it in a thread
		}
		if t.Kind == model.KindReport && t.By == "" && strings.HasPrefix(strings.TrimSpace(l), "which ") {
			// "which model were they on?": a report alone, the figure before it by model in a
			// thread (the report reads no ranking).
			t.By = rankedBy(l)
		}
	}
	t.Top = top(l)
	// Also outside a figure: a follow-up ("and the fastest?") asks it of the ranking before it.
	t.Least = asksLeast(l) || (t.Metric == model.MetricTrend && has(l, "shrank", "shrink", "fell", "drop", "decreas", "went down", "declin"))
	if t.Metric == model.MetricPrice {
		// A model the table may not know ("the price of gpt-9") is still the one asked: the
		// answer says it has no price, rather than give its family's.
		for _, m := range priceOfRe.FindAllStringSubmatch(l, -1) {
			for _, name := range listSepRe.Split(m[1], -1) {
				if name = strings.TrimRight(name, "?.!,"); strings.ContainsAny(name, "-0123456789") && !slices.ContainsFunc(t.Models, func(k string) bool { return strings.EqualFold(k, name) }) {
					t.Models = append(t.Models, name)
				}
			}
		}
	}
	// A provider named is answered from the ranking by provider, its row first.
	t.Providers = []string{}
	// makerNamed: a provider named by its own name, not only by a family of its models
	// ("gemini" is both); familyNamed: a family.
	makerNamed, familyNamed := false, false
	for _, at := range providerRe.FindAllStringIndex(l, -1) {
		if at[1] < len(l) && strings.ContainsRune("-./:", rune(l[at[1]])) {
			continue // a model's name: gemini-2.5-flash, mistral-large
		}
		m := l[at[0]:at[1]]
		family := m == "claude" || m == "gpt" || m == "grok" || m == "gemini"
		makerNamed = makerNamed || m != "claude" && m != "gpt" && m != "grok"
		familyNamed = familyNamed || family
		switch m { // a family's name is its maker's
		case "gemini", "vertex":
			m = "google"
		case "claude":
			m = "anthropic"
		case "gpt":
			m = "openai"
		case "grok":
			m = "xai"
		case "together.ai", "together ai": // "together" alone is a word
			m = "together"
		}
		if !slices.Contains(t.Providers, m) {
			t.Providers = append(t.Providers, m)
		}
	}
	// A provider named makes a figure its ranking by provider, its row first. A family alone
	// ("claude", "gpt") names the user's models of that family instead (triage), and is read as
	// its maker only to compare two of them.
	// "the error rate on anthropic models": the provider's figures, not a ranking of every model.
	ownModels := t.By == model.ByModel && makerModelsRe.MatchString(l) && !has(l, "which", "what model")
	// A ranking of routes or models with a provider named ranks within it ("which route costs
	// the most on google?": triage.Output.ProviderScope); "what did I spend on gemini models?"
	// asks no ranking.
	ranks := (t.Metric == model.MetricTopModel || t.Metric == model.MetricTopRoute) && has(l, "which", "most", "top ", "highest", "biggest", "largest")
	if t.Kind == model.KindFigure && makerNamed && (t.By == "" || ownModels || t.Metric == model.MetricTopModel || t.Metric == model.MetricTopRoute) && !ranks &&
		!(familyNamed && t.Metric == model.MetricTopRoute) && // "the most expensive route on gemini": routes, within the family
		t.Metric != model.MetricRetries && t.Metric != model.MetricCache {
		if t.Metric == model.MetricTopModel || t.Metric == model.MetricTopRoute {
			t.Metric = model.MetricCost
		}
		t.By = model.ByProvider
	}
	if t.Category == model.CategorySyntheticData {
		if m := synthDays.FindStringSubmatch(q); m != nil {
			t.Synthetic.Days, _ = strconv.Atoi(m[1])
		}
		switch {
		case has(l, "support", "chatbot", "customer"):
			t.Synthetic.Preset = "support_chatbot"
		case has(l, "coding", "code", "developer"):
			t.Synthetic.Preset = "coding_assistant"
		case has(l, "rag", "search", "retrieval"):
			t.Synthetic.Preset = "rag_search"
		case has(l, "batch", "nightly", "summariz"):
			t.Synthetic.Preset = "nightly_batch"
		}
		t.WindowDays, t.WindowLabel, t.From, t.To = 0, "", "", ""
	}
	if has(l, "yesterday") && has(l, "day before", "previous day", "prior day") && t.Kind == model.KindFigure {
		// "yesterday vs the day before": the two days, compared as a trend of two.
		t.Metric, t.By = model.MetricTrend, ""
		t.From, t.To = today.AddDate(0, 0, -2).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
		t.WindowDays, t.WindowLabel = 0, ""
	}
	if from, to := t.From, t.To; t.Metric == model.MetricAnomalies && (t.WindowDays > 0 && t.WindowDays < 7 || from != "" && from >= today.AddDate(0, 0, -7).Format(time.DateOnly) && to >= from) {
		// "did anything spike yesterday?": a day stands out only against others; the default
		// window holds them, and the answer shows the day asked among them.
		t.From, t.To, t.WindowDays, t.WindowLabel = "", "", 0, ""
	}
	if t.Metric == model.MetricMonths {
		t.From, t.To, t.WindowDays, t.WindowLabel = "", "", 0, "" // the two months are the answer's own
	}
	if t.Metric == model.MetricForecast && t.From != "" {
		t.From, t.To = "", "" // "this month" names the month forecast, not the days its rate comes from
	}
	if t.Metric == model.MetricTrend && has(l, "this week") {
		t.From, t.To = "", "" // "is this week more expensive than last week?": the last two weeks
	}
	if t.Metric == model.MetricTrend && t.From == "" && t.WindowDays < 15 {
		// A trend over a rolling window compares its last two full weeks: the window must
		// hold them. Calendar days named ("in November") are compared first days to last.
		t.WindowDays, t.WindowLabel = 0, ""
	}
	if from, err := time.Parse(time.DateOnly, t.From); t.Metric == model.MetricTrend && err == nil && !from.Before(today.AddDate(0, 0, -1)) {
		t.From, t.To = "", "" // "this month" on its 2nd: no two whole days to compare; the last two weeks
	}
	return t
}

var greetingRe = regexp.MustCompile(`^(hi|hello|hey|hallo|hola|good (morning|afternoon|evening)|thanks|thank you|yo)\b[\s!.,]*$`)

// capability reports whether the question asks what Netra is or can do, greets, or is out of
// scope (nothing about usage, cost, latency, errors or models).
func capability(l, category string) bool {
	l = strings.TrimSpace(l)
	switch {
	case greetingRe.MatchString(l):
		return true
	case asksAboutNetra(l):
		return true
	}
	return category == model.CategoryGeneral
}

func asksAboutNetra(l string) bool {
	return has(l, "what can you do", "what do you do", "who are you", "what are you", "what is netra", "how do you work",
		"help me get started", "what can i ask")
}

// figureMetric names the figure a question asks for, and what it is ranked by (model.ByRoute,
// model.ByModel, …, or "" for the whole scope); metric is "" when the question asks for more
// than a figure (advice, a report, a comparison, a diagnosis).
func figureMetric(l string) (metric, by string) {
	switch model.Largest(l) { // "my slowest request", "the longest prompt I sent": the one at the top
	case "latency":
		return model.MetricLatency, ""
	case "input", "output":
		return model.MetricTokens, ""
	}
	if has(l, "will i spend", "will i pay", "will it cost", "will my bill", "will i be billed", "projected", "projection", "forecast",
		"end of the month", "end of month", "month end", "run rate", "on track", "budget", "stay under", "stay within", "stay below",
		"at this rate", "at that rate", "at the current rate", "at my current rate", "at the same rate") && !asksAdvice(l) ||
		model.ForecastHorizon(l) == model.HorizonYear && has(l, "cost", "spend", "bill", "pay", "run rate", "run-rate") && !has(l, "did i", "have i", "was ", "spent") && !asksAdvice(l) {
		return model.MetricForecast, ""
	}
	if has(l, "anomal", "unusual", "spike", "spiking", "spiked", "outlier", "abnormal", "stand out", "stands out", "out of the ordinary") && !asksAdvice(l) {
		return model.MetricAnomalies, ""
	}
	if has(l, "month over month", "month-over-month", "mom ") || has(l, "this month") && has(l, "last month", "previous month", "prior month", "month before") {
		// "this month vs last month": the calendar months, the one under way so far.
		return model.MetricMonths, ""
	}
	if has(l, "driving", "behind", "caus", "responsible for", "why did", "why has", "why have", "why is", "why are", "explain") &&
		has(l, " up", "increase", "rise", "rising", "rose", "grow", "grew", "higher", "more expensive", "jump") &&
		has(l, "cost", "spend", "bill", "expens", "usage", "traffic", "requests") && !has(l, "reduce", "cut ", "lower ") {
		// "what's driving my costs up?", "why did my spend go up?": the trend, by what moved it.
		switch by := rankedBy(l); by {
		case model.ByRoute, model.ByProvider:
			return model.MetricTrend, by
		}
		return model.MetricTrend, model.ByModel
	}
	if has(l, "price of", "prices of", "pricing", "list price", "price list", "price per", "prices per", "price for", "prices for",
		"rate card", "how is it priced", "how are they priced", "what does it charge") && !asksAdvice(l) {
		return model.MetricPrice, "" // the table's prices, not what the user spent
	}
	if (has(l, "going up", "going down", "go up", "went up", "gone up", "go down", "went down", "gone down", "trend", "week over week", "week-over-week", "than last week", "to last week",
		"increas", "decreas", "growing", "grew", "changed", "how has", "stable", "steady", "shrank", "declin",
		"dropped the most", "drop the most", "fell the most", "fell most", "compared to last week", "compared with last week",
		"vs last week", "versus last week", "getting worse", "getting better", "worsening", "gotten worse", "got worse",
		"getting more", "getting less", "getting cheaper", "getting pricier", "getting slower", "getting faster", "slowing down", "speeding up",
		"slower than last", "faster than last", "slower than before", "faster than before", "rising", "climbing", "creeping up", "on the rise") || (has(l, "week before", "previous week", "prior week") && has(l, "compar", " vs", "versus", "against", "than"))) &&
		!asksAdvice(l) {
		switch by := rankedBy(l); by {
		case model.ByRoute, model.ByModel, model.ByProvider: // "which route grew the most?"
			return model.MetricTrend, by
		}
		return model.MetricTrend, ""
	}
	if asksTokenCost(l) {
		return model.MetricTokenCost, rankedBy(l)
	}
	if (has(l, "input") && has(l, "output") && (has(l, "token") || asksLength(l))) && !has(l, "cost", "spend", "price", "$") {
		return model.MetricTokens, rankedBy(l) // "input vs output tokens": both are in the tokens figure
	}
	if (has(l, "compare", "comparison", "versus", " vs ", " vs. ", "difference between", "side by side") || model.Comparative(l) != "") &&
		!asksAdvice(l) && !has(l, "should", "switch") && !(has(l, "weekend") && has(l, "weekday") || dayNames(l) >= 2) { // days of the week set side by side: by weekday
		return model.MetricCompare, "" // triage keeps it when the question names two models or routes
	}
	if has(l, "cach") && has(l, "did i save", "have i saved", "caching saved", "cache saved", "saved me", "i saved", "did caching save", "has caching saved") {
		return model.MetricCache, "" // what caching did, not what it could do
	}
	by = rankedBy(l)
	ranksSpeed := by != "" && has(l, "slowest", "fastest")
	// "weekend vs weekday spend" compares the days of the week: the breakdown by weekday.
	daysCompared := by == model.ByWeekday && (has(l, "weekend") && has(l, "weekday") || dayNames(l) >= 2)
	if has(l, "reduce", "optimi", "save", "saving", "cut ", "improve", "recommend", "report", "should", "switch",
		"why", "cheaper", "plan", "trend", "changed", "going up", "going down", "over time",
		"growing", "increas", "decreas", "analy", "overview", "summary") || has(l, "compare", "versus", " vs") && !daysCompared ||
		(has(l, "slow") && !ranksSpeed && !asksThreshold(l)) ||
		(has(l, "wast") && !has(l, "retr")) || has(" "+l, " lower") { // "lower my bill", not "slower"
		return "", ""
	}
	// A figure is asked as a question, or in a few words ("spend last 7 days", "errors").
	if by == "" && !has(l, "which", "what", "how much", "how many", "show", "tell me", "?", "p50", "p95", "p99") && len(strings.Fields(l)) > 5 {
		return "", ""
	}
	switch {
	case perTokenRe.MatchString(l):
		return model.MetricCostPerToken, by
	case longestRe.MatchString(l):
		// "my longest prompts": single requests are not kept, so by route, a request's length
		// on average.
		if by == "" {
			by = model.ByRoute
		}
		return model.MetricTokens, by
	case (has(l, "token") || asksLength(l)) && !has(l, "cost", "spend", "price", "$", "first token"):
		return model.MetricTokens, by
	case costlyRequestRe.MatchString(l):
		// "which requests are the most expensive?": by route, a request's cost on average;
		// "my most expensive request" is one, from the records' spread.
		if by == "" && model.CostPercentile(l) == "" {
			by = model.ByRoute
		}
		return model.MetricCostPerRequest, by
	case (has(l, "per request", "per call", "per-request", "average cost", "avg cost", "mean cost", "cost of a request",
		"cost of one request", "cost of each request", "cost of a call", "each request cost", "a request cost", "cost per") ||
		(by != "" && has(l, "cheapest"))) && !costPerPeriodRe.MatchString(l):
		return model.MetricCostPerRequest, by
	case has(l, "retry", "retries", "retried"):
		return model.MetricRetries, by
	case has(l, "cache hit", "cached", "cache rate", "from cache", "from the cache", "hit rate", "cache reads", "hit the cache", "hit a cache",
		"hit my cache", "used the cache", "use the cache", "cache usage", "read the cache"):
		return model.MetricCache, ""
	case has(l, "error", "failure", "fail", "timeout", "timed out", "rate limit", "rate-limit", "ratelimit", "429", "overload") || model.AsksReliability(l):
		return model.MetricErrorRate, by
	case ranksSpeed || has(l, "p50", "p95", "p99", "latency", "response time", "how long do", "how long does", "how long did",
		"how long are", "duration", "to respond", "ttft", "time to first token", "first token") || asksThreshold(l):
		return model.MetricLatency, by
	case has(l, "how many requests", "how many calls", "requests", "calls", "traffic", "volume", "busiest", "busy", "quiet", "peak", "rpm", "rps", "qps") &&
		(has(l, "how many") || !has(l, "cost", "spend", "spent", "pay", "paid", "bill", "$")): // "what do my requests cost?" asks the cost
		return model.MetricRequests, by
	case has(l, "tokens"):
		return model.MetricTokens, by
	case by != "" && has(l, "most used", "use most", "used most", "least used", "use the most", "popular"):
		return model.MetricRequests, by
	case by == "" && has(l, "cost driver", "driver of my cost", "drives my cost", "drives my spend", "biggest cost", "largest cost",
		"main cost", "biggest expense", "largest expense"):
		return model.MetricTopModel, "" // the model that costs the most, with the rest below it
	case by == model.ByModel && has(l, "cost", "spend", "expensive", "most", "top ") && !asksLeast(l):
		return model.MetricTopModel, ""
	case by == model.ByRoute && has(l, "cost", "spend", "expensive", "most", "top ") && !asksLeast(l):
		return model.MetricTopRoute, ""
	case by != "" && has(l, "cost", "spend", "expensive", "most", "least"):
		return model.MetricCost, by
	case (by == model.ByRoute || by == model.ByModel || by == model.ByProvider) && has(strings.TrimRight(l, "?.! ")+" ", "how many", "list", "do i use", "do i have", "are there", "show",
		" use ", " uses ", " using ", " are on ", " run on ", " runs on ", " call ", " calls "):
		// "how many models do I use?", "list my routes": each with its traffic.
		return model.MetricRequests, by
	case has(l, "how much", "spend", "spent", "cost", "bill", "expensive", "money"):
		return model.MetricCost, by
	}
	return "", ""
}

// asksTokenCost reports a question about what input or output tokens cost, as a part of the
// spend: "how much of my spend is output tokens?", "am I paying more for input or output?".
// What a token costs ("per million tokens") is MetricCostPerToken, and "prompt caching" the
// cache's.
func asksTokenCost(l string) bool {
	sides := has(l, "input", "output", "prompt", "completion")
	return sides && (has(l, "token", "prompts", "completions") || has(l, "input") && has(l, "output")) &&
		has(l, "cost", "spend", "spent", "pay", "paid", "price", "$", "bill", "money") &&
		!perTokenRe.MatchString(l) && !has(l, "cach", "price of", "prices of", "list price") && !asksAdvice(l)
}

// asksLength reports a question about the size of prompts or answers, which tokens measure:
// "the average output length", "how long are my prompts?".
func asksLength(l string) bool {
	return has(l, "output length", "input length", "prompt length", "prompt size", "response length", "completion length",
		"answer length", "length of my prompts", "length of my responses", "long are my prompts", "long are my responses",
		"big are my prompts", "long are my answers", "long are the responses", "long are the prompts")
}

// asksThreshold reports a question about the requests slower (or faster) than a latency.
func asksThreshold(l string) bool {
	b, ok := model.RequestBound(l)
	return ok && (b.Measure == workload.MeasureLatency || b.Measure == workload.MeasureTTFT)
}

// asksAdvice reports a question that wants advice, not a figure: "how can I reduce …", "why …".
func asksAdvice(l string) bool {
	return has(l, "reduce", "optimi", "save", "saving", "recommend", "why")
}

// asksLeast reports a question about the low end of a ranking: the fastest, the fewest (whole
// words: "slowest" holds "lowest").
func asksLeast(l string) bool {
	if model.AsksReliability(l) { // "the most reliable" has the fewest errors; "the least reliable" the most
		return !has(l, "least", "worst", "lowest", "unreliab", "poorest", "less ")
	}
	return leastRe.MatchString(l) && !has(l, "at least")
}

// rankedBy is what a question ranks or breaks a figure down by: "which route …", "… by model".
func rankedBy(l string) string {
	switch {
	case has(l, "which error", "what error", "error type", "type of error", "kind of error", "common error", "commonest error"):
		return model.ByErrorType
	case has(l, "which route", "what route", "which feature", "which endpoint", "by route", "per route", "each route",
		"which of my routes", "routes"):
		return model.ByRoute
	case has(l, "which model", "what model", "by model", "per model", "each model", "which of my models", "models"):
		return model.ByModel
	case has(l, "which provider", "what provider", "by provider", "per provider", "each provider", "providers"):
		return model.ByProvider
	// The hours first: "my most expensive hour on weekends" ranks the hours of the weekends
	// (triage keeps those days).
	case has(l, "hour of the day", "hour of day", "time of day", "time of the day", "which hour", "what hour", "by hour", "per hour", "hourly",
		"busiest hour", "quietest hour", "expensive hour", "costliest hour", "peak hour", "peak time", "peak hours") || countedRe.MatchString(l) && has(l, " hours"):
		return model.ByHour
	// Before the weeks: "which weekday" is not "which week".
	case has(l, "day of the week", "day of week", "days of the week", "by weekday", "which weekday", "what weekday",
		"per weekday", "each weekday") || dayNames(l) >= 2:
		return model.ByWeekday
	case has(l, "which week", "what week", "by week", "per week", "each week", "every week", "weekly", "week by week",
		"busiest week", "expensive week", "costliest week", "quietest week", "worst week"):
		return model.ByWeek
	case has(l, "which day", "what day", "by day", "busiest day", "expensive day", "costliest day", "worst day", "quietest day", "peak day", "any day", "days did", "days have", "days had", "days cost") ||
		countedRe.MatchString(l) && has(l, " days") && !windowRe.MatchString(l) ||
		has(l, "daily", "day by day", "each day", "every day") && !has(l, "average", "avg", "mean", "typical", "a day", "per day"):
		return model.ByDay
	}
	if by := superlativeOf(l); by != "" {
		return by
	}
	// Weekends or weekdays, nothing else ranked: weekends against weekdays, by the days of the
	// week (triage keeps those days instead for a figure the weekday table does not hold).
	if has(l, "weekend") && !model.OneWeekend(l) || has(l, "weekday", "working days", "business days", "workdays") {
		return model.ByWeekday
	}
	return ""
}

// dayNames counts the days of the week a question names: "Saturday against Sunday" sets two
// days of the week side by side.
func dayNames(l string) int {
	n := 0
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		if strings.Contains(l, d) {
			n++
		}
	}
	return n
}

// superlativeOf is what a superlative ranks: "my most used model", "the slowest route on
// gpt-4o" (the name of a dimension first after it); "" when the question has none.
func superlativeOf(l string) string {
	at := -1
	for _, w := range []string{"most", "least", "fewest", "busiest", "slowest", "fastest", "cheapest"} {
		if i := strings.Index(l, w); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return ""
	}
	by, first := "", len(l)
	for w, dim := range map[string]string{"route": model.ByRoute, "endpoint": model.ByRoute, "feature": model.ByRoute,
		"model": model.ByModel, "provider": model.ByProvider} {
		if i := strings.Index(l[at:], w); i >= 0 && i < first {
			by, first = dim, i
		}
	}
	return by
}

// containsLonger reports whether every mention of name in the text is part of a longer known
// model's name ("gpt-4o-mini" rather than "gpt-4o"); "gpt-4o and gpt-4o-mini" names both.
func containsLonger(text, name string, known []string) bool {
	name = strings.ToLower(name)
	for at := 0; ; {
		i := strings.Index(text[at:], name)
		if i < 0 {
			return true
		}
		i += at
		inside := false
		for _, k := range known {
			k = strings.ToLower(k)
			if off := strings.Index(k, name); len(k) > len(name) && off >= 0 && i >= off && strings.HasPrefix(text[i-off:], k) {
				inside = true
				break
			}
		}
		if !inside {
			return false
		}
		at = i + 1
	}
}

// write words a summary from facts. It uses only the numbers in the facts.
func write(data json.RawMessage) string {
	var f struct {
		Kind          string  `json:"kind"`
		WindowLabel   string  `json:"window_label"`
		Window        string  `json:"window"` // the window in a sentence: "in the last 30 days", "yesterday (…)"
		Requests      int64   `json:"requests"`
		CostUSD       float64 `json:"cost_usd"`
		TopModel      string  `json:"top_model"`
		TopModelShare float64 `json:"top_model_share"`
		Recs          int     `json:"recommendations"`
		SavingsUSD    float64 `json:"monthly_savings_usd"`
		SavingsPct    float64 `json:"savings_percent"`
		TargetPct     float64 `json:"target_percent"`
		// Beyond is the largest step past the recommendations, when they miss the target.
		Beyond *struct {
			Route, Model, Cheaper string
			SavingsUSD            float64 `json:"monthly_savings_usd"`
			SavingsPct            float64 `json:"savings_percent"`
		} `json:"beyond"`
		ErrorRate float64 `json:"error_rate"`
		P95MS     float64 `json:"p95_ms"`
	}
	_ = json.Unmarshal(data, &f)
	var b strings.Builder
	when := "Over the " + f.WindowLabel
	if f.Window != "" {
		when = strings.ToUpper(f.Window[:1]) + f.Window[1:]
	}
	fmt.Fprintf(&b, "%s you made %s model calls costing $%s", when, thousands(f.Requests), money(f.CostUSD))
	if f.TopModel != "" {
		fmt.Fprintf(&b, "; %s accounts for %.0f%% of that spend", f.TopModel, f.TopModelShare*100)
	}
	fmt.Fprintf(&b, ". The error rate is %.1f%% and p95 latency %.0f ms.", f.ErrorRate*100, f.P95MS)
	switch {
	case f.Kind == "analysis":
	case f.Recs == 0:
		b.WriteString(" No optimization with a measurable saving stands out in this window.")
	default:
		fmt.Fprintf(&b, " %d recommendation(s) below would save about $%s a month (%.1f%% of spend).", f.Recs, money(f.SavingsUSD), f.SavingsPct)
		// The larger step beyond the recommendations, and (with a target) whether it meets it.
		step := func(meets string) {
			m := f.Beyond
			fmt.Fprintf(&b, "A larger step, with more risk to answer quality: moving all of route %s from %s to %s would save about $%s a month (%.1f%% of spend) on its own%s; ask \"what if I moved %s to %s?\" to see it priced, and how to validate it first.",
				m.Route, m.Model, m.Cheaper, money(m.SavingsUSD), m.SavingsPct, meets, m.Route, m.Cheaper)
		}
		if f.Beyond != nil && f.TargetPct == 0 {
			b.WriteString(" ")
			step("")
		}
		if f.TargetPct > 0 {
			if f.SavingsPct >= f.TargetPct {
				fmt.Fprintf(&b, " Together they meet your %.0f%% target.", f.TargetPct)
			} else {
				fmt.Fprintf(&b, " That falls short of your %.0f%% target", f.TargetPct)
				if m := f.Beyond; m != nil {
					meets := ""
					if m.SavingsPct >= f.TargetPct {
						meets = ", which alone meets it"
					}
					b.WriteString(". ")
					step(meets)
				} else {
					b.WriteString("; the rest needs product changes, not configuration.")
				}
			}
		}
	}
	return b.String()
}

func money(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	return thousands(n) + "." + frac
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Package triage is the first step of the supervisor: it classifies the question (through the
// model provider), extracts models, routes, the time window and targets, measures how much of
// that window the user's records cover, and chooses the steps that follow.
package triage

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/tool/threadtool"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Name is the agent's name.
const Name = "triage"

// Data sufficiency.
const (
	Sufficient   = "sufficient"
	Partial      = "partial"
	Insufficient = "insufficient"
)

// DefaultWindowDays is the window of a question that names none.
const DefaultWindowDays = 30

// MinRecords is the fewest records in the window for sufficient data.
const MinRecords = 50

// Window is the time window of the question: rolling and ending now ("the last 7 days"), or
// the calendar days it names ("November 2026", "2026-11-15"), in UTC.
type Window struct {
	workload.Window
	Label string `json:"label"`
	// Phrase is the window as an answer says it: "in the last 7 days", "in November 2026",
	// "on 2026-11-15 (UTC)", "yesterday (2026-12-01, UTC)".
	Phrase string `json:"phrase"`
	// Calendar is set for a window of calendar days the question named.
	Calendar bool `json:"calendar,omitempty"`
}

// Period is a run of whole UTC days, First to Last inclusive.
type Period struct{ First, Last time.Time }

// Days is how many days the period holds.
func (p Period) Days() int { return int(p.Last.Sub(p.First).Hours()/24) + 1 }

// String is the period as an answer writes it: "2026-11-03 to 2026-11-09", or "2026-11-03"
// for one day.
func (p Period) String() string {
	if p.First.Equal(p.Last) {
		return p.First.Format(time.DateOnly)
	}
	return p.First.Format(time.DateOnly) + " to " + p.Last.Format(time.DateOnly)
}

// TrendPeriods are the two periods a trend compares, earlier first: for a rolling window, the
// 7 full UTC days before the window's last day and the 7 before them; for calendar days, the
// first and the last 7 full days (the first and second half of a period shorter than 14
// days). A day still under way is left out. ok is false when the window cannot hold two.
func (w Window) TrendPeriods() (then, now Period, ok bool) {
	last := w.To.UTC().Truncate(24 * time.Hour) // the window's last day, today for a rolling one
	if !w.Calendar {
		now = Period{last.AddDate(0, 0, -7), last.AddDate(0, 0, -1)}
		then = Period{last.AddDate(0, 0, -14), last.AddDate(0, 0, -8)}
		return then, now, !w.From.UTC().After(then.First)
	}
	if w.To.Add(time.Nanosecond).Sub(last) < 24*time.Hour { // the last day is not over
		last = last.AddDate(0, 0, -1)
	}
	all := Period{w.From.UTC(), last}
	k := min(7, all.Days()/2)
	if k < 1 {
		return then, now, false
	}
	return Period{all.First, all.First.AddDate(0, 0, k-1)}, Period{last.AddDate(0, 0, 1-k), last}, true
}

// In is the window's phrase, for a window built without one: "in the " and its label.
func (w Window) In() string {
	if w.Phrase != "" {
		return w.Phrase
	}
	return "in the " + w.Label
}

// window is the window a triage names at now: its calendar days when it names valid ones (not
// in the future, at most a year long), else its rolling window, else the default.
func window(m model.Triage, now time.Time) Window {
	today := now.UTC().Truncate(24 * time.Hour)
	from, err1 := time.Parse(time.DateOnly, m.From)
	to, err2 := time.Parse(time.DateOnly, m.To)
	if m.To == "" || (err2 == nil && to.After(today)) { // "this month", "in December": up to today
		to, err2 = today, nil
	}
	if err1 == nil && err2 == nil && !to.Before(from) && !from.After(today) && to.Sub(from) <= 366*24*time.Hour {
		end := to.AddDate(0, 0, 1).Add(-time.Nanosecond)
		if end.After(now) {
			end = now
		}
		w := Window{Window: workload.Window{From: from, To: end}, Calendar: true}
		d := from.Format(time.DateOnly)
		switch {
		case from.Equal(to) && from.Equal(today):
			w.Label, w.Phrase = "today", "today ("+d+", UTC, so far)"
		case from.Equal(to) && from.Equal(today.AddDate(0, 0, -1)):
			w.Label, w.Phrase = "yesterday", "yesterday ("+d+", UTC)"
		case from.Equal(to):
			w.Label, w.Phrase = d, "on "+d+" (UTC)"
		case from.Weekday() == time.Monday && to.Equal(today) && to.Sub(from) < 7*24*time.Hour:
			w.Label = "week to date"
			w.Phrase = "this week (since Monday " + d + ", UTC)"
		case from.Day() == 1 && to.Equal(from.AddDate(0, 1, -1)):
			w.Label = from.Format("January 2006")
			w.Phrase = "in " + w.Label
		case from.Day() == 1 && to.Equal(today) && to.Before(from.AddDate(0, 1, 0)):
			w.Label = from.Format("January 2006") + " to date"
			w.Phrase = "in " + from.Format("January 2006") + " so far"
		case from.YearDay() == 1 && to.Equal(today) && from.Year() == today.Year():
			w.Label = from.Format("2006") + " to date"
			w.Phrase = "in " + from.Format("2006") + " so far"
		default:
			w.Label = d + " to " + to.Format(time.DateOnly)
			w.Phrase = "from " + d + " to " + to.Format(time.DateOnly) + " (UTC)"
		}
		return w
	}
	days, label := m.WindowDays, m.WindowLabel
	if days <= 0 || days > 366 {
		days, label = DefaultWindowDays, fmt.Sprintf("last %d days", DefaultWindowDays)
	}
	return Window{Window: workload.Window{From: now.Add(-time.Duration(days * 24 * float64(time.Hour))), To: now}, Label: label, Phrase: "in the " + label}
}

// ProviderScope is the providers an answer is narrowed to: those the question names, for a
// report, a what-if or a diagnosis ("how can I reduce my anthropic costs?", "what if I moved
// all anthropic traffic to gpt-4o?"), and for a figure that ranks something else ("which
// routes are on anthropic?"). A figure by provider shows their rows first instead, and
// models named narrow it already.
func (o Output) ProviderScope() []string {
	if len(o.Models) > 0 {
		return nil
	}
	switch o.Kind {
	case model.KindReport, model.KindWhatIf, model.KindPerformance:
		return o.Providers
	case model.KindFigure:
		if o.By != "" && o.By != model.ByProvider || o.Metric == model.MetricTopModel || o.Metric == model.MetricTopRoute {
			return o.Providers
		}
	}
	return nil
}

// Args are the data tools' arguments for the answer's scope over from – to: the models,
// routes, providers (ProviderScope), days of the week and bounds on requests it keeps.
func (o Output) Args(from, to time.Time) workloadtool.Args {
	return workloadtool.Args{From: from, To: to, Models: o.Models, Routes: o.Routes, Providers: o.ProviderScope(), Days: o.Days, Bounds: o.Bounds}
}

// Output is triage's result.
type Output struct {
	Category string `json:"category"`
	// Kind is the kind of answer wanted (model.KindReport, KindFigure, KindCapability), and
	// Metric the figure a figure question asks for.
	Kind        string           `json:"kind"`
	Metric      string           `json:"metric,omitempty"`
	By          string           `json:"by,omitempty"` // model.ByRoute, model.ByModel, …: what the figure is ranked by
	Least       bool             `json:"least,omitempty"`
	Top         int              `json:"top,omitempty"` // rows of a ranking asked for ("top 3"); 0: the first ten
	OutOfScope  bool             `json:"out_of_scope,omitempty"`
	TargetModel string           `json:"target_model,omitempty"`
	Models      []string         `json:"models"`
	Routes      []string         `json:"routes"`
	Providers   []string         `json:"providers,omitempty"`
	Days        string           `json:"days,omitempty"`         // ingest.DaysWeekends or DaysWeekdays: those days only
	PriceFactor float64          `json:"price_factor,omitempty"` // a change of list prices asked (model.PriceChange), or 0
	Bounds      []workload.Bound `json:"bounds,omitempty"`       // the requests kept: "slower than 10 s" (model.RequestBound)
	Window      Window           `json:"window"`
	Targets     workload.Targets `json:"targets"`
	Sufficiency string           `json:"sufficiency"`
	Coverage    ingest.Coverage  `json:"coverage"`
	Synthetic   struct {
		Preset string `json:"preset,omitempty"`
		Days   int    `json:"days,omitempty"`
	} `json:"synthetic"`
	Next []string `json:"next"`
}

// Required returns triage's result from a later step's input, or an internal error naming
// the step that needed it.
func Required(in agent.Input, step string) (Output, error) {
	t, ok, err := agent.Prior[Output](in, Name)
	if err == nil && !ok {
		err = netra.Errorf(netra.CodeInternal, "%s needs the result of %s", step, Name)
	}
	return t, err
}

// Spec declares the agent. freeForm says whether free-form questions have an answer (the
// analyst's model can hold a tool-using conversation): without it they get the report.
func Spec(provider model.Provider, freeForm bool) agent.Spec {
	return agent.Spec{Name: Name, Description: "Classifies the question, extracts entities and checks data sufficiency.",
		New: func() agent.Agent { return &triage{provider: provider, freeForm: freeForm} }}
}

type triage struct {
	provider model.Provider
	freeForm bool
}

func validCategory(c string) bool {
	switch c {
	case model.CategoryWorkloadAnalysis, model.CategoryCostOptimization, model.CategoryPerformance, model.CategoryModelSelection,
		model.CategoryMonitoring, model.CategorySyntheticData, model.CategoryGeneral:
		return true
	}
	return false
}

// classify asks the provider what a question wants, then reads from its words what every
// provider's answer is set by (fromWords).
func (t *triage) classify(ctx context.Context, q string) (model.Triage, error) {
	res, err := t.provider.Complete(ctx, model.Request{Task: model.TaskTriage, Input: q})
	if err != nil {
		return model.Triage{}, &netra.Error{Code: netra.CodeUnavailable, Message: "the model provider could not classify the question", Err: err}
	}
	var m model.Triage
	if err := json.Unmarshal(res.JSON, &m); err != nil {
		return model.Triage{}, &netra.Error{Code: netra.CodeInternal, Message: "the model provider answered triage in an unexpected shape", Err: err}
	}
	if !validCategory(m.Category) {
		m.Category = model.CategoryGeneral
	}
	switch m.Kind {
	case model.KindFigure, model.KindCapability, model.KindPerformance, model.KindWhatIf:
	case model.KindQuestion:
		if !t.freeForm {
			m.Kind = model.KindReport
		}
	default:
		m.Kind = model.KindReport
	}
	fromWords(q, &m)
	return m, nil
}

// mentions reports whether the question names model, and not only as part of a longer name
// the data also has ("gpt-4o-mini" does not name gpt-4o).
func mentions(lower, model string, all []string) bool {
	m := strings.ToLower(model)
	rest := lower
	for _, other := range all {
		if o := strings.ToLower(other); len(o) > len(m) && strings.Contains(o, m) {
			rest = strings.ReplaceAll(rest, o, "")
		}
	}
	return strings.Contains(rest, m)
}

// looseRoutes finds routes a question names loosely: "support chat" is the route support-chat
// (every word of it), and so is "my support bot" when no other route starts with "support"
// (the first word, five letters or more), and "on summarize" when no other route has the word.
func looseRoutes(lower string, routes []string) []string {
	words := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	byFirst := map[string][]string{}
	for _, r := range routes {
		first := routeWords(r)
		if len(first) > 0 && len(first[0]) >= 5 {
			byFirst[first[0]] = append(byFirst[first[0]], r)
		}
	}
	var out []string
	// Every word of the route in the question ("support chat" is support-chat) ...
	for _, r := range routes {
		parts := routeWords(r)
		all := len(parts) > 1
		for _, p := range parts {
			all = all && slices.Contains(words, p)
		}
		if all {
			out = append(out, r)
		}
	}
	if len(out) > 0 {
		return out
	}
	// ... else its first word, when no other route starts with it ...
	for _, w := range words {
		if rs := byFirst[w]; len(rs) == 1 && !slices.Contains(out, rs[0]) {
			out = append(out, rs[0])
		}
	}
	if len(out) > 0 {
		return out
	}
	// ... else any word of it after "on", "for" or "in", when no other route has that word:
	// "p99 for claude on summarize" is nightly-summarize ("a complete report" names no route).
	byPart := map[string][]string{}
	for _, r := range routes {
		for _, p := range routeWords(r) {
			if len(p) >= 5 && !slices.Contains(byPart[p], r) {
				byPart[p] = append(byPart[p], r)
			}
		}
	}
	for i, w := range words[1:] {
		if rs := byPart[w]; len(rs) == 1 && (words[i] == "on" || words[i] == "for" || words[i] == "in") && !slices.Contains(out, rs[0]) {
			out = append(out, rs[0])
		}
	}
	return out
}

// routeWords are the words of a route's name, lower case: "support-chat" is support and chat.
func routeWords(r string) []string {
	return strings.FieldsFunc(strings.ToLower(r), func(c rune) bool { return c == '-' || c == '_' || c == '/' || c == '.' || c == ' ' })
}

// family is the models whose names start with a word of the question and a dash: "claude"
// names claude-opus-4 and claude-sonnet-4.
func family(lower string, models []string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 3 {
			continue
		}
		for _, m := range models {
			if strings.HasPrefix(strings.ToLower(m), w+"-") && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// followUpRe recognises a question that continues the one before it ("and for last week?",
// "what about gpt-4o?").
var followUpRe = regexp.MustCompile(`(?i)^\s*(and|what about|how about|same|now|only|just|also|but|then|for|by|per|broken down|split|grouped)\b`)

// FollowUp reports whether a question continues the thread's previous one: it opens like a
// continuation and is short.
func FollowUp(q string) bool {
	return followUpRe.MatchString(q) && len(strings.Fields(q)) <= 10
}

// inherit fills what a follow-up q leaves out from the question it continues: the window, the
// scope, the targets, the kind of answer unless it asks for another, and the ranking when it
// asks another measure of it ("what about errors?" after "which provider costs the most?").
func inherit(q string, m, prev model.Triage) model.Triage {
	ownScope := len(m.Models)+len(m.Routes)+len(m.Providers) > 0
	if m.WindowDays <= 0 && m.From == "" {
		m.WindowDays, m.WindowLabel, m.From, m.To = prev.WindowDays, prev.WindowLabel, prev.From, prev.To
	}
	if len(m.Models) == 0 && len(m.Routes) == 0 && len(m.Providers) == 0 {
		m.Models, m.Routes, m.Providers = prev.Models, prev.Routes, prev.Providers
	}
	// "and by route?" after "… on weekends" keeps the days; a calendar period names its own.
	if m.Days == "" && m.By != model.ByWeekday && m.From == "" {
		m.Days = prev.Days
	}
	if len(m.Bounds) == 0 { // "and by model?" after "how many requests took longer than 10 s?"
		m.Bounds = prev.Bounds
	}
	if m.PriceFactor == 0 && prev.PriceFactor != 0 && (m.Kind != model.KindFigure || m.Metric == "" || m.Metric == model.MetricPrice) {
		// "and claude-opus-4?" after "what if the price of gpt-4o went up 20%?": the same change.
		m.Kind, m.Metric, m.By, m.PriceFactor, m.OutOfScope = model.KindFigure, model.MetricPrice, "", prev.PriceFactor, false
	}
	if m.Targets.CostCutPercent == 0 && m.Targets.P95MS == 0 {
		m.Targets = prev.Targets
	}
	prevBy := prev.By
	switch prev.Metric {
	case model.MetricTopModel:
		prevBy = model.ByModel
	case model.MetricTopRoute:
		prevBy = model.ByRoute
	}
	if m.Least && prev.Kind == model.KindFigure && prevBy != "" && (m.Kind != model.KindFigure || m.By == "") {
		// "and the fastest?" after a ranking: the same ranking from its other end ("and the
		// cheapest?" after the route that costs the most: the cost ranking, not its top).
		m.Kind, m.Metric, m.By, m.Category, m.OutOfScope = prev.Kind, prev.Metric, prevBy, prev.Category, false
		if m.Metric == model.MetricTopModel || m.Metric == model.MetricTopRoute {
			m.Metric = model.MetricCost
		}
	}
	if m.Kind == model.KindFigure && m.By == "" && prev.Kind == model.KindFigure && prevBy != "" && !ownScope && rankable(m.Metric) &&
		!wholeRe.MatchString(q) {
		m.By = prevBy
		if m.Top == 0 {
			m.Top = prev.Top // "what about errors?" after "my top 3 routes by cost"
		}
		if m.Metric == model.MetricCost && prevBy == model.ByModel {
			m.Metric, m.By = model.MetricTopModel, ""
		} else if m.Metric == model.MetricCost && prevBy == model.ByRoute {
			m.Metric, m.By = model.MetricTopRoute, ""
		}
	}
	if m.Kind != model.KindFigure || m.Metric == "" {
		// Not advice asked after a figure: "how can I make it cheaper?" wants the report.
		if m.Kind == model.KindCapability || (m.Kind == model.KindReport && prev.Kind == model.KindFigure && m.Category != model.CategoryCostOptimization) {
			by := m.By // "by route?" after a figure: the same figure, by route
			m.Kind, m.Metric, m.By, m.Category, m.OutOfScope = prev.Kind, prev.Metric, prev.By, prev.Category, false
			if by != "" && m.Kind == model.KindFigure {
				m.By = by
				switch {
				case (m.Metric == model.MetricTopModel || m.Metric == model.MetricTopRoute) && by == model.ByModel:
					m.Metric, m.By = model.MetricTopModel, ""
				case (m.Metric == model.MetricTopModel || m.Metric == model.MetricTopRoute) && by == model.ByRoute:
					m.Metric, m.By = model.MetricTopRoute, ""
				case m.Metric == model.MetricTopModel || m.Metric == model.MetricTopRoute:
					m.Metric = model.MetricCost
				}
			}
			m.Least = m.Least || prev.Least // "and last week?" keeps the end of the ranking it follows
			if m.Top == 0 {
				m.Top = prev.Top
			}
		}
	}
	return m
}

// maxTop bounds the rows of a ranking a question may ask for.
const maxTop = 50

// wholeRe recognises a follow-up that asks for the whole, not a ranking: "and the total?".
var wholeRe = regexp.MustCompile(`(?i)\b(?:total|overall|in all|altogether|all together)\b`)

// rankable reports a measure a ranking can be taken by.
func rankable(metric string) bool {
	switch metric {
	case model.MetricCost, model.MetricErrorRate, model.MetricLatency, model.MetricRequests, model.MetricTokens,
		model.MetricCostPerRequest, model.MetricCostPerToken:
		return true
	}
	return false
}

// shiftRe recognises a follow-up that asks for the period before the one it continues: "and
// the week before?", "what about the previous month?".
var shiftRe = regexp.MustCompile(`(?i)\b(?:the\s+)?(?:(?:day|week|month|period|days|weeks)\s+before|previous\s+(?:day|week|month|period)|prior\s+(?:week|month|period))\b`)

func shiftsBack(q string) bool { return shiftRe.MatchString(q) }

// shiftBack turns a triage's window into the period just before it, as UTC days: a whole
// month into the month before, a calendar period into as many days before it, and the last N
// days into the N full days before them ("and the week before?" after "the last 7 days", on
// December 2nd: November 18th to 24th).
func shiftBack(m model.Triage, now time.Time) model.Triage {
	w := window(m, now)
	from := w.From.UTC().Truncate(24 * time.Hour) // the window's first day
	to := w.To.UTC().Truncate(24 * time.Hour)     // and its last
	n := int(to.Sub(from).Hours()/24) + 1         // days, for a calendar period
	if m.From == "" {                             // rolling: as many whole days as it is long
		n = int(math.Round(w.Days()))
	}
	first, last := from.AddDate(0, 0, -n), from.AddDate(0, 0, -1)
	if m.From != "" && from.Day() == 1 && to.Before(from.AddDate(0, 1, 0)) {
		first = from.AddDate(0, -1, 0) // a month, whole or to date: the month before
	}
	m.WindowDays, m.WindowLabel = 0, ""
	m.From, m.To = first.Format(time.DateOnly), last.Format(time.DateOnly)
	return m
}

// refersBackRe recognises a question about what the answer before it led with: "what's its
// error rate?", "how can I make it cheaper?", "why is that route so slow?". Not "what would
// it cost to …": there "it" names nothing.
var refersBackRe = regexp.MustCompile(`(?i)\b(?:its|that (?:route|model|provider|one)|this (?:route|model|provider)|(?:make|making|is|was|did|does|has|cut|cutting|reduce|reducing|lower|lowering|fix|improve|optimi[sz]e|move|moving|switch|switching)\s+it)\b`)

// theyRe refers to the requests the question before was about: "how much did they cost?"
// after "how many requests took longer than 10 s?".
var theyRe = regexp.MustCompile(`(?i)\b(?:they|them|those|these)\b`)

// continues reports whether q takes something from the thread's questions before it.
func continues(q string) bool {
	return FollowUp(q) || refersBackRe.MatchString(q) || theyRe.MatchString(q)
}

// boldRe finds the bold runs of an answer.
var boldRe = regexp.MustCompile(`\*\*([^*\n]{1,200})\*\*`)

// subject is the user's route or model that an answer's lead names first in bold ("Route
// **code-chat** costs you the most"): what "it" in the next question is.
func subject(lead string, seen ingest.Coverage) (routes, models []string) {
	for _, b := range boldRe.FindAllStringSubmatch(lead, -1) {
		switch {
		case slices.Contains(seen.Routes, b[1]):
			return []string{b[1]}, []string{}
		case slices.Contains(seen.Models, b[1]):
			return []string{}, []string{b[1]}
		}
	}
	return nil, nil
}

// follow reads q as the continuation of prev, the triage of the thread's questions before it:
// "it" is the subject of the answer before (prevLead), and what q leaves out is inherited.
func follow(q string, m, prev model.Triage, prevLead string, seen ingest.Coverage, now time.Time) model.Triage {
	// "is it more reliable?" after a comparison asks it of the two, not of the first named.
	if refersBackRe.MatchString(q) && len(m.Models)+len(m.Routes)+len(m.Providers) == 0 && !(prev.Metric == model.MetricCompare && model.Comparative(q) != "") {
		if routes, models := subject(prevLead, seen); routes != nil {
			m.Routes, m.Models = routes, models
		}
	}
	m = inherit(q, m, prev)
	if m.Metric == model.MetricCompare && len(m.Models) > 1 {
		// "and cheaper?" after "is gpt-4o-mini faster than gpt-4o?": in the order the
		// answer before set them, which is its question's.
		m.Models = slices.Clone(m.Models)
		slices.SortStableFunc(m.Models, func(a, b string) int { return model.Mention(prevLead, a) - model.Mention(prevLead, b) })
	}
	if shiftsBack(q) {
		m = shiftBack(m, now)
	}
	return m
}

// thread is the scope the thread's earlier questions built up, follow-ups folded into the
// questions they continue, and the lead of the last one's answer; ok is false for the first
// question of a thread.
func (t *triage) thread(ctx context.Context, rt *agent.Runtime, seen ingest.Coverage, known func(string, *model.Triage)) (acc model.Triage, lead string, ok bool, err error) {
	raw, err := rt.CallTool(ctx, threadtool.Name, struct{}{})
	if err != nil {
		return model.Triage{}, "", false, err
	}
	var prior threadtool.Result
	if err := json.Unmarshal(raw, &prior); err != nil {
		return model.Triage{}, "", false, netra.Internal(err)
	}
	answer := func(i int) string {
		if i >= 0 && i < len(prior.Answers) {
			return prior.Answers[i]
		}
		return ""
	}
	for i, q := range prior.Questions {
		m, err := t.classify(ctx, q)
		if err != nil {
			return model.Triage{}, "", false, err
		}
		known(q, &m)
		if i > 0 && continues(q) {
			m = follow(q, m, acc, answer(i-1), seen, time.Now().UTC())
		}
		acc = m
	}
	return acc, answer(len(prior.Questions) - 1), len(prior.Questions) > 0, nil
}

func (t *triage) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	m, err := t.classify(ctx, in.Text)
	if err != nil {
		return agent.Result{}, err
	}
	// Entities of the user's own data that a question names (the data's models and routes,
	// as the coverage of the last 90 days lists them).
	var seen ingest.Coverage
	known := func(q string, m *model.Triage) {
		lower := strings.ToLower(q)
		for _, mdl := range seen.Models {
			if mentions(lower, mdl, seen.Models) && !slices.Contains(m.Models, mdl) {
				m.Models = append(m.Models, mdl)
			}
		}
		for _, r := range seen.Routes {
			if strings.Contains(lower, strings.ToLower(r)) && !slices.Contains(m.Routes, r) {
				m.Routes = append(m.Routes, r)
			}
		}
	}
	if continues(in.Text) {
		now := time.Now().UTC()
		raw, err := rt.CallTool(ctx, workloadtool.Coverage, workloadtool.Args{From: now.Add(-90 * 24 * time.Hour), To: now})
		if err != nil {
			return agent.Result{}, err
		}
		if err := json.Unmarshal(raw, &seen); err != nil {
			return agent.Result{}, netra.Internal(err)
		}
		prev, lead, ok, err := t.thread(ctx, rt, seen, known)
		if err != nil {
			return agent.Result{}, err
		}
		if ok {
			known(in.Text, &m)
			m = follow(in.Text, m, prev, lead, seen, now)
			_ = rt.Think(ctx, "A follow-up: keeping the scope of the question before it unless this one names another.")
		}
	}
	out := Output{Category: m.Category, Kind: m.Kind, Metric: m.Metric, By: m.By, Least: m.Least, Top: max(0, min(m.Top, maxTop)), OutOfScope: m.OutOfScope, TargetModel: m.Target, Models: m.Models, Routes: m.Routes, Providers: m.Providers, Days: m.Days, PriceFactor: m.PriceFactor, Bounds: m.Bounds,
		Targets: workload.Targets{CostCutPercent: m.Targets.CostCutPercent, P95MS: m.Targets.P95MS}}
	out.Synthetic.Preset, out.Synthetic.Days = m.Synthetic.Preset, m.Synthetic.Days
	out.Window = window(m, time.Now().UTC())
	_ = rt.Think(ctx, fmt.Sprintf("Question classified as %s; looking at the records %s.", strings.ReplaceAll(out.Category, "_", " "), out.Window.In()))

	if out.Category == model.CategorySyntheticData {
		out.Sufficiency = Sufficient // nothing to analyse: the user asks for data
		out.Next = []string{"synthetic_data", "reporting"}
		return agent.Result{Output: out, Next: out.Next}, nil
	}
	raw, err := rt.CallTool(ctx, workloadtool.Coverage, workloadtool.Args{From: out.Window.From, To: out.Window.To})
	if err != nil {
		return agent.Result{}, err
	}
	if err := json.Unmarshal(raw, &out.Coverage); err != nil {
		return agent.Result{}, netra.Internal(err)
	}
	// Entities the user's own data knows about.
	lower := strings.ToLower(in.Text)
	for _, mdl := range out.Coverage.Models {
		if mentions(lower, mdl, out.Coverage.Models) && !slices.Contains(out.Models, mdl) {
			out.Models = append(out.Models, mdl)
		}
	}
	// Two providers, or families ("claude", "gemini"), compared: side by side by provider.
	comparesProviders := out.Kind == model.KindFigure && out.Metric == model.MetricCompare && len(out.Models) == 0 && len(out.Providers) >= 2
	// A family named alone ("claude", "gpt", "gemini") is every model of the user's that
	// bears its name.
	if len(out.Models) == 0 && !comparesProviders {
		named := lower
		if out.TargetModel != "" { // "move every model to claude-3-5-haiku" is not about claude
			named = strings.ReplaceAll(lower, strings.ToLower(out.TargetModel), " ")
		}
		out.Models = family(named, out.Coverage.Models)
		if len(out.Models) > 0 && out.By == model.ByProvider {
			// "gemini" read as the provider too: the family's own figures, with their share
			// of the whole, answer it.
			out.By, out.Providers = "", nil
		}
	}
	// The model a what-if moves traffic to is not the scope's.
	out.Models = slices.DeleteFunc(out.Models, func(m string) bool { return m == out.TargetModel })
	for _, r := range out.Coverage.Routes {
		if strings.Contains(lower, strings.ToLower(r)) && !slices.Contains(out.Routes, r) {
			out.Routes = append(out.Routes, r)
		}
	}
	if len(out.Routes) == 0 {
		out.Routes = looseRoutes(lower, out.Coverage.Routes)
	}
	// A comparison needs two of a kind: models first, else routes; else the scope's report.
	if out.Kind == model.KindFigure && out.Metric == model.MetricCompare {
		switch {
		case comparesProviders:
			out.By = model.ByProvider
		case len(out.Models) >= 2:
			out.By = model.ByModel
		case len(out.Routes) >= 2:
			out.By = model.ByRoute
		case len(out.Models)+len(out.Routes) == 0 && strings.Contains(lower, "models"): // "compare my models": all of them
			out.By = model.ByModel
		case len(out.Models)+len(out.Routes) == 0 && strings.Contains(lower, "routes"):
			out.By = model.ByRoute
		case len(out.Models)+len(out.Routes) == 0 && model.AsksValue(lower): // "which route is the best value?"
			out.By = model.ByModel
			if strings.Contains(lower, "route") {
				out.By = model.ByRoute
			} else if strings.Contains(lower, "provider") {
				out.By = model.ByProvider
			}
		default:
			out.Kind, out.Metric, out.By = model.KindReport, "", ""
		}
	}
	// A question that names the user's own route or model is about the data, however it is
	// worded ("how is support-chat doing?"): the report on it, not "outside your records".
	if out.Kind == model.KindCapability && out.OutOfScope && len(out.Routes)+len(out.Models) > 0 {
		out.Kind, out.OutOfScope, out.Category = model.KindReport, false, model.CategoryWorkloadAnalysis
	}
	c := out.Coverage
	wantDays := min(int(c.WindowDays+0.5), 7)
	switch {
	case out.Kind == model.KindCapability:
		// A short answer from what triage knows: no analysis, no report.
		out.Sufficiency = Sufficient
		if c.StoredTotal == 0 {
			out.Sufficiency = Insufficient
		}
		out.Next = []string{"reporting"}
		return agent.Result{Output: out, Next: out.Next}, nil
	case c.Records == 0:
		out.Sufficiency = Insufficient
		out.Next = []string{"data_helper", "reporting"}
	case c.Records < MinRecords || c.DaysCovered*2 < wantDays:
		out.Sufficiency = Partial
		out.Next = []string{"data_helper", "data", "reporting"}
	case out.Kind == model.KindFigure || out.Kind == model.KindPerformance || out.Kind == model.KindWhatIf:
		out.Sufficiency = Sufficient
		out.Next = []string{"data", "reporting"}
	case out.Kind == model.KindQuestion:
		out.Sufficiency = Sufficient
		out.Next = []string{"analyst", "reporting"}
	default:
		out.Sufficiency = Sufficient
		out.Next = []string{"data", "optimization", "actions", "reporting"}
	}
	_ = rt.Think(ctx, fmt.Sprintf("Found %d records on %d days of the window: data is %s.", c.Records, c.DaysCovered, out.Sufficiency))
	return agent.Result{Output: out, Next: out.Next}, nil
}

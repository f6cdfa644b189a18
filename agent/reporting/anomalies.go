// Days that stand out: "any anomalies last week?", "did anything spike?".

package reporting

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/workload"
)

// Thresholds of a day that stands out: spend or requests at least standOutHigh times the
// median day of its kind, or at most standOutLow times it; errors at twice the window's rate
// (and at least standOutErrors of them). A kind needs standOutDays full days for a median.
const (
	standOutHigh   = 1.5
	standOutLow    = 0.5
	standOutErrors = 5
	standOutDays   = 3
)

// day is a full UTC day of the window, and norm the median day of a kind (weekdays, weekends)
// over n of them.
type (
	day struct {
		at      time.Time
		weekend bool
		workload.Spend
	}
	norm struct {
		n             int
		cost, request float64
	}
)

// anomalyMeasure is the one measure a question about unusual days names: "spend", "requests"
// or "errors", else "" for all three.
func anomalyMeasure(question string) string {
	q := strings.ToLower(question)
	switch {
	case has(q, "error", "fail"):
		return "errors"
	case has(q, "spend", "spent", "cost", "bill", "expens", "$"):
		return "spend"
	case has(q, "request", "traffic", "volume", "calls"):
		return "requests"
	}
	return ""
}

// writeNoneStandsOut says that no full day stands out by the one measure asked, and names the
// day nearest to it: the highest spend or requests against the median of its kind, or the
// highest error rate against the window's.
func writeNoneStandsOut(b *strings.Builder, t triage.Output, days []day, medians map[bool]norm, rate float64, only string) {
	scope, label := scopeText(t), t.Window.In()
	kind := func(d day) string {
		if d.weekend {
			return "weekend"
		}
		return "weekday"
	}
	if only == "errors" {
		top := slices.MaxFunc(days, func(a, b day) int {
			return cmp.Compare(float64(a.Errors)/float64(max(a.Requests, 1)), float64(b.Errors)/float64(max(b.Requests, 1)))
		})
		r := float64(top.Errors) / float64(max(top.Requests, 1))
		fmt.Fprintf(b, "**No day's error rate stands out**%s %s: over its %d full UTC days, none reaches twice the window's %.2f%% with %d failures or more. "+
			"The highest, **%s** (%s), was %.2f%% (%d of %d requests failed).\n", scope, label, len(days), 100*rate, standOutErrors, top.Day, top.at.Weekday(), 100*r, top.Errors, top.Requests)
		return
	}
	v := func(d day) float64 {
		if only == "spend" {
			return d.CostUSD
		}
		return float64(d.Requests)
	}
	mid := func(d day) float64 {
		if only == "spend" {
			return medians[d.weekend].cost
		}
		return medians[d.weekend].request
	}
	text := func(x float64) string {
		if only == "spend" {
			return money(x)
		}
		return fmt.Sprintf("%.0f requests", x)
	}
	// The day furthest above the median of its kind, among kinds with enough days for one.
	var top *day
	for i := range days {
		d := &days[i]
		if medians[d.weekend].n >= standOutDays && mid(*d) > 0 && (top == nil || v(*d)/mid(*d) > v(*top)/mid(*top)) {
			top = d
		}
	}
	what := map[string]string{"spend": "spend", "requests": "request count"}[only]
	fmt.Fprintf(b, "**No day's %s stands out**%s %s: over its %d full UTC days, none reaches %.1f× the median day of its kind or falls to %.1f× it", what, scope, label, len(days), standOutHigh, standOutLow)
	if top == nil {
		b.WriteString(".\n")
		return
	}
	fmt.Fprintf(b, ". The highest against its kind, **%s** (%s), had %s, %.2f× the %s median of %s.\n", top.Day, top.at.Weekday(), text(v(*top)), v(*top)/mid(*top), kind(*top), text(mid(*top)))
}

// writeAnomalies answers "any anomalies?": the full UTC days of the window whose spend or
// requests are far from the median day of their kind (weekdays and weekends apart, since
// most traffic has a weekly shape), or whose error rate is twice the window's.
//
// A question that names one measure ("did my spend spike?") looks at that measure alone, and
// when no day stands out by it, names the day nearest to standing out.
func writeAnomalies(b *strings.Builder, t triage.Output, s workload.Stats, question string) (next string) {
	only := anomalyMeasure(question)
	var days []day
	var requests, errors int64
	for _, d := range s.SpendByDay {
		at, err := time.Parse(time.DateOnly, d.Day)
		if err != nil || at.Before(t.Window.From) || at.AddDate(0, 0, 1).After(t.Window.To.Add(time.Nanosecond)) {
			continue // not a full day of the window
		}
		days = append(days, day{at, at.Weekday() == time.Saturday || at.Weekday() == time.Sunday, d})
		requests, errors = requests+d.Requests, errors+d.Errors
	}
	scope, label := scopeText(t), t.Window.In()
	if len(days) < standOutDays {
		fmt.Fprintf(b, "Your records%s %s cover %d full UTC days: too few for a day to stand out from the others.\n", scope, label, len(days))
		return "Ask about the last 30 days."
	}
	medians := map[bool]norm{}
	for _, weekend := range []bool{false, true} {
		var costs, reqs []float64
		for _, d := range days {
			if d.weekend == weekend {
				costs, reqs = append(costs, d.CostUSD), append(reqs, float64(d.Requests))
			}
		}
		medians[weekend] = norm{len(costs), median(costs), median(reqs)}
	}
	rate := float64(errors) / float64(max(requests, 1))
	kinds := func(weekend bool) string {
		if weekend {
			return "weekend"
		}
		return "weekday"
	}
	var out []string
	var first *day // the first day that stands out, and whether by its errors
	byErrors := false
	for _, d := range days {
		var why []string
		if m := medians[d.weekend]; m.n >= standOutDays {
			for _, x := range []struct {
				what      string
				v, median float64
				text      string
			}{{"spend", d.CostUSD, m.cost, money(d.CostUSD)}, {"requests", float64(d.Requests), m.request, fmt.Sprintf("%d", d.Requests)}} {
				if only != "" && only != x.what {
					continue
				}
				if x.median > 0 && (x.v >= standOutHigh*x.median || x.v <= standOutLow*x.median) {
					why = append(why, fmt.Sprintf("%s %s, %.1f× the %s median", x.what, x.text, x.v/x.median, kinds(d.weekend)))
				}
			}
		}
		if r := float64(d.Errors) / float64(max(d.Requests, 1)); (only == "" || only == "errors") && d.Errors >= standOutErrors && rate > 0 && r >= 2*rate {
			why = append(why, fmt.Sprintf("error rate %.2f%% (%d of %d requests failed), %.1f× the window's", 100*r, d.Errors, d.Requests, r/rate))
		}
		if len(why) > 0 {
			out = append(out, fmt.Sprintf("- **%s** (%s): %s", d.Day, d.at.Weekday(), strings.Join(why, "; ")))
			if first == nil {
				first, byErrors = &d, len(why) == 1 && strings.HasPrefix(why[0], "error rate")
			}
		}
	}
	var typical []string
	for _, weekend := range []bool{false, true} {
		switch m := medians[weekend]; {
		case m.n >= standOutDays:
			typical = append(typical, fmt.Sprintf("%ss %s and %.0f requests", kinds(weekend), money(m.cost), m.request))
		case m.n > 0:
			typical = append(typical, fmt.Sprintf("%ss too few (%d) to compare", kinds(weekend), m.n))
		}
	}
	if len(out) == 0 && only != "" {
		writeNoneStandsOut(b, t, days, medians, rate, only)
		return "Ask how to reduce costs for a report with recommendations."
	}
	if len(out) == 0 {
		fmt.Fprintf(b, "**No day stands out**%s %s: over its %d full UTC days, no day's spend or requests reach %.1f× the median day of its kind or fall to %.1f× it (%s), "+
			"and no day's error rate reaches twice the window's %.2f%%.\n", scope, label, len(days), standOutHigh, standOutLow, strings.Join(typical, "; "), 100*rate)
		if len(days) < 28 {
			return "Ask about the last 30 days to set each day against more of its kind."
		}
		return "Ask how to reduce costs for a report with recommendations."
	}
	fmt.Fprintf(b, "**%d of the %d full UTC days**%s %s stand out from the median day of their kind (%s; error rate %.2f%% over them all):\n\n%s\n",
		len(out), len(days), scope, label, strings.Join(typical, "; "), 100*rate, strings.Join(out, "\n"))
	// What drove a day: its errors by type, or its spend by model.
	if byErrors {
		return fmt.Sprintf("Ask \"errors on %s by model\" for what drove it.", first.Day)
	}
	return fmt.Sprintf("Ask \"what did I spend on %s by model?\" for what drove it.", first.Day)
}

// median is the middle of v (the mean of the two middle values when there are an even
// number), or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

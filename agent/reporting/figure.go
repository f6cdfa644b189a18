// The answers to a question about one figure: a sentence with the number first, then the
// small table behind it.

package reporting

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/netra-ai/netra/agent/data"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// writeFigure answers a question about one figure: the answer first, in a sentence with the
// number, then the small table it comes from. No recommendations: the question asked none.
func writeFigure(b *strings.Builder, t triage.Output, d data.Output, question string) {
	s, whole := d.Stats, d.Whole
	scope := scopeText(t)
	tot := s.Totals
	label := t.Window.In()
	if t.Metric == model.MetricPrice { // the table's prices stand without requests
		if t.PriceFactor > 0 {
			writePriceChange(b, t, d)
		} else {
			writePrices(b, t, d)
		}
		return
	}
	if t.Metric == model.MetricMonths { // its own two periods, not the window's
		writeMonths(b, t, d.Months)
		b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
		return
	}
	if d.Unbounded != nil {
		writeBound(b, t, d, question)
		b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
		return
	}
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
		for _, r := range rows[:min(len(rows), shown(t))] {
			fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", key(r), r.Requests, money(r.CostUSD), 100*r.CostUSD/max(base, 1e-12))
		}
	}
	byModel := func(r workload.Spend) string { return r.Model }
	if endUserRe.MatchString(question) {
		// Records carry no end user: say so rather than answer for everyone as if per user.
		b.WriteString("Your records carry no end-user or customer id, so they cannot be split by user. For all of them:\n\n")
	}
	if t.Metric == model.MetricCompare {
		writeCompare(b, t, s, question)
		b.WriteString("\nAsk which to use, or how to reduce costs, for a report with recommendations.\n")
		return
	}
	if t.Metric == model.MetricLatency && model.AsksSpeed(question) {
		writeOutputSpeed(b, t, s, question)
		b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
		return
	}
	if writeRanked(b, t, s, question) {
		b.WriteString("\nAsk how to reduce it for a report with recommendations.\n")
		return
	}
	switch t.Metric {
	case model.MetricTopModel:
		if top := s.SpendByModel[0]; !writeTopSpend(b, t, s.SpendByModel, len(s.SpendByModel), tot.CostUSD, "models", byModel) {
			fmt.Fprintf(b, "**%s** costs you the most%s %s: %s of %s (%.1f%%), over %d requests.\n", top.Model, scope, label,
				money(top.CostUSD), money(tot.CostUSD), top.Share*100, top.Requests)
		}
		writeTopPerDay(b, s, s.SpendByModel[0].CostUSD, question)
		spendTable(s.SpendByModel, "model", byModel)
	case model.MetricTopRoute:
		byRoute := func(r workload.Spend) string { return r.Route }
		if top := s.SpendByRoute[0]; !writeTopSpend(b, t, s.SpendByRoute, len(s.SpendByRoute), tot.CostUSD, "routes", byRoute) {
			fmt.Fprintf(b, "Route **%s** costs you the most%s %s: %s of %s (%.1f%%), over %d requests.\n", top.Route, scope, label,
				money(top.CostUSD), money(tot.CostUSD), top.Share*100, top.Requests)
		}
		writeTopPerDay(b, s, s.SpendByRoute[0].CostUSD, question)
		spendTable(s.SpendByRoute, "route", byRoute)
	case model.MetricErrorRate:
		// An error type the question names ("how many requests hit rate limits?") comes first,
		// with what its failures cost when that is asked ("how much did timeouts cost me?").
		q := strings.ToLower(question)
		asksCost := has(q, "cost", "spend", "spent", "waste", "pay", "money", "$") && !has(q, "retr")
		named := namedErrorTypes(question, s.Errors.ByType)
		for _, k := range named {
			n := s.Errors.ByType[k]
			if asksCost {
				fmt.Fprintf(b, "Requests that failed with %s cost you **%s**%s %s: %d requests, %.1f%% of the %d that failed, which cost %s in all.\n", k,
					money(s.Errors.CostByType[k]), scope, label, n, share(n, tot.Errors), tot.Errors, money(s.Errors.WasteUSD))
				continue
			}
			fmt.Fprintf(b, "**%d requests** failed with %s%s %s: %.1f%% of the %d that failed, %.2f%% of all %d.\n", n, k, scope, label,
				share(n, tot.Errors), tot.Errors, share(n, tot.Requests), tot.Requests)
		}
		if asksCost && len(named) == 0 {
			// "how much do failed requests cost me?": the cost first.
			fmt.Fprintf(b, "Failed requests cost you **%s**%s %s, %.1f%% of your %s spend: %d of %d requests failed (%.2f%%).\n", money(s.Errors.WasteUSD), scope, label,
				100*s.Errors.WasteUSD/max(tot.CostUSD, 1e-12), money(tot.CostUSD), tot.Errors, tot.Requests, tot.ErrorRate*100)
		} else if len(named) == 0 && has(q, "how many") {
			// "how many requests failed yesterday?": the count first.
			fmt.Fprintf(b, "**%d requests failed**%s %s, of %d (%.2f%%), costing %s.\n", tot.Errors, scope, label,
				tot.Requests, tot.ErrorRate*100, money(s.Errors.WasteUSD))
		} else {
			fmt.Fprintf(b, "Your error rate%s %s is **%.2f%%**: %d of %d requests failed, costing %s.\n", scope, label,
				tot.ErrorRate*100, tot.Errors, tot.Requests, money(s.Errors.WasteUSD))
		}
		if has(q, "per day", "a day", "each day", "daily average", "average daily") && s.CoveredDays >= 2 {
			// "how many errors a day on average?": the count a day, beside the rate.
			fmt.Fprintf(b, "That is **%.1f failed requests a day** on average over the %.0f days your records cover.\n",
				float64(tot.Errors)/s.CoveredDays, s.CoveredDays)
		}
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
			b.WriteString("\n| error type | requests | cost |\n| --- | ---: | ---: |\n")
			for _, k := range types {
				fmt.Fprintf(b, "| %s | %d | %s |\n", k, s.Errors.ByType[k], money(s.Errors.CostByType[k]))
			}
		}
	case model.MetricLatency:
		l := s.LatencyMS
		// The figure the question names is the one in bold: p95 unless it asks another.
		marks := map[string]string{"mean": "", "p50": "", "p95": "", "p99": ""}
		marks[percentileAsked(question)] = "**"
		q := strings.ToLower(question)
		if has(q, "ttft", "first token") {
			// The time to first token asked: it leads, the whole response follows.
			for k := range marks {
				marks[k] = ""
			}
			if ft := s.TTFTMS; ft.Count > 0 {
				fmt.Fprintf(b, "Time to first token%s %s: **p50 %.0f ms, p95 %.0f ms**, over the %d requests that record it.\n", scope, label, ft.P50, ft.P95, ft.Count)
			} else {
				fmt.Fprintf(b, "Your records%s %s carry no time to first token (`ttft_ms`), so it cannot be given.\n", scope, label)
			}
		}
		if model.Largest(question) == "latency" && l.Count > 0 {
			fmt.Fprintf(b, "Your slowest request%s %s took **%.0f ms**", scope, label, l.Max)
			// Where it ran: the model and the route whose own slowest it is.
			where := ""
			for _, m := range s.LatencyByModel {
				if m.Max == l.Max {
					where += " on " + m.Model
					break
				}
			}
			for _, r := range s.LatencyByRoute {
				if r.Max == l.Max {
					where += " on route " + r.Route
					break
				}
			}
			if where != "" {
				b.WriteString("," + where)
			}
			b.WriteString(". ")
			for k := range marks {
				marks[k] = ""
			}
		}
		fmt.Fprintf(b, "Latency%s %s: %smean %.0f ms%s, %sp50 %.0f ms%s, %sp95 %.0f ms%s, %sp99 %.0f ms%s, over %d requests", scope, label,
			marks["mean"], l.Mean, marks["mean"], marks["p50"], l.P50, marks["p50"], marks["p95"], l.P95, marks["p95"], marks["p99"], l.P99, marks["p99"], l.Count)
		if s.TTFTMS.Count > 0 && !has(q, "ttft", "first token") {
			fmt.Fprintf(b, "; time to first token p50 %.0f ms, p95 %.0f ms", s.TTFTMS.P50, s.TTFTMS.P95)
		}
		b.WriteString(".\n")
		b.WriteString("\n| route | requests | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n")
		for _, r := range s.LatencyByRoute {
			fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", r.Route, r.Count, r.P50, r.P95, r.P99)
		}
	case model.MetricRequests:
		fmt.Fprintf(b, "**%d requests**%s %s, costing %s%s.\n", tot.Requests, scope, label, money(tot.CostUSD),
			perDay(s, func(days float64) string { return fmt.Sprintf("%.0f", float64(tot.Requests)/days) }))
		if whole != nil {
			fmt.Fprintf(b, "That is **%.1f%%** of your %d requests on every model and route.\n", share(tot.Requests, whole.Requests), whole.Requests)
		}
		writeRate(b, s, question)
		spendTable(s.SpendByModel, "model", byModel)
	case model.MetricTokens:
		in, out := float64(tot.InputTokens)/float64(max(tot.Requests, 1)), float64(tot.OutputTokens)/float64(max(tot.Requests, 1))
		q := strings.ToLower(question)
		outAsked, inAsked := has(q, "output", "completion", "response", "answer"), has(q, "input", "prompt")
		if (model.AsksSpread(question) || model.Largest(question) != "") && s.InputTokens.Count > 0 {
			writeTokenSpread(b, t, s, question, inAsked, outAsked)
		} else if outAsked != inAsked && !perRequestRe.MatchString(q) {
			// "how many output tokens did gpt-4.1 produce?": that side first.
			side, n, per, other, otherN := "output", tot.OutputTokens, out, "input", tot.InputTokens
			if inAsked {
				side, n, per, other, otherN = "input", tot.InputTokens, in, "output", tot.OutputTokens
			}
			fmt.Fprintf(b, "**%d %s tokens**%s %s, over %d requests (%.0f a request); %d %s tokens beside them (%d input tokens read from cache).\n",
				n, side, scope, label, tot.Requests, per, otherN, other, tot.CachedInputTokens)
		} else if perRequestRe.MatchString(q) {
			// "how many tokens a request on average?": that first, the sums after.
			fmt.Fprintf(b, "**%.0f input and %.0f output tokens a request** on average%s %s, over %d requests: %d input (%d read from cache) and %d output tokens in all.\n",
				in, out, scope, label, tot.Requests, tot.InputTokens, tot.CachedInputTokens, tot.OutputTokens)
		} else {
			fmt.Fprintf(b, "**%d input and %d output tokens**%s %s (%d input tokens read from cache), over %d requests: %.0f input and %.0f output tokens a request.\n",
				tot.InputTokens, tot.OutputTokens, scope, label, tot.CachedInputTokens, tot.Requests, in, out)
		}
		if whole != nil {
			fmt.Fprintf(b, "That is **%.1f%%** of your %d input and %.1f%% of your %d output tokens on every model and route.\n",
				share(tot.InputTokens, whole.InputTokens), whole.InputTokens, share(tot.OutputTokens, whole.OutputTokens), whole.OutputTokens)
		}
		b.WriteString("\n| model | requests | input tokens | output tokens |\n| --- | ---: | ---: | ---: |\n")
		for _, m := range s.SpendByModel[:min(len(s.SpendByModel), shown(t))] {
			fmt.Fprintf(b, "| %s | %d | %d | %d |\n", m.Model, m.Requests, m.InputTokens, m.OutputTokens)
		}
	case model.MetricTokenCost:
		writeTokenCost(b, t, s, question)
	case model.MetricSwitch:
		writeSwitch(b, t, s)
	case model.MetricCostPerRequest:
		if c, pct := s.RequestCostUSD, model.CostPercentile(question); pct != "" && c.Count > 0 {
			// "the median cost of a request", "my most expensive request": from the spread.
			switch pct {
			case "p50":
				fmt.Fprintf(b, "Your median request cost **$%.4f**%s %s: half cost less, half more.", c.P50, scope, label)
			case "p95", "p99":
				v, under := c.P95, 95
				if pct == "p99" {
					v, under = c.P99, 99
				}
				fmt.Fprintf(b, "%d%% of your requests cost **$%.4f** or less%s %s.", under, v, scope, label)
			default:
				fmt.Fprintf(b, "Your most expensive request cost **$%.4f**%s %s.", c.Max, scope, label)
			}
			fmt.Fprintf(b, " Over %d requests: mean $%.4f, median $%.4f, p95 $%.4f, p99 $%.4f, the most expensive $%.4f.\n", c.Count, c.Mean, c.P50, c.P95, c.P99, c.Max)
		} else if ok := tot.Requests - tot.Errors; has(strings.ToLower(question), "success") && ok > 0 {
			// "my cost per successful request": what each answer cost, failures' cost included.
			fmt.Fprintf(b, "Each successful request cost you **$%.4f** on average%s %s: %s over the %d of %d requests that succeeded, "+
				"with the %s the %d failures cost counted in. Over every request, $%.4f.\n", tot.CostUSD/float64(ok), scope, label,
				money(tot.CostUSD), ok, tot.Requests, money(s.Errors.WasteUSD), tot.Errors, tot.CostUSD/float64(tot.Requests))
		} else {
			fmt.Fprintf(b, "Your average cost a request%s %s is **$%.4f**: %s over %d requests.\n", scope, label,
				tot.CostUSD/float64(tot.Requests), money(tot.CostUSD), tot.Requests)
		}
		b.WriteString("\n| model | requests | cost | cost a request |\n| --- | ---: | ---: | ---: |\n")
		for i, m := range s.SpendByModel {
			if i == 10 {
				break
			}
			fmt.Fprintf(b, "| %s | %d | %s | $%.4f |\n", m.Model, m.Requests, money(m.CostUSD), m.CostUSD/float64(max(m.Requests, 1)))
		}
	case model.MetricCostPerToken:
		n := tot.InputTokens + tot.OutputTokens
		fmt.Fprintf(b, "Your tokens%s %s cost **$%.2f a million** ($%.4f a thousand), input and output together: %s over %d tokens (%d input, %d output), in %d requests.\n",
			scope, label, perMillion(tot.CostUSD, n), perMillion(tot.CostUSD, n)/1000, money(tot.CostUSD), n, tot.InputTokens, tot.OutputTokens, tot.Requests)
		b.WriteString("\n| model | requests | tokens | cost | a million tokens |\n| --- | ---: | ---: | ---: | ---: |\n")
		for i, m := range s.SpendByModel {
			if i == 10 {
				break
			}
			fmt.Fprintf(b, "| %s | %d | %d | %s | $%.2f |\n", m.Model, m.Requests, m.InputTokens+m.OutputTokens, money(m.CostUSD), perMillion(m.CostUSD, m.InputTokens+m.OutputTokens))
		}
	case model.MetricRetries:
		fmt.Fprintf(b, "Retries cost you an estimated **%s**%s %s: your records log %d retries over %d requests, each "+
			"counted at the cost of its request. Failed calls cost another %s.\n", money(s.Errors.RetryWasteUSD), scope, label,
			tot.Retries, tot.Requests, money(s.Errors.WasteUSD))
	case model.MetricTrend:
		writeTrendBy(b, t, d.Weeks)
		writeTrend(b, t, s, d.Weeks, question)
	case model.MetricForecast:
		if writeForecast(b, t, s, d, question) {
			return // it ends on the cut to ask for
		}
	case model.MetricAnomalies:
		b.WriteString("\n" + writeAnomalies(b, t, s, question) + "\n")
		return
	case model.MetricCache:
		if tot.CachedInputTokens == 0 {
			fmt.Fprintf(b, "None of your %d input tokens%s %s was read from a prompt cache, so caching saved you nothing there.\n", tot.InputTokens, scope, label)
			b.WriteString("\nAsk \"could prompt caching help?\" for what it would save.\n")
			return
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

// endUserRe recognises a question about the user's own end users, whom records do not name:
// "spend per user", "which customer costs the most?".
var endUserRe = regexp.MustCompile(`(?i)\b(?:per|each|by|every|which|what)\s+(?:end[- ]?)?(?:users?|customers?|tenants?|clients?)\b`)

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

// writeForecast answers "how much will I spend this month?": the month's spend so far, plus
// its days left at the window's daily rate (over the days the records cover, as elsewhere).
func writeForecast(b *strings.Builder, t triage.Output, s workload.Stats, d data.Output, question string) (asked bool) {
	month := d.MonthToDate
	now := t.Window.To.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	if month == nil || s.CoveredDays < 1 {
		fmt.Fprintf(b, "Your records%s %s cover too little to give a daily rate for a forecast.\n", scopeText(t), t.Window.In())
		return false
	}
	rate := s.Totals.CostUSD / s.CoveredDays
	basis := fmt.Sprintf("your rate %s (%s over %d requests, on the %.0f days your records cover)", t.Window.In(), money(s.Totals.CostUSD), s.Totals.Requests, s.CoveredDays)
	switch model.ForecastHorizon(question) {
	case model.HorizonYear:
		fmt.Fprintf(b, "A year%s at %s a day costs about **%s** (365 days), or %s a month: %s.\n", scopeText(t), money(rate), money(rate*365), money(rate*365/12), basis)
		b.WriteString("\nA forecast at a steady rate: a change in traffic or prices moves it, and a year of change is likely.\n")
		return false
	case model.HorizonYearEnd:
		if y := d.YearToDate; y != nil {
			end := time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
			days := end.Sub(now).Hours() / 24
			fmt.Fprintf(b, "%d should cost you about **%s**%s: %s spent so far in your records (to %s UTC), plus %.1f days left at %s a day, %s.\n",
				now.Year(), money(y.CostUSD+rate*days), scopeText(t), money(y.CostUSD), now.Format("2006-01-02 15:04"), days, money(rate), basis)
			b.WriteString("\nA forecast at a steady rate: a change in traffic or prices moves it.\n")
			return false
		}
	}
	left := next.Sub(now).Hours() / 24
	fmt.Fprintf(b, "%s should cost you about **%s**%s: %s spent so far (to %s UTC), plus %.1f days left at %s a day, "+
		"your rate %s (%s over %d requests, on the %.0f days your records cover).\n",
		first.Format("January 2006"), money(month.CostUSD+rate*left), scopeText(t), money(month.CostUSD), now.Format("2006-01-02 15:04"),
		left, money(rate), t.Window.In(), money(s.Totals.CostUSD), s.Totals.Requests, s.CoveredDays)
	asked = writeBudget(b, month.CostUSD, rate, month.CostUSD+rate*left, now, next, question)
	b.WriteString("\nA forecast at a steady rate: a change in traffic or prices this month moves it.\n")
	return asked
}

// writeBudget sets the month's forecast against the budget the question states: over or under
// it, by how much, and the day the spend would reach it. A question about a budget it does not
// state is told how to give one. asked reports that it ends on a question to ask next.
func writeBudget(b *strings.Builder, spent, rate, forecast float64, now, next time.Time, question string) (asked bool) {
	budget, ok := model.Budget(question)
	switch {
	case !ok && strings.Contains(strings.ToLower(question), "budget"):
		b.WriteString("\nI do not know your budget: ask with it (\"am I on track for a $1,000 budget?\") and I set the forecast against it.\n")
		return true
	case !ok:
	case spent >= budget:
		fmt.Fprintf(b, "\nYou are **over your %s budget already**: %s spent this month, %s over it, and about %s over by the month's end.\n",
			money(budget), money(spent), money(spent-budget), money(forecast-budget))
	case forecast > budget:
		reach := now.Add(time.Duration((budget - spent) / rate * 24 * float64(time.Hour)))
		cut := 100 * (1 - (budget-spent)/(forecast-spent)) // of the rest of the month's spend
		fmt.Fprintf(b, "\nThat is **%s over your %s budget** (%.0f%% of it): at this rate the month's spend reaches %s on %s UTC, %.1f days before the month ends. "+
			"To hold it, the rest of the month must cost %.0f%% less: ask \"how can I cut my costs by %.0f%%?\"\n",
			money(forecast-budget), money(budget), 100*forecast/budget, money(budget), reach.Format("2006-01-02"), next.Sub(reach).Hours()/24, math.Ceil(cut), math.Ceil(cut))
		return true
	default:
		fmt.Fprintf(b, "\nThat is **%s under your %s budget** (%.0f%% of it).\n", money(budget-forecast), money(budget), 100*forecast/budget)
	}
	return false
}

// writeOutputSpeed answers how fast answers are written, in output tokens a second after the
// first token: over the scope, or the model that writes the fastest (slowest), then each model.
func writeOutputSpeed(b *strings.Builder, t triage.Output, s workload.Stats, question string) {
	sp, scope, label := s.OutputSpeed, scopeText(t), t.Window.In()
	// The fastest writes the most tokens a second: the other end from the fastest latency
	// that triage's Least reads.
	slow := has(strings.ToLower(question), "slowest", "lowest", "least", "worst")
	if sp.Count == 0 {
		fmt.Fprintf(b, "Your records%s %s carry no time to first token (`ttft_ms`) on a successful request, so how fast answers are written cannot be told: "+
			"the time to the first token is spent reading the prompt, and only the time after it writes the answer.\n", scope, label)
		return
	}
	rows := slices.DeleteFunc(slices.Clone(s.LatencyByModel), func(m workload.ModelLatency) bool { return m.OutputSpeed.Count == 0 })
	sort.SliceStable(rows, func(i, j int) bool { return (rows[i].OutputSpeed.P50 > rows[j].OutputSpeed.P50) != slow })
	if t.By == model.ByModel && len(rows) > 0 {
		word := "fastest"
		if slow {
			word = "slowest"
		}
		fmt.Fprintf(b, "**%s** writes its answers the %s%s %s: **%.0f output tokens a second** (median, after the first token), over %d successful requests; %.0f over all models.\n",
			rows[0].Model, word, scope, label, rows[0].OutputSpeed.P50, rows[0].OutputSpeed.Count, sp.P50)
	} else {
		fmt.Fprintf(b, "Answers%s %s were written at **%.0f output tokens a second** (median; p95 %.0f, mean %.0f), counted from the first token to the last, over the %d successful requests that report a time to first token.\n",
			scope, label, sp.P50, sp.P95, sp.Mean, sp.Count)
	}
	b.WriteString("\n| model | requests timed | median tokens a second | p95 | time to first token p50 ms |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, m := range rows {
		fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", m.Model, m.OutputSpeed.Count, m.OutputSpeed.P50, m.OutputSpeed.P95, m.TTFT.P50)
	}
	var untimed []string
	for _, m := range s.LatencyByModel {
		if m.OutputSpeed.Count == 0 {
			untimed = append(untimed, m.Model)
		}
	}
	if len(untimed) > 0 {
		slices.Sort(untimed)
		fmt.Fprintf(b, "\nNot timed, for want of a time to first token on a successful request: %s.\n", strings.Join(untimed, ", "))
	}
}

// writeTokenSpread answers the spread of a request's tokens ("the median output length"): the
// percentile asked first (the median for "typical"), of the side asked or of both, then the
// others, from the records.
func writeTokenSpread(b *strings.Builder, t triage.Output, s workload.Stats, question string, inAsked, outAsked bool) {
	if side := model.Largest(question); side != "" {
		// "the longest prompt I sent": the one request at the top, beside the spread.
		d, what := s.InputTokens, "prompt"
		if side == "output" {
			d, what = s.OutputTokens, "answer"
		}
		fmt.Fprintf(b, "Your longest %s%s %s had **%.0f %s tokens**; the median had %.0f and the p99 %.0f, over %d requests.\n", what, scopeText(t), t.Window.In(),
			d.Max, side, d.P50, d.P99, d.Count)
		inAsked, outAsked = side == "input", side == "output"
	} else {
		writeSpreadLead(b, t, s, question, inAsked, outAsked)
	}
	writeSpreadTable(b, s, inAsked, outAsked)
}

// writeSpreadLead leads with the percentile of a request's tokens a question asks for.
func writeSpreadLead(b *strings.Builder, t triage.Output, s workload.Stats, question string, inAsked, outAsked bool) {
	k := percentileAsked(question)
	if has(strings.ToLower(question), "typical") {
		k = "p50"
	}
	pick := func(d workload.Dist) float64 {
		return map[string]float64{"p50": d.P50, "p95": d.P95, "p99": d.P99, "mean": d.Mean}[k]
	}
	name := map[string]string{"p50": "median", "p95": "p95", "p99": "p99", "mean": "mean"}[k]
	var sides []string
	var dists []workload.Dist
	if inAsked || !outAsked {
		sides, dists = append(sides, "input"), append(dists, s.InputTokens)
	}
	if outAsked || !inAsked {
		sides, dists = append(sides, "output"), append(dists, s.OutputTokens)
	}
	lead := make([]string, len(sides))
	for i, d := range dists {
		lead[i] = fmt.Sprintf("%.0f %s", pick(d), sides[i])
	}
	fmt.Fprintf(b, "The %s request%s %s has **%s tokens**, over %d requests.\n", name, scopeText(t), t.Window.In(), strings.Join(lead, " and "), dists[0].Count)
}

// writeSpreadTable is the spread of the side asked of a request's tokens, or of both.
func writeSpreadTable(b *strings.Builder, s workload.Stats, inAsked, outAsked bool) {
	b.WriteString("\n| tokens | mean | p50 | p95 | p99 | largest |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, x := range []struct {
		side string
		d    workload.Dist
		on   bool
	}{{"input", s.InputTokens, inAsked || !outAsked}, {"output", s.OutputTokens, outAsked || !inAsked}} {
		if x.on {
			fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n", x.side, x.d.Mean, x.d.P50, x.d.P95, x.d.P99, x.d.Max)
		}
	}
}

// percentileAsked is the latency figure a question names: "p99", "p50" (or "median"), "mean"
// (or "average"), else "p95".
func percentileAsked(question string) string {
	q := strings.ToLower(question)
	for _, k := range []string{"p99", "p50", "mean"} {
		if strings.Contains(q, k) || (k == "p50" && strings.Contains(q, "median")) || (k == "mean" && strings.Contains(q, "average")) {
			return k
		}
	}
	return "p95"
}

// durationText is a threshold as the question would say it: "10 s", "500 ms".
func durationText(ms float64) string {
	if ms >= 1000 && math.Mod(ms, 1000) == 0 {
		return fmt.Sprintf("%.0f s", ms/1000)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// writeTopSpend leads a ranking by cost when the question asks for its first few ("my top 3
// routes", "the 2 cheapest models") of more: what they cost together, and which they are. rows
// are ranked, at least the first few of all. It reports false when the question asks for no
// number, or for them all.
func writeTopSpend(b *strings.Builder, t triage.Output, rows []workload.Spend, all int, total float64, what string, key func(workload.Spend) string) bool {
	n := t.Top
	if n < 2 || n >= all || n > len(rows) {
		return false
	}
	var sum float64
	names := make([]string, n)
	for i, r := range rows[:n] {
		sum += r.CostUSD
		names[i] = "**" + key(r) + "**"
	}
	end := "most expensive"
	if t.Least {
		end = "cheapest"
	}
	fmt.Fprintf(b, "Your %d %s %s%s %s cost **%s** of %s (%.1f%%), of %d in all: %s and %s.\n", n, end, what, scopeText(t), t.Window.In(),
		money(sum), money(total), 100*sum/max(total, 1e-12), all, strings.Join(names[:n-1], ", "), names[n-1])
	return true
}

// share is part's percentage of whole.
func share(part, whole int64) float64 { return 100 * float64(part) / float64(max(whole, 1)) }

// writeNoneInScope says that the question's scope holds no request in its window, and what the
// window does hold, so that a name that matches nothing is plain to see.
func writeNoneInScope(b *strings.Builder, t triage.Output) {
	fmt.Fprintf(b, "No requests%s %s.", ofRequests(scopeText(t)), t.Window.In())
	if c := t.Coverage; c.Records > 0 {
		fmt.Fprintf(b, " Your %d records %s are on the models %s and the routes %s.", c.Records, t.Window.In(),
			strings.Join(c.Models, ", "), strings.Join(c.Routes, ", "))
	}
	b.WriteString("\n")
}

// writeRate answers requests a minute (or a second): the window's average and that of the
// busiest hour of the day. Finer peaks are not kept, and the answer says so.
func writeRate(b *strings.Builder, s workload.Stats, question string) {
	unit := model.AsksRate(question)
	if unit == "" || s.CoveredDays < 1 {
		return
	}
	peak := 0
	for h, n := range s.TrafficByHour {
		if n > s.TrafficByHour[peak] {
			peak = h
		}
	}
	minutes := s.CoveredDays * 24 * 60
	avg, busiest := float64(s.Totals.Requests)/minutes, float64(s.TrafficByHour[peak])/(s.CoveredDays*60)
	if unit == "second" {
		fmt.Fprintf(b, "On average that is **%.3f requests a second** (%.2f a minute); in the busiest hour of the day, %02d:00–%02d:00 UTC, %.3f a second. ",
			avg/60, avg, peak, (peak+1)%24, busiest/60)
	} else {
		fmt.Fprintf(b, "On average that is **%.2f requests a minute** (%.0f an hour); in the busiest hour of the day, %02d:00–%02d:00 UTC, %.2f a minute. ",
			avg, avg*60, peak, (peak+1)%24, busiest)
	}
	b.WriteString("Peaks within an hour are not kept in the analysis.\n")
}

// writeTopPerDay adds what the leader and the whole cost a day, when the question asks it
// ("my average cost per day by model").
func writeTopPerDay(b *strings.Builder, s workload.Stats, top float64, question string) {
	if has(strings.ToLower(question), "per day", "a day", "daily", "each day") && s.CoveredDays >= 2 {
		fmt.Fprintf(b, "That is about %s a day on it, and %s a day in all, over the %.0f days your records cover.\n",
			money(top/s.CoveredDays), money(s.Totals.CostUSD/s.CoveredDays), s.CoveredDays)
	}
}

// perDay is ": about X a day over the N days your records cover", X made by rate from the
// days, or "" when the records cover less than two days.
func perDay(s workload.Stats, rate func(days float64) string) string {
	if s.CoveredDays < 2 {
		return ""
	}
	return fmt.Sprintf(": about %s a day over the %.0f days your records cover", rate(s.CoveredDays), s.CoveredDays)
}

// scopeText names the question's scope: " on gpt-4o on route support-chat", " on requests that
// took longer than 10 s", or "".
func scopeText(t triage.Output) string {
	scope := ""
	if len(t.Models) > 0 {
		scope += " on " + strings.Join(t.Models, ", ")
	}
	if len(t.Routes) > 0 {
		scope += " on route " + strings.Join(t.Routes, ", ")
	}
	if p := t.ProviderScope(); len(p) > 0 {
		scope += " on " + strings.Join(p, ", ")
	}
	switch t.Days {
	case ingest.DaysWeekends:
		scope += " on weekends (UTC)"
	case ingest.DaysWeekdays:
		scope += " on weekdays (UTC)"
	}
	if len(t.Bounds) > 0 {
		scope += " on requests that " + boundsVerb(t.Bounds)
	}
	return scope
}

// ofRequests is a scope said after the word "requests": " that took longer than 10 s", not
// " on requests that took longer than 10 s".
func ofRequests(scope string) string {
	return strings.Replace(scope, " on requests that ", " that ", 1)
}

// scopeDays is " on weekends" or " on weekdays" when the answer keeps those days only, else "".
func scopeDays(t triage.Output) string {
	if t.Days == "" {
		return ""
	}
	return " on " + t.Days
}

// keptHours is how many hours of the window fall on the days the answer keeps (every day
// unless it keeps weekends or weekdays only): what a rate an hour divides by.
func keptHours(t triage.Output) float64 {
	from, to := t.Window.From.UTC(), t.Window.To.UTC()
	var h float64
	for day := from.Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		if t.Days == "" || weekend == (t.Days == ingest.DaysWeekends) {
			start, end := day, day.Add(24*time.Hour)
			if start.Before(from) {
				start = from
			}
			if end.After(to) {
				end = to
			}
			h += end.Sub(start).Hours()
		}
	}
	return h
}

// capitalize upper-cases the first letter: a window's phrase opening a sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// perMillion is what a million tokens cost at cost for n tokens.
func perMillion(cost float64, n int64) float64 { return cost * 1e6 / float64(max(n, 1)) }

// writePrices answers a price question: the price table's list prices of the models asked (or
// of the user's own in the window), then what the user paid a million tokens on each.
func writePrices(b *strings.Builder, t triage.Output, d data.Output) {
	p := d.Prices
	if p == nil || len(p.Prices) == 0 {
		if p != nil && len(p.NotFound) > 0 {
			names, is, it := p.NotFound[0], "is", "it"
			if n := len(p.NotFound); n > 1 {
				names, is, it = strings.Join(p.NotFound[:n-1], ", ")+" and "+p.NotFound[n-1], "are", "them"
			}
			fmt.Fprintf(b, "%s %s not in the price table, so I have no list price for %s. Ask the price of a model by its name as the providers list it (\"what's the price of gpt-4o?\").\n", names, is, it)
			return
		}
		fmt.Fprintf(b, "You have no requests %s and the question names no model: ask the price of one by name (\"what's the price of gpt-4o?\").\n", t.Window.In())
		return
	}
	if x := p.Prices[0]; len(p.Prices) == 1 {
		fmt.Fprintf(b, "**%s** (%s) lists at **%s a million input tokens and %s a million output tokens**", x.Model, x.Provider, perMTok(x.Input), perMTok(x.Output))
		if x.CachedInput > 0 {
			fmt.Fprintf(b, "; input read from a prompt cache %s", perMTok(x.CachedInput))
		}
		if x.BatchDiscount > 0 {
			fmt.Fprintf(b, "; the batch API takes %.0f%% off", 100*x.BatchDiscount)
		}
		fmt.Fprintf(b, " (price table as of %s).\n", p.AsOf)
	} else {
		fmt.Fprintf(b, "List prices of %d models, a million tokens (price table as of %s):\n", len(p.Prices), p.AsOf)
	}
	b.WriteString("\n| model | provider | input | cached input | output | batch API |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, x := range p.Prices {
		cached, batch := "none", "none"
		if x.CachedInput > 0 {
			cached = perMTok(x.CachedInput)
		}
		if x.BatchDiscount > 0 {
			batch = fmt.Sprintf("%.0f%% off", 100*x.BatchDiscount)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", x.Model, x.Provider, perMTok(x.Input), cached, perMTok(x.Output), batch)
	}
	// What the user paid on each, input and output together: the list prices weighed by their
	// own mix of input, cached and output tokens.
	var paid []string
	for _, x := range p.Prices {
		for _, g := range d.SpendByModel {
			if n := g.InputTokens + g.OutputTokens; g.Model == x.Model && n > 0 {
				paid = append(paid, fmt.Sprintf("$%.2f a million tokens on %s (%d requests)", perMillion(g.CostUSD, n), g.Model, g.Requests))
			}
		}
	}
	if len(paid) > 0 {
		fmt.Fprintf(b, "\nYou paid %s %s, input and output together.\n", strings.Join(paid, "; "), t.Window.In())
	} else if len(t.Models) == 1 {
		fmt.Fprintf(b, "\nYou have no requests on it %s.\n", t.Window.In())
	} else if len(t.Models) > 1 {
		fmt.Fprintf(b, "\nYou have no requests on them %s.\n", t.Window.In())
	}
	if len(p.NotFound) > 0 {
		fmt.Fprintf(b, "\nNot in the price table: %s.\n", strings.Join(p.NotFound, ", "))
	}
}

// writeTokenCost divides the spend between input and output tokens (workload.Price.Split):
// the whole, or, ranked by route, model or provider, the one whose side asked costs most.
func writeTokenCost(b *strings.Builder, t triage.Output, s workload.Stats, question string) {
	tot, scope, label := s.Totals, scopeText(t), t.Window.In()
	if tot.InputCostUSD+tot.OutputCostUSD <= 0 {
		fmt.Fprintf(b, "The price table lists none of your models%s %s, so their cost of %s cannot be divided between input and output tokens.\n", scope, label, money(tot.CostUSD))
		return
	}
	all := workload.Spend{InputCostUSD: tot.InputCostUSD, OutputCostUSD: tot.OutputCostUSD}
	// The side asked leads: output unless the question asks about input or prompts alone.
	side, other, of, ofOther := "output", "input", func(g workload.Spend) float64 { return g.OutputCostUSD }, func(g workload.Spend) float64 { return g.InputCostUSD }
	if q := strings.ToLower(question); has(q, "input", "prompt") && !has(q, "output", "completion", "response") {
		side, other, of, ofOther = other, side, ofOther, of
	}
	pct := func(part, whole float64) float64 { return 100 * part / max(whole, 1e-12) }
	rows, what, name := s.SpendByModel, "model", func(g workload.Spend) string { return g.Model }
	switch t.By {
	case model.ByRoute:
		rows, what, name = s.SpendByRoute, "route", func(g workload.Spend) string { return g.Route }
	case model.ByProvider:
		rows, what, name = s.SpendByProvider, "provider", func(g workload.Spend) string { return g.Provider }
	}
	if t.By == model.ByRoute || t.By == model.ByModel || t.By == model.ByProvider {
		// "which model spends the most on output tokens?"
		rows = slices.Clone(rows)
		sort.SliceStable(rows, func(i, j int) bool { return (of(rows[i]) > of(rows[j])) != t.Least })
		top, most, title := rows[0], "most", "**"+rows[0].Key+"**"
		if t.Least {
			most = "least"
		}
		if t.By == model.ByRoute {
			title = "Route " + title
		}
		fmt.Fprintf(b, "%s spends the %s on %s tokens%s %s: **%s**, %.1f%% of its %s. On all of them, %s tokens cost %s of %s.\n",
			title, most, side, scope, label, money(of(top)), pct(of(top), top.CostUSD), money(top.CostUSD), side, money(of(all)), money(tot.CostUSD))
	} else {
		fmt.Fprintf(b, "**%s of your %s (%.1f%%) paid for %s tokens**%s %s, and %s (%.1f%%) for %s tokens.", money(of(all)), money(tot.CostUSD),
			pct(of(all), tot.CostUSD), side, scope, label, money(ofOther(all)), pct(ofOther(all), tot.CostUSD), other)
		if has(strings.ToLower(question), "per day", "a day", "daily", "each day") && s.CoveredDays >= 2 {
			fmt.Fprintf(b, " That is %s a day on %s tokens over the %.0f days your records cover.", money(of(all)/s.CoveredDays), side, s.CoveredDays)
		}
		if tot.InputTokens > 0 && tot.OutputTokens > 0 && tot.InputCostUSD > 0 {
			fmt.Fprintf(b, " Output is %.1f%% of your tokens, and an output token cost %.1f times what an input token did.",
				share(tot.OutputTokens, tot.InputTokens+tot.OutputTokens), (tot.OutputCostUSD/float64(tot.OutputTokens))/(tot.InputCostUSD/float64(tot.InputTokens)))
		}
		b.WriteString("\n")
	}
	if rest := tot.CostUSD - tot.InputCostUSD - tot.OutputCostUSD; rest >= 0.005 {
		fmt.Fprintf(b, "%s spent on models the price table does not list is in neither.\n", money(rest))
	}
	b.WriteString("Records carry one cost a request; it is divided in the proportion of each model's list prices for input (cached input at its own price) and output.\n")
	fmt.Fprintf(b, "\n| %s | requests | input tokens | output tokens | input cost | output cost | output's share |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n", what)
	for _, g := range rows[:min(len(rows), shown(t))] {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %s | %s | %.1f%% |\n", name(g), g.Requests, g.InputTokens, g.OutputTokens, money(g.InputCostUSD), money(g.OutputCostUSD),
			pct(g.OutputCostUSD, g.InputCostUSD+g.OutputCostUSD))
	}
}

// perMTok writes a price a million tokens: in cents when it has no finer part ($3.00), else
// as the table gives it ($0.075).
func perMTok(v float64) string {
	if c := v * 100; math.Abs(c-math.Round(c)) < 1e-9 { // 0.3 × 100 is not exactly 30
		return fmt.Sprintf("$%.2f", v)
	}
	return "$" + strconv.FormatFloat(v, 'f', -1, 64)
}

// writeMonths sets this UTC month so far against the whole month before it. The month under
// way is shorter, so the change is of the daily rate; last month's is over the days its
// records cover, when they begin after it does.
func writeMonths(b *strings.Builder, t triage.Output, months []workload.Stats) {
	now := t.Window.To.UTC()
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := this.AddDate(0, -1, 0)
	scope := scopeText(t)
	if len(months) != 2 || months[0].Totals.Requests+months[1].Totals.Requests == 0 {
		fmt.Fprintf(b, "No requests%s in %s or in %s so far.\n", ofRequests(scope), last.Format("January 2006"), this.Format("January"))
		return
	}
	prev, cur := months[0].Totals, months[1].Totals
	prevDays, curDays := this.Sub(last).Hours()/24, now.Sub(this).Hours()/24
	partial := prev.Requests > 0 && months[0].CoveredDays < prevDays
	if partial {
		prevDays = months[0].CoveredDays
	}
	daily := func(x workload.Totals, days float64) float64 { return x.CostUSD / max(days, 1.0/24) }
	fmt.Fprintf(b, "%s so far%s: **%s** over %d requests in %.1f days (%s a day), against %s over %d requests in %s (%s a day over %.0f days)",
		this.Format("January 2006"), scope, money(cur.CostUSD), cur.Requests, curDays, money(daily(cur, curDays)),
		money(prev.CostUSD), prev.Requests, last.Format("January"), money(daily(prev, prevDays)), prevDays)
	switch p, c := daily(prev, prevDays), daily(cur, curDays); {
	case prev.Requests == 0:
		b.WriteString(": your records hold nothing the month before.\n")
	case c >= p:
		fmt.Fprintf(b, ": the daily spend is **up %.1f%%**.\n", 100*(c-p)/max(p, 1e-12))
	default:
		fmt.Fprintf(b, ": the daily spend is **down %.1f%%**.\n", 100*(p-c)/max(p, 1e-12))
	}
	if partial {
		fmt.Fprintf(b, "Your records%s cover only %.0f days of %s, so its daily rate is over those.\n", scope, prevDays, last.Format("January"))
	}
	b.WriteString("\n| month | days | requests | cost | cost a day | failed |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for i, x := range []workload.Totals{prev, cur} {
		name, days := last.Format("January 2006"), prevDays
		if i == 1 {
			name, days = this.Format("January 2006")+" so far", curDays
		}
		fmt.Fprintf(b, "| %s | %.1f | %d | %s | %s | %d |\n", name, days, x.Requests, money(x.CostUSD), money(daily(x, days)), x.Errors)
	}
	if curDays < 3 {
		fmt.Fprintf(b, "\nOnly %.1f days of %s have passed: a few days' rate moves with the days of the week.\n", curDays, this.Format("January"))
	}
}

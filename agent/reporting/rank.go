// Rankings: which route, model, provider, day, weekday, hour or error type leads a measure,
// and two or more of them side by side.

package reporting

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// writeRanked answers "which route (model, provider, day) has the most errors, requests,
// tokens, cost, or is the slowest" and the figure "by route (…)": the leader in a sentence with
// its numbers and the whole scope's, then the ten first ranked the same way. It reports false
// when the question ranks nothing, or ranks what writeFigure answers (cost by model or route).
func writeRanked(b *strings.Builder, t triage.Output, s workload.Stats, question string) bool {
	if t.By == model.ByErrorType {
		return writeErrorTypes(b, t, s, question)
	}
	if t.By == model.ByWeekday {
		return writeWeekdays(b, t, s, question)
	}
	if t.By == model.ByHour {
		return writeHours(b, t, s, question)
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
	case model.ByWeek:
		what, title = "week (UTC, from Monday)", func(k string) string { return "The week of **" + k + "**" }
		groups, key = weeks(s.SpendByDay), func(g workload.Spend) string { return g.Key }
	default:
		return false
	}
	if len(groups) == 0 {
		return false
	}
	// "spend by day", "daily errors": every day of the window in time order, the leader named
	// first; "which day …", "my most expensive day" and "the top 3 days" stay a ranking.
	q := strings.ToLower(question)
	daily := (t.By == model.ByDay && has(q, "by day", "per day", "daily", "each day", "every day", "day by day") ||
		t.By == model.ByWeek && has(q, "by week", "per week", "weekly", "each week", "every week", "week by week")) && t.Top == 0 &&
		!has(q, "which", "what day", "most", "least", "highest", "lowest", "busiest", "worst", "best", "expensive", "cheapest")
	// few, when set, is a group too small for its figure to lead (a rate over a handful of
	// requests): it ranks after every other, at either end.
	var few func(workload.Spend) bool
	rank := func(less func(a, b workload.Spend) bool) []workload.Spend {
		rows := slices.Clone(groups)
		sort.SliceStable(rows, func(i, j int) bool {
			if few != nil && few(rows[i]) != few(rows[j]) {
				return few(rows[j])
			}
			if t.Least {
				return less(rows[j], rows[i])
			}
			return less(rows[i], rows[j])
		})
		if daily {
			return rows
		}
		return rows[:min(len(rows), shown(t))]
	}
	// inOrder is the order a table shows the ranked rows in: by date for a daily breakdown.
	inOrder := func(rows []workload.Spend) []workload.Spend {
		if !daily {
			return rows
		}
		rows = slices.Clone(rows)
		sort.Slice(rows, func(i, j int) bool { return rows[i].Day < rows[j].Day })
		return rows
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
		whats := what + "s"
		switch t.By {
		case model.ByDay:
			whats = "days (UTC)"
		case model.ByWeek:
			whats = "weeks"
		}
		if usd, over, ok := model.AmountThreshold(question); ok && headline && (t.By == model.ByDay || t.By == model.ByWeek) {
			// "which days did I spend more than $30?": those days, in time order.
			writePeriodsBeyond(b, t, s, groups, what, whats, key, usd, over)
			return true
		}
		if top := rows[0]; headline && daily {
			// "daily spend": the whole and its rate first, then the day that cost the most.
			on := "on"
			if t.By == model.ByWeek {
				on = "in the week of"
			}
			fmt.Fprintf(b, "You spent **%s**%s %s%s. The most %s **%s**: %s (%.1f%%), over %d requests.\n", money(tot.CostUSD), scope, label,
				perDay(s, func(days float64) string { return money(tot.CostUSD / days) }), on, key(top), money(top.CostUSD), 100*top.CostUSD/max(tot.CostUSD, 1e-12), top.Requests)
		} else if headline && !writeTopSpend(b, t, rows, len(groups), tot.CostUSD, whats, key) {
			fmt.Fprintf(b, "%s costs you the %s%s %s: %s of %s (%.1f%%), over %d requests.\n", title(key(top)), most("most", "least"), scope, label,
				money(top.CostUSD), money(tot.CostUSD), 100*top.CostUSD/max(tot.CostUSD, 1e-12), top.Requests)
		}
		fmt.Fprintf(b, "\n| %s | requests | cost | share |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", key(g), g.Requests, money(g.CostUSD), 100*g.CostUSD/max(tot.CostUSD, 1e-12))
		}
		if t.By == model.ByProvider && strings.Contains(q, "model") {
			// "by provider and model": each provider's models under it, costliest first.
			b.WriteString("\n| provider | model | requests | cost | share |\n| --- | --- | ---: | ---: | ---: |\n")
			for _, p := range rows {
				for _, m := range s.SpendByModel {
					if m.Provider == p.Provider {
						fmt.Fprintf(b, "| %s | %s | %d | %s | %.1f%% |\n", p.Provider, m.Model, m.Requests, money(m.CostUSD), 100*m.CostUSD/max(tot.CostUSD, 1e-12))
					}
				}
			}
		}
	case model.MetricCostPerRequest:
		rows := rank(func(a, b workload.Spend) bool { return perRequest(a) > perRequest(b) })
		if top := rows[0]; headline {
			fmt.Fprintf(b, "%s costs the %s a request%s %s: **$%.4f** on average over %d requests; $%.4f over all %d.\n", title(key(top)), most("most", "least"), scope, label,
				perRequest(top), top.Requests, tot.CostUSD/float64(tot.Requests), tot.Requests)
		}
		fmt.Fprintf(b, "\n| %s | requests | cost | cost a request |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %s | $%.4f |\n", key(g), g.Requests, money(g.CostUSD), perRequest(g))
		}
	case model.MetricRetries:
		// "which route has the most retries?": by their count; "… whose retries cost the
		// most?": by what they cost, each at its request's cost.
		byCost := has(q, "cost", "spend", "spent", "expensive", "waste", "money", "$")
		rows := rank(func(a, b workload.Spend) bool {
			if byCost && a.RetryWasteUSD != b.RetryWasteUSD {
				return a.RetryWasteUSD > b.RetryWasteUSD
			}
			if a.Retries != b.Retries {
				return a.Retries > b.Retries
			}
			return a.RetryWasteUSD > b.RetryWasteUSD
		})
		if top := rows[0]; headline && byCost {
			fmt.Fprintf(b, "%s's retries cost the %s%s %s: an estimated **%s**, %d retries over its %d requests. In all, %d retries cost an estimated %s.\n",
				title(key(top)), most("most", "least"), scope, label, money(top.RetryWasteUSD), top.Retries, top.Requests, s.Errors.Retries, money(s.Errors.RetryWasteUSD))
		} else if headline {
			fmt.Fprintf(b, "%s has the %s retries%s %s: **%d** over its %d requests (%.3f a request), costing an estimated %s. In all, %d retries cost an estimated %s.\n",
				title(key(top)), most("most", "fewest"), scope, label, top.Retries, top.Requests, float64(top.Retries)/float64(max(top.Requests, 1)),
				money(top.RetryWasteUSD), s.Errors.Retries, money(s.Errors.RetryWasteUSD))
		}
		fmt.Fprintf(b, "\n| %s | requests | retries | retries a request | estimated cost |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %d | %.3f | %s |\n", key(g), g.Requests, g.Retries, float64(g.Retries)/float64(max(g.Requests, 1)), money(g.RetryWasteUSD))
		}
	case model.MetricCostPerToken:
		perToken := func(g workload.Spend) float64 { return perMillion(g.CostUSD, g.InputTokens+g.OutputTokens) }
		rows := rank(func(a, b workload.Spend) bool { return perToken(a) > perToken(b) })
		if top := rows[0]; headline {
			fmt.Fprintf(b, "%s costs the %s a token%s %s: **$%.2f a million tokens**, input and output together, over %d requests; $%.2f over all %d.\n", title(key(top)),
				most("most", "least"), scope, label, perToken(top), top.Requests, perMillion(tot.CostUSD, tot.InputTokens+tot.OutputTokens), tot.Requests)
		}
		fmt.Fprintf(b, "\n| %s | requests | tokens | cost | a million tokens |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %d | %s | $%.2f |\n", key(g), g.Requests, g.InputTokens+g.OutputTokens, money(g.CostUSD), perToken(g))
		}
	case model.MetricErrorRate:
		if tot.Errors == 0 {
			fmt.Fprintf(b, "No request failed%s %s, of %d.\n", scope, label, tot.Requests)
			return true
		}
		if kinds := namedErrorTypes(question, s.Errors.ByType); len(kinds) > 0 && t.By != model.ByDay && t.By != model.ByWeek {
			// "which model has the most timeouts?": by the count of the type named.
			k := kinds[0]
			of := func(g workload.Spend) int64 { return g.ErrorTypes[k] }
			rows := rank(func(a, b workload.Spend) bool {
				if of(a) != of(b) {
					return of(a) > of(b)
				}
				return rate(a) > rate(b)
			})
			if top := rows[0]; headline {
				fmt.Fprintf(b, "%s has the %s %s failures%s %s: %d of its %d requests (%.2f%%). In all, %d requests failed with %s, of %d that failed.\n",
					title(key(top)), most("most", "fewest"), k, scope, label, of(top), top.Requests, share(of(top), top.Requests), s.Errors.ByType[k], k, tot.Errors)
			}
			fmt.Fprintf(b, "\n| %s | requests | %s | all errors | error rate |\n| --- | ---: | ---: | ---: | ---: |\n", what, k)
			for _, g := range inOrder(rows) {
				fmt.Fprintf(b, "| %s | %d | %d | %d | %.2f%% |\n", key(g), g.Requests, of(g), g.Errors, rate(g)*100)
			}
			break
		}
		// "the highest error rate", "the most reliable" and "error rate by provider" rank by
		// the rate; "the most errors", and a daily breakdown, by the count (ties to the higher
		// rate).
		byRate := strings.Contains(q, "rate") && has(q, "highest", "lowest", "worst", "best") || model.AsksReliability(q) ||
			has(q, "error rate", "failure rate", "fail rate") && t.By != model.ByDay && t.By != model.ByWeek // "error rate by provider"
		// "the cost of errors by route": by what the failures cost, not how many there were.
		byCost := !byRate && has(q, "cost of error", "cost of fail", "error cost", "failure cost", "costliest error", "most expensive error",
			"errors cost the most", "failures cost the most", "failed requests cost the most")
		if byRate {
			// "which day had the highest error rate?": not today's first three requests.
			few = func(g workload.Spend) bool { return g.Requests < minRated }
		}
		rows := rank(func(a, b workload.Spend) bool {
			if byRate && rate(a) != rate(b) {
				return rate(a) > rate(b)
			}
			if byCost && a.ErrorCostUSD != b.ErrorCostUSD {
				return a.ErrorCostUSD > b.ErrorCostUSD
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
		} else if top := rows[0]; headline && byCost {
			fmt.Fprintf(b, "%s's failed requests cost the %s%s %s: **%s** of the %s all failures cost, %d of its %d requests (%.2f%%).\n",
				title(key(top)), most("most", "least"), scope, label, money(top.ErrorCostUSD), money(s.Errors.WasteUSD), top.Errors, top.Requests, rate(top)*100)
		} else if headline {
			fmt.Fprintf(b, "%s has the %s errors%s %s: %d of its %d requests failed (%.2f%%), costing %s.", title(key(top)),
				most("most", "fewest"), scope, label, top.Errors, top.Requests, rate(top)*100, money(top.ErrorCostUSD))
			if len(groups) > 1 {
				fmt.Fprintf(b, " In all, %d of %d requests failed (%.2f%%), costing %s.", tot.Errors, tot.Requests, tot.ErrorRate*100, money(s.Errors.WasteUSD))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "\n| %s | requests | errors | error rate | error cost |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %d | %.2f%% | %s |\n", key(g), g.Requests, g.Errors, rate(g)*100, money(g.ErrorCostUSD))
		}
	case model.MetricRequests:
		rows := rank(func(a, b workload.Spend) bool { return a.Requests > b.Requests })
		if top := rows[0]; headline {
			if t.By != model.ByDay && t.By != model.ByWeek {
				fmt.Fprintf(b, "You used %s%s %s. ", plural(len(groups), what), scope, label)
			}
			fmt.Fprintf(b, "%s gets the %s requests%s %s: %d of %d (%.1f%%), costing %s.\n", title(key(top)), most("most", "fewest"), ofRequests(scope), label,
				top.Requests, tot.Requests, 100*float64(top.Requests)/float64(tot.Requests), money(top.CostUSD))
		}
		fmt.Fprintf(b, "\n| %s | requests | share of requests | cost |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %.1f%% | %s |\n", key(g), g.Requests, 100*float64(g.Requests)/float64(tot.Requests), money(g.CostUSD))
		}
	case model.MetricTokens:
		// "the most output tokens" ranks by the output tokens, "input" or "prompt" by the input.
		side, of, all := "", func(g workload.Spend) int64 { return g.InputTokens + g.OutputTokens }, int64(0)
		switch out, in := has(q, "output", "completion", "response", "answer"), has(q, "input", "prompt", "context"); {
		case out && !in:
			side, of, all = "output ", func(g workload.Spend) int64 { return g.OutputTokens }, tot.OutputTokens
		case in && !out:
			side, of, all = "input ", func(g workload.Spend) int64 { return g.InputTokens }, tot.InputTokens
		}
		if lengthRe.MatchString(q) || perRequestRe.MatchString(q) {
			writeLengths(b, t, s, rank, key, title, what, side, headline)
			break
		}
		rows := rank(func(a, b workload.Spend) bool { return of(a) > of(b) })
		if top := rows[0]; headline && side != "" {
			fmt.Fprintf(b, "%s uses the %s %stokens%s %s: %d, %.1f%% of %d, over %d requests (%.0f a request).\n",
				title(key(top)), most("most", "fewest"), side, scope, label, of(top), share(of(top), all), all, top.Requests, float64(of(top))/float64(max(top.Requests, 1)))
		} else if headline {
			fmt.Fprintf(b, "%s uses the %s tokens%s %s: %d input and %d output tokens, over %d requests. In all, %d input and %d output tokens.\n",
				title(key(top)), most("most", "fewest"), scope, label, top.InputTokens, top.OutputTokens, top.Requests, tot.InputTokens, tot.OutputTokens)
		}
		fmt.Fprintf(b, "\n| %s | input tokens | output tokens | requests |\n| --- | ---: | ---: | ---: |\n", what)
		for _, g := range inOrder(rows) {
			fmt.Fprintf(b, "| %s | %d | %d | %d |\n", key(g), g.InputTokens, g.OutputTokens, g.Requests)
		}
	case model.MetricLatency:
		type row struct {
			key string
			workload.Dist
		}
		// The time to first token is kept by model and over all, not by route or provider.
		ttft, overall, slowest := has(q, "first token", "ttft", "time to first"), s.LatencyMS, most("slowest", "fastest")
		if ttft && t.By != model.ByModel {
			fmt.Fprintf(b, "Time to first token is kept by model and over all requests, not by %s. Over all requests that report it%s %s: p50 %.0f ms, **p95 %.0f ms**, p99 %.0f ms, over %d requests.\n",
				what, scopeText(t), label, s.TTFTMS.P50, s.TTFTMS.P95, s.TTFTMS.P99, s.TTFTMS.Count)
			return true
		}
		if ttft {
			overall, slowest = s.TTFTMS, most("slowest to its first token", "fastest to its first token")
		}
		var rows []row
		switch t.By {
		case model.ByProvider:
			for _, p := range s.LatencyByProvider {
				rows = append(rows, row{p.Provider, p.Dist})
			}
		case model.ByModel:
			for _, m := range s.LatencyByModel {
				if !ttft {
					rows = append(rows, row{m.Model, m.Dist})
				} else if m.TTFT.Count > 0 {
					rows = append(rows, row{m.Model, m.TTFT})
				}
			}
		case model.ByRoute:
			for _, r := range s.LatencyByRoute {
				rows = append(rows, row{r.Route, r.Dist})
			}
		}
		if len(rows) == 0 {
			return false
		}
		// Ranked by the figure the question names, p95 unless it names another.
		asked := percentileAsked(question)
		pct, ms, over, beyond := model.PercentileThreshold(question)
		if beyond {
			asked = pct
		}
		of := func(d workload.Dist) float64 {
			switch asked {
			case "mean":
				return d.Mean
			case "p50":
				return d.P50
			case "p99":
				return d.P99
			}
			return d.P95
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if of(rows[i].Dist) == of(rows[j].Dist) {
				return false
			}
			return (of(rows[i].Dist) > of(rows[j].Dist)) != t.Least
		})
		top := rows[0]
		if beyond {
			// "which routes have a p95 over 5 seconds?": those, slowest first.
			kept := slices.DeleteFunc(slices.Clone(rows), func(r row) bool { return over && of(r.Dist) <= ms || !over && of(r.Dist) >= ms })
			if !over {
				slices.Reverse(kept)
			}
			than := map[bool]string{true: "over", false: "under"}[over]
			names := make([]string, len(kept))
			for i, r := range kept {
				names[i] = fmt.Sprintf("%s (%.0f ms)", r.key, of(r.Dist))
			}
			fmt.Fprintf(b, "**%d of the %d %ss**%s %s have a %s %s %s", len(kept), len(rows), what, scope, label, asked, than, durationText(ms))
			if len(kept) > 0 {
				fmt.Fprintf(b, ": %s", strings.Join(names, ", "))
			}
			fmt.Fprintf(b, ". Over all of them, %s is %.0f ms.\n", asked, of(overall))
		} else if asked == "p95" {
			fmt.Fprintf(b, "%s is the %s%s %s: **p95 %.0f ms** (p50 %.0f ms, p99 %.0f ms), over %d requests.",
				title(top.key), slowest, scope, label, top.P95, top.P50, top.P99, top.Count)
		} else {
			fmt.Fprintf(b, "%s is the %s%s %s by %s: **%s %.0f ms** (p95 %.0f ms), over %d requests.",
				title(top.key), slowest, scope, label, asked, asked, of(top.Dist), top.P95, top.Count)
		}
		if len(rows) > 1 && !beyond {
			fmt.Fprintf(b, " Over all of them, %s is %.0f ms.", asked, of(overall))
		}
		if !beyond {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "\n| %s | requests | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n", what)
		for _, r := range rows[:min(len(rows), shown(t))] {
			fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", r.key, r.Count, r.P50, r.P95, r.P99)
		}
	default:
		return false
	}
	return true
}

// minRated is the fewest requests whose error rate may lead a ranking by the rate.
const minRated = 30

// shown is how many rows of a ranking to show: as many as the question asks ("my top 3
// routes"), else the first ten.
func shown(t triage.Output) int {
	if t.Top > 0 {
		return t.Top
	}
	return 10
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
}

// writeHours answers "what time of day is the busiest?": the UTC hours of the day by their
// requests (by their cost when the question asks about cost), the busiest (or, for the
// quietest, the least busy) first.
func writeHours(b *strings.Builder, t triage.Output, s workload.Stats, question string) bool {
	tot := s.Totals.Requests
	if tot == 0 {
		return false
	}
	hours := make([]int, 24)
	for h := range hours {
		hours[h] = h
	}
	q := strings.ToLower(question)
	if t.Metric == model.MetricCost || strings.Contains(q, "cost") || strings.Contains(q, "spend") || strings.Contains(q, "expensive") {
		var all float64
		for _, c := range s.CostByHour {
			all += c
		}
		sort.SliceStable(hours, func(i, j int) bool { return (s.CostByHour[hours[i]] > s.CostByHour[hours[j]]) != t.Least })
		word := "most"
		if t.Least {
			word = "least"
		}
		h := hours[0]
		fmt.Fprintf(b, "**%02d:00–%02d:00 UTC** costs the %s%s %s: %s of %s (%.1f%%), against %s an hour of the day on average",
			h, (h+1)%24, word, scopeText(t), t.Window.In(), money(s.CostByHour[h]), money(all), 100*s.CostByHour[h]/max(all, 1e-12), money(all/24))
		if hours := keptHours(t); hours > 0 {
			fmt.Fprintf(b, " (%s an hour over the window's %.0f hours%s)", money(all/hours), hours, scopeDays(t))
		}
		b.WriteString(".\n\n| hour (UTC) | cost | share | requests |\n| --- | ---: | ---: | ---: |\n")
		for _, h := range hours[:min(len(hours), shown(t))] {
			fmt.Fprintf(b, "| %02d:00 | %s | %.1f%% | %d |\n", h, money(s.CostByHour[h]), 100*s.CostByHour[h]/max(all, 1e-12), s.TrafficByHour[h])
		}
		return true
	}
	sort.SliceStable(hours, func(i, j int) bool { return (s.TrafficByHour[hours[i]] > s.TrafficByHour[hours[j]]) != t.Least })
	word := "most"
	if t.Least {
		word = "fewest"
	}
	h := hours[0]
	fmt.Fprintf(b, "**%02d:00–%02d:00 UTC** gets the %s requests%s %s: %d of %d (%.1f%%), against %.0f in the average hour of the day",
		h, (h+1)%24, word, ofRequests(scopeText(t)), t.Window.In(), s.TrafficByHour[h], tot, share(s.TrafficByHour[h], tot), float64(tot)/24)
	if hours := keptHours(t); hours >= 24 {
		// A rate: that hour of each day against any hour of the window's (on the days kept).
		fmt.Fprintf(b, "; that is **%.1f requests an hour** then, against %.1f an hour over the window's %.0f hours%s", float64(s.TrafficByHour[h])/(hours/24), float64(tot)/hours, hours, scopeDays(t))
	}
	b.WriteString(".\n")
	b.WriteString("\n| hour (UTC) | requests | share |\n| --- | ---: | ---: |\n")
	for _, h := range hours[:min(len(hours), shown(t))] {
		fmt.Fprintf(b, "| %02d:00 | %d | %.1f%% |\n", h, s.TrafficByHour[h], share(s.TrafficByHour[h], tot))
	}
	return true
}

// writeWeekdays answers "which day of the week is the busiest?": each weekday's average over
// the full UTC days of the window (the first and the last, cut by the window, are left out),
// ranked by the measure asked (requests unless it is cost, errors or tokens).
func writeWeekdays(b *strings.Builder, t triage.Output, s workload.Stats, question string) bool {
	type wd = weekday
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
	if l := s.LatencyMS; t.Metric == model.MetricLatency && l.Count > 0 {
		// Latency is kept as percentiles by route, model and provider, not by day: say so,
		// rather than answer with another measure.
		fmt.Fprintf(b, "Latency is kept by route, model and provider, not by day, so days of the week cannot be told apart by it. Over all days%s %s: mean %.0f ms, p50 %.0f ms, **p95 %.0f ms**, over %d requests. By day of the week, the requests:\n\n",
			scopeText(t), t.Window.In(), l.Mean, l.P50, l.P95, l.Count)
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
	q := strings.ToLower(question)
	// "the error rate on weekends": failed over all requests, not failures a day.
	rated := t.Metric == model.MetricErrorRate && (has(q, "rate", "percent", "%", "share", "fraction") || model.AsksReliability(q))
	errRate := func(x wd) float64 { return 100 * float64(x.errs) / float64(max(x.requests, 1)) }
	if rated {
		what, val = "error rate", errRate
	}
	// "how much did I spend on weekends?" (Saturdays and Sundays together) or "… on weekdays?"
	// (Monday to Friday): that group first, against the other, over full UTC days.
	if has(q, "weekend", "weekdays", "working days", "business days", "workdays") {
		var end, week wd
		for _, x := range rows {
			y := &week
			if x.day == time.Saturday || x.day == time.Sunday {
				y = &end
			}
			y.days, y.requests, y.errs, y.toks, y.cost = y.days+x.days, y.requests+x.requests, y.errs+x.errs, y.toks+x.toks, y.cost+x.cost
		}
		total := func(x wd) string {
			if what == "errors" { // a count in all, not a rate a day
				return fmt.Sprintf("%d failed requests", x.errs)
			}
			return format(val(x) * float64(x.days))
		}
		asked, other, askedName, otherName, none := end, week, "weekends (Saturdays and Sundays)", "weekdays", "weekend day"
		if !has(q, "weekend") {
			asked, other, askedName, otherName, none = week, end, "weekdays (Monday to Friday)", "weekend days", "weekday"
		}
		if asked.days == 0 {
			fmt.Fprintf(b, "Your records%s %s hold no full %s.\n", scopeText(t), t.Window.In(), none)
		} else if rated {
			fmt.Fprintf(b, "Your error rate on %s%s %s is **%.2f%%**: %d of %d requests failed over %d full UTC days", askedName, scopeText(t), t.Window.In(),
				errRate(asked), asked.errs, asked.requests, asked.days)
			if other.days > 0 {
				fmt.Fprintf(b, ", against %.2f%% on the %d %s (%d of %d)", errRate(other), other.days, otherName, other.errs, other.requests)
			}
			b.WriteString(".\n")
		} else {
			in := val(asked)*float64(asked.days) + val(other)*float64(other.days)
			fmt.Fprintf(b, "On %s%s %s: **%s** over %d full UTC days (%.1f%% of the %d full days' %s), %s a day", askedName, scopeText(t), t.Window.In(), total(asked), asked.days,
				100*val(asked)*float64(asked.days)/max(in, 1e-12), asked.days+other.days, what, format(val(asked)))
			if other.days > 0 {
				fmt.Fprintf(b, ", against %s a day on the %d %s (%s in all)", format(val(other)), other.days, otherName, total(other))
			}
			b.WriteString(".\n")
			if unit := model.AsksRate(question); unit != "" && what == "requests" && asked.days > 0 {
				// "requests per minute on weekdays": the day's mean over its minutes or seconds.
				per := map[string]float64{"minute": 1440, "second": 86400}[unit]
				fmt.Fprintf(b, "That is **%.3g requests a %s** on %s on average, against %.3g on %s.\n", val(asked)/per, unit, askedName, val(other)/per, otherName)
			}
		}
	}
	if named := namedWeekdays(q, rows); len(named) >= 2 && (t.Metric != model.MetricLatency || s.LatencyMS.Count == 0) {
		// "Saturday vs Sunday spend": the days named, side by side, in the order named.
		parts := make([]string, len(named))
		for i, x := range named {
			parts[i] = fmt.Sprintf("**%ss** %s (%d full days)", x.day, format(val(x)), x.days)
			if rated {
				parts[i] = fmt.Sprintf("**%ss** %.2f%% (%d of %d requests failed over %d full days)", x.day, errRate(x), x.errs, x.requests, x.days)
			}
		}
		per := " a day on average"
		if rated {
			per = ""
		}
		fmt.Fprintf(b, "By day of the week%s %s, %s%s: %s.", scopeText(t), t.Window.In(), what, per, strings.Join(parts, ", "))
		higher := func(up bool) string { return map[bool]string{true: "higher", false: "lower"}[up] }
		switch a, c := named[0], named[1]; {
		case len(named) != 2:
		case rated:
			fmt.Fprintf(b, " %ss' error rate is **%.2f points %s** than %ss'.", c.day, math.Abs(math.Round(100*errRate(c))-math.Round(100*errRate(a)))/100, higher(errRate(c) >= errRate(a)), a.day) // as the rates read
		case val(a) > 0:
			fmt.Fprintf(b, " %ss are **%.1f%% %s** than %ss.", c.day, 100*math.Abs(val(c)/val(a)-1), higher(val(c) >= val(a)), a.day)
		}
		b.WriteString("\n")
		writeWeekdayTable(b, rows, errRate)
		return true
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
	var all wd
	for _, x := range rows {
		sum += val(x) * float64(x.days)
		all.requests, all.errs = all.requests+x.requests, all.errs+x.errs
	}
	if rated {
		word = "highest"
		if t.Least {
			word = "lowest"
		}
		fmt.Fprintf(b, "**%ss** have the %s error rate%s %s: %.2f%%, %d of %d requests over %d of them, against %.2f%% over all %d full UTC days.\n",
			top.day, word, scopeText(t), t.Window.In(), errRate(top), top.errs, top.requests, top.days, errRate(all), full)
	} else {
		fmt.Fprintf(b, "**%ss** have the %s %s%s %s: %s a day on average over %d of them, against %s a day over all %d full UTC days.\n",
			top.day, word, what, scopeText(t), t.Window.In(), format(val(top)), top.days, format(sum/float64(full)), full)
	}
	writeWeekdayTable(b, rows, errRate)
	return true
}

// weekday is a day of the week over the full UTC days of a window: how many there were, and
// their requests, failures, tokens and cost together.
type weekday struct {
	day                  time.Weekday
	days                 int
	requests, errs, toks int64
	cost                 float64
}

// writeWeekdayTable is each day of the week's figures a day, in the rows' order.
func writeWeekdayTable(b *strings.Builder, rows []weekday, errRate func(weekday) float64) {
	b.WriteString("\n| day of the week | full days | requests a day | cost a day | failed requests a day | error rate |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, x := range rows {
		n := float64(x.days)
		fmt.Fprintf(b, "| %s | %d | %.0f | %s | %.1f | %.2f%% |\n", x.day, x.days, float64(x.requests)/n, money(x.cost/n), float64(x.errs)/n, errRate(x))
	}
}

// namedWeekdays are the days of the week a question names ("Saturday vs Sunday"), in the
// order it names them, that the rows hold.
func namedWeekdays(q string, rows []weekday) []weekday {
	type at struct {
		i int
		x weekday
	}
	var found []at
	for _, x := range rows {
		if i := strings.Index(q, strings.ToLower(x.day.String())); i >= 0 {
			found = append(found, at{i, x})
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].i < found[j].i })
	out := make([]weekday, len(found))
	for i, f := range found {
		out[i] = f.x
	}
	return out
}

// writeErrorTypes answers "which error is the most common?": the error type first, then each
// type with its share of the failed requests.
func writeErrorTypes(b *strings.Builder, t triage.Output, s workload.Stats, question string) bool {
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
	if q := strings.ToLower(question); has(q, "cost", "spend", "spent", "expensive", "money", "$", "waste") && !has(q, "retr") {
		// "which error type costs me the most?": by what its failed requests cost.
		sort.SliceStable(types, func(i, j int) bool { return (s.Errors.CostByType[types[i]] > s.Errors.CostByType[types[j]]) != t.Least })
		k := types[0]
		fmt.Fprintf(b, "Requests that failed with **%s** cost you the %s%s %s: **%s** over %d failed requests, of %s that all %d failures cost.\n", k,
			map[bool]string{false: "most", true: "least"}[t.Least], scope, label, money(s.Errors.CostByType[k]), s.Errors.ByType[k], money(s.Errors.WasteUSD), tot.Errors)
		b.WriteString("\n| error type | requests | cost |\n| --- | ---: | ---: |\n")
		for _, k := range types[:min(len(types), shown(t))] {
			fmt.Fprintf(b, "| %s | %d | %s |\n", k, s.Errors.ByType[k], money(s.Errors.CostByType[k]))
		}
		return true
	}
	word := "most"
	if t.Least {
		word = "least"
	}
	n := s.Errors.ByType[types[0]]
	tied := 1 // types as common as the first: named together, not one of them as the first
	for tied < len(types) && s.Errors.ByType[types[tied]] == n {
		tied++
	}
	if tied > 1 {
		names := make([]string, tied)
		for i, k := range types[:tied] {
			names[i] = "**" + k + "**"
		}
		fmt.Fprintf(b, "%s and %s are the %s common errors%s %s, tied at %d each of %d failed requests (%.1f%% each).",
			strings.Join(names[:tied-1], ", "), names[tied-1], word, scope, label, n, tot.Errors, 100*float64(n)/float64(tot.Errors))
	} else {
		fmt.Fprintf(b, "**%s** is the %s common error%s %s: %d of %d failed requests (%.1f%%).",
			types[0], word, scope, label, n, tot.Errors, 100*float64(n)/float64(tot.Errors))
	}
	fmt.Fprintf(b, " In all, %d of %d requests failed (%.2f%%), costing %s.\n", tot.Errors, tot.Requests, tot.ErrorRate*100, money(s.Errors.WasteUSD))
	b.WriteString("\n| error type | requests | share of errors |\n| --- | ---: | ---: |\n")
	for _, k := range types[:min(len(types), shown(t))] {
		fmt.Fprintf(b, "| %s | %d | %.1f%% |\n", k, s.Errors.ByType[k], 100*float64(s.Errors.ByType[k])/float64(tot.Errors))
	}
	return true
}

// weeks sums the window's days into weeks, Monday to Sunday (UTC), each with its Monday as
// Day and as Key, the days of it the window holds beside a week it holds in part
// ("2026-11-30 (4 days)").
func weeks(days []workload.Spend) []workload.Spend {
	at := map[string]int{} // a Monday's week in out
	var out []workload.Spend
	var held []int // the days of each week in out
	for _, d := range days {
		day, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		monday := day.AddDate(0, 0, -(int(day.Weekday())+6)%7).Format(time.DateOnly)
		i, ok := at[monday]
		if !ok {
			i, at[monday] = len(out), len(out)
			out, held = append(out, workload.Spend{Day: monday, Key: monday}), append(held, 0)
		}
		w := &out[i]
		w.Requests, w.CostUSD, w.Errors, w.ErrorCostUSD = w.Requests+d.Requests, w.CostUSD+d.CostUSD, w.Errors+d.Errors, w.ErrorCostUSD+d.ErrorCostUSD
		w.InputTokens, w.OutputTokens = w.InputTokens+d.InputTokens, w.OutputTokens+d.OutputTokens
		held[i]++
	}
	for i := range out {
		if held[i] < 7 {
			out[i].Key += " (" + plural(held[i], "day") + ")"
		}
	}
	return out
}

// lengthRe is a ranking by how long a request is, not by the tokens in all; so is one by the
// tokens a request (perRequestRe).
var (
	lengthRe     = regexp.MustCompile(`\b(?:longest|shortest|largest|biggest|smallest)\b`)
	perRequestRe = regexp.MustCompile(`\b(?:per|a|each|every)\s+(?:request|call)\b|\bon average\b|\b(?:average|avg|mean)\b`)
)

// writeLengths ranks by the tokens of a request on average, of the side asked ("the longest
// prompts": input; "responses": output; else both): single requests are not kept.
func writeLengths(b *strings.Builder, t triage.Output, s workload.Stats, rank func(func(a, b workload.Spend) bool) []workload.Spend,
	key func(workload.Spend) string, title func(string) string, what, side string, headline bool) {
	tokens := func(g workload.Spend) int64 { return g.InputTokens + g.OutputTokens }
	noun := "requests"
	switch side {
	case "input ":
		tokens, noun = func(g workload.Spend) int64 { return g.InputTokens }, "prompts"
	case "output ":
		tokens, noun = func(g workload.Spend) int64 { return g.OutputTokens }, "responses"
	}
	per := func(g workload.Spend) float64 { return float64(tokens(g)) / float64(max(g.Requests, 1)) }
	rows := rank(func(a, b workload.Spend) bool { return per(a) > per(b) })
	if top := rows[0]; headline {
		word := "longest"
		if t.Least {
			word = "shortest"
		}
		all := workload.Spend{Requests: s.Totals.Requests, InputTokens: s.Totals.InputTokens, OutputTokens: s.Totals.OutputTokens}
		fmt.Fprintf(b, "%s has the %s %s%s %s: **%.0f %stokens a request** on average, over %d requests; %.0f a request over all of them. "+
			"Single requests are not kept, so this is the average of each %s.\n",
			title(key(top)), word, noun, scopeText(t), t.Window.In(), per(top), side, top.Requests, per(all), what)
	}
	fmt.Fprintf(b, "\n| %s | requests | input tokens a request | output tokens a request |\n| --- | ---: | ---: | ---: |\n", what)
	for _, g := range rows[:min(len(rows), shown(t))] {
		fmt.Fprintf(b, "| %s | %d | %.0f | %.0f |\n", key(g), g.Requests, float64(g.InputTokens)/float64(max(g.Requests, 1)), float64(g.OutputTokens)/float64(max(g.Requests, 1)))
	}
}

// writeVerdict answers yes or no to "is a faster (cheaper, more reliable, …) than c?": by the
// median latency (the p95 beside it), the cost a request, or the error rate. Nothing when the
// question asks no such thing, or a latency is missing.
func writeVerdict(b *strings.Builder, comparative, a, c string, as, cs workload.Spend, al, cl workload.Dist) {
	yes := func(ok bool) string {
		if ok {
			return "**Yes**"
		}
		return "**No**"
	}
	rate := func(g workload.Spend) float64 { return 100 * float64(g.Errors) / float64(max(g.Requests, 1)) }
	perReq := func(g workload.Spend) float64 { return g.CostUSD / float64(max(g.Requests, 1)) }
	switch comparative {
	case "faster", "slower":
		if al.Count == 0 || cl.Count == 0 {
			return
		}
		if al.P50 == cl.P50 {
			fmt.Fprintf(b, "**No**: %s and %s have the same median latency, %.0f ms; at p95, %.0f ms against %.0f ms.\n", a, c, al.P50, al.P95, cl.P95)
			return
		}
		word := "faster"
		if al.P50 > cl.P50 {
			word = "slower"
		}
		verdict := yes(word == comparative)
		if d := 100 * math.Abs(al.P50-cl.P50) / max(al.P50, cl.P50); d < 5 {
			verdict = fmt.Sprintf("**About the same** (%.1f%% apart)", d)
		}
		fmt.Fprintf(b, "%s: %s is %s than %s at the median, %.0f ms against %.0f ms", verdict, a, word, c, al.P50, cl.P50)
		if (al.P95 > cl.P95) != (al.P50 > cl.P50) && al.P95 != cl.P95 {
			fmt.Fprintf(b, ", but not at p95, %.0f ms against %.0f ms.\n", al.P95, cl.P95)
		} else {
			fmt.Fprintf(b, ", and at p95, %.0f ms against %.0f ms.\n", al.P95, cl.P95)
		}
	case "cheaper", "pricier":
		word := "cheaper"
		if perReq(as) > perReq(cs) {
			word = "pricier"
		}
		fmt.Fprintf(b, "%s: a request on %s costs $%.4f against $%.4f on %s.\n", yes(word == comparative), a, perReq(as), perReq(cs), c)
	case "more reliable", "less reliable":
		word := "more reliable"
		if rate(as) > rate(cs) {
			word = "less reliable"
		}
		fmt.Fprintf(b, "%s: %s fails %.2f%% of its requests against %.2f%% on %s.\n", yes(word == comparative), a, rate(as), rate(cs), c)
	}
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
	switch t.By {
	case model.ByRoute:
		names, what = t.Routes, "route"
		spends, key = s.SpendByRoute, func(x workload.Spend) string { return x.Route }
	case model.ByProvider:
		names, what = t.Providers, "provider"
		spends, key = s.SpendByProvider, func(x workload.Spend) string { return x.Provider }
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
		// Where a name stands alone: "gpt-4o" in "is gpt-4o-mini faster than gpt-4o?" is the
		// second, not the start of the first.
		sort.SliceStable(names, func(i, j int) bool { return model.Mention(q, names[i]) < model.Mention(q, names[j]) })
	}
	lat := map[string]workload.Dist{}
	switch t.By {
	case model.ByRoute:
		for _, l := range s.LatencyByRoute {
			lat[strings.ToLower(l.Route)] = l.Dist
		}
	case model.ByProvider:
		for _, l := range s.LatencyByProvider {
			lat[strings.ToLower(l.Provider)] = l.Dist
		}
	default:
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
	// Value for money: what a successful request costs, cheapest first (a request that failed
	// bought nothing).
	perSuccess := func(r row) float64 { return r.spend.CostUSD / float64(max(r.spend.Requests-r.spend.Errors, 1)) }
	value := model.AsksValue(question) && len(rows) >= 2 && !slices.ContainsFunc(rows, func(r row) bool { return !r.found })
	if value {
		slices.SortStableFunc(rows, func(a, c row) int { return cmp.Compare(perSuccess(a), perSuccess(c)) })
	}
	switch {
	case value:
		a, z := rows[0], rows[len(rows)-1]
		dearest := ""
		if len(rows) > 2 {
			dearest = ", the dearest"
		}
		fmt.Fprintf(b, "Your records hold cost, failures and latency, not how good the answers were, so value here is what a successful request costs. "+
			"%s, the best value is **%s**, **$%.4f a successful request** (%.2f%% of its %d requests failed; p95 %.0f ms), against $%.4f on %s%s.\n",
			capitalize(t.Window.In()), a.name, perSuccess(a), errRate(a), a.spend.Requests, a.lat.P95, perSuccess(z), z.name, dearest)
		if what == "route" {
			b.WriteString("Routes do different work: this ranks what their requests cost, not what they are worth.\n")
		} else {
			fmt.Fprintf(b, "Whether the cheaper %s's answers are good enough for a task is for your own evaluation to say.\n", what)
		}
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
		writeVerdict(b, model.Comparative(question), a.name, c.name, a.spend, c.spend, a.lat, c.lat)
		fmt.Fprintf(b, "%s, **%s** costs **$%.4f** a request against $%.4f on %s, fails %.2f%% of its requests against %.2f%%, and has a p95 latency of %.0f ms against %.0f ms "+
			"(%d and %d requests).\n", capitalize(t.Window.In()), a.name, perReq(a), perReq(c), c.name, errRate(a), errRate(c), a.lat.P95, c.lat.P95, a.spend.Requests, c.spend.Requests)
		fmt.Fprintf(b, "In all, %s cost **%s** and %s %s.\n", a.name, money(a.spend.CostUSD), c.name, money(c.spend.CostUSD))
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

// writePeriodsBeyond answers which full days (or weeks) cost more, or less, than an amount: how
// many of them, what they cost together, then each in time order.
func writePeriodsBeyond(b *strings.Builder, t triage.Output, s workload.Stats, groups []workload.Spend, what, whats string, key func(workload.Spend) string, usd float64, over bool) {
	// Whole days or weeks only: the window's first and last are cut short, and a part of a day
	// under the amount is no cheap day.
	span := 24 * time.Hour
	if t.By == model.ByWeek {
		span *= 7
	}
	var full []workload.Spend
	for _, g := range groups {
		if first, err := time.Parse("2006-01-02", key(g)); err == nil && !first.Before(t.Window.From) && !first.Add(span).After(t.Window.To) {
			full = append(full, g)
		}
	}
	var kept []workload.Spend
	var sum float64
	for _, g := range full {
		if over && g.CostUSD > usd || !over && g.CostUSD < usd {
			kept = append(kept, g)
			sum += g.CostUSD
		}
	}
	sort.Slice(kept, func(i, j int) bool { return key(kept[i]) < key(kept[j]) })
	than := "more than"
	if !over {
		than = "less than"
	}
	tot := s.Totals
	if len(kept) == 0 {
		fmt.Fprintf(b, "**None of the %d full %s**%s %s cost %s %s", len(full), whats, scopeText(t), t.Window.In(), than, money(usd))
		if len(full) > 0 {
			end := slices.MaxFunc(full, func(a, b workload.Spend) int { return cmp.Compare(a.CostUSD, b.CostUSD) })
			if !over {
				end = slices.MinFunc(full, func(a, b workload.Spend) int { return cmp.Compare(a.CostUSD, b.CostUSD) })
			}
			fmt.Fprintf(b, ": the %s, %s, cost %s", map[bool]string{true: "most", false: "least"}[over], key(end), money(end.CostUSD))
		}
		b.WriteString(".\n")
		return
	}
	fmt.Fprintf(b, "**%d of the %d full %s**%s %s cost %s %s: %s of %s (%.1f%%).\n", len(kept), len(full), whats, scopeText(t), t.Window.In(), than, money(usd),
		money(sum), money(tot.CostUSD), 100*sum/max(tot.CostUSD, 1e-12))
	fmt.Fprintf(b, "\n| %s | requests | cost | share |\n| --- | ---: | ---: | ---: |\n", what)
	for _, g := range kept {
		fmt.Fprintf(b, "| %s | %d | %s | %.1f%% |\n", key(g), g.Requests, money(g.CostUSD), 100*g.CostUSD/max(tot.CostUSD, 1e-12))
	}
}

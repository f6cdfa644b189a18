// Trends: the last 7 full UTC days against the 7 before (or a calendar period's last days
// against its first), for the whole scope and by route, model or provider.

package reporting

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// writeTrend compares two periods of whole UTC days (triage.Window.TrendPeriods): the last 7
// full days with the 7 before them, or the first and last days of a calendar period the
// question named. Spend comes first, then requests and failures, then the days (weeks, in a
// long period) one by one.
func writeTrend(b *strings.Builder, t triage.Output, s workload.Stats, weeks []workload.Stats, question string) {
	then, now, ok := t.Window.TrendPeriods()
	if !ok {
		fmt.Fprintf(b, "The window (%s) is too short to compare two periods of whole days; ask about the last 30 days or a longer period.\n", t.Window.Label)
		return
	}
	byDay := map[string]workload.Spend{}
	for _, d := range s.SpendByDay {
		byDay[d.Day] = d
	}
	sum := func(p triage.Period) (w workload.Spend) {
		for d := p.First; !d.After(p.Last); d = d.AddDate(0, 0, 1) {
			x := byDay[d.Format(time.DateOnly)]
			w.CostUSD += x.CostUSD
			w.Requests += x.Requests
			w.Errors += x.Errors
		}
		return w
	}
	last, prev := sum(now), sum(then)
	nowText, thenText := trendTexts(t.Window, then, now)
	// The measure the question names leads: the error rate, the requests, else the spend.
	q := strings.ToLower(question)
	rate := func(w workload.Spend) float64 { return 100 * float64(w.Errors) / float64(max(w.Requests, 1)) }
	switch {
	case len(weeks) == 2 && t.By == "" && model.AsksLatency(q) && weeks[0].LatencyMS.Count > 0 && weeks[1].LatencyMS.Count > 0:
		// "is my latency getting worse?": p95 first, the median beside it.
		l, p := weeks[0].LatencyMS, weeks[1].LatencyMS
		verdict := "no slower"
		switch {
		case l.P95 > p.P95:
			verdict = "slower"
		case l.P95 < p.P95:
			verdict = "faster"
		}
		fmt.Fprintf(b, "Your p95 latency%s over %s was **%.0f ms**, against %.0f ms in %s: **%s, %s** (p50 %.0f ms against %.0f ms, over %d and %d requests). "+
			"Spend: %s against %s (%s).\n", scopeText(t), nowText, l.P95, p.P95, thenText, change(l.P95, p.P95), verdict, l.P50, p.P50, l.Count, p.Count,
			money(last.CostUSD), money(prev.CostUSD), change(last.CostUSD, prev.CostUSD))
	case strings.Contains(q, "error") || strings.Contains(q, "fail"):
		fmt.Fprintf(b, "Your error rate%s over %s was **%.2f%%** (%d of %d requests failed), against %.2f%% (%d of %d) in %s: **%s**. "+
			"Spend: %s against %s (%s).\n", scopeText(t), nowText, rate(last), last.Errors, last.Requests, rate(prev), prev.Errors, prev.Requests, thenText,
			points(rate(last), rate(prev)), money(last.CostUSD), money(prev.CostUSD), change(last.CostUSD, prev.CostUSD))
	case strings.Contains(q, "request") || strings.Contains(q, "traffic") || strings.Contains(q, "volume") || strings.Contains(q, "calls") || strings.Contains(q, "usage"):
		fmt.Fprintf(b, "Your requests%s over %s were **%d**, against %d in %s: **%s**. Spend: %s against %s (%s); failed: %d against %d.\n",
			ofRequests(scopeText(t)), nowText, last.Requests, prev.Requests, thenText, change(float64(last.Requests), float64(prev.Requests)),
			money(last.CostUSD), money(prev.CostUSD), change(last.CostUSD, prev.CostUSD), last.Errors, prev.Errors)
	default:
		fmt.Fprintf(b, "Your spend%s over %s was **%s**, against %s in %s: **%s**. "+
			"Requests: %d against %d (%s); failed: %d against %d.\n", scopeText(t), nowText, money(last.CostUSD), money(prev.CostUSD), thenText,
			change(last.CostUSD, prev.CostUSD), last.Requests, prev.Requests, change(float64(last.Requests), float64(prev.Requests)), last.Errors, prev.Errors)
	}
	if len(s.SpendByDay) > 0 && s.SpendByDay[0].Day > then.First.Format(time.DateOnly) {
		fmt.Fprintf(b, "Your records %s begin on %s, so the first days compared hold fewer of them.\n", t.Window.In(), s.SpendByDay[0].Day)
	}
	// The days from the first period's to the last's; a period longer than two weeks by week.
	rows := []triage.Period{}
	step := 1
	if now.Last.Sub(then.First) >= 14*24*time.Hour && t.Window.Calendar {
		step = 7
	}
	for d := then.First; !d.After(now.Last); d = d.AddDate(0, 0, step) {
		rows = append(rows, triage.Period{First: d, Last: minTime(d.AddDate(0, 0, step-1), now.Last)})
	}
	if step == 1 {
		b.WriteString("\n| day (UTC) | requests | cost | failed |\n| --- | ---: | ---: | ---: |\n")
	} else {
		b.WriteString("\n| days (UTC) | requests | cost | failed |\n| --- | ---: | ---: | ---: |\n")
	}
	for _, p := range rows {
		d, name := sum(p), p.First.Format(time.DateOnly)
		if p.Days() > 1 {
			name = p.String()
		}
		fmt.Fprintf(b, "| %s | %d | %s | %d |\n", name, d.Requests, money(d.CostUSD), d.Errors)
	}
}

// trendTexts say the two periods a trend compares: "the last 7 full days (2026-11-25 to
// 2026-12-01, UTC)" and "the 7 days before", or a calendar period's "its last 7 days (…)" and
// "its first 7 (…)".
func trendTexts(w triage.Window, then, now triage.Period) (nowText, thenText string) {
	if !w.Calendar {
		return fmt.Sprintf("the last 7 full days (%s, UTC)", now), "the 7 days before"
	}
	if now.Days() == 1 && then.Days() == 1 && then.Last.AddDate(0, 0, 1).Equal(now.First) {
		return fmt.Sprintf("%s (UTC)", now), fmt.Sprintf("the day before (%s)", then) // "yesterday vs the day before"
	}
	period := "the period"
	if !strings.Contains(w.Label, " to ") { // "November 2026"
		period = w.Label
	}
	return fmt.Sprintf("%s (UTC), the last %d days of %s,", now, now.Days(), period), fmt.Sprintf("its first %d (%s)", then.Days(), then)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// writeTrendBy answers "which route grew the most?": each route's (model's, provider's) spend
// over the later of the trend's two periods against the earlier, the largest rise first (the largest fall
// for "shrank the most"), before the whole scope's trend.
func writeTrendBy(b *strings.Builder, t triage.Output, weeks []workload.Stats) {
	if len(weeks) != 2 || t.By == "" { // two periods without a ranking: a latency trend's
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
	then, now, _ := t.Window.TrendPeriods()
	nowText, thenText := trendTexts(t.Window, then, now)
	top, verb := rows[0], "grew"
	if delta(top) < 0 {
		verb = "fell"
	}
	name := "Spend on **" + top.key + "**"
	if t.By == model.ByRoute {
		name = "Spend on route **" + top.key + "**"
	}
	fmt.Fprintf(b, "%s %s the most: %s over %s, against %s in %s (%s, %s).\n\n",
		name, verb, money(top.now.CostUSD), nowText, money(top.then.CostUSD), thenText, signedMoney(delta(top)), change(top.now.CostUSD, top.then.CostUSD))
	fmt.Fprintf(b, "| %s | %s | %s | change | requests, %s | requests, %s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", t.By, now, then, now, then)
	for i, r := range rows {
		if i == 10 {
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s, %s | %d | %d |\n", r.key, money(r.now.CostUSD), money(r.then.CostUSD), signedMoney(delta(r)),
			change(r.now.CostUSD, r.then.CostUSD), r.now.Requests, r.then.Requests)
	}
	b.WriteString("\n")
}

// points is how a rate in percent moved: "up 0.25 points", "down 1.10 points".
func points(now, before float64) string {
	switch {
	case now == before:
		return "the same"
	case now > before:
		return fmt.Sprintf("up %.2f points", now-before)
	}
	return fmt.Sprintf("down %.2f points", before-now)
}

func signedMoney(x float64) string {
	if x < 0 {
		return "-" + money(-x)
	}
	return "+" + money(x)
}

// change is how now compares with before: "up 12.5%", "down 3.0%", "up from nothing".
func change(now, before float64) string {
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

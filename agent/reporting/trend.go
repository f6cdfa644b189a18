// Trends: the last 7 full UTC days against the 7 before, for the whole scope and by route,
// model or provider.

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
	fmt.Fprintf(b, "%s %s the most: %s over the last 7 full days (%s to %s, UTC), against %s in the 7 days before (%s, %s).\n\n",
		name, verb, money(top.now.CostUSD), first.Format(time.DateOnly), first.AddDate(0, 0, 6).Format(time.DateOnly), money(top.then.CostUSD),
		signedMoney(delta(top)), change(top.now.CostUSD, top.then.CostUSD))
	fmt.Fprintf(b, "| %s | last 7 days | 7 days before | change | requests, last 7 days | requests, 7 days before |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", t.By)
	for i, r := range rows {
		if i == 10 {
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s, %s | %d | %d |\n", r.key, money(r.now.CostUSD), money(r.then.CostUSD), signedMoney(delta(r)),
			change(r.now.CostUSD, r.then.CostUSD), r.now.Requests, r.then.Requests)
	}
	b.WriteString("\n")
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

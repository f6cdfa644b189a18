package reporting

import (
	"fmt"
	"strings"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/workload"
)

// maxSwitchDays bounds each side of a before-and-after: two weeks hold both kinds of day.
const maxSwitchDays = 14

// period is what a run of days added up to.
type period struct {
	first, last      string
	days             int
	requests, errors int64
	cost             float64
}

func (p *period) add(d workload.Spend) {
	if p.first == "" {
		p.first = d.Day
	}
	p.last, p.days = d.Day, p.days+1
	p.requests, p.errors, p.cost = p.requests+d.Requests, p.errors+d.Errors, p.cost+d.CostUSD
}

func (p period) perRequest() float64 { return p.cost / float64(max(p.requests, 1)) }
func (p period) perDay() float64     { return p.cost / float64(max(p.days, 1)) }
func (p period) errorRate() float64  { return 100 * float64(p.errors) / float64(max(p.requests, 1)) }

// writeSwitch answers "did my costs go down after I switched X to Y?": it finds the day from
// which Y carries most of the scope's requests on every full UTC day, and sets as many days
// after it against the days before (at most two weeks each). The records tell cost and
// failures, not whether answers held up, and the answer says so.
func writeSwitch(b *strings.Builder, t triage.Output, s workload.Stats) {
	target, scope, label := t.TargetModel, scopeText(t), t.Window.In()
	if scope == "" {
		scope = " in all"
	}
	onTarget := map[string]int64{}
	for _, d := range s.SpendByDayModel {
		if strings.EqualFold(d.Model, target) {
			onTarget[d.Day] = d.Requests
		}
	}
	// Full UTC days only: today's hours would read as a cheap day.
	var days []workload.Spend
	for _, d := range s.SpendByDay {
		if day, err := time.Parse(time.DateOnly, d.Day); err == nil && !day.Before(t.Window.From) && !day.AddDate(0, 0, 1).After(t.Window.To.Add(time.Nanosecond)) && d.Requests > 0 {
			days = append(days, d)
		}
	}
	mostly := func(d workload.Spend) bool { return 2*onTarget[d.Day] > d.Requests }
	at := len(days) // the first day of the run of days on the target that lasts to the end
	for at > 0 && mostly(days[at-1]) {
		at--
	}
	switch {
	case len(days) == 0:
		fmt.Fprintf(b, "Your records%s %s hold no full UTC day, so there is no before and after to compare.\n", scope, label)
		return
	case at == len(days):
		var n, all int64
		for _, d := range days {
			n, all = n+onTarget[d.Day], all+d.Requests
		}
		fmt.Fprintf(b, "Your traffic%s does not run mostly on **%s** %s: it carries %d of the %d requests of the full days, so there is no move to it to measure. Ask \"what if I moved it to %s?\" to see the move priced.\n",
			scope, target, label, n, all, target)
		return
	case at == 0:
		fmt.Fprintf(b, "Your traffic%s runs on **%s** on every full day %s (from %s), so your records hold no day before the move to compare with. Ask about a longer window, or upload the records from before it.\n",
			scope, target, label, days[0].Day)
		return
	}
	k := min(at, len(days)-at, maxSwitchDays)
	var before, after period
	for _, d := range days[at-k : at] {
		before.add(d)
	}
	for _, d := range days[at : at+k] {
		after.add(d)
	}
	change := func(now, was float64) string {
		if was == 0 {
			return "no change to measure"
		}
		if now <= was {
			return fmt.Sprintf("down %.1f%%", 100*(was-now)/was)
		}
		return fmt.Sprintf("up %.1f%%", 100*(now-was)/was)
	}
	verdict := "**Yes**"
	if after.perRequest() >= before.perRequest() {
		verdict = "**No**"
	}
	fmt.Fprintf(b, "%s: your traffic%s moved to **%s** on %s (UTC), and a request has cost **$%.4f** since, against $%.4f in the %d days before (%s). "+
		"A day cost %s over the %d days from the move against %s over the %d before (%s), at %.0f requests a day against %.0f.\n",
		verdict, scope, target, after.first, after.perRequest(), before.perRequest(), before.days, change(after.perRequest(), before.perRequest()),
		money(after.perDay()), after.days, money(before.perDay()), before.days, change(after.perDay(), before.perDay()),
		float64(after.requests)/float64(after.days), float64(before.requests)/float64(before.days))
	fmt.Fprintf(b, "Failed requests: %.2f%% against %.2f%%. The records tell cost and failures, not whether the answers held up on %s: check their quality on a sample.\n",
		after.errorRate(), before.errorRate(), target)
	b.WriteString("\n| | days | requests | cost | cost a day | cost a request | error rate |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, p := range []struct {
		name string
		period
	}{{"before (" + before.first + " to " + before.last + ")", before}, {"after (" + after.first + " to " + after.last + ")", after}} {
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | $%.4f | %.2f%% |\n", p.name, p.days, p.requests, money(p.cost), money(p.perDay()), p.perRequest(), p.errorRate())
	}
}

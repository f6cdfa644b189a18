package reporting

import (
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/workload"
)

// Three weeks of a weekly shape (weekdays busy, weekends quiet), with a spend spike on one
// weekday, a quiet weekday (an outage) and a Saturday whose requests fail: those three stand
// out, and no weekend does for being a weekend.
// Shown to catch: weekends held to the weekdays' median (planted anomalies-one-median).
func TestAnomaliesAgainstTheirKind(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	var s workload.Stats
	for i := range 21 {
		d := from.AddDate(0, 0, i)
		day := workload.Spend{Day: d.Format(time.DateOnly), Requests: 1000, CostUSD: 30, Errors: 10}
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			day.Requests, day.CostUSD, day.Errors = 400, 12, 4
		}
		switch day.Day {
		case "2026-11-11": // a Wednesday
			day.CostUSD = 60
		case "2026-11-17": // a Tuesday
			day.Requests, day.CostUSD, day.Errors = 300, 9, 3
		case "2026-11-14": // a Saturday
			day.Errors = 40
		}
		s.SpendByDay = append(s.SpendByDay, day)
	}
	w := triage.Window{Window: workload.Window{From: from, To: from.AddDate(0, 0, 21)}, Label: "last 21 days", Phrase: "in the last 21 days"}
	var b strings.Builder
	writeAnomalies(&b, triage.Output{Window: w}, s, "any anomalies?")
	out := b.String()
	for _, want := range []string{
		"**3 of the 21 full UTC days** in the last 21 days stand out from the median day of their kind (weekdays $30.00 and 1000 requests; weekends $12.00 and 400 requests;",
		"- **2026-11-11** (Wednesday): spend $60.00, 2.0× the weekday median\n",
		"- **2026-11-14** (Saturday): error rate 10.00% (40 of 400 requests failed),",
		"- **2026-11-17** (Tuesday): spend $9.00, 0.3× the weekday median; requests 300, 0.3× the weekday median\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the answer lacks %q:\n%s", want, out)
		}
	}
	// Without them, nothing stands out.
	for i := range s.SpendByDay {
		d := &s.SpendByDay[i]
		switch d.Day {
		case "2026-11-11", "2026-11-17":
			d.Requests, d.CostUSD, d.Errors = 1000, 30, 10
		case "2026-11-14":
			d.Errors = 4
		}
	}
	b.Reset()
	writeAnomalies(&b, triage.Output{Window: w}, s, "any anomalies?")
	if !strings.HasPrefix(b.String(), "**No day stands out** in the last 21 days: over its 21 full UTC days") {
		t.Errorf("a steady weekly shape stands out:\n%s", b.String())
	}
}

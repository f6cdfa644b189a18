package reporting

import (
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// A move made in the window is found on the day the target takes most of the traffic for
// good, and as many days after it are set against the days before: here ten each, a tenth of
// the cost a request after the move.
func TestSwitchBeforeAndAfter(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w := triage.Window{Window: workload.Window{From: from, To: from.AddDate(0, 0, 20).Add(7 * time.Hour)}, Label: "last 20 days", Phrase: "in the last 20 days"}
	var s workload.Stats
	for i := range 21 { // the 21st day is today's first hours: not a full day
		day := from.AddDate(0, 0, i).Format(time.DateOnly)
		m, cost, errs := "gpt-4o", 1.0, int64(1)
		if i >= 10 {
			m, cost, errs = "gpt-4o-mini", 0.1, 2
		}
		if i == 3 {
			m = "gpt-4o-mini" // a day of trying it out is not the move
		}
		if i == 20 {
			cost = 0.001
		}
		s.SpendByDay = append(s.SpendByDay, workload.Spend{Key: day, Day: day, Requests: 100, CostUSD: cost, Errors: errs})
		s.SpendByDayModel = append(s.SpendByDayModel, workload.Spend{Key: day + " " + m, Day: day, Model: m, Requests: 100, CostUSD: cost})
	}
	out := triage.Output{Window: w, Kind: model.KindFigure, Metric: model.MetricSwitch, TargetModel: "gpt-4o-mini", Routes: []string{"support-chat"}}
	var b strings.Builder
	writeSwitch(&b, out, s)
	for _, want := range []string{
		"**Yes**: your traffic on route support-chat moved to **gpt-4o-mini** on 2026-11-11 (UTC), and a request has cost **$0.0010** since, against $0.0100 in the 10 days before (down 90.0%).",
		"A day cost $0.10 over the 10 days from the move against $1.00 over the 10 before (down 90.0%)",
		"Failed requests: 2.00% against 1.00%.",
		"| before (2026-11-01 to 2026-11-10) | 10 | 1000 | $10.00 | $1.00 | $0.0100 | 1.00% |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
	// Every full day on the target: no day before the move.
	for i := range s.SpendByDayModel {
		s.SpendByDayModel[i].Model = "gpt-4o-mini"
	}
	b.Reset()
	writeSwitch(&b, out, s)
	if want := "runs on **gpt-4o-mini** on every full day in the last 20 days (from 2026-11-01)"; !strings.Contains(b.String(), want) {
		t.Errorf("missing %q in\n%s", want, b.String())
	}
}

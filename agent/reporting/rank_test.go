package reporting

import (
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// Two error types as common as each other are named together as the most common, not one of
// them as if it led.
func TestErrorTypesTiedForFirst(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	w := triage.Window{Window: workload.Window{From: from, To: from.AddDate(0, 0, 30)}, Label: "last 30 days", Phrase: "in the last 30 days"}
	var s workload.Stats
	s.Totals = workload.Totals{Requests: 100, Errors: 7, ErrorRate: 0.07}
	s.Errors.ByType = map[string]int64{"timeout": 3, "rate_limit": 3, "server_error": 1}
	var b strings.Builder
	writeErrorTypes(&b, triage.Output{Window: w, Metric: model.MetricErrorRate, By: model.ByErrorType}, s, "which error is the most common?")
	if want := "**rate_limit** and **timeout** are the most common errors in the last 30 days, tied at 3 each of 7 failed requests"; !strings.Contains(b.String(), want) {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	s.Errors.ByType["timeout"] = 4
	b.Reset()
	writeErrorTypes(&b, triage.Output{Window: w, Metric: model.MetricErrorRate, By: model.ByErrorType}, s, "which error is the most common?")
	if want := "**timeout** is the most common error in the last 30 days: 4 of 7 failed requests"; !strings.Contains(b.String(), want) {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// A list price shows cents when it has no finer part, and its finer part when it has one.
func TestPerMTok(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0.3: "$0.30", 3: "$3.00", 0.075: "$0.075", 1.1: "$1.10", 0.3125: "$0.3125"} {
		if got := perMTok(v); got != want {
			t.Errorf("perMTok(%v) = %q, want %q", v, got, want)
		}
	}
}

// A rate over a handful of requests does not lead a ranking by the rate, at either end: today's
// first three requests, one of them failed, are not the day with the highest error rate.
func TestFewRequestsDoNotLeadARate(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	w := triage.Window{Window: workload.Window{From: from, To: from.AddDate(0, 0, 30)}, Label: "last 30 days", Phrase: "in the last 30 days"}
	var s workload.Stats
	s.Totals = workload.Totals{Requests: 2003, Errors: 41, ErrorRate: 41.0 / 2003}
	s.SpendByDay = []workload.Spend{
		{Key: "2026-11-30", Day: "2026-11-30", Requests: 1000, Errors: 30},
		{Key: "2026-12-01", Day: "2026-12-01", Requests: 1000, Errors: 10},
		{Key: "2026-12-02", Day: "2026-12-02", Requests: 3, Errors: 1},
	}
	for q, want := range map[string]string{
		"which day had the highest error rate?": "**2026-11-30** has the highest error rate in the last 30 days: **3.00%**",
		"which day had the lowest error rate?":  "**2026-12-01** has the lowest error rate in the last 30 days: **1.00%**",
	} {
		var b strings.Builder
		out := triage.Output{Window: w, Kind: model.KindFigure, Metric: model.MetricErrorRate, By: model.ByDay, Least: strings.Contains(q, "lowest")}
		if !writeRanked(&b, out, s, q) || !strings.Contains(b.String(), want) {
			t.Errorf("%q: got %q, want %q", q, b.String(), want)
		}
	}
}

// Value for money is what a successful request costs: a model cheap a request whose requests
// mostly fail is not the best value.
func TestBestValueIsCostPerSuccessfulRequest(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	w := triage.Window{Window: workload.Window{From: from, To: from.AddDate(0, 0, 30)}, Label: "last 30 days", Phrase: "in the last 30 days"}
	var s workload.Stats
	s.SpendByModel = []workload.Spend{
		{Key: "flaky-mini", Model: "flaky-mini", Requests: 1000, Errors: 600, CostUSD: 1.0}, // $0.0010 a request, $0.0025 a success
		{Key: "steady", Model: "steady", Requests: 1000, Errors: 0, CostUSD: 2.0},           // $0.0020 either way
		{Key: "dear", Model: "dear", Requests: 1000, Errors: 10, CostUSD: 50.0},
	}
	var b strings.Builder
	writeCompare(&b, triage.Output{Window: w, Metric: model.MetricCompare, By: model.ByModel}, s, "which model is the best value?")
	want := "the best value is **steady**, **$0.0020 a successful request** (0.00% of its 1000 requests failed"
	if !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "against $0.0505 on dear, the dearest") {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// A rate an hour divides by the hours of the days kept: weekends' hours for "on weekends".
func TestKeptHours(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	month := workload.Window{From: from, To: from.AddDate(0, 0, 30)}
	sat := workload.Window{From: time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 9, 6, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		w    workload.Window
		days string
		want float64
	}{{month, "", 720}, {month, "weekends", 192}, {month, "weekdays", 528}, {sat, "weekends", 36}, {sat, "weekdays", 6}} {
		if got := keptHours(triage.Output{Window: triage.Window{Window: c.w}, Days: c.days}); got != c.want {
			t.Errorf("%v %q: %v hours, want %v", c.w, c.days, got, c.want)
		}
	}
}

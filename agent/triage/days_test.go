package triage

import (
	"testing"

	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// TestKeepDays: weekends or weekdays narrow a figure, except where the breakdown by weekday
// sets them against each other; one weekend is a calendar period, not days kept.
func TestKeepDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		q      string
		m      model.Triage
		days   string
		by     string
		metric string
	}{
		{"which model do I use most on weekends?", model.Triage{Metric: model.MetricRequests, By: model.ByModel}, ingest.DaysWeekends, model.ByModel, model.MetricRequests},
		{"which route fails most on weekdays?", model.Triage{Metric: model.MetricErrorRate, By: model.ByRoute}, ingest.DaysWeekdays, model.ByRoute, model.MetricErrorRate},
		{"my cost on business days by provider", model.Triage{Metric: model.MetricCost, By: model.ByProvider}, ingest.DaysWeekdays, model.ByProvider, model.MetricCost},
		// Latency and a request's cost are not in the weekday table: over the days kept.
		{"what's my average latency on weekends?", model.Triage{Metric: model.MetricLatency, By: model.ByWeekday}, ingest.DaysWeekends, "", model.MetricLatency},
		{"what's my cost per request on weekends?", model.Triage{Metric: model.MetricCostPerRequest, By: model.ByWeekday}, ingest.DaysWeekends, "", model.MetricCostPerRequest},
		// The weekday table answers these, weekends against weekdays.
		{"how much did I spend on weekends?", model.Triage{Metric: model.MetricCost, By: model.ByWeekday}, "", model.ByWeekday, model.MetricCost},
		{"weekend vs weekday error rate", model.Triage{Metric: model.MetricErrorRate}, "", "", model.MetricErrorRate},
		{"which weekday is the busiest?", model.Triage{Metric: model.MetricRequests, By: model.ByWeekday}, "", model.ByWeekday, model.MetricRequests},
		{"how much did I spend last weekend?", model.Triage{Metric: model.MetricCost}, "", "", model.MetricCost},
		{"errors over the weekend", model.Triage{Metric: model.MetricErrorRate}, "", "", model.MetricErrorRate},
		// Within a bound, the weekday table does not answer: the days narrow the requests.
		{"how many requests took longer than 10 seconds on weekends?", model.Triage{Metric: model.MetricRequests, By: model.ByWeekday,
			Bounds: []workload.Bound{{Measure: workload.MeasureLatency}}}, ingest.DaysWeekends, "", model.MetricRequests},
	} {
		m := c.m
		keepDays(c.q, &m)
		if m.Days != c.days || m.By != c.by || m.Metric != c.metric {
			t.Errorf("%q: days %q by %q metric %q; want %q by %q metric %q", c.q, m.Days, m.By, m.Metric, c.days, c.by, c.metric)
		}
	}
	// A follow-up keeps the days unless it names its own or breaks the figure down by weekday.
	prev := model.Triage{Kind: model.KindFigure, Metric: model.MetricTopModel, Days: ingest.DaysWeekends}
	if got := inherit("and which route?", model.Triage{Kind: model.KindFigure, Metric: model.MetricTopRoute}, prev); got.Days != ingest.DaysWeekends {
		t.Errorf("and which route? after weekends: days %q", got.Days)
	}
	if got := inherit("and on weekdays?", model.Triage{Kind: model.KindFigure, Metric: model.MetricTopRoute, Days: ingest.DaysWeekdays}, prev); got.Days != ingest.DaysWeekdays {
		t.Errorf("and on weekdays? after weekends: days %q", got.Days)
	}
	if got := inherit("by weekday?", model.Triage{Kind: model.KindFigure, Metric: model.MetricCost, By: model.ByWeekday}, prev); got.Days != "" {
		t.Errorf("by weekday? after weekends: days %q", got.Days)
	}
}

// A change of list prices carries to a follow-up that names another scope, and no further
// than a question that asks another figure.
func TestInheritPriceChange(t *testing.T) {
	t.Parallel()
	prev := model.Triage{Kind: model.KindFigure, Metric: model.MetricPrice, PriceFactor: 1.2, Models: []string{"gpt-4o"}}
	if got := inherit("and claude-opus-4?", model.Triage{Kind: model.KindReport, Models: []string{"claude-opus-4"}}, prev); got.PriceFactor != 1.2 || got.Metric != model.MetricPrice {
		t.Errorf("and claude-opus-4? after a 20%% rise: %+v", got)
	}
	if got := inherit("and which model costs the most?", model.Triage{Kind: model.KindFigure, Metric: model.MetricTopModel}, prev); got.PriceFactor != 0 {
		t.Errorf("and which model costs the most? after a 20%% rise: factor %v", got.PriceFactor)
	}
}

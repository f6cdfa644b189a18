package triage

import (
	"testing"
	"time"

	"github.com/netra-ai/netra/model"
)

// TestWindowOfCalendarDays: a calendar period is whole UTC days up to now, and says so; one in
// the future, longer than a year or not a date falls back to the rolling default.
func TestWindowOfCalendarDays(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		m             model.Triage
		from, to      time.Time
		label, phrase string
	}{
		{model.Triage{From: "2026-11-01", To: "2026-11-30"}, day("2026-11-01"), day("2026-12-01").Add(-time.Nanosecond), "November 2026", "in November 2026"},
		{model.Triage{From: "2026-12-01", To: "2026-12-31"}, day("2026-12-01"), now, "December 2026 to date", "in December 2026 so far"},
		{model.Triage{From: "2026-12-01"}, day("2026-12-01"), now, "December 2026 to date", "in December 2026 so far"},
		{model.Triage{From: "2026-01-01"}, day("2026-01-01"), now, "2026 to date", "in 2026 so far"},
		{model.Triage{From: "2026-11-15", To: "2026-11-15"}, day("2026-11-15"), day("2026-11-16").Add(-time.Nanosecond), "2026-11-15", "on 2026-11-15 (UTC)"},
		{model.Triage{From: "2026-12-01", To: "2026-12-01"}, day("2026-12-01"), day("2026-12-02").Add(-time.Nanosecond), "yesterday", "yesterday (2026-12-01, UTC)"},
		{model.Triage{From: "2026-12-02", To: "2026-12-02"}, day("2026-12-02"), now, "today", "today (2026-12-02, UTC, so far)"},
		{model.Triage{From: "2026-11-30", To: "2026-12-02"}, day("2026-11-30"), now, "week to date", "this week (since Monday 2026-11-30, UTC)"},
		{model.Triage{From: "2026-11-03", To: "2026-11-09"}, day("2026-11-03"), day("2026-11-10").Add(-time.Nanosecond), "2026-11-03 to 2026-11-09", "from 2026-11-03 to 2026-11-09 (UTC)"},
		{model.Triage{WindowDays: 7, WindowLabel: "last 7 days"}, now.Add(-7 * 24 * time.Hour), now, "last 7 days", "in the last 7 days"},
		// Not a period the records can hold: the default.
		{model.Triage{From: "2026-12-05", To: "2026-12-06"}, now.Add(-30 * 24 * time.Hour), now, "last 30 days", "in the last 30 days"},
		{model.Triage{From: "2024-01-01", To: "2026-11-30"}, now.Add(-30 * 24 * time.Hour), now, "last 30 days", "in the last 30 days"},
		{model.Triage{From: "November", To: "2026-11-30"}, now.Add(-30 * 24 * time.Hour), now, "last 30 days", "in the last 30 days"},
		{model.Triage{From: "2026-11-30", To: "2026-11-01"}, now.Add(-30 * 24 * time.Hour), now, "last 30 days", "in the last 30 days"},
	} {
		w := window(c.m, now)
		if !w.From.Equal(c.from) || !w.To.Equal(c.to) || w.Label != c.label || w.In() != c.phrase {
			t.Errorf("%+v: %s to %s, %q, %q; want %s to %s, %q, %q", c.m, w.From, w.To, w.Label, w.In(), c.from, c.to, c.label, c.phrase)
		}
	}
}

// TestShiftBack: "and the week before?" asks for the period just before the one it follows.
func TestShiftBack(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		m        model.Triage
		from, to string
	}{
		{model.Triage{WindowDays: 7, WindowLabel: "last 7 days"}, "2026-11-18", "2026-11-24"},
		{model.Triage{}, "2026-10-03", "2026-11-01"}, // the default 30 days
		{model.Triage{From: "2026-11-01", To: "2026-11-30"}, "2026-10-01", "2026-10-31"},
		{model.Triage{From: "2026-12-01"}, "2026-11-01", "2026-11-30"}, // this month so far: last month
		{model.Triage{From: "2026-11-15", To: "2026-11-15"}, "2026-11-14", "2026-11-14"},
		{model.Triage{From: "2026-11-20", To: "2026-11-26"}, "2026-11-13", "2026-11-19"},
	} {
		got := shiftBack(c.m, now)
		if got.From != c.from || got.To != c.to || got.WindowDays != 0 {
			t.Errorf("%+v: %s to %s (%v days), want %s to %s", c.m, got.From, got.To, got.WindowDays, c.from, c.to)
		}
	}
	for q, want := range map[string]bool{"and the week before?": true, "what about the previous month?": true, "and the day before that?": true,
		"and last week?": false, "what about gpt-4o?": false} {
		if shiftsBack(q) != want {
			t.Errorf("shiftsBack(%q) = %v", q, !want)
		}
	}
}

// TestTrendPeriods: a rolling window's trend is its last two full weeks; a calendar period's,
// its first and last 7 whole days (halves when shorter than two weeks), without a day still
// under way.
func TestTrendPeriods(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		m         model.Triage
		then, now string
		ok        bool
	}{
		{model.Triage{}, "2026-11-18 to 2026-11-24", "2026-11-25 to 2026-12-01", true},
		{model.Triage{WindowDays: 7, WindowLabel: "last 7 days"}, "", "", false},
		{model.Triage{From: "2026-11-01", To: "2026-11-30"}, "2026-11-01 to 2026-11-07", "2026-11-24 to 2026-11-30", true},
		{model.Triage{From: "2026-11-25"}, "2026-11-25 to 2026-11-27", "2026-11-29 to 2026-12-01", true}, // 7 whole days: the first 3 and the last 3
		{model.Triage{From: "2026-11-10", To: "2026-11-14"}, "2026-11-10 to 2026-11-11", "2026-11-13 to 2026-11-14", true},
		{model.Triage{From: "2026-12-01"}, "", "", false}, // this month on its 2nd: one whole day
		{model.Triage{From: "2026-11-15", To: "2026-11-15"}, "", "", false},
	} {
		then, now, ok := window(c.m, now).TrendPeriods()
		if ok != c.ok || (ok && (then.String() != c.then || now.String() != c.now)) {
			t.Errorf("%+v: %s and %s (%v); want %s and %s (%v)", c.m, then, now, ok, c.then, c.now, c.ok)
		}
	}
}

// TestInheritRanking: a follow-up that asks another measure of a ranking ranks by it too,
// unless it names its own scope or asks for the whole.
func TestInheritRanking(t *testing.T) {
	t.Parallel()
	byProvider := model.Triage{Kind: model.KindFigure, Metric: model.MetricCost, By: model.ByProvider}
	topRoute := model.Triage{Kind: model.KindFigure, Metric: model.MetricTopRoute}
	errs := model.Triage{Kind: model.KindFigure, Metric: model.MetricErrorRate}
	for _, c := range []struct {
		q       string
		m, prev model.Triage
		metric  string
		by      string
	}{
		{"what about errors?", errs, byProvider, model.MetricErrorRate, model.ByProvider},
		{"and errors?", errs, topRoute, model.MetricErrorRate, model.ByRoute},
		{"and the total errors?", errs, byProvider, model.MetricErrorRate, ""},
		{"what about errors on gpt-4o?", model.Triage{Kind: model.KindFigure, Metric: model.MetricErrorRate, Models: []string{"gpt-4o"}}, byProvider, model.MetricErrorRate, ""},
		{"and spend?", model.Triage{Kind: model.KindFigure, Metric: model.MetricCost}, model.Triage{Kind: model.KindFigure, Metric: model.MetricErrorRate, By: model.ByRoute}, model.MetricTopRoute, ""},
		{"what about errors?", errs, model.Triage{Kind: model.KindFigure, Metric: model.MetricCost}, model.MetricErrorRate, ""},
		// The other end of a top model or route: the cost ranking, from its cheapest.
		{"and the cheapest?", model.Triage{Kind: model.KindCapability, Least: true}, topRoute, model.MetricCost, model.ByRoute},
	} {
		got := inherit(c.q, c.m, c.prev)
		if got.Metric != c.metric || got.By != c.by {
			t.Errorf("%q after %s by %q: %s by %q; want %s by %q", c.q, c.prev.Metric, c.prev.By, got.Metric, got.By, c.metric, c.by)
		}
	}
}

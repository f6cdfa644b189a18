package triage

import (
	"regexp"
	"strings"

	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/model"
)

// weekdaysRe is weekdays as the days kept, not as a breakdown ("by weekday", "which weekday").
var weekdaysRe = regexp.MustCompile(`(?i)\b(?:on|over|during|for|in)\s+(?:the\s+)?weekdays\b|\bweekday (?:traffic|spend|cost|requests|usage|errors|latency)\b|\b(?:working|business|work)\s+days\b|\bworkdays\b|\bmonday to friday\b`)

// daysKept is the days of the week a question keeps: weekends for "on weekends" or "weekend
// traffic", weekdays for "on weekdays" or "business days", else "". One weekend ("last
// weekend") is a calendar period instead (model.OneWeekend).
func daysKept(q string) string {
	l := strings.ToLower(q)
	weekends, weekdays := strings.Contains(l, "weekend") && !model.OneWeekend(l), weekdaysRe.MatchString(l)
	switch {
	case weekends && (weekdays || strings.Contains(l, "weekday")): // "weekends vs weekdays": set against each other
		return ""
	case weekends:
		return ingest.DaysWeekends
	case weekdays:
		return ingest.DaysWeekdays
	}
	return ""
}

// keepDays narrows m to the days of the week q keeps, read from its words whichever provider
// classified it. Weekends set against weekdays is what a breakdown by weekday answers for the
// figures it tabulates (spend, requests, failures, tokens); any other figure, or one ranked by
// something else, is computed over the days kept ("my average latency on weekends", "which
// model do I use most on weekends?").
func keepDays(q string, m *model.Triage) {
	d := daysKept(q)
	if d == "" {
		return
	}
	if m.By == model.ByWeekday {
		switch m.Metric {
		case model.MetricCost, model.MetricRequests, model.MetricErrorRate, model.MetricTokens, "":
			if len(m.Bounds) == 0 { // the weekday table holds no bound
				return
			}
		}
		m.By = ""
	}
	m.Days = d
}

package triage

import (
	"regexp"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// countRe asks how many requests, or what share of them: "how many", "what fraction".
var countRe = regexp.MustCompile(`(?i)\bhow (?:many|often)\b|\b(?:what|which) (?:fraction|percent(?:age)?|share|portion|proportion|part)\b|\b(?:number|count|share|percent(?:age)?|fraction) of\b|%`)

// spendShareRe asks a share of the spend, not of the requests: "what share of my spend …".
var spendShareRe = regexp.MustCompile(`(?i)\b(?:share|fraction|percent(?:age)?|portion|proportion|part|%)\s+of\s+(?:my\s+|the\s+)?(?:spend|spending|cost|costs|bill|money)\b`)

// keepBounds narrows m to the requests within the bound q names (model.RequestBound), read
// from its words whichever provider classified it. A figure of the bound's own measure ("how
// many requests took longer than 10 s?" is no question about latency), or one that asks how
// many, counts the requests within it. An upper bound in a question that asks for advice is a
// target ("how do I get my latency under 2 s?"), not a scope.
func keepBounds(q string, m *model.Triage) {
	b, ok := model.RequestBound(q)
	if !ok || b.Over == nil && howToRe.MatchString(q) {
		return
	}
	m.Bounds = []workload.Bound{b}
	if m.Kind != model.KindFigure {
		return
	}
	own := map[string]string{workload.MeasureLatency: model.MetricLatency, workload.MeasureTTFT: model.MetricLatency,
		workload.MeasureInputTokens: model.MetricTokens, workload.MeasureOutputTokens: model.MetricTokens, workload.MeasureTokens: model.MetricTokens}
	// "How many of them failed?", "how many tokens …" and "what share of my spend …" ask those.
	counted := (countRe.MatchString(q) || model.AsksAny(q)) && !spendShareRe.MatchString(q) && m.Metric != model.MetricErrorRate && m.Metric != model.MetricTokens
	if counted || m.Metric == own[b.Measure] || m.Metric == "" {
		m.Metric = model.MetricRequests
	}
}

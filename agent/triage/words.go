package triage

import (
	"regexp"

	"github.com/netra-ai/netra/model"
)

// howToRe asks for advice: "how can I get better value for money?" wants the report.
var howToRe = regexp.MustCompile(`(?i)\b(?:how (?:can|do|should|to|could)|improve|get (?:better|more)|increase|reduce)\b`)

// fromWords sets what triage reads from a question's words itself, whatever the provider
// answered, so that every provider's answer is held to it and the model's prompt does not grow
// with it: the days of the week and the bounds on requests kept, the one request at the top,
// output speed, a change of list prices and value for money.
func fromWords(q string, m *model.Triage) {
	keepBounds(q, m)
	keepDays(q, m)
	switch model.Largest(q) { // "what was my slowest request?": the records' largest, whatever the provider ranked
	case "latency":
		m.Kind, m.Metric, m.By = model.KindFigure, model.MetricLatency, ""
	case "input", "output":
		m.Kind, m.Metric, m.By = model.KindFigure, model.MetricTokens, ""
	}
	if model.AsksSpeed(q) && (m.Kind == model.KindFigure || m.Kind == model.KindReport && m.Category != model.CategoryCostOptimization) {
		// "tokens per second by model": answers are timed by the latency scan.
		m.Kind, m.Metric = model.KindFigure, model.MetricLatency
		if m.By != model.ByModel { // timed by model only
			m.By = ""
		}
	}
	if f, ok := model.PriceChange(q); ok {
		// List prices changed ("what if the price of gpt-4o went up 20%?"): the scope's spend
		// at those prices, whatever the provider called it.
		m.Kind, m.Metric, m.By, m.Target, m.PriceFactor = model.KindFigure, model.MetricPrice, "", "", f
	}
	switch {
	case model.AsksValue(q) && howToRe.MatchString(q): // "how can I get better value for money?"
		m.Kind, m.Metric, m.By, m.Category = model.KindReport, "", "", model.CategoryCostOptimization
	case model.AsksValue(q) && m.Kind != model.KindWhatIf:
		// "Which model is the best value?": the models (or routes) side by side.
		m.Kind, m.Metric, m.By = model.KindFigure, model.MetricCompare, ""
	}
}

// What a question asks beyond triage's fields, read from its words where the answer needs
// them: a bound on single requests (bound.go), a forecast's horizon, reliability, a rate of requests, a budget. Triage and the answer
// read them alike, whichever provider triaged.

package model

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netra-ai/netra/workload"
)

// annualRe asks for a year at the current rate: "a year at this rate", "my annual run rate".
var annualRe = regexp.MustCompile(`(?i)\b(?:a|per|each|every|one|in a) year\b|\bannual(?:ly|i[sz]ed)?\b|\byearly\b`)

// yearEndRe asks for this calendar year to its end: "by the end of the year", "this year at
// this rate".
var yearEndRe = regexp.MustCompile(`(?i)\b(?:this|the) year\b|\byear[- ]end\b|\bend of (?:the )?year\b`)

// Horizons of a forecast beyond the month.
const (
	HorizonYear    = "year"     // a year at the current rate
	HorizonYearEnd = "year_end" // this calendar year: its spend so far and the rest at the rate
)

// ForecastHorizon is how far a forecast question looks beyond this month: HorizonYear,
// HorizonYearEnd or "" (the month). The forecast reads it, whichever provider triaged.
func ForecastHorizon(q string) string {
	switch {
	case annualRe.MatchString(q):
		return HorizonYear
	case yearEndRe.MatchString(q):
		return HorizonYearEnd
	}
	return ""
}

// amountRe is a threshold in dollars: "more than $30", "under $10", "above $1.5k".
var amountRe = regexp.MustCompile(`(?i)\b(?:(more|over|above|greater|higher|exceed(?:ed|ing|s)?)|(less|under|below|lower))\s+(?:than\s+)?\$\s?(\d[\d,]*(?:\.\d+)?)\s*(?:(k)\b)?`)

// AmountThreshold is the dollar amount a question sets days or weeks against ("which days
// did I spend more than $30?"): over is true for "more than", false for "less than"; ok is
// false when it names none. A ranking of days keeps those beyond it.
func AmountThreshold(q string) (usd float64, over, ok bool) {
	m := amountRe.FindStringSubmatch(q)
	if m == nil {
		return 0, false, false
	}
	v, ok := boundNumber(m[3], m[4])
	return v, m[1] != "", ok
}

// spreadRe asks for a percentile of a per-request measure: "the median output length", "my
// p95 prompt size", "a typical request's tokens".
var spreadRe = regexp.MustCompile(`(?i)\b(median|p50|p95|p99|95th|99th|percentile|typical)\b`)

// AsksSpread reports a question about the spread of single requests' sizes rather than their
// sum or mean: triage reads it to answer tokens from the records, which keep it.
func AsksSpread(q string) bool { return spreadRe.MatchString(q) }

// speedRe asks how fast answers are written: "tokens per second", "output speed", "tok/s".
var speedRe = regexp.MustCompile(`(?i)\btokens?\s*(?:per|a|each|/)\s*(?:second|sec|s)\b|\btok/s\b|\btps\b|\b(?:output|generation|decode|decoding|streaming|writing|token)\s+(?:speed|rate|throughput)\b|\btoken throughput\b|\bgenerat\w*\s+(?:the\s+)?fast`)

// AsksSpeed reports a question about how fast models write their answers, in output tokens a
// second: triage reads it to answer from the latency scan, which times each answer.
func AsksSpeed(q string) bool { return speedRe.MatchString(q) }

// percentileOverRe is a threshold on a latency percentile: "a p95 over 5 seconds", "median
// latency under 800 ms".
var percentileOverRe = regexp.MustCompile(`(?i)\b(p50|p95|p99|median|average|mean)\s+(?:latency\s+|response time\s+)?(?:is\s+|of\s+)?(?:(over|above|greater than|more than|higher than|longer than)|(under|below|less than|lower than|shorter than))\s+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?)\b`)

// PercentileThreshold is a latency threshold on a percentile a question names ("which routes
// have a p95 over 5 seconds?"): the percentile ("p50", "p95", "p99" or "mean"), the threshold
// in milliseconds, and whether it asks for those over it; ok is false when it names none. A
// ranking by latency keeps the groups beyond it.
func PercentileThreshold(q string) (pct string, ms float64, over, ok bool) {
	m := percentileOverRe.FindStringSubmatch(q)
	if m == nil {
		return "", 0, false, false
	}
	v, err := strconv.ParseFloat(m[4], 64)
	if err != nil {
		return "", 0, false, false
	}
	if u := strings.ToLower(m[5]); strings.HasPrefix(u, "s") {
		v *= 1000
	}
	switch pct = strings.ToLower(m[1]); pct {
	case "median":
		pct = "p50"
	case "average":
		pct = "mean"
	}
	return pct, v, m[2] != "", true
}

// largestRe asks for the one request at the top of a measure: "my slowest request", "the
// longest prompt I sent", "the biggest response".
var largestRe = regexp.MustCompile(`(?i)\b(?:my|the)\s+(?:single\s+)?(?:(slowest|longest-running)\s+(?:single\s+)?(?:request|call)|(?:longest|largest|biggest)\s+(?:single\s+)?(prompt|input|request|call|response|answer|output|completion))\b(?:[^s]|$)`)

// Largest is the measure whose single largest request a question asks for: "latency" ("what
// was my slowest request?"), "input" ("the longest prompt I sent") or "output" ("my longest
// response"); "" when it asks none. The answer leads with the records' maximum.
func Largest(q string) string {
	m := largestRe.FindStringSubmatch(q)
	switch {
	case m == nil:
		return ""
	case m[1] != "":
		return "latency"
	}
	switch strings.ToLower(m[2]) {
	case "response", "answer", "output", "completion":
		return "output"
	}
	return "input"
}

// anyRe asks whether any request is so: "did any request cost more than $1?", "are any
// requests taking over a minute?".
var anyRe = regexp.MustCompile(`(?i)^\W*(?:did|do|does|are|were|is|was|have|has)\s+(?:there\s+)?(?:been\s+)?any\b`)

// AsksAny reports a yes-or-no question about whether any request is so: the answer says yes
// or no, then how many.
func AsksAny(q string) bool { return anyRe.MatchString(q) }

// reliabilityRe is a question about how reliable something is: "the best uptime", "the most
// reliable", "the lowest success rate".
var reliabilityRe = regexp.MustCompile(`(?i)reliab|uptime|success rate|availability|succeed|successful`)

// AsksReliability reports a question answered by the error rate, though it names no error:
// triage reads it to ask for the error rate, and the answer to rank by the rate, not by the
// count.
func AsksReliability(q string) bool { return reliabilityRe.MatchString(q) }

// rateRe is a question about requests a minute or a second: "requests per minute", "rps".
var rateRe = regexp.MustCompile(`(?i)\b(?:per|a|each|every)\s+(minute|second|sec|min)\b|\b(rpm|rps|qps)\b`)

// AsksRate is the unit of a rate of requests a question asks for ("minute" or "second"), or
// "": the data is then read by hour of the day, for the busiest hour's rate beside the mean.
func AsksRate(q string) string {
	m := rateRe.FindStringSubmatch(q)
	if m == nil {
		return ""
	}
	if u := strings.ToLower(m[1] + m[2]); strings.HasPrefix(u, "s") || u == "rps" || u == "qps" {
		return "second"
	}
	return "minute"
}

// budgetRe is a monthly budget in a question: "my budget is $500", "will I stay under $1,000
// this month?", "within a 2k budget".
var budgetRe = regexp.MustCompile(`(?i)(?:budget|under|below|within|stay\s+(?:under|below|within)|cap|limit|max(?:imum)?)\D{0,25}?\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|thousand)?|\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|thousand)?\s*(?:a month\s+|monthly\s+|per month\s+)?(?:budget|cap|limit)`)

// Budget is the monthly budget, in USD, a question states ("am I on track for my $500
// budget?"); ok is false when it names none. The forecast is set against it.
func Budget(q string) (usd float64, ok bool) {
	m := budgetRe.FindStringSubmatch(q)
	if m == nil {
		return 0, false
	}
	num, unit := m[1]+m[3], m[2]+m[4]
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	if unit != "" {
		v *= 1000
	}
	return v, true
}

// comparativeRe is a question that sets one thing against another: "is gpt-4o-mini faster
// than gpt-4o?", "cheaper than", "more reliable than".
var comparativeRe = regexp.MustCompile(`(?i)\b(faster|quicker|slower|cheaper|less expensive|pricier|costlier|more expensive|more reliable|less reliable)\s+than\b`)

// bareComparativeRe is a comparative alone, which continues a comparison: "and cheaper?",
// "is it more reliable?".
var bareComparativeRe = regexp.MustCompile(`(?i)^\W*(?:(?:and|but|is it|are they|which is|what about)\s+)?(faster|quicker|slower|cheaper|less expensive|pricier|costlier|more expensive|more reliable|less reliable)\W*$`)

// Comparative is what a question compares two models or routes by, one of "faster",
// "slower", "cheaper", "pricier", "more reliable" and "less reliable"; "" when it compares
// nothing ("slower than 2 s" is a latency threshold). Triage reads it to set the two side by
// side, and the answer to say yes or no first.
func Comparative(q string) string {
	m := comparativeRe.FindStringSubmatch(q)
	if m == nil {
		m = bareComparativeRe.FindStringSubmatch(q) // "and cheaper?", after a comparison
	}
	if m == nil {
		return ""
	}
	if b, ok := RequestBound(q); ok && (b.Measure == workload.MeasureLatency || b.Measure == workload.MeasureTTFT) {
		return "" // "slower than 2 s" is a bound, not a comparison
	}
	switch w := strings.ToLower(m[1]); w {
	case "quicker":
		return "faster"
	case "less expensive":
		return "cheaper"
	case "costlier", "more expensive":
		return "pricier"
	default:
		return w
	}
}

// costPercentileRe is a question about the spread of what single requests cost: "the median
// cost of a request", "my p95 cost per request", "my most expensive request" (one request:
// "which requests are the most expensive?" ranks routes).
var costPercentileRe = regexp.MustCompile(`(?i)\b(median|p50|p95|p99|95th|99th|percentile)\b|\b(?:my|the|a)\s+(?:single\s+)?(?:most expensive|costliest|priciest|largest|biggest)\s+(?:single\s+)?(?:request|call)\b|\bmax(?:imum)?\s+(?:cost|request cost)\b`)

// CostPercentile is the figure of the distribution of a request's cost that a question asks
// for, "p50", "p95", "p99" or "max"; "" when it asks none. Triage reads it to answer from the
// records' spread, and the answer to put that figure first.
func CostPercentile(q string) string {
	m := costPercentileRe.FindStringSubmatch(q)
	if m == nil {
		return ""
	}
	switch strings.ToLower(m[1]) {
	case "":
		return "max"
	case "median", "p50":
		return "p50"
	case "p99", "99th":
		return "p99"
	}
	return "p95"
}

// Mention is where name first stands alone in text, case aside: not inside a longer name
// ("gpt-4o" in "gpt-4o-mini"); len(text) when it does not.
func Mention(text, name string) int {
	text, name = strings.ToLower(text), strings.ToLower(name)
	for from := 0; ; {
		i := strings.Index(text[from:], name)
		if i < 0 {
			return len(text)
		}
		i += from
		if end := i + len(name); end == len(text) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-._", rune(text[end])) {
			return i
		}
		from = i + 1
	}
}

// latencyRe is a question about how fast requests are answered.
var latencyRe = regexp.MustCompile(`(?i)latenc|\bslow|\bfast|\bp50\b|\bp95\b|\bp99\b|response times?|time to first token|\bttft\b|\bspeed\b|how long`)

// AsksLatency reports a question about latency: "is my latency getting worse?". The data
// agent reads it to time each period of a trend, and the answer to lead with the latency.
func AsksLatency(q string) bool { return latencyRe.MatchString(q) }

// weekendRe is one weekend, a calendar period: "last weekend", "over the weekend", "this
// weekend". Weekends in the plural, or weekend traffic, are days of the week (DaysKept).
var weekendRe = regexp.MustCompile(`(?i)\b(?:last|past|this past|this|the|previous)\s+weekend\b`)

// OneWeekend reports whether a question names one weekend ("how much did I spend last
// weekend?"): its Saturday and Sunday, not every weekend of the window.
func OneWeekend(q string) bool { return weekendRe.MatchString(q) }

// othersRe is a question that compares the user with other users, companies or an industry.
var othersRe = regexp.MustCompile(`(?i)\b(?:other (?:users|customers|companies|teams|people|orgs|organi[sz]ations)|industry|peers|benchmark (?:me|us|against)|compared? (?:to|with) others|than others|everyone else|average (?:company|customer|user))\b`)

// AsksOthers reports a question about other users ("how do I compare to other users?"):
// Netra reads only the user's own records, so triage calls it out of scope and the answer
// says why.
func AsksOthers(q string) bool { return othersRe.MatchString(q) }

// A change of list prices in a hypothetical ("what if the price of gpt-4o went up 20%?"): up
// or down by a percentage, or a multiple.
var (
	hypotheticalRe = regexp.MustCompile(`(?i)\b(?:what if|if|suppose|supposing|imagine|assuming|were to|would)\b`)
	priceWordRe    = regexp.MustCompile(`(?i)\bpric(?:e|es|ing|ed|ier)\b|\brates\b|\bcheaper\b|\bmore expensive\b`)
	priceUpRe      = regexp.MustCompile(`(?i)\b(?:went up|go up|goes up|going up|rose|rise|rises|risen|increased?|increases|raised?|raises|hiked?|hikes)\b[^%\d]{0,30}?(\d+(?:\.\d+)?)\s*%|(\d+(?:\.\d+)?)\s*%\s+(?:more expensive|higher|pricier|increase|rise|hike|more)\b`)
	priceDownRe    = regexp.MustCompile(`(?i)\b(?:went down|go down|goes down|going down|dropped|drops?|fell|falls?|fallen|decreased?|decreases|cut|cuts|lowered|lowers?|reduced?|reduces)\b[^%\d]{0,30}?(\d+(?:\.\d+)?)\s*%|(\d+(?:\.\d+)?)\s*%\s+(?:cheaper|lower|less|off|decrease|drop|cut)\b`)
	priceTimesRe   = regexp.MustCompile(`(?i)\b(doubled?|doubles|tripled?|triples|halved?|halves)\b`)
)

// PriceChange is the factor a hypothetical question applies to list prices: 1.2 for "what if
// the price of gpt-4o went up 20%?", 0.5 for "… if gpt-4o got 50% cheaper?", 2 for "if openai
// doubled its prices"; ok is false when it names none. Cost is linear in the prices, so the
// scope's spend scaled by it is what the same traffic would have cost.
func PriceChange(q string) (factor float64, ok bool) {
	if !hypotheticalRe.MatchString(q) || !priceWordRe.MatchString(q) {
		return 0, false
	}
	pct := func(m []string) float64 { v, _ := strconv.ParseFloat(m[1]+m[2], 64); return v }
	switch {
	case priceUpRe.MatchString(q):
		return 1 + pct(priceUpRe.FindStringSubmatch(q))/100, true
	case priceDownRe.MatchString(q):
		if p := pct(priceDownRe.FindStringSubmatch(q)); p < 100 {
			return 1 - p/100, true
		}
	case priceTimesRe.MatchString(q):
		switch strings.ToLower(priceTimesRe.FindStringSubmatch(q)[1])[:3] {
		case "dou":
			return 2, true
		case "tri":
			return 3, true
		default:
			return 0.5, true
		}
	}
	return 0, false
}

// valueRe is a question about value for money: "which model is the best value?".
var valueRe = regexp.MustCompile(`(?i)\b(?:best|better|good|great) value\b|\bvalue for (?:the )?money\b|\bcost[- ]effective|\bbang for (?:the|my|our|your) buck\b|\bbest bang\b|\bworth (?:the|its|their) (?:money|price|cost)\b`)

// AsksValue reports a question about value for money. Records hold cost, failures and
// latency, not the quality of answers: the answer compares what a successful request costs,
// and says so.
func AsksValue(q string) bool { return valueRe.MatchString(q) }

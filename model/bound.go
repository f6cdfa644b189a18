// A bound on single requests, read from a question's words: "took longer than 10 seconds",
// "over 8k input tokens", "cost more than $0.50", "between 1 and 5 seconds".

package model

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netra-ai/netra/workload"
)

// boundRe is a bound on single requests in a question: a comparison, a number and its unit.
// "longer than 10 seconds", "over 8,000 input tokens", "more than $0.50", "under 1 s".
var boundRe = regexp.MustCompile(`(?i)\b(?:(longer|slower|more|over|above|greater|higher|larger|bigger|exceed(?:s|ing)?)|(less|shorter|faster|under|below|fewer|smaller|lower|within))\s+(?:than\s+)?` + boundValue)

// betweenRe is a bound on both sides: "between 1 and 5 seconds", "between $0.10 and $0.50".
var betweenRe = regexp.MustCompile(`(?i)\bbetween\s+(\$\s?)?(\d[\d,]*(?:\.\d+)?)\s*(?:(k|m)\b)?\s*(?:ms|s|secs?|seconds?|tokens?)?\s+and\s+` + boundValue)

// boundValue is a bound's number and unit: an optional dollar sign, the number with an
// optional thousands or millions suffix, then milliseconds, seconds, minutes or tokens (of a
// side) unless it is dollars.
const boundValue = `(\$\s?)?(\d[\d,]*(?:\.\d+)?)\s*(?:(k|m|million)\b)?\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|(?:(input|prompt|output|completion|response)\s+)?tokens?)?\b`

// aggregateBeforeRe (in the three words before the comparison) and aggregateAfterRe put a
// threshold on a figure over many requests, or make it a target, rather than bound each
// request: "a p95 over 5 s", "average latency under 2 s", "keep latency under 2 s", "over
// $0.05 per request", "more than $30 a day".
var (
	aggregateBeforeRe = regexp.MustCompile(`(?i)\b(?:p50|p95|p99|median|percentile|average|avg|mean|budget|keep|bring|stay|target|goal|sla|slo)\b[^.?!]*$`)
	aggregateAfterRe  = regexp.MustCompile(`(?i)^\s*(?:a|per|each|every)\s+(?:day|week|month|request|call)\b|^\s*(?:daily|weekly|monthly|on average)\b`)
)

// RequestBound is the bound on single requests a question names ("how many requests took
// longer than 10 seconds?", "what share of my prompts are over 8k tokens?", "requests that
// cost more than $0.50"); ok is false when it names none, or when its threshold is on an
// aggregate (a percentile, an average, a day's spend) or is a target. Triage reads it to
// narrow the answer to those requests, whichever provider classified the question.
func RequestBound(q string) (b workload.Bound, ok bool) {
	l := strings.ToLower(oneUnit(q))
	aggregate := func(at []int) bool {
		// The three words before the comparison: "have a p95 over 5 s", "keep my latency under 2 s",
		// but "the p95 latency of requests with more than 8000 tokens" bounds the requests.
		words := strings.Fields(l[:at[0]])
		before := strings.Join(words[max(0, len(words)-3):], " ")
		return aggregateBeforeRe.MatchString(before) || aggregateAfterRe.MatchString(l[at[1]:])
	}
	if at := betweenRe.FindStringSubmatchIndex(l); at != nil {
		m := submatches(l, at)
		lo, okLo := boundNumber(m[2], m[3])
		measure, hi, okHi := boundOf(l, m[4], m[5], m[6], m[7], m[8])
		if !okLo || !okHi || measure == "" || m[1] != "" && measure != workload.MeasureCost || aggregate(at) {
			return b, false
		}
		lo *= scale(measure, m[7]) // the first number is in the second's unit: "between 1 and 5 s"
		b = workload.Bound{Measure: measure, Over: &lo, Under: &hi}
		return b, b.Validate() == nil
	}
	at := boundRe.FindStringSubmatchIndex(l)
	if at == nil || aggregate(at) {
		return b, false
	}
	m := submatches(l, at)
	measure, v, ok := boundOf(l, m[3], m[4], m[5], m[6], m[7])
	if !ok || measure == "" {
		return b, false
	}
	b.Measure = measure
	if m[1] != "" {
		b.Over = &v
	} else {
		b.Under = &v
	}
	return b, true
}

// WithoutBound is q less the bound on requests it names, if any: what the question asks of
// those requests ("how many requests took longer than 10 s?" asks how many, not a latency).
func WithoutBound(q string) string {
	if _, ok := RequestBound(q); !ok {
		return q
	}
	q = oneUnit(q)
	at := betweenRe.FindStringIndex(q)
	if at == nil {
		at = boundRe.FindStringIndex(q)
	}
	if at == nil {
		return q
	}
	return q[:at[0]] + q[at[1]:]
}

// oneUnitRe is a duration of one unit said in words after a comparison: "over a minute".
var oneUnitRe = regexp.MustCompile(`(?i)\b((?:longer|slower|more|over|above|greater|under|less|shorter|faster|below|within)\s+(?:than\s+)?)(?:a|an|one)\s+(minute|second)\b`)

// oneUnit writes "over a minute" as "over 1 minute", for the bound's number.
func oneUnit(q string) string { return oneUnitRe.ReplaceAllString(q, "${1}1 ${2}") }

// submatches are the texts of a match's groups from their indexes, "" for a group unmatched.
func submatches(s string, at []int) []string {
	out := make([]string, len(at)/2)
	for i := range out {
		if at[2*i] >= 0 {
			out[i] = s[at[2*i]:at[2*i+1]]
		}
	}
	return out
}

// boundOf is the measure and the value of a bound's number: dollars are a request's cost,
// a duration its latency (or its time to first token, when the question names it), and
// tokens the side the question names, else both sides together. measure is "" for a number
// without a unit ("more than 5 models").
func boundOf(l, dollar, num, suffix, unit, side string) (measure string, v float64, ok bool) {
	v, ok = boundNumber(num, suffix)
	if !ok {
		return "", 0, false
	}
	u := strings.ToLower(unit)
	switch {
	case dollar != "" && u == "":
		if !strings.Contains(l, "request") && !strings.Contains(l, "call") {
			return "", 0, false // "days I spent more than $30": not a request's cost
		}
		return workload.MeasureCost, v, true
	case dollar != "" || u == "":
		return "", 0, false
	case strings.HasPrefix(u, "token") || side != "":
		switch side {
		case "input", "prompt":
			return workload.MeasureInputTokens, v, true
		case "output", "completion", "response":
			return workload.MeasureOutputTokens, v, true
		}
		switch {
		case strings.Contains(l, "prompt") || strings.Contains(l, "input"):
			return workload.MeasureInputTokens, v, true
		case strings.Contains(l, "output") || strings.Contains(l, "completion") || strings.Contains(l, "response") || strings.Contains(l, "answer"):
			return workload.MeasureOutputTokens, v, true
		}
		return workload.MeasureTokens, v, true
	}
	measure = workload.MeasureLatency
	if strings.Contains(l, "first token") || strings.Contains(l, "ttft") {
		measure = workload.MeasureTTFT
	}
	return measure, v * scale(measure, u), true
}

// scale is what a duration's unit multiplies it by to make milliseconds; 1 for other measures.
func scale(measure, unit string) float64 {
	if measure != workload.MeasureLatency && measure != workload.MeasureTTFT {
		return 1
	}
	switch u := strings.ToLower(unit); {
	case strings.HasPrefix(u, "mi") && u != "milliseconds" && u != "millisecond":
		return 60000
	case strings.HasPrefix(u, "s"):
		return 1000
	}
	return 1
}

// boundNumber is a bound's number: "8,000", "8k", "1.5m", "2 million".
func boundNumber(num, suffix string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil || v < 0 {
		return 0, false
	}
	switch strings.ToLower(suffix) {
	case "k":
		v *= 1e3
	case "m", "million":
		v *= 1e6
	}
	return v, true
}

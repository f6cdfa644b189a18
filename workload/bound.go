package workload

import (
	"fmt"
	"strings"
)

// Measures a Bound keeps requests by.
const (
	MeasureLatency      = "latency_ms"
	MeasureTTFT         = "ttft_ms"
	MeasureInputTokens  = "input_tokens"
	MeasureOutputTokens = "output_tokens"
	MeasureTokens       = "tokens" // input and output together
	MeasureCost         = "cost_usd"
)

// Measures are the measures a Bound can keep requests by.
func Measures() []string {
	return []string{MeasureLatency, MeasureTTFT, MeasureInputTokens, MeasureOutputTokens, MeasureTokens, MeasureCost}
}

// Bound keeps the requests whose measure lies above Over and below Under, both strict and
// either left out: "requests that took longer than 10 s", "prompts under 1,000 tokens". It is
// a property of single requests, so an answer within a bound is read from the records, never
// from rollups, which sum requests of every size.
type Bound struct {
	Measure string   `json:"measure"`
	Over    *float64 `json:"over,omitempty"`
	Under   *float64 `json:"under,omitempty"`
}

// Validate reports a bound that keeps nothing sensible: an unknown measure, no limit, or
// limits the wrong way round.
func (b Bound) Validate() error {
	known := false
	for _, m := range Measures() {
		known = known || m == b.Measure
	}
	switch {
	case !known:
		return fmt.Errorf("a bound's measure must be one of %s", strings.Join(Measures(), ", "))
	case b.Over == nil && b.Under == nil:
		return fmt.Errorf("a bound needs over, under or both")
	case b.Over != nil && b.Under != nil && *b.Over >= *b.Under:
		return fmt.Errorf("a bound's over (%g) must be below its under (%g)", *b.Over, *b.Under)
	}
	return nil
}

// Keeps reports whether r lies within the bound. A record without a time to first token
// lies within no bound on it.
func (b Bound) Keeps(r *Record) bool {
	var v float64
	switch b.Measure {
	case MeasureLatency:
		v = r.LatencyMS
	case MeasureTTFT:
		if r.TTFTMS <= 0 {
			return false
		}
		v = r.TTFTMS
	case MeasureInputTokens:
		v = float64(r.InputTokens)
	case MeasureOutputTokens:
		v = float64(r.OutputTokens)
	case MeasureTokens:
		v = float64(r.InputTokens + r.OutputTokens)
	case MeasureCost:
		v = r.CostUSD
	default:
		return false
	}
	return (b.Over == nil || v > *b.Over) && (b.Under == nil || v < *b.Under)
}

// Package workload is the AI-workload domain: a user's records of model calls, how they are
// parsed (JSONL, CSV, OTLP/JSON), priced, stored compactly, analysed and turned into quantified
// recommendations and action plans. Every number the agents report is computed here from the
// user's own records; none comes from a model.
package workload

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Record is one model call.
type Record struct {
	// ID, when set, makes ingestion idempotent: a second record with the same ID for the same
	// user is counted as a duplicate and not stored.
	ID       string
	TS       time.Time
	Provider string
	Model    string
	// InputTokens includes CachedInputTokens (as OpenAI usage and the OpenTelemetry GenAI
	// conventions count them).
	InputTokens       int64
	OutputTokens      int64
	CachedInputTokens int64
	LatencyMS         float64
	TTFTMS            float64 // 0: unknown
	OK                bool    // status "ok"; false is "error"
	ErrorType         string
	CostUSD           float64
	Route             string
	PrefixHash        string
	// Interactive is false for traffic that could run in batch; unknown counts as interactive.
	Interactive bool
	Retries     int64
}

// Limits on a record's fields.
const (
	MaxStringLen = 256
	MaxTokens    = 100_000_000
	MaxRetries   = 1_000_000
	MaxLatencyMS = 24 * 60 * 60 * 1000 // a day: anything longer is a unit mistake
)

// minUnix (2000-01-01) is the earliest record time accepted: older ones are unit mistakes or
// zero times.
const minUnix = 946_684_800

// Status returns "ok" or "error".
func (r *Record) Status() string {
	if r.OK {
		return "ok"
	}
	return "error"
}

// Validate checks a record and, when CostUSD is absent (negative), prices it. It returns a
// message fit for the line error of an upload.
func (r *Record) Validate(prices *Prices, costGiven bool) error {
	switch {
	case r.TS.IsZero():
		return fmt.Errorf("ts is required (RFC 3339 or Unix seconds)")
	case r.TS.After(time.Now().Add(24 * time.Hour)):
		return fmt.Errorf("ts is more than a day in the future")
	case r.TS.Unix() < minUnix:
		return fmt.Errorf("ts is before 2000-01-01")
	case r.Model == "":
		return fmt.Errorf("model is required")
	case r.Route == "":
		return fmt.Errorf("route is required")
	case r.InputTokens < 0 || r.OutputTokens < 0 || r.CachedInputTokens < 0 || r.Retries < 0:
		return fmt.Errorf("token counts and retries must not be negative")
	case r.InputTokens > MaxTokens || r.OutputTokens > MaxTokens:
		return fmt.Errorf("token counts above %d", MaxTokens)
	case r.CachedInputTokens > r.InputTokens:
		return fmt.Errorf("cached_input_tokens (%d) exceeds input_tokens (%d)", r.CachedInputTokens, r.InputTokens)
	case r.Retries > MaxRetries:
		return fmt.Errorf("retries above %d", MaxRetries)
	case !(r.LatencyMS >= 0 && r.LatencyMS <= MaxLatencyMS): // NaN fails both
		return fmt.Errorf("latency_ms must be a number from 0 to %d", MaxLatencyMS)
	case !(r.TTFTMS >= 0 && r.TTFTMS <= MaxLatencyMS):
		return fmt.Errorf("ttft_ms must be a number from 0 to %d", MaxLatencyMS)
	}
	for name, v := range map[string]string{"id": r.ID, "provider": r.Provider, "model": r.Model, "route": r.Route,
		"error_type": r.ErrorType, "prefix_hash": r.PrefixHash} {
		if len(v) > MaxStringLen {
			return fmt.Errorf("%s longer than %d bytes", name, MaxStringLen)
		}
	}
	// Stored at microsecond precision (the chunk codec): what validates is what is kept.
	r.TS = r.TS.UTC().Truncate(time.Microsecond)
	r.LatencyMS = math.Round(r.LatencyMS*1000) / 1000
	r.TTFTMS = math.Round(r.TTFTMS*1000) / 1000
	if r.Provider == "" {
		if p, ok := prices.Lookup(r.Model); ok {
			r.Provider = p.Provider
		} else {
			r.Provider = "unknown"
		}
	}
	if costGiven {
		if r.CostUSD < 0 || math.IsNaN(r.CostUSD) || math.IsInf(r.CostUSD, 0) {
			return fmt.Errorf("cost_usd must be a number ≥ 0")
		}
		return nil
	}
	p, ok := prices.Lookup(r.Model)
	if !ok {
		return fmt.Errorf("model %q is not in the price table: give cost_usd, or add the model to the price table", truncate(r.Model))
	}
	r.CostUSD = p.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
	return nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// normalizeStatus maps the status field; it accepts "ok"/"error" and a few common synonyms.
func normalizeStatus(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ok", "success", "succeeded", "200":
		return true, nil
	case "error", "failed", "failure", "err":
		return false, nil
	}
	return false, fmt.Errorf("status must be ok or error, got %q", truncate(s))
}

package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// WithFallback answers with primary, and with fallback when primary fails (unless ctx ended)
// or writes a number the facts do not hold: a provider only classifies and words, and a
// number no tool produced is a bug, not an answer. warn hears why each fallback happened.
func WithFallback(primary, fallback Provider, warn func(error)) Provider {
	return fallbackProvider{primary: primary, fallback: fallback, warn: warn}
}

type fallbackProvider struct {
	primary, fallback Provider
	warn              func(error)
}

func (f fallbackProvider) Name() string { return f.primary.Name() }

func (f fallbackProvider) Complete(ctx context.Context, req Request) (Response, error) {
	res, err := f.primary.Complete(ctx, req)
	if err == nil && req.Task == TaskWrite {
		if bad := UnsupportedNumbers(res.Text, req.Data); len(bad) > 0 {
			err = fmt.Errorf("%s wrote numbers the facts do not hold: %s", f.primary.Name(), strings.Join(bad, ", "))
		}
	}
	if err == nil || ctx.Err() != nil {
		return res, err
	}
	f.warn(fmt.Errorf("answering with %s instead: %w", f.fallback.Name(), err))
	return f.fallback.Complete(ctx, req)
}

// numberRe finds numbers as prose writes them: 1,234.5, 12%, -3, $0.42.
var numberRe = regexp.MustCompile(`-?\d[\d,]*(?:\.\d+)?%?`)

// UnsupportedNumbers returns the numbers of text that no number of the facts (JSON, numbers
// and the numbers inside strings alike) gives, as written or rounded to as many decimals as
// the text shows; a percentage may also be a fraction of the facts (50% for 0.5).
func UnsupportedNumbers(text string, facts json.RawMessage) []string {
	var v any
	_ = json.Unmarshal(facts, &v)
	var known []float64
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case float64:
			known = append(known, t)
		case string:
			for _, m := range numbersIn(t) {
				if f, _, ok := parseNumber(m); ok {
					known = append(known, f)
				}
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	var bad []string
	for _, m := range numbersIn(text) {
		f, decimals, ok := parseNumber(m)
		if !ok {
			continue
		}
		if !supported(f, decimals, strings.HasSuffix(m, "%"), known) {
			bad = append(bad, m)
		}
	}
	return bad
}

// numbersIn finds the numbers of text that stand alone: not the digits of a name such as
// gpt-4o or claude-3-5-sonnet.
func numbersIn(text string) []string {
	var out []string
	word := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	for _, ix := range numberRe.FindAllStringIndex(text, -1) {
		start, end := ix[0], ix[1]
		if text[start] == '-' && start > 0 && (word(text[start-1]) || text[start-1] == '-') {
			continue // a hyphen inside a name
		}
		if start > 0 && text[start] != '-' && (word(text[start-1]) || text[start-1] == '-' || text[start-1] == '.') {
			continue
		}
		if end < len(text) && (word(text[end]) || text[end] == '-') {
			continue
		}
		out = append(out, text[start:end])
	}
	return out
}

func parseNumber(s string) (value float64, decimals int, ok bool) {
	s = strings.TrimSuffix(strings.ReplaceAll(s, ",", ""), "%")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	return f, decimals, true
}

func supported(f float64, decimals int, percent bool, known []float64) bool {
	tol := 0.5 * math.Pow(10, -float64(decimals))
	for _, k := range known {
		if math.Abs(k-f) <= tol+1e-9 || (percent && math.Abs(k*100-f) <= tol+1e-9) {
			return true
		}
	}
	return false
}

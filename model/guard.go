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
	var k Known
	k.AddJSON(facts)
	return k.Unsupported(text)
}

// Known is the set of numbers an answer may use: those of the tool results of its run and of
// the question. The zero value is empty.
type Known struct{ vals []float64 }

// AddJSON adds the numbers of a JSON document, those inside its strings included.
func (k *Known) AddJSON(raw []byte) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		k.AddText(string(raw))
		return
	}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case float64:
			k.vals = append(k.vals, t)
		case string:
			k.AddText(t)
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
}

// AddText adds the numbers a text writes.
func (k *Known) AddText(s string) {
	for _, m := range numbersIn(s, ' ') {
		if f, _, ok := parseNumber(m); ok {
			k.vals = append(k.vals, f)
		}
	}
}

// Unsupported returns the numbers of text that k does not give.
func (k *Known) Unsupported(text string) []string { return k.unsupported(text, ' ') }

// unsupported is Unsupported for text that follows the character prev.
func (k *Known) unsupported(text string, prev byte) []string {
	var bad []string
	for _, m := range numbersIn(text, prev) {
		f, decimals, ok := parseNumber(m)
		if ok && !supported(f, decimals, strings.HasSuffix(m, "%"), k.vals) {
			bad = append(bad, m)
		}
	}
	return bad
}

// numbersIn finds the numbers of text that stand alone: not the digits of a name such as
// gpt-4o or claude-3-5-sonnet. prev is the character before text (a space at its start).
func numbersIn(text string, prev byte) []string {
	var out []string
	word := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	before := func(i int) byte {
		if i > 0 {
			return text[i-1]
		}
		return prev
	}
	for _, ix := range numberRe.FindAllStringIndex(text, -1) {
		start, end := ix[0], ix[1]
		b := before(start)
		if text[start] == '-' && (word(b) || b == '-') {
			continue // a hyphen inside a name
		}
		if text[start] != '-' && (word(b) || b == '-' || b == '.') {
			continue
		}
		if end < len(text) && (word(text[end]) || text[end] == '-') {
			continue
		}
		out = append(out, text[start:end])
	}
	return out
}

// Gate passes streamed text on as it comes, except numbers that k does not give: a word that
// holds a digit waits for the whitespace after it, then goes out if its numbers are known.
// At the first unknown number the gate closes: nothing more goes out, and Blocked names it.
// What went out never holds a number that no tool produced.
type Gate struct {
	known   *Known
	out     func(string)
	pending string
	prev    byte
	blocked []string
}

// NewGate returns a gate that passes text to out.
func NewGate(k *Known, out func(string)) *Gate { return &Gate{known: k, out: out, prev: ' '} }

// Write takes the next piece of text.
func (g *Gate) Write(p string) {
	if g.blocked != nil {
		return
	}
	g.pending += p
	// Everything up to the last whitespace is whole words; the rest may be a number that the
	// next piece continues, unless it holds no digit and cannot start one.
	cut := strings.LastIndexAny(g.pending, " \t\n") + 1
	if tail := g.pending[cut:]; !strings.ContainsAny(tail, "0123456789") && !strings.ContainsAny(tail[max(0, len(tail)-1):], "$-.,") {
		cut = len(g.pending)
	}
	g.release(g.pending[:cut])
	g.pending = g.pending[cut:]
}

// Close releases what is left, if its numbers are known.
func (g *Gate) Close() {
	if g.blocked == nil {
		g.release(g.pending)
	}
	g.pending = ""
}

// Blocked names the unknown numbers that closed the gate; nil while it is open.
func (g *Gate) Blocked() []string { return g.blocked }

func (g *Gate) release(text string) {
	if text == "" || g.blocked != nil {
		return
	}
	if bad := g.known.unsupported(text, g.prev); len(bad) > 0 {
		g.blocked = bad
		// What comes before the word that holds the first unknown number still goes out.
		i := strings.Index(text, bad[0])
		if j := strings.LastIndexAny(text[:max(i, 0)], " \t\n"); j >= 0 {
			g.emit(text[:j+1])
		}
		return
	}
	g.emit(text)
}

func (g *Gate) emit(text string) {
	if text == "" {
		return
	}
	g.prev = text[len(text)-1]
	g.out(text)
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

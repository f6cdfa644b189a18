package workload

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// SyntheticSpec describes a demo dataset.
type SyntheticSpec struct {
	// Preset is support_chatbot, coding_assistant, rag_search, nightly_batch, or mixed (all
	// four at half volume; the default).
	Preset string `json:"preset"`
	// Days of traffic ending at End. Default 30, at most 90.
	Days int `json:"days"`
	// Seed makes the data reproducible. Default 42.
	Seed uint64 `json:"seed"`
	// End is when the traffic ends. Default: now, to the minute.
	End time.Time `json:"end"`
}

type routeMix struct {
	route, model string
	share        float64
}

type preset struct {
	perDay        float64
	routes        []routeMix
	inMedian      float64 // input tokens
	inSigma       float64
	outMedian     float64
	outSigma      float64
	prefixShare   float64 // requests carrying a shared prefix
	prefixes      int     // distinct shared prefixes
	prefixTokens  int64   // tokens in a shared prefix
	baseErrorRate float64
	burstDays     int // days with an error burst
	peakHour      int // UTC hour of peak traffic; -1 for a night batch window
	interactive   bool
	latencyBaseMS float64
	latencyPerTok float64
	ttftMS        float64
	retryOnErrorP float64
	errorTypes    []string
	weekendFactor float64
}

// Presets lists the synthetic presets.
func Presets() []string {
	return []string{"coding_assistant", "mixed", "nightly_batch", "rag_search", "support_chatbot"}
}

func presetOf(name string) (map[string]preset, error) {
	all := map[string]preset{
		"support_chatbot": {perDay: 800, routes: []routeMix{{"support-chat", "gpt-4o", 0.7}, {"support-triage", "gpt-4o-mini", 0.3}},
			inMedian: 1400, inSigma: 0.5, outMedian: 180, outSigma: 0.6, prefixShare: 0.85, prefixes: 3, prefixTokens: 900,
			baseErrorRate: 0.015, burstDays: 2, peakHour: 15, interactive: true, latencyBaseMS: 600, latencyPerTok: 7, ttftMS: 450,
			retryOnErrorP: 0.6, errorTypes: []string{"rate_limit", "timeout", "server_error"}, weekendFactor: 0.6},
		"coding_assistant": {perDay: 600, routes: []routeMix{{"code-complete", "claude-sonnet-4", 0.65}, {"code-chat", "claude-opus-4", 0.35}},
			inMedian: 6000, inSigma: 0.7, outMedian: 350, outSigma: 0.8, prefixShare: 0.5, prefixes: 8, prefixTokens: 2500,
			baseErrorRate: 0.02, burstDays: 1, peakHour: 16, interactive: true, latencyBaseMS: 800, latencyPerTok: 9, ttftMS: 700,
			retryOnErrorP: 0.5, errorTypes: []string{"overloaded", "timeout", "context_length"}, weekendFactor: 0.3},
		"rag_search": {perDay: 1000, routes: []routeMix{{"rag-answer", "gemini-2.5-pro", 0.4}, {"rag-rerank", "gemini-2.5-flash", 0.6}},
			inMedian: 3500, inSigma: 0.4, outMedian: 220, outSigma: 0.5, prefixShare: 0.25, prefixes: 4, prefixTokens: 600,
			baseErrorRate: 0.01, burstDays: 1, peakHour: 13, interactive: true, latencyBaseMS: 900, latencyPerTok: 8, ttftMS: 900,
			retryOnErrorP: 0.4, errorTypes: []string{"rate_limit", "server_error"}, weekendFactor: 0.7},
		"nightly_batch": {perDay: 300, routes: []routeMix{{"nightly-summarize", "gpt-4.1", 1}},
			inMedian: 5000, inSigma: 0.5, outMedian: 600, outSigma: 0.4, prefixShare: 0.9, prefixes: 1, prefixTokens: 400,
			baseErrorRate: 0.03, burstDays: 1, peakHour: -1, interactive: false, latencyBaseMS: 2000, latencyPerTok: 20,
			retryOnErrorP: 0.8, errorTypes: []string{"rate_limit", "timeout"}, weekendFactor: 1},
	}
	if name == "" || name == "mixed" {
		for k, p := range all {
			p.perDay /= 2
			all[k] = p
		}
		return all, nil
	}
	p, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q (presets: %v)", name, Presets())
	}
	return map[string]preset{name: p}, nil
}

// Normalize fills in the defaults and checks the spec.
func (s *SyntheticSpec) Normalize(now time.Time) error {
	if s.Preset == "" {
		s.Preset = "mixed"
	}
	if _, err := presetOf(s.Preset); err != nil {
		return err
	}
	if s.Days == 0 {
		s.Days = 30
	}
	if s.Days < 1 || s.Days > 90 {
		return fmt.Errorf("days must be from 1 to 90")
	}
	if s.Seed == 0 {
		s.Seed = 42
	}
	if s.End.IsZero() {
		s.End = now.UTC().Truncate(time.Minute)
	}
	return nil
}

// Generate produces the dataset of a normalized spec, deterministically, priced with prices,
// in time order. Record ids make a second generation of the same spec a set of duplicates.
func Generate(s SyntheticSpec, prices *Prices) ([]Record, error) {
	presets, err := presetOf(s.Preset)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Record
	for _, name := range names {
		h := fnv.New64a()
		h.Write([]byte(name))
		rng := rand.New(rand.NewPCG(s.Seed, h.Sum64()))
		out = generatePreset(out, name, presets[name], s, rng, prices)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS.Before(out[j].TS) })
	return out, nil
}

func generatePreset(out []Record, name string, p preset, s SyntheticSpec, rng *rand.Rand, prices *Prices) []Record {
	start := s.End.Add(-time.Duration(s.Days) * 24 * time.Hour)
	bursts := map[int]int{} // day → burst hour
	for i := 0; i < p.burstDays; i++ {
		bursts[rng.IntN(s.Days)] = rng.IntN(24)
	}
	hourWeights := diurnal(p.peakHour)
	n := 0
	for day := 0; day < s.Days; day++ {
		dayStart := start.Add(time.Duration(day) * 24 * time.Hour)
		volume := p.perDay * (0.85 + 0.3*rng.Float64())
		if wd := dayStart.Weekday(); wd == time.Saturday || wd == time.Sunday {
			volume *= p.weekendFactor
		}
		for k := 0; k < int(volume); k++ {
			hour := pick(rng, hourWeights)
			ts := dayStart.Truncate(24 * time.Hour).Add(time.Duration(hour)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour))))
			if ts.Before(start) || ts.After(s.End) {
				ts = start.Add(time.Duration(rng.Int64N(int64(s.End.Sub(start)))))
			}
			rm := p.routes[pickMix(rng, p.routes)]
			in := int64(lognormal(rng, p.inMedian, p.inSigma))
			outTok := int64(lognormal(rng, p.outMedian, p.outSigma))
			r := Record{ID: fmt.Sprintf("syn-%s-%d-%d", name, s.Seed, n), TS: ts, Model: rm.model, Route: rm.route,
				InputTokens: in, OutputTokens: outTok, OK: true, Interactive: p.interactive}
			n++
			if rng.Float64() < p.prefixShare {
				r.PrefixHash = fmt.Sprintf("%s-prefix-%d", name, rng.IntN(p.prefixes))
				r.InputTokens += p.prefixTokens
			}
			errRate := p.baseErrorRate
			if bh, ok := bursts[day]; ok && (hour == bh || hour == (bh+1)%24) {
				errRate = 0.25
			}
			if rng.Float64() < errRate {
				r.OK = false
				r.ErrorType = p.errorTypes[rng.IntN(len(p.errorTypes))]
				r.OutputTokens = 0
			} else if rng.Float64() < errRate*p.retryOnErrorP*4 {
				r.Retries = 1 + int64(rng.IntN(2))
			}
			r.LatencyMS = math.Round((p.latencyBaseMS+p.latencyPerTok*float64(r.OutputTokens))*(0.7+0.6*rng.Float64())*100) / 100
			if !r.OK {
				r.LatencyMS = math.Round(r.LatencyMS*0.4*100) / 100
			}
			if p.ttftMS > 0 && r.OK {
				r.TTFTMS = math.Round(p.ttftMS*(0.6+0.8*rng.Float64())*100) / 100
			}
			if price, ok := prices.Lookup(r.Model); ok {
				r.Provider = price.Provider
				r.CostUSD = price.Cost(r.InputTokens, 0, r.OutputTokens, false)
			}
			out = append(out, r)
		}
	}
	return out
}

// diurnal returns relative traffic per UTC hour: a daytime curve peaking at peak, or, for a
// night batch (peak < 0), traffic between 01:00 and 04:00 only.
func diurnal(peak int) [24]float64 {
	var w [24]float64
	for h := range w {
		if peak < 0 {
			if h >= 1 && h < 4 {
				w[h] = 1
			}
			continue
		}
		d := math.Abs(float64(h - peak))
		d = math.Min(d, 24-d)
		w[h] = 0.08 + math.Exp(-d*d/18)
	}
	return w
}

func pick(rng *rand.Rand, w [24]float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	t := rng.Float64() * sum
	for i, x := range w {
		if t < x {
			return i
		}
		t -= x
	}
	return 23
}

func pickMix(rng *rand.Rand, m []routeMix) int {
	t := rng.Float64()
	for i, r := range m {
		if t < r.share {
			return i
		}
		t -= r.share
	}
	return len(m) - 1
}

// lognormal draws from a log-normal distribution with the given median: long-tailed, as token
// counts are.
func lognormal(rng *rand.Rand, median, sigma float64) float64 {
	return math.Max(1, math.Round(median*math.Exp(sigma*rng.NormFloat64())))
}

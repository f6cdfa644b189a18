package workload

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Window is a closed time range [From, To].
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Days is the window's length in days.
func (w Window) Days() float64 { return w.To.Sub(w.From).Hours() / 24 }

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && !t.After(w.To) }

// Totals count every record in the window, errors included.
type Totals struct {
	Requests          int64   `json:"requests"`
	CostUSD           float64 `json:"cost_usd"`
	InputTokens       int64   `json:"input_tokens"`
	OutputTokens      int64   `json:"output_tokens"`
	CachedInputTokens int64   `json:"cached_input_tokens"`
	Errors            int64   `json:"errors"`
	ErrorRate         float64 `json:"error_rate"`
	Retries           int64   `json:"retries"`
}

// Spend is one line of a breakdown.
type Spend struct {
	Key      string `json:"key"`
	Model    string `json:"model,omitempty"`
	Route    string `json:"route,omitempty"`
	Provider string `json:"provider,omitempty"`
	Day      string `json:"day,omitempty"`
	// Names are the names the records used for a model, when any differs from Model (the
	// price table's name: "gpt-4o-2024-08-06" is counted as gpt-4o).
	Names        []string `json:"names,omitempty"`
	Requests     int64    `json:"requests"`
	CostUSD      float64  `json:"cost_usd"`
	InputTokens  int64    `json:"input_tokens"`
	OutputTokens int64    `json:"output_tokens"`
	Share        float64  `json:"share"` // of the window's cost
}

// Dist summarizes a distribution; percentiles are nearest-rank.
type Dist struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// RouteLatency is the latency of one route.
// ModelLatency is one model's latency distribution.
type ModelLatency struct {
	Model string `json:"model"`
	Dist
}

type RouteLatency struct {
	Route string `json:"route"`
	Dist
	// Interactive counts the route's requests that a person waits for.
	Interactive int64 `json:"interactive"`
}

// ErrorStats is what failures cost.
type ErrorStats struct {
	Count  int64            `json:"count"`
	Rate   float64          `json:"rate"`
	ByType map[string]int64 `json:"by_type"`
	// WasteUSD is the cost of calls that failed: paid for, nothing gained.
	WasteUSD float64 `json:"waste_usd"`
	// RetryWasteUSD estimates the failed attempts that were not logged as records: a record's
	// retries times its own cost.
	RetryWasteUSD float64 `json:"retry_waste_usd"`
	Retries       int64   `json:"retries"`
}

// PrefixStats describes repeated prompt prefixes, the raw material of prompt caching.
type PrefixStats struct {
	RequestsWithPrefix int64   `json:"requests_with_prefix"`
	RepeatedRequests   int64   `json:"repeated_requests"` // every occurrence of a prefix after its first
	RepeatedShare      float64 `json:"repeated_share"`    // of all requests
	DistinctPrefixes   int64   `json:"distinct_prefixes"`
	// CacheableTokens are input tokens in repeated prefixes not already read from a cache.
	CacheableTokens int64 `json:"cacheable_tokens"`
	Truncated       bool  `json:"truncated,omitempty"`
}

// Stats is everything the data agent reports about a window.
type Stats struct {
	Window          Window  `json:"window"`
	Totals          Totals  `json:"totals"`
	SpendByModel    []Spend `json:"spend_by_model"`
	SpendByRoute    []Spend `json:"spend_by_route"`
	SpendByProvider []Spend `json:"spend_by_provider"`
	SpendByDay      []Spend `json:"spend_by_day"`
	// CoveredDays is how many days of the window the records cover, first to last day with
	// data (at most the window): the run-rates' base.
	CoveredDays    float64        `json:"covered_days"`
	InputTokens    Dist           `json:"input_tokens"`
	OutputTokens   Dist           `json:"output_tokens"`
	LatencyMS      Dist           `json:"latency_ms"`
	TTFTMS         Dist           `json:"ttft_ms"`
	LatencyByRoute []RouteLatency `json:"latency_by_route"`
	// LatencyByModel is each model's latency, slowest p95 first.
	LatencyByModel []ModelLatency `json:"latency_by_model"`
	Errors         ErrorStats     `json:"errors"`
	TrafficByHour  [24]int64      `json:"traffic_by_hour"`
	Prefixes       PrefixStats    `json:"prefixes"`

	// Opportunities feed the recommendations; they are not part of the JSON report.
	Routing  []RoutingOpportunity `json:"-"`
	Caching  []CachingOpportunity `json:"-"`
	Batching []BatchOpportunity   `json:"-"`
}

// RoutingOpportunity: simple, successful requests of a route on a model that has a cheaper
// sibling, and what they would have cost there.
type RoutingOpportunity struct {
	Route, Model, Provider, Cheaper string
	Requests                        int64 // all requests of the route on the model
	SimpleRequests                  int64
	SimpleCostUSD, CheaperCostUSD   float64
}

// CachingOpportunity: cacheable input tokens of one model and what caching them saves.
type CachingOpportunity struct {
	Model, Provider string
	CacheableTokens int64
	// SavingsUSD is what reading the prefixes from the cache saves, less the cache-write
	// premium (WritePremiumUSD) paid when each prefix is first written.
	SavingsUSD      float64
	WritePremiumUSD float64
	// Prefixes counts the repeated prefixes that qualify; Expired those never used again
	// while a cache would hold them, and Short those under the provider's shortest cacheable
	// prefix: neither saves anything. Reads and Writes count the qualifying uses that would
	// read the cache and those that would write it (first uses, and uses after a pause
	// longer than the cache lives).
	Prefixes, Expired, Short int64
	Reads, Writes            int64
	Price                    Price
}

// BatchOpportunity: non-interactive traffic of one model and the batch discount on it.
type BatchOpportunity struct {
	Model, Provider string
	Requests        int64
	CostUSD         float64
	SavingsUSD      float64
}

// Thresholds of a "simple" request, one a smaller model can serve.
const (
	SimpleMaxInput  = 4000
	SimpleMaxOutput = 500
)

// maxKeys bounds distinct keys per breakdown; the rest is summed under "(other)".
const maxKeys = 50

// maxPrefixes bounds the distinct (model, prefix) pairs tracked.
const maxPrefixes = 200_000

type prefixAcc struct {
	count, minInput, cached int64
	// writes and reads count the uses that would write the prefix to a cache (the first, and
	// any after a pause longer than the cache lives) and those that would read it.
	writes, reads int64
	last          time.Time
}

type prefixKey struct{ model, hash string }

type routeModel struct{ route, model string }

// Analyzer accumulates records of one window. Add every record (in any order), then Stats.
type Analyzer struct {
	w      Window
	prices *Prices

	tot                             Totals
	byModel, byRoute, byProv, byDay map[string]*Spend
	in, out, lat, ttft              []float32
	latByRoute                      map[string][]float32
	latByModel                      map[string][]float32
	interactiveByRoute              map[string]int64
	errTypes                        map[string]int64
	waste, retryWaste               float64
	hours                           [24]int64
	prefixes                        map[prefixKey]*prefixAcc
	prefixTruncated                 bool
	withPrefix                      int64
	routing                         map[routeModel]*RoutingOpportunity
	batch                           map[string]*BatchOpportunity
	sumIn, sumOut, sumLat, sumTTFT  float64
	canon                           *Names              // a record's model name → the price table's
	names                           map[string][]string // the price table's name → the names records used
	ttl                             map[string]time.Duration
}

// NewAnalyzer returns an analyzer for the window.
func NewAnalyzer(w Window, prices *Prices) *Analyzer {
	return &Analyzer{w: w, prices: prices, byModel: map[string]*Spend{}, byRoute: map[string]*Spend{},
		byProv: map[string]*Spend{}, byDay: map[string]*Spend{}, latByRoute: map[string][]float32{}, latByModel: map[string][]float32{}, interactiveByRoute: map[string]int64{},
		errTypes: map[string]int64{}, prefixes: map[prefixKey]*prefixAcc{}, routing: map[routeModel]*RoutingOpportunity{},
		batch: map[string]*BatchOpportunity{}, canon: prices.NewNames(), names: map[string][]string{}, ttl: map[string]time.Duration{}}
}

func (a *Analyzer) spend(m map[string]*Spend, key string, r *Record) *Spend {
	s := m[key]
	if s == nil {
		s = &Spend{Key: key}
		m[key] = s
	}
	s.Requests++
	s.CostUSD += r.CostUSD
	s.InputTokens += r.InputTokens
	s.OutputTokens += r.OutputTokens
	return s
}

// cacheTTL is how long the model's provider keeps a cache entry.
func (a *Analyzer) cacheTTL(model string) time.Duration {
	if d, ok := a.ttl[model]; ok {
		return d
	}
	d := time.Duration(0) // no cache: every use writes
	if p, ok := a.prices.Lookup(model); ok && p.CachedInput > 0 {
		d = p.CacheTTL()
	}
	if len(a.ttl) < maxKeys {
		a.ttl[model] = d
	}
	return d
}

// canonical returns the price table's name of a record's model, remembering the names seen.
func (a *Analyzer) canonical(raw string) string {
	c, first := a.canon.Canonical(raw)
	if first && len(a.names) < maxKeys {
		a.names[c] = append(a.names[c], raw)
	}
	return c
}

// Add counts one record if it lies in the window; it reports whether it did. Models are
// grouped under the price table's names (Prices.Canonical).
func (a *Analyzer) Add(r *Record) bool {
	if !a.w.Contains(r.TS) {
		return false
	}
	model := a.canonical(r.Model)
	t := &a.tot
	t.Requests++
	t.CostUSD += r.CostUSD
	t.InputTokens += r.InputTokens
	t.OutputTokens += r.OutputTokens
	t.CachedInputTokens += r.CachedInputTokens
	t.Retries += r.Retries
	a.spend(a.byModel, model, r).Provider = r.Provider
	a.spend(a.byRoute, r.Route, r)
	a.spend(a.byProv, r.Provider, r)
	a.spend(a.byDay, r.TS.Format("2006-01-02"), r)
	a.in = append(a.in, float32(r.InputTokens))
	a.out = append(a.out, float32(r.OutputTokens))
	a.lat = append(a.lat, float32(r.LatencyMS))
	a.sumIn += float64(r.InputTokens)
	a.sumOut += float64(r.OutputTokens)
	a.sumLat += r.LatencyMS
	if r.TTFTMS > 0 {
		a.ttft = append(a.ttft, float32(r.TTFTMS))
		a.sumTTFT += r.TTFTMS
	}
	if len(a.latByModel) < maxKeys || a.latByModel[model] != nil {
		a.latByModel[model] = append(a.latByModel[model], float32(r.LatencyMS))
	}
	if len(a.latByRoute) < maxKeys || a.latByRoute[r.Route] != nil {
		a.latByRoute[r.Route] = append(a.latByRoute[r.Route], float32(r.LatencyMS))
		if r.Interactive {
			a.interactiveByRoute[r.Route]++
		}
	}
	if !r.OK {
		t.Errors++
		a.waste += r.CostUSD
		et := r.ErrorType
		if et == "" {
			et = "unknown"
		}
		if len(a.errTypes) < maxKeys || a.errTypes[et] > 0 {
			a.errTypes[et]++
		} else {
			a.errTypes["(other)"]++
		}
	}
	a.retryWaste += float64(r.Retries) * r.CostUSD
	a.hours[r.TS.Hour()]++
	if r.PrefixHash != "" {
		a.withPrefix++
		k := prefixKey{model, r.PrefixHash}
		p := a.prefixes[k]
		if p == nil && len(a.prefixes) < maxPrefixes {
			p = &prefixAcc{minInput: r.InputTokens}
			a.prefixes[k] = p
		}
		if p == nil {
			a.prefixTruncated = true
		} else {
			// Records come in time order as logged; a use within the cache's lifetime of the
			// one before reads the prefix, any other writes it.
			if gap := r.TS.Sub(p.last); p.count > 0 && gap <= a.cacheTTL(model) && gap >= -a.cacheTTL(model) {
				p.reads++
			} else {
				p.writes++
			}
			p.count++
			p.minInput = min(p.minInput, r.InputTokens)
			p.cached += r.CachedInputTokens
			p.last = r.TS
		}
	}
	if price, ok := a.prices.Lookup(model); ok {
		if price.Cheaper != "" {
			k := routeModel{r.Route, model}
			o := a.routing[k]
			if o == nil {
				o = &RoutingOpportunity{Route: r.Route, Model: model, Provider: r.Provider, Cheaper: price.Cheaper}
				a.routing[k] = o
			}
			o.Requests++
			if r.OK && r.InputTokens <= SimpleMaxInput && r.OutputTokens <= SimpleMaxOutput {
				cheaper, _ := a.prices.Lookup(price.Cheaper)
				o.SimpleRequests++
				o.SimpleCostUSD += r.CostUSD
				o.CheaperCostUSD += cheaper.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
			}
		}
		if !r.Interactive && price.BatchDiscount > 0 {
			b := a.batch[model]
			if b == nil {
				b = &BatchOpportunity{Model: model, Provider: r.Provider}
				a.batch[model] = b
			}
			b.Requests++
			b.CostUSD += r.CostUSD
			b.SavingsUSD += r.CostUSD * price.BatchDiscount
		}
	}
	return true
}

func dist(v []float32, sum float64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	slices.Sort(v)
	rank := func(p float64) float64 { // nearest rank: the ceil(p·n)-th smallest value
		i := int(math.Ceil(p*float64(len(v)))) - 1
		return float64(v[max(i, 0)])
	}
	return Dist{Count: int64(len(v)), Mean: sum / float64(len(v)), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99),
		Max: float64(v[len(v)-1])}
}

func sorted(m map[string]*Spend, total float64, byKey bool) []Spend {
	out := make([]Spend, 0, len(m))
	for _, s := range m {
		if total > 0 {
			s.Share = s.CostUSD / total
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if byKey {
			return out[i].Key < out[j].Key
		}
		if out[i].CostUSD != out[j].CostUSD {
			return out[i].CostUSD > out[j].CostUSD
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > maxKeys && !byKey {
		other := Spend{Key: "(other)"}
		for _, s := range out[maxKeys-1:] {
			other.Requests += s.Requests
			other.CostUSD += s.CostUSD
			other.InputTokens += s.InputTokens
			other.OutputTokens += s.OutputTokens
			other.Share += s.Share
		}
		out = append(out[:maxKeys-1], other)
	}
	return out
}

// Stats computes the statistics of what was added.
func (a *Analyzer) Stats() Stats {
	t := a.tot
	if t.Requests > 0 {
		t.ErrorRate = float64(t.Errors) / float64(t.Requests)
	}
	s := Stats{Window: a.w, Totals: t}
	s.SpendByModel = sorted(a.byModel, t.CostUSD, false)
	for i := range s.SpendByModel {
		m := &s.SpendByModel[i]
		m.Model = m.Key
		if names := a.names[m.Key]; len(names) > 1 || (len(names) == 1 && names[0] != m.Key) {
			m.Names = slices.Sorted(slices.Values(names))
		}
	}
	s.SpendByRoute = sorted(a.byRoute, t.CostUSD, false)
	for i := range s.SpendByRoute {
		s.SpendByRoute[i].Route = s.SpendByRoute[i].Key
	}
	s.SpendByProvider = sorted(a.byProv, t.CostUSD, false)
	for i := range s.SpendByProvider {
		s.SpendByProvider[i].Provider = s.SpendByProvider[i].Key
	}
	s.SpendByDay = sorted(a.byDay, t.CostUSD, true)
	for i := range s.SpendByDay {
		s.SpendByDay[i].Day = s.SpendByDay[i].Key
	}
	s.CoveredDays = coveredDays(a.w, s.SpendByDay)
	s.InputTokens = dist(a.in, a.sumIn)
	s.OutputTokens = dist(a.out, a.sumOut)
	s.LatencyMS = dist(a.lat, a.sumLat)
	s.TTFTMS = dist(a.ttft, a.sumTTFT)
	for route, v := range a.latByRoute {
		var sum float64
		for _, x := range v {
			sum += float64(x)
		}
		s.LatencyByRoute = append(s.LatencyByRoute, RouteLatency{Route: route, Dist: dist(v, sum), Interactive: a.interactiveByRoute[route]})
	}
	sort.Slice(s.LatencyByRoute, func(i, j int) bool { return s.LatencyByRoute[i].Route < s.LatencyByRoute[j].Route })
	for m, v := range a.latByModel {
		var sum float64
		for _, x := range v {
			sum += float64(x)
		}
		s.LatencyByModel = append(s.LatencyByModel, ModelLatency{Model: m, Dist: dist(v, sum)})
	}
	sort.Slice(s.LatencyByModel, func(i, j int) bool {
		if s.LatencyByModel[i].P95 != s.LatencyByModel[j].P95 {
			return s.LatencyByModel[i].P95 > s.LatencyByModel[j].P95
		}
		return s.LatencyByModel[i].Model < s.LatencyByModel[j].Model
	})
	s.Errors = ErrorStats{Count: t.Errors, Rate: t.ErrorRate, ByType: a.errTypes, WasteUSD: a.waste, RetryWasteUSD: a.retryWaste, Retries: t.Retries}
	s.TrafficByHour = a.hours
	ps := PrefixStats{RequestsWithPrefix: a.withPrefix, Truncated: a.prefixTruncated}
	caching := map[string]*CachingOpportunity{}
	for k, p := range a.prefixes {
		ps.DistinctPrefixes++
		if p.count < 2 {
			continue
		}
		ps.RepeatedRequests += p.count - 1
		// The shared prefix is at most as long as the shortest prompt that carries it; every
		// occurrence after the first could read it from a cache.
		cacheable := max(0, (p.count-1)*p.minInput-p.cached)
		ps.CacheableTokens += cacheable
		price, ok := a.prices.Lookup(k.model)
		if !ok || price.CachedInput == 0 || price.CachedInput >= price.Input || cacheable == 0 {
			continue
		}
		c := caching[k.model]
		if c == nil {
			c = &CachingOpportunity{Model: k.model, Provider: price.Provider, Price: price}
			caching[k.model] = c
		}
		// Under the provider's shortest cacheable prefix, or never used again while the cache
		// would hold it (each use would write it anew, at the premium): nothing to save.
		switch {
		case p.minInput < price.MinCacheTokens:
			c.Short++
			continue
		case p.reads == 0:
			c.Expired++
			continue
		}
		// Reads at the cached price (less what was cached already); each write at the premium.
		read := max(0, p.reads*p.minInput-p.cached)
		premium := float64(p.writes*p.minInput) * price.Input * (price.WritePremium() - 1) / 1e6
		c.Prefixes++
		c.Reads += p.reads
		c.Writes += p.writes
		c.CacheableTokens += read
		c.WritePremiumUSD += premium
		c.SavingsUSD += float64(read)*(price.Input-price.CachedInput)/1e6 - premium
	}
	if t.Requests > 0 {
		ps.RepeatedShare = float64(ps.RepeatedRequests) / float64(t.Requests)
	}
	s.Prefixes = ps
	for _, o := range a.routing {
		s.Routing = append(s.Routing, *o)
	}
	sort.Slice(s.Routing, func(i, j int) bool {
		si, sj := s.Routing[i].SimpleCostUSD-s.Routing[i].CheaperCostUSD, s.Routing[j].SimpleCostUSD-s.Routing[j].CheaperCostUSD
		if si != sj {
			return si > sj
		}
		return s.Routing[i].Route+s.Routing[i].Model < s.Routing[j].Route+s.Routing[j].Model
	})
	for _, c := range caching {
		if c.SavingsUSD > 0 {
			s.Caching = append(s.Caching, *c)
		}
	}
	sort.Slice(s.Caching, func(i, j int) bool { return s.Caching[i].SavingsUSD > s.Caching[j].SavingsUSD })
	for _, b := range a.batch {
		s.Batching = append(s.Batching, *b)
	}
	sort.Slice(s.Batching, func(i, j int) bool { return s.Batching[i].SavingsUSD > s.Batching[j].SavingsUSD })
	return s
}

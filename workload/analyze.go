package workload

import (
	"slices"
	"sort"
	"strings"
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
	// InputCostUSD and OutputCostUSD divide CostUSD between input and output tokens by the
	// price table (Price.Split); what models the table does not price cost stays in neither.
	InputCostUSD  float64 `json:"input_cost_usd"`
	OutputCostUSD float64 `json:"output_cost_usd"`
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
	// InputCostUSD and OutputCostUSD: CostUSD divided as Totals' are (models, routes and
	// providers; not days).
	InputCostUSD  float64 `json:"input_cost_usd,omitempty"`
	OutputCostUSD float64 `json:"output_cost_usd,omitempty"`
	Share         float64 `json:"share"` // of the window's cost
	// Errors are the requests that failed, and ErrorCostUSD what they cost.
	Errors       int64   `json:"errors,omitempty"`
	ErrorCostUSD float64 `json:"error_cost_usd,omitempty"`
	// Retries are the retries the records log, and RetryWasteUSD what they cost estimated as
	// ErrorStats.RetryWasteUSD is (models, routes and providers; not days).
	Retries       int64   `json:"retries,omitempty"`
	RetryWasteUSD float64 `json:"retry_waste_usd,omitempty"`
	// ErrorTypes counts the failed requests by error type, for models, routes and providers
	// ("which model has the most timeouts?"); nil for days and when none failed.
	ErrorTypes map[string]int64 `json:"error_types,omitempty"`
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
	// TTFT is the model's time to first token, over its records that report one.
	TTFT Dist `json:"ttft_ms"`
	// OutputSpeed is its output tokens a second after the first token (Stats.OutputSpeed).
	OutputSpeed Dist `json:"output_tokens_per_s"`
}

// OutputSpeedOf is how fast a request's answer was written: its output tokens over the time
// from its first token to its end, in tokens a second. ok is false for a request that failed,
// wrote nothing, or reports no time to first token (then the time to write is unknown).
func OutputSpeedOf(r *Record) (tps float64, ok bool) {
	if !r.OK || r.OutputTokens <= 0 || r.TTFTMS <= 0 || r.LatencyMS <= r.TTFTMS {
		return 0, false
	}
	return float64(r.OutputTokens) / ((r.LatencyMS - r.TTFTMS) / 1000), true
}

// ProviderLatency is one provider's latency distribution.
type ProviderLatency struct {
	Provider string `json:"provider"`
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
	// CostByType is what the failures of each type of ByType cost.
	CostByType map[string]float64 `json:"cost_by_type,omitempty"`
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
	// ByModel is what a cache would do on each model whose prompts repeat a prefix and whose
	// price table entry has a cached price, saving or not (the recommendations keep only those
	// that save): why caching saves nothing there, when it does not.
	ByModel []PrefixModel `json:"by_model,omitempty"`
}

// PrefixModel is a cache on one model: the uses of its repeated prefixes that would read it
// and those that would write it, what the reads save and what the writes' premium costs.
type PrefixModel struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	// Prefixes count the repeated prefixes long enough to cache and used again while the
	// cache holds them; Expired those never used again in time, Short those under MinTokens.
	Prefixes int64 `json:"prefixes"`
	Expired  int64 `json:"expired"`
	Short    int64 `json:"short"`
	Reads    int64 `json:"reads"`
	Writes   int64 `json:"writes"`
	// ReadSavingsUSD is what the reads save at the cached price; WritePremiumUSD what the
	// writes cost over the input price. The saving is their difference.
	ReadSavingsUSD  float64 `json:"read_savings_usd"`
	WritePremiumUSD float64 `json:"write_premium_usd"`
	SavingsUSD      float64 `json:"savings_usd"`
	CacheTTLSeconds float64 `json:"cache_ttl_seconds"`
	MinTokens       int64   `json:"min_tokens"`
	WritePremium    float64 `json:"write_premium"` // the write price over the input price
}

// Stats is everything the data agent reports about a window.
type Stats struct {
	Window          Window  `json:"window"`
	Totals          Totals  `json:"totals"`
	SpendByModel    []Spend `json:"spend_by_model"`
	SpendByRoute    []Spend `json:"spend_by_route"`
	SpendByProvider []Spend `json:"spend_by_provider"`
	SpendByDay      []Spend `json:"spend_by_day"`
	// SpendByDayModel is each day's spend by model, in day order.
	SpendByDayModel []Spend `json:"spend_by_day_model"`
	// CoveredDays is how many days of the window the records cover, first to last day with
	// data (at most the window): the run-rates' base.
	CoveredDays  float64 `json:"covered_days"`
	InputTokens  Dist    `json:"input_tokens"`
	OutputTokens Dist    `json:"output_tokens"`
	LatencyMS    Dist    `json:"latency_ms"`
	TTFTMS       Dist    `json:"ttft_ms"`
	// OutputSpeed is how fast answers were written, in output tokens a second after the first
	// (OutputSpeedOf), over the successful records that report a time to first token.
	OutputSpeed Dist `json:"output_tokens_per_s"`
	// RequestCostUSD is the distribution of what one request cost (the full analysis only:
	// NewAnalyzer, not the tally or the latency scan).
	RequestCostUSD Dist           `json:"request_cost_usd"`
	LatencyByRoute []RouteLatency `json:"latency_by_route"`
	// LatencyByModel is each model's latency, slowest p95 first.
	LatencyByModel []ModelLatency `json:"latency_by_model"`
	// LatencyByProvider is each provider's latency, slowest p95 first (the full analysis only,
	// not the latency scan: NewLatencyAnalyzer).
	LatencyByProvider []ProviderLatency `json:"latency_by_provider"`
	Errors            ErrorStats        `json:"errors"`
	TrafficByHour     [24]int64         `json:"traffic_by_hour"`
	CostByHour        [24]float64       `json:"cost_by_hour"` // USD, by the records' UTC hour
	Prefixes          PrefixStats       `json:"prefixes"`

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
	// CostUSD is what all of them cost, and AllOnCheaperUSD what they would on Cheaper: the
	// whole route moved, beyond the simple requests a recommendation moves (LargestMove).
	CostUSD, AllOnCheaperUSD float64
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

// Analyzer accumulates records of one window: the tally, and what needs every record. Add
// every record (in any order), then Stats.
type Analyzer struct {
	tally                          Tally
	in, out, lat, ttft, cost       []float32
	speed                          []float32 // OutputSpeedOf each record that has one
	sumSpeed                       float64
	hours                          [24]int64
	hourCost                       [24]float64
	prefixes                       map[prefixKey]*prefixAcc
	prefixTruncated                bool
	withPrefix                     int64
	routing                        map[routeModel]*RoutingOpportunity
	batch                          map[string]*BatchOpportunity
	sumIn, sumOut, sumLat, sumTTFT float64
	sumCost                        float64
	latencyOnly                    bool
	// latByProvider holds each provider's latencies (a model's record finds its series on
	// the model: modelInfo.provLat).
	latByProvider map[string]*[]float32
}

// NewAnalyzer returns an analyzer for the window.
func NewAnalyzer(w Window, prices *Prices) *Analyzer {
	a := &Analyzer{prefixes: map[prefixKey]*prefixAcc{}, routing: map[routeModel]*RoutingOpportunity{}, batch: map[string]*BatchOpportunity{},
		latByProvider: map[string]*[]float32{}}
	a.tally.init(w, prices)
	a.tally.latencies = true
	return a
}

// NewLatencyAnalyzer returns an analyzer of the latencies only (overall, by route and by
// model, and the time to first token): its Stats fill those sections and the window, nothing
// else. A question about latency takes its totals from a Tally, which rollups make cheap.
func NewLatencyAnalyzer(w Window, prices *Prices) *Analyzer {
	a := NewAnalyzer(w, prices)
	a.latencyOnly = true
	return a
}

// Reserve makes room for the latencies of a share (0 to 1) of the records that the tally t
// counted, as a scan split over cores has: the series then grow once instead of doubling
// through a million records.
func (a *Analyzer) Reserve(t Stats, share float64) {
	size := func(n int64) int { return int(float64(n)*share) + 64 }
	a.lat = slices.Grow(a.lat, size(t.Totals.Requests))
	for _, r := range t.SpendByRoute {
		if ra := a.tally.route(r.Key); ra.lat != nil {
			*ra.lat = slices.Grow(*ra.lat, size(r.Requests))
		}
	}
	for _, m := range t.SpendByModel {
		if mi := a.tally.model(m.Key); mi.lat != nil {
			*mi.lat = slices.Grow(*mi.lat, size(m.Requests))
		}
	}
}

// MergeLatencies adds b's latencies to a's, so that analyzers that each saw part of a scan
// (one a core) give the statistics of the whole. Both must come from NewLatencyAnalyzer: the
// full analysis counts cache reuse in time order, which parts cannot merge. The series of
// routes and models past maxKeys may differ from a single scan's, as which ones came first
// does.
func (a *Analyzer) MergeLatencies(b *Analyzer) {
	if !a.latencyOnly || !b.latencyOnly {
		panic("workload: MergeLatencies of a full analyzer")
	}
	a.lat = append(a.lat, b.lat...)
	a.ttft = append(a.ttft, b.ttft...)
	a.speed = append(a.speed, b.speed...)
	a.sumLat += b.sumLat
	a.sumTTFT += b.sumTTFT
	a.sumSpeed += b.sumSpeed
	for name, rb := range b.tally.routes {
		ra := a.tally.route(name)
		ra.interactive += rb.interactive
		if ra.lat != nil && rb.lat != nil {
			*ra.lat = append(*ra.lat, *rb.lat...)
		}
	}
	for _, m := range [...]struct{ a, b map[string]*[]float32 }{{a.tally.latByModel, b.tally.latByModel}, {a.tally.ttftByModel, b.tally.ttftByModel},
		{a.tally.speedByModel, b.tally.speedByModel}} {
		for name, mb := range m.b {
			ma := m.a[name]
			if ma == nil && len(m.a) < maxKeys {
				ma = new([]float32)
				m.a[name] = ma
			}
			if ma != nil {
				*ma = append(*ma, *mb...)
			}
		}
	}
}

// bySlowest calls each with every key's latency distribution, slowest p95 first (ties by
// key), as the breakdowns by model and provider list them.
// sum adds a series up.
func sum(v []float32) (s float64) {
	for _, x := range v {
		s += float64(x)
	}
	return s
}

func bySlowest(m map[string]*[]float32, each func(key string, d Dist)) {
	type row struct {
		key string
		d   Dist
	}
	rows := make([]row, 0, len(m))
	for k, p := range m {
		rows = append(rows, row{k, dist(*p, sum(*p))})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].d.P95 != rows[j].d.P95 {
			return rows[i].d.P95 > rows[j].d.P95
		}
		return rows[i].key < rows[j].key
	})
	for _, r := range rows {
		each(r.key, r.d)
	}
}

// providerLatencies is the latency series of a provider, made on first use; nil past maxKeys.
func (a *Analyzer) providerLatencies(name string) *[]float32 {
	p := a.latByProvider[name]
	if p == nil {
		if len(a.latByProvider) >= maxKeys {
			return nil
		}
		name = strings.Clone(name) // a record's strings share its buffer
		p = new([]float32)
		a.latByProvider[name] = p
	}
	return p
}

// Add counts one record if it lies in the window; it reports whether it did. Models are
// grouped under the price table's names (Prices.Canonical).
func (a *Analyzer) Add(r *Record) bool {
	if !a.tally.w.Contains(r.TS) {
		return false
	}
	var mi *modelInfo
	var ra *routeAcc
	if a.latencyOnly {
		mi, ra = a.tally.model(r.Model), a.tally.route(r.Route)
	} else {
		mi, ra = a.tally.add(r)
	}
	model := mi.name
	a.lat = append(a.lat, float32(r.LatencyMS))
	a.sumLat += r.LatencyMS
	if r.TTFTMS > 0 {
		a.ttft = append(a.ttft, float32(r.TTFTMS))
		a.sumTTFT += r.TTFTMS
		if mi.ttft != nil {
			*mi.ttft = append(*mi.ttft, float32(r.TTFTMS))
		}
		if v, ok := OutputSpeedOf(r); ok {
			a.speed = append(a.speed, float32(v))
			a.sumSpeed += v
			if mi.speed != nil {
				*mi.speed = append(*mi.speed, float32(v))
			}
		}
	}
	if mi.lat != nil {
		*mi.lat = append(*mi.lat, float32(r.LatencyMS))
	}
	if ra.lat != nil {
		*ra.lat = append(*ra.lat, float32(r.LatencyMS))
		if r.Interactive {
			ra.interactive++
		}
	}
	if a.latencyOnly {
		return true
	}
	// By provider only in the full analysis: a latency question ranked by provider asks for
	// it (agent/data), and the latency scan, which answers every other latency question over
	// a million records, stays as fast as it was (a fourth series cost it ~12%).
	if mi.provLat == nil || mi.provider != r.Provider {
		mi.provLat = a.providerLatencies(r.Provider)
		mi.provider = strings.Clone(r.Provider)
	}
	if mi.provLat != nil {
		*mi.provLat = append(*mi.provLat, float32(r.LatencyMS))
	}
	a.in = append(a.in, float32(r.InputTokens))
	a.out = append(a.out, float32(r.OutputTokens))
	a.sumIn += float64(r.InputTokens)
	a.sumOut += float64(r.OutputTokens)
	a.cost = append(a.cost, float32(r.CostUSD))
	a.sumCost += r.CostUSD
	a.hours[r.TS.Hour()]++
	a.hourCost[r.TS.Hour()] += r.CostUSD
	if r.PrefixHash != "" {
		a.withPrefix++
		k := prefixKey{model, r.PrefixHash}
		p := a.prefixes[k]
		if p == nil && len(a.prefixes) < maxPrefixes {
			p = &prefixAcc{minInput: r.InputTokens}
			k.hash = strings.Clone(k.hash)
			a.prefixes[k] = p
		}
		if p == nil {
			a.prefixTruncated = true
		} else {
			// Records come in time order as logged; a use within the cache's lifetime of the
			// one before reads the prefix, any other writes it.
			if gap := r.TS.Sub(p.last); p.count > 0 && gap <= mi.ttl && gap >= -mi.ttl {
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
	if mi.priced {
		price := mi.price
		if mi.routing {
			k := routeModel{r.Route, model}
			o := a.routing[k]
			if o == nil {
				o = &RoutingOpportunity{Route: ra.name, Model: model, Provider: strings.Clone(r.Provider), Cheaper: price.Cheaper}
				k.route = ra.name
				a.routing[k] = o
			}
			o.Requests++
			cheaper := mi.cheaper.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
			o.CostUSD += r.CostUSD
			o.AllOnCheaperUSD += cheaper
			if r.OK && r.InputTokens <= SimpleMaxInput && r.OutputTokens <= SimpleMaxOutput {
				o.SimpleRequests++
				o.SimpleCostUSD += r.CostUSD
				o.CheaperCostUSD += cheaper
			}
		}
		if !r.Interactive && price.BatchDiscount > 0 {
			b := a.batch[model]
			if b == nil {
				b = &BatchOpportunity{Model: model, Provider: strings.Clone(r.Provider)}
				a.batch[model] = b
			}
			b.Requests++
			b.CostUSD += r.CostUSD
			b.SavingsUSD += r.CostUSD * price.BatchDiscount
		}
	}
	return true
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
			other.InputCostUSD += s.InputCostUSD
			other.OutputCostUSD += s.OutputCostUSD
			other.Share += s.Share
			other.Errors += s.Errors
			other.ErrorCostUSD += s.ErrorCostUSD
			other.Retries += s.Retries
			other.RetryWasteUSD += s.RetryWasteUSD
			for k, n := range s.ErrorTypes {
				other.ErrorTypes = countType(other.ErrorTypes, k, n)
			}
		}
		out = append(out[:maxKeys-1], other)
	}
	return out
}

// Stats computes the statistics of what was added.
func (a *Analyzer) Stats() Stats {
	s := Stats{Window: a.tally.w}
	if !a.latencyOnly {
		s = a.tally.Stats()
	}
	t := s.Totals
	s.InputTokens = dist(a.in, a.sumIn)
	s.OutputTokens = dist(a.out, a.sumOut)
	s.LatencyMS = dist(a.lat, a.sumLat)
	s.TTFTMS = dist(a.ttft, a.sumTTFT)
	s.OutputSpeed = dist(a.speed, a.sumSpeed)
	s.RequestCostUSD = dist(a.cost, a.sumCost)
	for route, ra := range a.tally.routes {
		if ra.lat == nil {
			continue
		}
		s.LatencyByRoute = append(s.LatencyByRoute, RouteLatency{Route: route, Dist: dist(*ra.lat, sum(*ra.lat)), Interactive: ra.interactive})
	}
	sort.Slice(s.LatencyByRoute, func(i, j int) bool { return s.LatencyByRoute[i].Route < s.LatencyByRoute[j].Route })
	bySlowest(a.tally.latByModel, func(m string, d Dist) {
		var ttft, speed Dist
		if v := a.tally.ttftByModel[m]; v != nil {
			ttft = dist(*v, sum(*v))
		}
		if v := a.tally.speedByModel[m]; v != nil {
			speed = dist(*v, sum(*v))
		}
		s.LatencyByModel = append(s.LatencyByModel, ModelLatency{Model: m, Dist: d, TTFT: ttft, OutputSpeed: speed})
	})
	bySlowest(a.latByProvider, func(p string, d Dist) {
		s.LatencyByProvider = append(s.LatencyByProvider, ProviderLatency{Provider: p, Dist: d})
	})
	s.TrafficByHour, s.CostByHour = a.hours, a.hourCost
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
		price, ok := a.tally.prices.Lookup(k.model)
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
		s.Prefixes.ByModel = append(s.Prefixes.ByModel, PrefixModel{Model: c.Model, Provider: c.Provider, Prefixes: c.Prefixes, Expired: c.Expired, Short: c.Short,
			Reads: c.Reads, Writes: c.Writes, ReadSavingsUSD: c.SavingsUSD + c.WritePremiumUSD, WritePremiumUSD: c.WritePremiumUSD, SavingsUSD: c.SavingsUSD,
			CacheTTLSeconds: c.Price.CacheTTL().Seconds(), MinTokens: c.Price.MinCacheTokens, WritePremium: c.Price.WritePremium()})
	}
	sort.Slice(s.Prefixes.ByModel, func(i, j int) bool { return s.Prefixes.ByModel[i].Model < s.Prefixes.ByModel[j].Model })
	sort.Slice(s.Caching, func(i, j int) bool { return s.Caching[i].SavingsUSD > s.Caching[j].SavingsUSD })
	for _, b := range a.batch {
		s.Batching = append(s.Batching, *b)
	}
	sort.Slice(s.Batching, func(i, j int) bool { return s.Batching[i].SavingsUSD > s.Batching[j].SavingsUSD })
	return s
}

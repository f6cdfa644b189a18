package workload

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Tally accumulates the additive statistics of a window: totals, spend by model, route,
// provider and day, and errors. It takes records and rollups (groups of records counted at
// ingestion) alike, so a question about spend can be answered from rollups without decoding a
// record; the Analyzer builds on it for the statistics that need every record.
type Tally struct {
	w      Window
	prices *Prices

	tot                      Totals
	byModel, byRoute, byProv map[string]*Spend
	days                     map[int64]*Spend // by days since the epoch, named in Stats
	lastDay                  int64
	lastDaySpend             *Spend
	errTypes                 map[string]int64
	errCost                  map[string]float64 // by the keys of errTypes
	waste, retryWaste        float64
	names                    map[string][]string // the price table's name → the names records used
	models                   map[string]*modelInfo
	routes                   map[string]*routeAcc // by the records' route names
	modelCache               identityCache[*modelInfo]
	routeCache               identityCache[*routeAcc]
	provCache                identityCache[*Spend]
	latencies                bool // keep latency series by model and route (the Analyzer's)
	latByModel               map[string]*[]float32
	ttftByModel              map[string]*[]float32 // the time to first token, of records that report it
	speedByModel             map[string]*[]float32 // OutputSpeedOf, of records that have one
	dayModel                 map[dayModel]*Spend
}

type dayModel struct {
	day   int64
	model string
}

// modelInfo is what is looked up once per model name a scan meets, instead of once a record:
// the price table's name and prices, the cache's lifetime, the model's accumulators.
type modelInfo struct {
	name            string
	price, cheaper  Price
	priced, routing bool
	ttl             time.Duration // 0: the model has no cache, every use writes
	spend           *Spend        // shared by the names of one model
	lat             *[]float32    // nil past maxKeys models, or without latencies
	ttft            *[]float32    // as lat
	speed           *[]float32    // as lat
	lastDay         int64         // the day of lastDaySpend: records come in runs of one day
	lastDaySpend    *Spend
	// provider and provLat: the provider of the model's last record and its latency series
	// (Analyzer), so that a record finds it without a map lookup.
	provider string
	provLat  *[]float32
}

// routeAcc is what is kept of one route.
type routeAcc struct {
	name        string
	spend       *Spend
	lat         *[]float32 // nil past maxKeys routes, or without latencies
	interactive int64
}

// maxNames bounds the model names a tally remembers.
const maxNames = 10_000

// NewTally returns a tally of the window.
func NewTally(w Window, prices *Prices) *Tally {
	t := &Tally{}
	t.init(w, prices)
	return t
}

func (t *Tally) init(w Window, prices *Prices) {
	*t = Tally{w: w, prices: prices, byModel: map[string]*Spend{}, byRoute: map[string]*Spend{}, byProv: map[string]*Spend{},
		days: map[int64]*Spend{}, errTypes: map[string]int64{}, errCost: map[string]float64{}, names: map[string][]string{}, models: map[string]*modelInfo{},
		routes: map[string]*routeAcc{}, latByModel: map[string]*[]float32{}, ttftByModel: map[string]*[]float32{}, speedByModel: map[string]*[]float32{}, dayModel: map[dayModel]*Spend{}}
}

// entry returns m's entry for key, creating it. Keys are cloned: a record's strings share its
// chunk's memory, which a kept key would hold.
func entry(m map[string]*Spend, key string) *Spend {
	s := m[key]
	if s == nil {
		key = strings.Clone(key)
		s = &Spend{Key: key}
		m[key] = s
	}
	return s
}

func (s *Spend) add(requests int64, cost float64, in, out int64) {
	s.Requests += requests
	s.CostUSD += cost
	s.InputTokens += in
	s.OutputTokens += out
}

// countType adds n failed requests of an error type to m, which it makes when nil; past
// maxKeys types, they count as "(other)".
func countType(m map[string]int64, errType string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	if c, seen := m[errType]; seen {
		m[errType] = c + n
	} else if len(m) < maxKeys {
		m[strings.Clone(errType)] = n
	} else {
		m["(other)"] += n
	}
	return m
}

func (t *Tally) route(name string) *routeAcc {
	if ra, ok := t.routeCache.get(name); ok {
		return ra
	}
	ra := t.routes[name]
	if ra == nil {
		ra = &routeAcc{spend: entry(t.byRoute, name)}
		ra.name = ra.spend.Key
		if t.latencies && len(t.routes) < maxKeys {
			ra.lat = new([]float32)
		}
		t.routes[ra.name] = ra
	}
	t.routeCache.put(name, ra)
	return ra
}

// model returns what the table says of a record's model name, remembering the names seen. At
// most maxNames names are remembered; a scan with more looks the rest up every time.
func (t *Tally) model(raw string) *modelInfo {
	if mi, ok := t.modelCache.get(raw); ok {
		return mi
	}
	if mi := t.models[raw]; mi != nil {
		t.modelCache.put(raw, mi)
		return mi
	}
	mi := &modelInfo{name: strings.Clone(t.prices.Canonical(raw))}
	mi.spend = entry(t.byModel, mi.name)
	if mi.lat = t.latByModel[mi.name]; mi.lat == nil && t.latencies && len(t.latByModel) < maxKeys {
		mi.lat = new([]float32)
		t.latByModel[mi.name] = mi.lat
	}
	if mi.ttft = t.ttftByModel[mi.name]; mi.ttft == nil && t.latencies && len(t.ttftByModel) < maxKeys {
		mi.ttft = new([]float32)
		t.ttftByModel[mi.name] = mi.ttft
	}
	if mi.speed = t.speedByModel[mi.name]; mi.speed == nil && t.latencies && len(t.speedByModel) < maxKeys {
		mi.speed = new([]float32)
		t.speedByModel[mi.name] = mi.speed
	}
	if mi.price, mi.priced = t.prices.Lookup(mi.name); mi.priced {
		if mi.price.CachedInput > 0 {
			mi.ttl = mi.price.CacheTTL()
		}
		if mi.price.Cheaper != "" {
			mi.cheaper, _ = t.prices.Lookup(mi.price.Cheaper)
			mi.routing = true
		}
	}
	if len(t.models) < maxNames {
		raw = strings.Clone(raw)
		t.models[raw] = mi
		if len(t.names) < maxKeys || t.names[mi.name] != nil {
			t.names[mi.name] = append(t.names[mi.name], raw)
		}
	}
	return mi
}

func (t *Tally) day(d int64) *Spend {
	if d != t.lastDay || t.lastDaySpend == nil {
		t.lastDay, t.lastDaySpend = d, t.days[d]
		if t.lastDaySpend == nil {
			t.lastDaySpend = &Spend{}
			t.days[d] = t.lastDaySpend
		}
	}
	return t.lastDaySpend
}

// count adds n requests that share a model, route, provider, day and outcome.
func (t *Tally) count(mi *modelInfo, ra *routeAcc, provider string, day int64, ok bool, errType string,
	n int64, cost float64, in, out, cached, retries int64, retryWaste float64) {
	tot := &t.tot
	tot.Requests += n
	tot.CostUSD += cost
	tot.InputTokens += in
	tot.OutputTokens += out
	tot.CachedInputTokens += cached
	tot.Retries += retries
	prov, hit := t.provCache.get(provider)
	if !hit {
		prov = entry(t.byProv, provider)
		t.provCache.put(provider, prov)
	}
	if mi.priced {
		ic, oc := mi.price.Split(cost, in, cached, out)
		tot.InputCostUSD += ic
		tot.OutputCostUSD += oc
		for _, s := range [...]*Spend{mi.spend, ra.spend, prov} {
			s.InputCostUSD += ic
			s.OutputCostUSD += oc
		}
	}
	mi.spend.add(n, cost, in, out)
	if mi.spend.Provider != provider {
		mi.spend.Provider = strings.Clone(provider)
	}
	ra.spend.add(n, cost, in, out)
	prov.add(n, cost, in, out)
	t.day(day).add(n, cost, in, out)
	if mi.lastDaySpend == nil || mi.lastDay != day {
		k := dayModel{day, mi.name}
		if mi.lastDaySpend = t.dayModel[k]; mi.lastDaySpend == nil {
			mi.lastDaySpend = &Spend{Model: mi.name}
			t.dayModel[k] = mi.lastDaySpend
		}
		mi.lastDay = day
	}
	mi.lastDaySpend.add(n, cost, in, out)
	if !ok {
		tot.Errors += n
		t.waste += cost
		for _, s := range [...]*Spend{mi.spend, ra.spend, prov, t.lastDaySpend, mi.lastDaySpend} {
			s.Errors += n
			s.ErrorCostUSD += cost
		}
		if errType == "" {
			errType = "unknown"
		}
		for _, s := range [...]*Spend{mi.spend, ra.spend, prov} {
			s.ErrorTypes = countType(s.ErrorTypes, errType, n)
		}
		t.errTypes = countType(t.errTypes, errType, n)
		if _, kept := t.errTypes[errType]; !kept {
			errType = "(other)"
		}
		t.errCost[errType] += cost
	}
	t.retryWaste += retryWaste
	if retries > 0 {
		for _, s := range [...]*Spend{mi.spend, ra.spend, prov} {
			s.Retries += retries
			s.RetryWasteUSD += retryWaste
		}
	}
}

// Add counts one record if it lies in the window; it reports whether it did. Models are
// grouped under the price table's names (Prices.Canonical).
func (t *Tally) Add(r *Record) bool {
	if !t.w.Contains(r.TS) {
		return false
	}
	t.add(r)
	return true
}

func (t *Tally) add(r *Record) (*modelInfo, *routeAcc) {
	mi, ra := t.model(r.Model), t.route(r.Route)
	t.count(mi, ra, r.Provider, daysSinceEpoch(r.TS), r.OK, r.ErrorType,
		1, r.CostUSD, r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.Retries, float64(r.Retries)*r.CostUSD)
	return mi, ra
}

// AddRollup counts a rollup. The caller vouches that its records lie in the window: a rollup
// covers a whole chunk, and only a chunk inside the window may be counted by its rollups.
func (t *Tally) AddRollup(g *Rollup) {
	t.count(t.model(g.Model), t.route(g.Route), g.Provider, g.Day, g.OK, g.ErrorType,
		g.Requests, g.CostUSD, g.InputTokens, g.OutputTokens, g.CachedInputTokens, g.Retries, g.RetryWasteUSD)
}

// Stats returns the tally's statistics; the sections that need every record (distributions,
// prefixes, traffic by hour, opportunities) are left empty.
func (t *Tally) Stats() Stats {
	tot := t.tot
	if tot.Requests > 0 {
		tot.ErrorRate = float64(tot.Errors) / float64(tot.Requests)
	}
	s := Stats{Window: t.w, Totals: tot}
	s.SpendByModel = sorted(t.byModel, tot.CostUSD, false)
	for i := range s.SpendByModel {
		m := &s.SpendByModel[i]
		m.Model = m.Key
		if names := t.names[m.Key]; len(names) > 1 || (len(names) == 1 && names[0] != m.Key) {
			m.Names = slices.Sorted(slices.Values(names))
		}
	}
	s.SpendByRoute = sorted(t.byRoute, tot.CostUSD, false)
	for i := range s.SpendByRoute {
		s.SpendByRoute[i].Route = s.SpendByRoute[i].Key
	}
	s.SpendByProvider = sorted(t.byProv, tot.CostUSD, false)
	for i := range s.SpendByProvider {
		s.SpendByProvider[i].Provider = s.SpendByProvider[i].Key
	}
	byDay := make(map[string]*Spend, len(t.days))
	for d, sp := range t.days {
		k := time.Unix(d*86400, 0).UTC().Format("2006-01-02")
		sp.Key = k
		byDay[k] = sp
	}
	s.SpendByDay = sorted(byDay, tot.CostUSD, true)
	for i := range s.SpendByDay {
		s.SpendByDay[i].Day = s.SpendByDay[i].Key
	}
	s.CoveredDays = coveredDays(t.w, s.SpendByDay)
	s.SpendByDayModel = make([]Spend, 0, len(t.dayModel))
	for k, sp := range t.dayModel {
		v := *sp
		v.Day = time.Unix(k.day*86400, 0).UTC().Format("2006-01-02")
		v.Key = v.Day + " " + v.Model
		s.SpendByDayModel = append(s.SpendByDayModel, v)
	}
	sort.Slice(s.SpendByDayModel, func(i, j int) bool { return s.SpendByDayModel[i].Key < s.SpendByDayModel[j].Key })
	s.Errors = ErrorStats{Count: tot.Errors, Rate: tot.ErrorRate, ByType: t.errTypes, CostByType: t.errCost, WasteUSD: t.waste, RetryWasteUSD: t.retryWaste, Retries: tot.Retries}
	return s
}

// daysSinceEpoch is t's UTC day as a number, floored for times before 1970.
func daysSinceEpoch(t time.Time) int64 {
	sec := t.Unix()
	d := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		d--
	}
	return d
}

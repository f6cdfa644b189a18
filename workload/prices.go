package workload

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

//go:embed prices.json
var defaultPrices []byte

// Price is one model's list price in USD per million tokens.
type Price struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Aliases are other names of the same model (dated snapshots, "-latest"): records under
	// them are priced and grouped as Model.
	Aliases []string `json:"aliases,omitempty"`
	Input   float64  `json:"input_per_mtok"`
	// CachedInput is the price of input tokens read from a prompt cache; 0 means the provider
	// offers no discount for cached input.
	CachedInput float64 `json:"cached_input_per_mtok"`
	// CacheWritePremium multiplies the input price of tokens written to the cache (1.25 on
	// Anthropic's 5-minute cache); 0 or 1: no premium.
	CacheWritePremium float64 `json:"cache_write_premium,omitempty"`
	// MinCacheTokens is the shortest prefix the provider caches.
	MinCacheTokens int64 `json:"min_cache_tokens,omitempty"`
	// CacheTTLSeconds is how long an unused cache entry lives; 0 counts as 300.
	CacheTTLSeconds float64 `json:"cache_ttl_s,omitempty"`
	Output          float64 `json:"output_per_mtok"`
	// BatchDiscount is the fraction saved by the provider's batch API (0.5 = half price);
	// 0 means no batch API.
	BatchDiscount float64 `json:"batch_discount"`
	// Cheaper names a cheaper model of the same provider that a router may send simple
	// requests to.
	Cheaper string `json:"cheaper,omitempty"`
	Source  string `json:"source"`
	AsOf    string `json:"as_of"`
}

// Cost prices one call. input includes cached tokens.
func (p Price) Cost(input, cached, output int64, batch bool) float64 {
	cachedPrice := p.CachedInput
	if cachedPrice == 0 {
		cachedPrice = p.Input
	}
	c := (float64(input-cached)*p.Input + float64(cached)*cachedPrice + float64(output)*p.Output) / 1e6
	if batch {
		c *= 1 - p.BatchDiscount
	}
	return c
}

// Split divides what a call cost between its input and its output tokens, in the proportion
// their list prices give: a record carries one cost, and only the table knows how it divides.
// Without tokens nothing divides (0, 0).
func (p Price) Split(cost float64, input, cached, output int64) (in, out float64) {
	cachedPrice := p.CachedInput
	if cachedPrice == 0 {
		cachedPrice = p.Input
	}
	i := float64(input-cached)*p.Input + float64(cached)*cachedPrice
	o := float64(output) * p.Output
	if i+o <= 0 {
		return 0, 0
	}
	return cost * i / (i + o), cost * o / (i + o)
}

// Prices is the price table, read-only after it is built.
type Prices struct {
	byModel map[string]Price
	alias   map[string]string // lower-case alias → lower-case model
	names   []string          // longest first, for prefix matching of dated model names
}

type priceFile struct {
	Note   string  `json:"note"`
	Models []Price `json:"models"`
}

// DefaultPrices returns the price table shipped in the binary (workload/prices.json).
func DefaultPrices() *Prices {
	p, err := ParsePrices(defaultPrices)
	if err != nil {
		panic("workload: the embedded price table is invalid: " + err.Error())
	}
	return p
}

// LoadPrices reads a price table file; its models replace or add to the default ones.
func LoadPrices(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	override, err := ParsePrices(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	base := DefaultPrices()
	for k, m := range override.byModel {
		base.byModel[k] = m
	}
	base.index()
	return base, nil
}

// ParsePrices parses a price table.
func ParsePrices(b []byte) (*Prices, error) {
	var f priceFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	p := &Prices{byModel: make(map[string]Price, len(f.Models))}
	for _, m := range f.Models {
		if m.Model == "" || m.Provider == "" || m.Input < 0 || m.Output < 0 || m.CachedInput < 0 ||
			m.BatchDiscount < 0 || m.BatchDiscount >= 1 || m.CacheWritePremium < 0 || m.MinCacheTokens < 0 || m.CacheTTLSeconds < 0 {
			return nil, fmt.Errorf("price table: invalid entry %+v", m)
		}
		p.byModel[strings.ToLower(m.Model)] = m
	}
	p.index()
	seen := map[string]bool{}
	for _, m := range p.byModel {
		for _, a := range m.Aliases {
			a = strings.ToLower(a)
			if _, isModel := p.byModel[a]; isModel || seen[a] {
				return nil, fmt.Errorf("price table: alias %q of %s is another model's name or alias", a, m.Model)
			}
			seen[a] = true
		}
	}
	for _, m := range p.byModel {
		if m.Cheaper != "" {
			if _, ok := p.byModel[strings.ToLower(m.Cheaper)]; !ok {
				return nil, fmt.Errorf("price table: %s names unknown cheaper model %s", m.Model, m.Cheaper)
			}
		}
	}
	return p, nil
}

func (p *Prices) index() {
	p.names = p.names[:0]
	p.alias = map[string]string{}
	for n, m := range p.byModel {
		p.names = append(p.names, n)
		for _, a := range m.Aliases {
			p.alias[strings.ToLower(a)] = n
		}
	}
	sort.Slice(p.names, func(i, j int) bool {
		if len(p.names[i]) != len(p.names[j]) {
			return len(p.names[i]) > len(p.names[j])
		}
		return p.names[i] < p.names[j]
	})
}

// Lookup finds a model's price: by exact name, else by the longest known name the model starts
// with ("gpt-4o-mini-2024-07-18" is gpt-4o-mini), ignoring case and a provider prefix such as
// "openai/".
func (p *Prices) Lookup(model string) (Price, bool) {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	if pr, ok := p.byModel[m]; ok {
		return pr, true
	}
	if n, ok := p.alias[m]; ok {
		return p.byModel[n], true
	}
	for _, n := range p.names {
		if strings.HasPrefix(m, n) && (len(m) == len(n) || m[len(n)] == '-' || m[len(n)] == '@' || m[len(n)] == ':') {
			return p.byModel[n], true
		}
	}
	return Price{}, false
}

// Names maps records' model names to the price table's (Prices.Canonical), looking each name
// up once: a scan of a million records meets a handful of names. It holds at most 10,000;
// further names are looked up every time. A Names belongs to one scan (it is not safe for
// concurrent use).
type Names struct {
	prices *Prices
	seen   map[string]string
}

// NewNames returns an empty cache over the table.
func (p *Prices) NewNames() *Names { return &Names{prices: p, seen: map[string]string{}} }

// Canonical returns the table's name of raw; first reports whether raw is met for the first time.
func (n *Names) Canonical(raw string) (name string, first bool) {
	if c, ok := n.seen[raw]; ok {
		return c, false
	}
	c := n.prices.Canonical(raw)
	if len(n.seen) >= 10_000 {
		return c, false
	}
	c = strings.Clone(c) // a record's strings share its chunk's memory
	n.seen[strings.Clone(raw)] = c
	return c, true
}

// CacheTTL is how long an unused cache entry lives (300 s when the table does not say).
func (p Price) CacheTTL() time.Duration {
	if p.CacheTTLSeconds <= 0 {
		return 300 * time.Second
	}
	return time.Duration(p.CacheTTLSeconds * float64(time.Second))
}

// WritePremium is the factor on the input price of a cache write (at least 1).
func (p Price) WritePremium() float64 { return max(1, p.CacheWritePremium) }

// Canonical names a model the way the price table does: "gpt-4o-2024-08-06" and
// "openai/gpt-4o" are "gpt-4o". A model the table does not know keeps its name.
func (p *Prices) Canonical(model string) string {
	if pr, ok := p.Lookup(model); ok {
		return pr.Model
	}
	return model
}

// AsOf is the table's date: the newest as_of of its models ("2025-06").
func (p *Prices) AsOf() string {
	var d string
	for _, m := range p.byModel {
		d = max(d, m.AsOf)
	}
	return d
}

// Models lists the table, sorted by provider and model.
func (p *Prices) Models() []Price {
	out := make([]Price, 0, len(p.byModel))
	for _, m := range p.byModel {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Model < out[j].Model
	})
	return out
}

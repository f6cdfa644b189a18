package workload

import (
	"fmt"
	"math"
	"sort"
)

// Recommendation types.
const (
	TypeModelRouting  = "model_routing"
	TypePromptCaching = "prompt_caching"
	TypeBatching      = "batching"
	TypeRetryWaste    = "retry_waste"
	TypeLatency       = "latency"
)

// Scope says where a recommendation applies.
type Scope struct {
	Route    string `json:"route,omitempty"`
	Model    string `json:"model,omitempty"`
	Provider string `json:"provider,omitempty"`
}

// Recommendation is one quantified optimization.
type Recommendation struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	Scope Scope  `json:"scope"`
	// MonthlySavingsUSD extrapolates the window's savings to 30 days (from the days the data
	// covers), rounded to the cent: what this recommendation saves alone.
	MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
	// CombinedSavingsUSD is what it adds on top of the larger recommendations before it, on
	// the same traffic (Combine).
	CombinedSavingsUSD float64 `json:"combined_savings_usd"`
	// SavingsPercent is of the monthly spend, extrapolated the same way.
	SavingsPercent  float64        `json:"savings_percent"`
	Confidence      string         `json:"confidence"` // high, medium, low
	Risk            string         `json:"risk"`
	Validation      string         `json:"validation"`
	RollbackTrigger string         `json:"rollback_trigger"`
	Evidence        map[string]any `json:"evidence"`
	Assumptions     []string       `json:"assumptions,omitempty"`
}

// Targets are the user's goals, when the question states them.
type Targets struct {
	CostCutPercent float64 `json:"cost_cut_percent,omitempty"`
	P95MS          float64 `json:"p95_ms,omitempty"`
}

// DefaultP95MS is the latency above which a route gets a latency recommendation when the
// user named no target.
const DefaultP95MS = 5000

// RetryAvoidable is the share of failed-call spend assumed avoidable by backoff, error
// handling and fixing the top error type. It is an assumption, and each retry recommendation
// says so.
const RetryAvoidable = 0.5

// MinLatencyRequests is the fewest interactive requests a route needs before its p95 is
// trusted; MaxLatencyRecs bounds latency recommendations to the slowest routes.
const (
	MinLatencyRequests = 20
	MaxLatencyRecs     = 3
)

// Move is all of one route's traffic on one model moved to the model's cheaper sibling: a
// larger step than routing its simple requests, with more risk to answer quality. Amounts
// are a month at the window's rate.
type Move struct {
	Route             string  `json:"route"`
	Model             string  `json:"model"`
	Cheaper           string  `json:"cheaper"`
	Requests          int64   `json:"requests"`
	MonthlyCostUSD    float64 `json:"monthly_cost_usd"`
	MonthlyCheaperUSD float64 `json:"monthly_cost_on_cheaper_usd"`
	MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
	SavingsPercent    float64 `json:"savings_percent"` // of the whole monthly spend
}

// LargestMove is the move that saves the most, or false when no route's model has a cheaper
// sibling that costs less.
func LargestMove(s Stats) (Move, bool) {
	month := s.MonthFactor()
	var best *RoutingOpportunity
	for i := range s.Routing {
		o := &s.Routing[i]
		if o.CostUSD-o.AllOnCheaperUSD > 0 && (best == nil || o.CostUSD-o.AllOnCheaperUSD > best.CostUSD-best.AllOnCheaperUSD ||
			o.CostUSD-o.AllOnCheaperUSD == best.CostUSD-best.AllOnCheaperUSD && o.Route+o.Model < best.Route+best.Model) {
			best = o
		}
	}
	if best == nil || month <= 0 || s.Totals.CostUSD <= 0 {
		return Move{}, false
	}
	saved := Cents((best.CostUSD - best.AllOnCheaperUSD) * month)
	return Move{Route: best.Route, Model: best.Model, Cheaper: best.Cheaper, Requests: best.Requests,
		MonthlyCostUSD: Cents(best.CostUSD * month), MonthlyCheaperUSD: Cents(best.AllOnCheaperUSD * month), MonthlySavingsUSD: saved,
		SavingsPercent: math.Round(saved/(s.Totals.CostUSD*month)*10000) / 100}, saved >= 0.01
}

// Worth reports whether a report names the move beside recommendations that save saved
// percent: when they miss the question's cut target (0: none), or, with no target, when they
// save under 10% and the move at least twice as much. Either way the move must save more.
func (m Move) Worth(target, saved float64) bool {
	switch {
	case m.SavingsPercent <= saved:
		return false
	case target > 0:
		return saved < target
	}
	return saved < 10 && m.SavingsPercent >= 2*saved
}

// Cents rounds to the cent.
func Cents(x float64) float64 { return math.Round(x*100) / 100 }

// Recommend turns statistics into recommendations, largest monthly saving first.
func Recommend(s Stats, t Targets) []Recommendation {
	month := s.MonthFactor()
	if month <= 0 || s.Totals.Requests == 0 {
		return []Recommendation{}
	}
	monthlySpend := s.Totals.CostUSD * month
	pct := func(monthly float64) float64 {
		if monthlySpend == 0 {
			return 0
		}
		return math.Round(monthly/monthlySpend*10000) / 100
	}
	var out []Recommendation
	for _, o := range s.Routing {
		saved := o.SimpleCostUSD - o.CheaperCostUSD
		if o.SimpleRequests == 0 || saved <= 0 {
			continue
		}
		m := Cents(saved * month)
		if m < 0.01 {
			continue
		}
		share := float64(o.SimpleRequests) / float64(o.Requests)
		conf := "medium"
		if share < 0.3 {
			conf = "low"
		}
		out = append(out, Recommendation{
			Type:  TypeModelRouting,
			Title: fmt.Sprintf("Route simple %s requests from %s to %s", o.Route, o.Model, o.Cheaper),
			Scope: Scope{Route: o.Route, Model: o.Model, Provider: o.Provider}, MonthlySavingsUSD: m, SavingsPercent: pct(m),
			Confidence:      conf,
			Risk:            fmt.Sprintf("Answer quality on %s may drop for requests the smaller model handles worse.", o.Route),
			Validation:      fmt.Sprintf("Send 5%% of simple %s requests (≤ %d input and ≤ %d output tokens) to %s for a week; compare task success or eval scores and user feedback with %s.", o.Route, SimpleMaxInput, SimpleMaxOutput, o.Cheaper, o.Model),
			RollbackTrigger: "Eval score or task success more than 2 points below the current model, or error rate up by more than 1 point.",
			Evidence: map[string]any{"requests": o.Requests, "simple_requests": o.SimpleRequests, "simple_share": math.Round(share*1000) / 1000,
				"simple_cost_usd": Cents(o.SimpleCostUSD), "cost_on_cheaper_usd": Cents(o.CheaperCostUSD), "window_savings_usd": Cents(saved), "cheaper": o.Cheaper},
			Assumptions: []string{fmt.Sprintf("Only successful requests with at most %d input and %d output tokens are routed; their token counts stay the same on %s.", SimpleMaxInput, SimpleMaxOutput, o.Cheaper)},
		})
	}
	for _, c := range s.Caching {
		m := Cents(c.SavingsUSD * month)
		if m < 0.01 {
			continue
		}
		// High confidence only when nothing but the price decides: no write premium, and most
		// uses read the cache.
		conf := "high"
		ttl := c.Price.CacheTTL()
		if c.Price.WritePremium() > 1 || c.Writes*4 > c.Reads {
			conf = "medium"
		}
		assumptions := []string{
			"A shared prefix is as long as the shortest prompt that carries it; every occurrence after the first reads it from the cache.",
			fmt.Sprintf("%s caches prefixes of at least %d tokens for %s after their last use; a use within that time of the one before reads the cache, any other writes it, at %.2f× the input price (price table as of %s).",
				c.Provider, c.Price.MinCacheTokens, ttl, c.Price.WritePremium(), c.Price.AsOf),
		}
		if c.Expired+c.Short > 0 {
			assumptions = append(assumptions, fmt.Sprintf("Left out: %d repeated prefixes never used again while the cache would hold them, %d shorter than the shortest cacheable prefix.", c.Expired, c.Short))
		}
		out = append(out, Recommendation{
			Type:  TypePromptCaching,
			Title: fmt.Sprintf("Cache repeated prompt prefixes on %s", c.Model),
			Scope: Scope{Model: c.Model, Provider: c.Provider}, MonthlySavingsUSD: m, SavingsPercent: pct(m), Confidence: conf,
			Risk:            "Low: a cache changes price and latency, not answers. Prefixes must be byte-identical and placed first in the prompt.",
			Validation:      "After enabling caching, cached_input_tokens should approach the cacheable tokens below within a day; cost per request on the model should fall accordingly.",
			RollbackTrigger: "Cost per request does not fall within two days, or latency rises.",
			Evidence: map[string]any{"cacheable_tokens": c.CacheableTokens, "window_savings_usd": Cents(c.SavingsUSD),
				"write_premium_usd": Cents(c.WritePremiumUSD), "prefixes": c.Prefixes, "cache_reads": c.Reads, "cache_writes": c.Writes},
			Assumptions: assumptions,
		})
	}
	for _, b := range s.Batching {
		m := Cents(b.SavingsUSD * month)
		if m < 0.01 {
			continue
		}
		out = append(out, Recommendation{
			Type:  TypeBatching,
			Title: fmt.Sprintf("Move non-interactive %s traffic to the batch API", b.Model),
			Scope: Scope{Model: b.Model, Provider: b.Provider}, MonthlySavingsUSD: m, SavingsPercent: pct(m), Confidence: "high",
			Risk:            "Results arrive within the provider's batch window (up to 24 h) instead of seconds.",
			Validation:      "Submit one day's non-interactive requests as a batch; check that every result arrives before it is needed and that the invoice shows the discount.",
			RollbackTrigger: "A batch misses its deadline, or downstream jobs wait on results.",
			Evidence:        map[string]any{"requests": b.Requests, "cost_usd": Cents(b.CostUSD), "window_savings_usd": Cents(b.SavingsUSD)},
		})
	}
	if waste := s.Errors.WasteUSD + s.Errors.RetryWasteUSD; waste > 0 {
		saved := waste * RetryAvoidable
		if m := Cents(saved * month); m >= 0.01 {
			top, topN := "", int64(0)
			for k, n := range s.Errors.ByType {
				if n > topN || (n == topN && k < top) {
					top, topN = k, n
				}
			}
			out = append(out, Recommendation{
				Type:              TypeRetryWaste,
				Title:             fmt.Sprintf("Cut spend on failed calls (%.1f%% of requests fail; most often %s)", s.Errors.Rate*100, top),
				MonthlySavingsUSD: m, SavingsPercent: pct(m), Confidence: "medium",
				Risk:            "Low: fewer retries can surface errors that retries used to hide.",
				Validation:      "Add exponential backoff with jitter and a retry budget, and handle " + top + " explicitly; the error rate and waste should fall within a week.",
				RollbackTrigger: "User-visible failures rise.",
				Evidence: map[string]any{"errors": s.Errors.Count, "error_rate": math.Round(s.Errors.Rate*10000) / 10000, "error_waste_usd": Cents(s.Errors.WasteUSD),
					"retry_waste_usd": Cents(s.Errors.RetryWasteUSD), "retries": s.Errors.Retries, "top_error_type": top},
				Assumptions: []string{fmt.Sprintf("%.0f%% of the spend on failed calls and unlogged retries is avoidable.", RetryAvoidable*100),
					"An unlogged retry cost as much as the call it preceded."},
			})
		}
	}
	target := t.P95MS
	if target <= 0 {
		target = DefaultP95MS
	}
	slow := make([]RouteLatency, 0, len(s.LatencyByRoute))
	for _, rl := range s.LatencyByRoute {
		// Latency matters where a person waits: mostly interactive routes only.
		if rl.Interactive >= MinLatencyRequests && rl.Interactive*2 >= rl.Count && rl.P95 > target {
			slow = append(slow, rl)
		}
	}
	sort.Slice(slow, func(i, j int) bool { return slow[i].P95 > slow[j].P95 })
	for _, rl := range slow[:min(len(slow), MaxLatencyRecs)] {
		out = append(out, Recommendation{
			Type:  TypeLatency,
			Title: fmt.Sprintf("Bring %s p95 latency from %.0f ms under %.0f ms", rl.Route, rl.P95, target),
			Scope: Scope{Route: rl.Route}, Confidence: "medium",
			Risk:            "Streaming changes how clients read answers; a smaller model may change quality.",
			Validation:      "Stream responses and cap max output tokens on " + rl.Route + "; measure p95 time to first token and total latency for a week.",
			RollbackTrigger: "p95 does not improve, or answer quality drops.",
			Evidence:        map[string]any{"requests": rl.Count, "p50_ms": rl.P50, "p95_ms": rl.P95, "p99_ms": rl.P99, "target_p95_ms": target},
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MonthlySavingsUSD > out[j].MonthlySavingsUSD })
	if out == nil {
		out = []Recommendation{}
	}
	return out
}

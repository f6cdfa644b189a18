package workload

import "fmt"

// WhatIf is the traffic of a scope priced on another model: what it cost, what it would
// have cost, and how much of it sits in the range a smaller model handles comfortably. The
// scope's requests already on that model are counted apart.
type WhatIf struct {
	Target   string `json:"target"`
	Requests int64  `json:"requests"`
	// CostUSD is what the traffic cost; TargetCostUSD what the same tokens cost on Target.
	CostUSD       float64 `json:"cost_usd"`
	TargetCostUSD float64 `json:"target_cost_usd"`
	// Simple counts the successful requests within SimpleMaxInput and SimpleMaxOutput tokens.
	Simple int64 `json:"simple"`
	Errors int64 `json:"errors"`
	// Models are the models the traffic used.
	Models []string `json:"models"`
	// OnTarget counts the scope's requests that run on Target already (OnTargetCostUSD is
	// what they cost): they do not move, and the figures above leave them out.
	OnTarget        int64   `json:"on_target,omitempty"`
	OnTargetCostUSD float64 `json:"on_target_cost_usd,omitempty"`
}

// WhatIfAnalyzer prices records on a target model.
type WhatIfAnalyzer struct {
	w      WhatIf
	price  Price
	window Window
	models map[string]bool // the price table's names seen
	canon  *Names
}

// NewWhatIf returns an analyzer for the records in w priced on target, or an error when the
// price table does not know the target.
func NewWhatIf(w Window, target string, prices *Prices) (*WhatIfAnalyzer, error) {
	p, ok := prices.Lookup(target)
	if !ok {
		return nil, fmt.Errorf("model %q is not in the price table", target)
	}
	return &WhatIfAnalyzer{w: WhatIf{Target: p.Model, Models: []string{}}, price: p, window: w, models: map[string]bool{}, canon: prices.NewNames()}, nil
}

// Add counts one record if it lies in the window.
func (a *WhatIfAnalyzer) Add(r *Record) {
	if !a.window.Contains(r.TS) {
		return
	}
	m, _ := a.canon.Canonical(r.Model)
	if m == a.w.Target {
		a.w.OnTarget++
		a.w.OnTargetCostUSD += r.CostUSD
		return
	}
	a.w.Requests++
	a.w.CostUSD += r.CostUSD
	a.w.TargetCostUSD += a.price.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
	if r.OK && r.InputTokens <= SimpleMaxInput && r.OutputTokens <= SimpleMaxOutput {
		a.w.Simple++
	}
	if !r.OK {
		a.w.Errors++
	}
	if !a.models[m] && len(a.models) < 100 {
		a.models[m] = true
		a.w.Models = append(a.w.Models, m)
	}
}

// Result returns the what-if.
func (a *WhatIfAnalyzer) Result() WhatIf { return a.w }

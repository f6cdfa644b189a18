package model

import (
	"context"
	"sync"
)

// Usage is what language-model calls used: run_completed.usage (contract §3) sums a run's.
type Usage struct {
	ModelCalls   int64   `json:"model_calls"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

func (u *Usage) add(o Usage) {
	u.ModelCalls += o.ModelCalls
	u.InputTokens += o.InputTokens
	u.OutputTokens += o.OutputTokens
	u.CostUSD += o.CostUSD
}

// A Meter sums the usage of the calls made with a context it is in (a run's).
type Meter struct {
	mu      sync.Mutex
	total   Usage
	byModel map[string]Usage // by provider name ("openai:gpt-4o-mini")
}

type meterKey struct{}

// WithMeter returns a context whose model calls are summed by the returned meter.
func WithMeter(ctx context.Context) (context.Context, *Meter) {
	m := &Meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

// MeterOf is the meter of ctx, or nil.
func MeterOf(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

// Total is the sum so far (zero for a nil meter).
func (m *Meter) Total() Usage {
	if m == nil {
		return Usage{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

// ByModel is the sum so far by provider name.
func (m *Meter) ByModel() map[string]Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Usage, len(m.byModel))
	for k, v := range m.byModel {
		out[k] = v
	}
	return out
}

func (m *Meter) add(name string, u Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total.add(u)
	if m.byModel == nil {
		m.byModel = map[string]Usage{}
	}
	b := m.byModel[name]
	b.add(u)
	m.byModel[name] = b
}

// Add sums two usages.
func (u Usage) Add(o Usage) Usage {
	u.add(o)
	return u
}

// Metered adds each successful call's usage, priced by cost (nil: no cost), to the meter of
// its context, and reports it to observe (nil: nobody).
func Metered(p Provider, cost func(in, out int64) float64, observe func(Usage)) Provider {
	return metered{p: p, cost: cost, observe: observe}
}

type metered struct {
	p       Provider
	cost    func(in, out int64) float64
	observe func(Usage)
}

func (m metered) Name() string { return m.p.Name() }

func (m metered) Complete(ctx context.Context, req Request) (Response, error) {
	res, err := m.p.Complete(ctx, req)
	if err != nil {
		return res, err
	}
	res.Usage = m.count(ctx, res.Usage)
	return res, nil
}

// count prices one successful call's usage and adds it to the context's meter and observer.
func (m metered) count(ctx context.Context, u Usage) Usage {
	u.ModelCalls = 1
	if m.cost != nil {
		u.CostUSD = m.cost(u.InputTokens, u.OutputTokens)
	}
	if mt, ok := ctx.Value(meterKey{}).(*Meter); ok {
		mt.add(m.p.Name(), u)
	}
	if m.observe != nil {
		m.observe(u)
	}
	return u
}

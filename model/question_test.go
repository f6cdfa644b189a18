package model_test

import (
	"math"
	"testing"

	"github.com/netra-ai/netra/model"
)

func TestLatencyThreshold(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]float64{"how many requests took longer than 10 seconds?": 10000, "requests slower than 500 ms": 500,
		"calls over 2.5 s": 2500, "which took more than 750 milliseconds": 750, "how many requests failed?": 0, "over 3 days": 0} {
		if got, ok := model.LatencyThreshold(q); got != want || ok != (want > 0) {
			t.Errorf("%q: %v %v, want %v", q, got, ok, want)
		}
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]float64{
		"will I stay under $1,000 this month?":          1000,
		"my budget is $500 a month, am I on track?":     500,
		"am I within my $2k budget?":                    2000,
		"we have a $750 monthly budget":                 750,
		"am I over budget?":                             0,
		"what did I spend on gpt-4o, $ wise?":           0,
		"how much did I spend under route support-chat": 0,
	} {
		if got, ok := model.Budget(q); got != want || ok != (want > 0) {
			t.Errorf("%q: %v %v, want %v", q, got, ok, want)
		}
	}
}

func TestComparative(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"is gpt-4o-mini faster than gpt-4o?":            "faster",
		"Is claude-opus-4 more expensive than gpt-4.1?": "pricier",
		"is support-chat less expensive than rag?":      "cheaper",
		"is gemini more reliable than claude?":          "more reliable",
		"how many requests were slower than 2 s?":       "", // a threshold, not a comparison
		"which model is faster?":                        "",
	} {
		if got := model.Comparative(q); got != want {
			t.Errorf("%q: %q, want %q", q, got, want)
		}
	}
}

func TestPriceChange(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]float64{
		"what if the price of gpt-4o went up 20%?":      1.2,
		"what if openai raised prices by 10%?":          1.1,
		"what if the price of claude-opus-4 doubled?":   2,
		"what would I pay if gpt-4o got 50% cheaper?":   0.5,
		"suppose anthropic's prices were cut by 25%":    0.75,
		"if gemini pricing tripled, what would I pay?":  3,
		"what if prices were 15% higher?":               1.15,
		"how can I cut my costs by 20%?":                0, // a target, not a price
		"what's the price of gpt-4o?":                   0, // no change
		"which model got 20% more expensive last week?": 0, // no hypothetical: a trend
		"what if I cut my error rate in half?":          0, // no price
	} {
		got, ok := model.PriceChange(q)
		if math.Abs(got-want) > 1e-9 || ok != (want != 0) {
			t.Errorf("%q: %v %v; want %v", q, got, ok, want)
		}
	}
}

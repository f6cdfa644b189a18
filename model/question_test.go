package model_test

import (
	"math"
	"testing"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

func TestRequestBound(t *testing.T) {
	t.Parallel()
	type want struct {
		measure     string
		over, under float64 // 0: none
	}
	for q, w := range map[string]want{
		"how many requests took longer than 10 seconds?":                        {workload.MeasureLatency, 10000, 0},
		"requests slower than 500 ms":                                           {workload.MeasureLatency, 500, 0},
		"requests slower than 500ms":                                            {workload.MeasureLatency, 500, 0},
		"calls over 2.5 s":                                                      {workload.MeasureLatency, 2500, 0},
		"which took more than 750 milliseconds":                                 {workload.MeasureLatency, 750, 0},
		"how many requests took over 2 minutes?":                                {workload.MeasureLatency, 120000, 0},
		"are any requests taking over a minute?":                                {workload.MeasureLatency, 60000, 0},
		"what share of requests finish under 1 second?":                         {workload.MeasureLatency, 0, 1000},
		"requests with a time to first token over 800 ms":                       {workload.MeasureTTFT, 800, 0},
		"how many requests took between 1 and 5 seconds?":                       {workload.MeasureLatency, 1000, 5000},
		"what fraction of requests are over 8000 input tokens?":                 {workload.MeasureInputTokens, 8000, 0},
		"how many prompts are longer than 8k tokens?":                           {workload.MeasureInputTokens, 8000, 0},
		"responses over 1,000 tokens":                                           {workload.MeasureOutputTokens, 1000, 0},
		"how much do requests over 10,000 tokens cost?":                         {workload.MeasureTokens, 10000, 0},
		"requests with fewer than 500 output tokens":                            {workload.MeasureOutputTokens, 0, 500},
		"how many requests cost more than $0.50?":                               {workload.MeasureCost, 0.5, 0},
		"which model has the most calls over $1?":                               {workload.MeasureCost, 1, 0},
		"requests between $0.10 and $0.50":                                      {workload.MeasureCost, 0.1, 0.5},
		"how many requests took longer than 10 seconds in the last 30 days?":    {workload.MeasureLatency, 10000, 0},
		"what is the p95 latency of requests with more than 8000 input tokens?": {workload.MeasureInputTokens, 8000, 0},
		// Not a bound on each request: no unit, an aggregate, a target, a budget, a day's spend.
		"how many requests failed?":                      {},
		"over 3 days":                                    {},
		"do I use more than 5 models?":                   {},
		"which routes have a p95 over 5 seconds?":        {},
		"which routes have an average latency over 2 s?": {},
		"how can I keep latency under 2 seconds?":        {},
		"which routes cost more than $0.05 per request?": {},
		"will I stay under $1,000 this month?":           {},
		"which days did I spend more than $30?":          {},
		"did I spend more than $30 a day on gpt-4o?":     {},
		"is gpt-4o-mini faster than gpt-4o?":             {},
	} {
		b, ok := model.RequestBound(q)
		if ok != (w.measure != "") {
			t.Errorf("%q: bound %v, want one: %v", q, ok, w.measure != "")
			continue
		}
		if !ok {
			continue
		}
		got := want{measure: b.Measure}
		if b.Over != nil {
			got.over = *b.Over
		}
		if b.Under != nil {
			got.under = *b.Under
		}
		if got != w {
			t.Errorf("%q: %+v, want %+v", q, got, w)
		}
	}
	for q, want := range map[string]string{
		"how many requests took longer than 10 seconds?":                        "how many requests took ?",
		"what is the p95 latency of requests with more than 8000 input tokens?": "what is the p95 latency of requests with ?",
		"how many requests took between 1 and 5 seconds?":                       "how many requests took ?",
		"which model is the slowest?":                                           "which model is the slowest?",
	} {
		if got := model.WithoutBound(q); got != want {
			t.Errorf("WithoutBound(%q) = %q, want %q", q, got, want)
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

func TestForecastHorizon(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"how much would I spend in a year at this rate?": model.HorizonYear,
		"what's my annual run rate?":                     model.HorizonYear,
		"what will gpt-4o cost me annually?":             model.HorizonYear,
		"what's my yearly spend?":                        model.HorizonYear,
		"what will I spend by the end of the year?":      model.HorizonYearEnd,
		"how much will I spend this year at this rate?":  model.HorizonYearEnd,
		"how much will I spend this month?":              "",
		"how much did I spend in the last 12 months?":    "",
	} {
		if got := model.ForecastHorizon(q); got != want {
			t.Errorf("%q: %q, want %q", q, got, want)
		}
	}
}

func TestAmountThreshold(t *testing.T) {
	t.Parallel()
	type want struct {
		usd      float64
		over, ok bool
	}
	for q, w := range map[string]want{
		"which days did I spend more than $30?":    {30, true, true},
		"on which days did I spend less than $15?": {15, false, true},
		"which weeks cost over $1.5k?":             {1500, true, true},
		"which days cost the most?":                {},
	} {
		usd, over, ok := model.AmountThreshold(q)
		if (want{usd, over, ok}) != w {
			t.Errorf("%q: %v %v %v, want %+v", q, usd, over, ok, w)
		}
	}
}

func TestAsksSpeed(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"what's my token throughput per second?":        true,
		"output speed of each model":                    true,
		"how many tokens per second does claude write?": true,
		"which model generates the fastest?":            true,
		"which model has the best tok/s?":               true,
		"which model is fastest?":                       false, // latency
		"how many tokens a request?":                    false,
		"how many requests per second?":                 false,
	} {
		if got := model.AsksSpeed(q); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

func TestPercentileThreshold(t *testing.T) {
	t.Parallel()
	type want struct {
		pct      string
		ms       float64
		over, ok bool
	}
	for q, w := range map[string]want{
		"which routes have a p95 over 5 seconds?":          {"p95", 5000, true, true},
		"which models have a median latency under 3 s?":    {"p50", 3000, false, true},
		"routes with an average response time above 800ms": {"mean", 800, true, true},
		"which route is slowest?":                          {},
	} {
		pct, ms, over, ok := model.PercentileThreshold(q)
		if (want{pct, ms, over, ok}) != w {
			t.Errorf("%q: %v %v %v %v, want %+v", q, pct, ms, over, ok, w)
		}
	}
}

func TestLargest(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"what was my slowest request?":      "latency",
		"what's the longest prompt I sent?": "input",
		"how big was my largest request?":   "input",
		"my longest response":               "output",
		"what are my longest prompts?":      "", // prompts by route, on average
		"which model is the slowest?":       "",
	} {
		if got := model.Largest(q); got != want {
			t.Errorf("%q: %q, want %q", q, got, want)
		}
	}
}

func TestAsksAny(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"did any request cost more than $1?":      true,
		"are any requests taking over a minute?":  true,
		"were there any requests over 2 minutes?": true,
		"how many requests cost more than $1?":    false,
		"which requests, if any, took over 10 s?": false,
	} {
		if got := model.AsksAny(q); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

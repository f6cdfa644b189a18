package workload_test

import (
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/workload"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is five calls over a 10-day window (so a month is 3 windows). Prices per million
// tokens: gpt-4o 2.50 in / 1.25 cached / 10.00 out (cheaper: gpt-4o-mini 0.15 / 0.60),
// claude-sonnet-4 3.00 / 0.30 / 15.00 with a 50% batch discount.
func fixture(t *testing.T) (workload.Window, []workload.Record) {
	t.Helper()
	w := workload.Window{From: ts("2026-11-01T00:00:00Z"), To: ts("2026-11-11T00:00:00Z")}
	recs := []workload.Record{
		// cost (1000·2.50 + 200·10)/1e6 = 0.0045
		{TS: ts("2026-11-01T10:00:00Z"), Model: "gpt-4o", Route: "chat", InputTokens: 1000, OutputTokens: 200, LatencyMS: 1000, OK: true, PrefixHash: "p1", Interactive: true},
		// (2000·2.50 + 100·10)/1e6 = 0.006
		{TS: ts("2026-11-01T11:00:00Z"), Model: "gpt-4o", Route: "chat", InputTokens: 2000, OutputTokens: 100, LatencyMS: 2000, OK: true, PrefixHash: "p1", Interactive: true},
		// (2500·2.50 + 500·1.25 + 1000·10)/1e6 = 0.016875; not simple (1000 output tokens)
		{TS: ts("2026-11-02T10:00:00Z"), Model: "gpt-4o", Route: "chat", InputTokens: 3000, CachedInputTokens: 500, OutputTokens: 1000, LatencyMS: 4000, OK: true, PrefixHash: "p1", Interactive: true},
		// 1000·2.50/1e6 = 0.0025, failed
		{TS: ts("2026-11-03T12:00:00Z"), Model: "gpt-4o", Route: "chat", InputTokens: 1000, LatencyMS: 500, OK: false, ErrorType: "rate_limit", Interactive: true},
		// (10000·3 + 1000·15)/1e6 = 0.045, could run in batch, needed 2 retries
		{TS: ts("2026-11-05T02:00:00Z"), Model: "claude-sonnet-4", Route: "batch-job", InputTokens: 10000, OutputTokens: 1000, LatencyMS: 8000, OK: true, Interactive: false, Retries: 2},
		// outside the window: ignored
		{TS: ts("2026-11-12T00:00:00Z"), Model: "gpt-4o", Route: "chat", InputTokens: 99, OutputTokens: 99, LatencyMS: 1, OK: true, Interactive: true},
	}
	prices := workload.DefaultPrices()
	for i := range recs {
		if err := recs[i].Validate(prices, false); err != nil {
			t.Fatal(err)
		}
	}
	return w, recs
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func analyze(t *testing.T) workload.Stats {
	w, recs := fixture(t)
	a := workload.NewAnalyzer(w, workload.DefaultPrices())
	for i := range recs {
		a.Add(&recs[i])
	}
	return a.Stats()
}

func TestStatisticsByHand(t *testing.T) {
	t.Parallel()
	s := analyze(t)
	tot := s.Totals
	if tot.Requests != 5 || !near(tot.CostUSD, 0.074875) || tot.InputTokens != 17000 || tot.OutputTokens != 2300 ||
		tot.CachedInputTokens != 500 || tot.Errors != 1 || !near(tot.ErrorRate, 0.2) || tot.Retries != 2 {
		t.Fatalf("totals %+v", tot)
	}
	if len(s.SpendByModel) != 2 || s.SpendByModel[0].Model != "claude-sonnet-4" || !near(s.SpendByModel[0].CostUSD, 0.045) ||
		s.SpendByModel[1].Model != "gpt-4o" || !near(s.SpendByModel[1].CostUSD, 0.029875) || s.SpendByModel[1].Requests != 4 {
		t.Fatalf("by model %+v", s.SpendByModel)
	}
	// The cost divided by list price: input 0.0025 + 0.005 + (2500·2.50 + 500·1.25)/1e6 +
	// 0.0025 + 0.03, output 0.002 + 0.001 + 0.01 + 0 + 0.015.
	if !near(tot.InputCostUSD, 0.046875) || !near(tot.OutputCostUSD, 0.028) ||
		!near(s.SpendByModel[1].InputCostUSD, 0.016875) || !near(s.SpendByModel[1].OutputCostUSD, 0.013) {
		t.Fatalf("input and output cost: totals %+v, gpt-4o %+v", tot, s.SpendByModel[1])
	}
	if len(s.SpendByRoute) != 2 || s.SpendByRoute[0].Route != "batch-job" || s.SpendByRoute[1].Route != "chat" {
		t.Fatalf("by route %+v", s.SpendByRoute)
	}
	// The batch job's two retries, each at its request's cost: by route, model and provider.
	if r := s.SpendByRoute[0]; r.Retries != 2 || !near(r.RetryWasteUSD, 0.09) || s.SpendByModel[0].Retries != 2 || s.SpendByRoute[1].Retries != 0 {
		t.Fatalf("retries by route %+v, by model %+v", s.SpendByRoute, s.SpendByModel)
	}
	if len(s.SpendByProvider) != 2 || s.SpendByProvider[0].Provider != "anthropic" || s.SpendByProvider[1].Provider != "openai" {
		t.Fatalf("by provider %+v", s.SpendByProvider)
	}
	days := map[string]float64{}
	for _, d := range s.SpendByDay {
		days[d.Day] = d.CostUSD
	}
	if len(days) != 4 || !near(days["2026-11-01"], 0.0105) || !near(days["2026-11-02"], 0.016875) || !near(days["2026-11-03"], 0.0025) || !near(days["2026-11-05"], 0.045) {
		t.Fatalf("by day %v", days)
	}
	// Latencies sorted: 500 1000 2000 4000 8000; nearest rank p50 = 3rd, p95 = p99 = 5th.
	if l := s.LatencyMS; l.P50 != 2000 || l.P95 != 8000 || l.P99 != 8000 || l.Mean != 3100 || l.Max != 8000 || l.Count != 5 {
		t.Fatalf("latency %+v", l)
	}
	if in := s.InputTokens; in.P50 != 2000 || in.P95 != 10000 || in.Mean != 3400 {
		t.Fatalf("input tokens %+v", in)
	}
	// Costs sorted: 0.0025 0.0045 0.006 0.016875 0.045 (as float32).
	if c := s.RequestCostUSD; c.Count != 5 || c.P50 != float64(float32(0.006)) || c.P95 != float64(float32(0.045)) || c.Max != float64(float32(0.045)) || !near(c.Mean, 0.074875/5) {
		t.Fatalf("request cost %+v", c)
	}
	if s.TTFTMS.Count != 0 {
		t.Fatalf("ttft %+v", s.TTFTMS)
	}
	if e := s.Errors; !near(e.WasteUSD, 0.0025) || !near(e.RetryWasteUSD, 0.09) || e.ByType["rate_limit"] != 1 || !near(e.CostByType["rate_limit"], 0.0025) || len(e.CostByType) != 1 {
		t.Fatalf("errors %+v", e)
	}
	want := [24]int64{}
	want[2], want[10], want[11], want[12] = 1, 2, 1, 1
	if s.TrafficByHour != want {
		t.Fatalf("hours %v", s.TrafficByHour)
	}
	// p1 on gpt-4o: 3 calls, shortest prompt 1000 tokens, 500 already cached:
	// (3-1)·1000 - 500 = 1500 cacheable tokens.
	if p := s.Prefixes; p.RequestsWithPrefix != 3 || p.RepeatedRequests != 2 || !near(p.RepeatedShare, 0.4) || p.CacheableTokens != 1500 || p.DistinctPrefixes != 1 {
		t.Fatalf("prefixes %+v", p)
	}
}

func TestRecommendationsToTheCent(t *testing.T) {
	t.Parallel()
	recs := workload.Recommend(analyze(t), workload.Targets{})
	got := map[string]workload.Recommendation{}
	var order []string
	for _, r := range recs {
		got[r.Type] = r
		order = append(order, r.Type)
	}
	// The data covers Nov 1 to Nov 5 of the 10-day window: 5 days. Monthly = window × 30/5 = × 6.
	// retry_waste: (0.0025 errors + 2·0.045 retries) · 50% = 0.04625 → 0.2775 → $0.28
	// batching:    0.045 · 50% = 0.0225 → 0.135 → $0.14
	// routing:     chat simple calls cost 0.0105 on gpt-4o, (270 + 360)/1e6 = 0.00063 on gpt-4o-mini:
	//              0.00987 → 0.05922 → $0.06
	// caching:     none: prefix p1's shortest prompt (1,000 tokens) is under OpenAI's 1,024, and
	//              its uses are hours apart, longer than the cache lives.
	if r, ok := got["prompt_caching"]; ok {
		t.Errorf("caching recommended for a prefix too short and too rare to cache: %+v", r)
	}
	for typ, want := range map[string]float64{"retry_waste": 0.28, "batching": 0.14, "model_routing": 0.06} {
		r, ok := got[typ]
		if !ok || r.MonthlySavingsUSD != want {
			t.Errorf("%s: %+v, want $%.2f", typ, r, want)
		}
		if ok && (r.Confidence == "" || r.Risk == "" || r.Validation == "" || r.RollbackTrigger == "" || r.Title == "") {
			t.Errorf("%s lacks explanation: %+v", typ, r)
		}
	}
	if strings.Join(order, ",") != "retry_waste,batching,model_routing" {
		t.Fatalf("order %v", order)
	}
	// Percent of the monthly spend (0.074875 · 6 = 0.44925).
	if p := got["batching"].SavingsPercent; p != 31.16 {
		t.Fatalf("batching percent %v", p)
	}
	if s := got["model_routing"].Scope; s.Route != "chat" || s.Model != "gpt-4o" {
		t.Fatalf("routing scope %+v", s)
	}
	if _, ok := got["latency"]; ok {
		t.Fatal("latency recommended on 5 requests")
	}
}

func TestLatencyRecommendation(t *testing.T) {
	t.Parallel()
	w := workload.Window{From: ts("2026-11-01T00:00:00Z"), To: ts("2026-11-02T00:00:00Z")}
	a := workload.NewAnalyzer(w, workload.DefaultPrices())
	for i := 0; i < 20; i++ {
		r := workload.Record{TS: ts("2026-11-01T10:00:00Z"), Model: "gpt-4o-mini", Route: "search", InputTokens: 10, LatencyMS: float64(1000 * (i + 1)), OK: true, Interactive: true}
		_ = r.Validate(workload.DefaultPrices(), false)
		a.Add(&r)
	}
	s := a.Stats()
	// Latencies 1000…20000: p95 is the 19th = 19000.
	recs := workload.Recommend(s, workload.Targets{})
	if len(recs) != 1 || recs[0].Type != "latency" || recs[0].Evidence["p95_ms"] != 19000.0 || recs[0].MonthlySavingsUSD != 0 {
		t.Fatalf("recs %+v", recs)
	}
	if recs := workload.Recommend(s, workload.Targets{P95MS: 20000}); len(recs) != 0 {
		t.Fatalf("with a 20 s target: %+v", recs)
	}
	if plan := workload.PlanFor(recs0(s)); len(plan.Steps) == 0 || plan.Steps[0].N != 1 || plan.Steps[0].OwnerRole == "" {
		t.Fatalf("plan %+v", plan)
	}
}

func recs0(s workload.Stats) workload.Recommendation {
	return workload.Recommend(s, workload.Targets{})[0]
}

func TestPlansForEveryType(t *testing.T) {
	t.Parallel()
	for _, r := range workload.Recommend(analyze(t), workload.Targets{}) {
		p := workload.PlanFor(r)
		if len(p.Steps) < 3 || p.MonthlySavingsUSD != r.MonthlySavingsUSD {
			t.Fatalf("%s plan %+v", r.Type, p)
		}
		for i, s := range p.Steps {
			if s.N != i+1 || s.Action == "" || s.OwnerRole == "" || s.Effort == "" || s.Validation == "" {
				t.Fatalf("%s step %+v", r.Type, s)
			}
		}
	}
}

func TestEmptyWindow(t *testing.T) {
	t.Parallel()
	a := workload.NewAnalyzer(workload.Window{From: ts("2026-11-01T00:00:00Z"), To: ts("2026-11-02T00:00:00Z")}, workload.DefaultPrices())
	s := a.Stats()
	if s.Totals.Requests != 0 || s.SpendByModel == nil || len(workload.Recommend(s, workload.Targets{})) != 0 {
		t.Fatalf("empty stats %+v", s)
	}
}

func TestPrices(t *testing.T) {
	t.Parallel()
	p := workload.DefaultPrices()
	for model, want := range map[string]string{"gpt-4o": "gpt-4o", "gpt-4o-mini-2024-07-18": "gpt-4o-mini", "GPT-4o-2024-08-06": "gpt-4o",
		"openai/gpt-4.1-nano": "gpt-4.1-nano", "claude-sonnet-4-20250514": "claude-sonnet-4", "gemini-2.5-flash": "gemini-2.5-flash"} {
		got, ok := p.Lookup(model)
		if !ok || got.Model != want {
			t.Errorf("Lookup(%s) = %s %v", model, got.Model, ok)
		}
	}
	if _, ok := p.Lookup("gpt-4oo"); ok {
		t.Error("gpt-4oo matched")
	}
	for _, m := range p.Models() {
		if m.Source == "" || m.AsOf == "" || m.Input <= 0 || m.Output <= 0 {
			t.Errorf("incomplete price %+v", m)
		}
	}
	if len(p.Models()) < 20 {
		t.Errorf("only %d models", len(p.Models()))
	}
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	_, recs := fixture(t)
	recs[0].ID, recs[0].TTFTMS = "id-1", 123.456
	b := workload.EncodeChunk(recs)
	var got []workload.Record
	if err := workload.DecodeChunk(b, func(r *workload.Record) bool { got = append(got, *r); return true }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("round trip:\n%+v\n%+v", got, recs)
	}
	for cut := 0; cut < len(b); cut += 7 {
		_ = workload.DecodeChunk(b[:cut], func(*workload.Record) bool { return true }) // must not panic
	}
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(workload.EncodeChunk([]workload.Record{{ID: "a", TS: ts("2026-11-01T00:00:00Z"), Model: "m", CostUSD: 1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = workload.DecodeChunk(b, func(*workload.Record) bool { return true })
	})
}

func decodeAll(t *testing.T, f workload.Format, body string) ([]workload.Parsed, error) {
	t.Helper()
	d := workload.NewDecoder(f, strings.NewReader(body))
	var out []workload.Parsed
	for {
		p, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
}

func TestJSONL(t *testing.T) {
	t.Parallel()
	body := `{"id":"a","ts":"2026-11-01T10:00:00Z","model":"gpt-4o","route":"chat","input_tokens":1000,"output_tokens":200,"latency_ms":900,"status":"ok"}

{"ts":1793527200,"model":"custom-model","route":"r","latency_ms":5,"cost_usd":0.5,"status":"error","error_type":"timeout","interactive":false,"retries":1}
{"ts":"yesterday","model":"gpt-4o","route":"chat","latency_ms":1}
not json
{"ts":"2026-11-01T10:00:00Z","model":"gpt-4o","route":"chat","latency_ms":"fast"}
{"ts":"2026-11-01T10:00:00Z","model":"unknown-model","route":"chat","latency_ms":3}
{"ts":"2026-11-01T10:00:00Z","model":"gpt-4o","route":"chat","latency_ms":3,"input_tokens":5,"cached_input_tokens":6}
`
	ps, err := decodeAll(t, workload.FormatJSONL, body)
	if err != nil {
		t.Fatal(err)
	}
	prices := workload.DefaultPrices()
	lines := map[int]string{}
	for i := range ps {
		p := &ps[i]
		e := p.Err
		if e == nil {
			e = p.Record.Validate(prices, p.CostGiven)
		}
		if e != nil {
			lines[p.Line] = e.Error()
		}
	}
	want := map[int]string{4: "neither RFC 3339", 5: "not a JSON object", 6: "latency_ms must be a number", 7: "not in the price table", 8: "exceeds input_tokens"}
	if len(lines) != len(want) {
		t.Fatalf("errors %v", lines)
	}
	for l, frag := range want {
		if !strings.Contains(lines[l], frag) {
			t.Errorf("line %d: %q, want %q", l, lines[l], frag)
		}
	}
	r := ps[0].Record
	if r.ID != "a" || r.Provider != "openai" || !near(r.CostUSD, 0.0045) || !r.OK || !r.Interactive {
		t.Fatalf("first record %+v", r)
	}
	r2 := ps[1].Record
	if ps[1].Line != 3 || r2.OK || r2.ErrorType != "timeout" || r2.CostUSD != 0.5 || r2.Interactive || r2.Retries != 1 || r2.TS.Unix() != 1793527200 {
		t.Fatalf("second record (line %d) %+v", ps[1].Line, r2)
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	body := "ts,model,route,input_tokens,output_tokens,latency_ms,status,interactive\n" +
		"2026-11-01T10:00:00Z,gpt-4o-mini,chat,1000,100,250.5,ok,true\n" +
		"2026-11-01T10:00:00Z,gpt-4o-mini,chat,many,100,250,ok,true\n" +
		"2026-11-01T10:00:00Z,gpt-4o-mini,batch,10,1,9,error,false\n"
	ps, err := decodeAll(t, workload.FormatCSV, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].Err != nil || ps[1].Err == nil || ps[1].Line != 3 || ps[2].Record.OK || ps[2].Record.Interactive {
		t.Fatalf("parsed %+v", ps)
	}
	if r := ps[0].Record; r.LatencyMS != 250.5 || r.InputTokens != 1000 {
		t.Fatalf("record %+v", r)
	}
	if _, err := decodeAll(t, workload.FormatCSV, "model,route\nx,y\n"); err == nil || !strings.Contains(err.Error(), "ts") {
		t.Fatalf("header without ts: %v", err)
	}
}

func TestOTLP(t *testing.T) {
	t.Parallel()
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},
	 "scopeSpans":[{"spans":[
	  {"spanId":"s1","name":"chat gpt-4o","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":"1793527201500000000",
	   "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
	                 {"key":"gen_ai.system","value":{"stringValue":"openai"}},
	                 {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},
	                 {"key":"gen_ai.usage.output_tokens","value":{"intValue":"200"}}]},
	  {"spanId":"s2","name":"db query","startTimeUnixNano":"1","endTimeUnixNano":"2"},
	  {"spanId":"s3","name":"chat","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":"1793527200100000000","status":{"code":2},
	   "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},{"key":"error.type","value":{"stringValue":"rate_limit"}},
	                 {"key":"netra.route","value":{"stringValue":"triage"}}]},
	  {"spanId":"s4","name":"bad","startTimeUnixNano":"x","endTimeUnixNano":"2",
	   "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}
	 ]}]}]}`
	ps, err := decodeAll(t, workload.FormatOTLP, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("parsed %d", len(ps))
	}
	r := ps[0].Record
	if err := r.Validate(workload.DefaultPrices(), ps[0].CostGiven); err != nil {
		t.Fatal(err)
	}
	if r.ID != "s1" || r.Model != "gpt-4o" || r.Provider != "openai" || r.InputTokens != 1000 || r.OutputTokens != 200 ||
		r.LatencyMS != 1500 || r.Route != "support-bot" || !r.OK || !near(r.CostUSD, 0.0045) {
		t.Fatalf("span record %+v", r)
	}
	if e := ps[1].Record; e.OK || e.ErrorType != "rate_limit" || e.Route != "triage" || ps[1].Line != 3 {
		t.Fatalf("error span %+v line %d", e, ps[1].Line)
	}
	if ps[2].Err == nil || ps[2].Line != 4 {
		t.Fatalf("bad span %+v", ps[2])
	}
	if _, err := decodeAll(t, workload.FormatOTLP, `[1,2]`); err == nil {
		t.Fatal("not a trace export accepted")
	}
}

func TestSyntheticIsDeterministic(t *testing.T) {
	t.Parallel()
	spec := workload.SyntheticSpec{Preset: "mixed", Days: 7, Seed: 7, End: ts("2026-11-20T00:00:00Z")}
	if err := spec.Normalize(time.Now()); err != nil {
		t.Fatal(err)
	}
	a, _ := workload.Generate(spec, workload.DefaultPrices())
	b, _ := workload.Generate(spec, workload.DefaultPrices())
	if len(a) < 1000 || !reflect.DeepEqual(a, b) {
		t.Fatalf("%d records; deterministic: %v", len(a), reflect.DeepEqual(a, b))
	}
	spec.Seed = 8
	c, _ := workload.Generate(spec, workload.DefaultPrices())
	if reflect.DeepEqual(a, c) {
		t.Fatal("a different seed gave the same data")
	}
	w := workload.Window{From: spec.End.Add(-7 * 24 * time.Hour), To: spec.End}
	prices := workload.DefaultPrices()
	an := workload.NewAnalyzer(w, prices)
	for i := range a {
		if err := a[i].Validate(prices, true); err != nil {
			t.Fatal(err)
		}
		if !an.Add(&a[i]) {
			t.Fatalf("record outside its window: %v", a[i].TS)
		}
	}
	s := an.Stats()
	types := map[string]bool{}
	for _, r := range workload.Recommend(s, workload.Targets{}) {
		types[r.Type] = true
	}
	for _, typ := range []string{"model_routing", "prompt_caching", "batching", "retry_waste"} {
		if !types[typ] {
			t.Errorf("the demo data yields no %s recommendation (%v)", typ, types)
		}
	}
	if s.Errors.Count == 0 || s.Prefixes.RepeatedShare < 0.3 || s.TTFTMS.Count == 0 {
		t.Errorf("demo data lacks variety: %+v %+v", s.Errors, s.Prefixes)
	}
	if err := (&workload.SyntheticSpec{Preset: "nope"}).Normalize(time.Now()); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestLoadPricesOverrides(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/prices.json"
	body := `{"models":[{"provider":"openai","model":"gpt-4o","input_per_mtok":1,"output_per_mtok":2,"source":"contract","as_of":"2026-11"},
		{"provider":"acme","model":"acme-1","input_per_mtok":0.5,"output_per_mtok":0.5,"source":"acme","as_of":"2026-11"}]}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := workload.LoadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := p.Lookup("gpt-4o"); g.Input != 1 || g.Output != 2 {
		t.Fatalf("override not applied: %+v", g)
	}
	if _, ok := p.Lookup("acme-1"); !ok {
		t.Fatal("added model missing")
	}
	if m, ok := p.Lookup("claude-sonnet-4"); !ok || m.Input != 3 {
		t.Fatal("default models lost")
	}
	if err := os.WriteFile(path, []byte(`{"models":[{"model":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := workload.LoadPrices(path); err == nil {
		t.Fatal("invalid table accepted")
	}
}

// TestRunRateUsesCoveredDays: the fixture's records sit on Nov 1, 2, 3 and 5 of a 10-day
// window: they cover 5 days, and a month is 6 times the window's figures, not 3.
func TestRunRateUsesCoveredDays(t *testing.T) {
	t.Parallel()
	s := analyze(t)
	if s.CoveredDays != 5 || s.MonthFactor() != 6 {
		t.Fatalf("covered %v days, month factor %v; want 5 and 6", s.CoveredDays, s.MonthFactor())
	}
	// A window shorter than the days' span (24 hours over two dates) counts the window.
	w := workload.Window{From: ts("2026-11-01T12:00:00Z"), To: ts("2026-11-02T12:00:00Z")}
	a := workload.NewAnalyzer(w, workload.DefaultPrices())
	for _, at := range []string{"2026-11-01T13:00:00Z", "2026-11-02T11:00:00Z"} {
		r := workload.Record{TS: ts(at), Model: "gpt-4o", Route: "chat", InputTokens: 10, OK: true}
		if err := r.Validate(workload.DefaultPrices(), false); err != nil {
			t.Fatal(err)
		}
		a.Add(&r)
	}
	if d := a.Stats().CoveredDays; d != 1 {
		t.Fatalf("24 hours over two dates cover %v days, want 1", d)
	}
}

// TestSavingsCombineNotSum, by hand on the fixture (monthly spend: claude-sonnet-4 0.27,
// gpt-4o 0.17925, all 0.44925; the three savings alone sum to 0.48, more than the spend):
//   - retry waste 0.28 acts on all: 0.28; left claude 0.27·(1 − 0.28/0.44925) = 0.101719,
//     gpt-4o 0.17925·(1 − 0.28/0.44925) = 0.067531;
//   - batching 0.14 on claude: 0.14 · 0.101719/0.27 = 0.052744;
//   - routing 0.06 on gpt-4o: 0.06 · 0.067531/0.17925 = 0.022604.
//
// Together 0.355348 → $0.36.
func TestSavingsCombineNotSum(t *testing.T) {
	t.Parallel()
	s := analyze(t)
	recs := workload.Recommend(s, workload.Targets{})
	spend := map[string]float64{}
	for _, m := range s.SpendByModel {
		spend[m.Model] = m.CostUSD * s.MonthFactor()
	}
	total := workload.Combine(recs, spend)
	want := map[string]float64{"retry_waste": 0.28, "batching": 0.05, "model_routing": 0.02}
	for _, r := range recs {
		if r.CombinedSavingsUSD != want[r.Type] {
			t.Errorf("%s combined %v, want %v", r.Type, r.CombinedSavingsUSD, want[r.Type])
		}
	}
	if total != 0.36 {
		t.Fatalf("combined total %v, want 0.36 (the sum would be 0.48 of a 0.45 spend)", total)
	}
}

// TestCombinedNeverExceedsSpend, over random recommendations and spends: the total never
// exceeds the spend, and no model's combined savings exceed that model's spend.
func TestCombinedNeverExceedsSpend(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	models := []string{"a", "b", "c", "d"}
	for trial := 0; trial < 2000; trial++ {
		spend := map[string]float64{}
		var all float64
		for _, m := range models[:1+rng.IntN(len(models))] {
			spend[m] = float64(rng.IntN(100000)) / 100
			all += spend[m]
		}
		var recs []workload.Recommendation
		for n := rng.IntN(8); n > 0; n-- {
			r := workload.Recommendation{MonthlySavingsUSD: float64(rng.IntN(200000)) / 100}
			if rng.IntN(4) > 0 {
				r.Scope.Model = models[rng.IntN(len(models))] // sometimes a model without spend
			}
			recs = append(recs, r)
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].MonthlySavingsUSD > recs[j].MonthlySavingsUSD })
		total := workload.Combine(recs, spend)
		if total > workload.Cents(all)+1e-9 || total < 0 {
			t.Fatalf("trial %d: combined %v of a spend of %v: %+v %v", trial, total, all, recs, spend)
		}
		byModel := map[string]float64{}
		var sum float64
		for _, r := range recs {
			if r.CombinedSavingsUSD < 0 {
				t.Fatalf("trial %d: negative combined saving %+v", trial, r)
			}
			byModel[r.Scope.Model] += r.CombinedSavingsUSD
			sum += r.CombinedSavingsUSD
		}
		for m, v := range byModel {
			if _, ok := spend[m]; ok && m != "" && v > workload.Cents(spend[m])+0.01*float64(len(recs)) {
				t.Fatalf("trial %d: %s saves %v of its %v", trial, m, v, spend[m])
			}
		}
	}
}

// TestDatedNamesMerge: dated snapshots, aliases and provider prefixes count as the price
// table's model, and the names the records used stay visible.
func TestDatedNamesMerge(t *testing.T) {
	t.Parallel()
	w := workload.Window{From: ts("2026-11-01T00:00:00Z"), To: ts("2026-11-02T00:00:00Z")}
	prices := workload.DefaultPrices()
	a := workload.NewAnalyzer(w, prices)
	for _, m := range []string{"gpt-4o", "gpt-4o-2024-08-06", "openai/gpt-4o", "claude-3-5-sonnet-20241022", "anthropic/claude-3-5-sonnet", "claude-3.5-sonnet", "my-own-model"} {
		r := workload.Record{TS: ts("2026-11-01T10:00:00Z"), Model: m, Route: "chat", InputTokens: 100, OutputTokens: 10, OK: true, CostUSD: 0.01}
		if err := r.Validate(prices, true); err != nil {
			t.Fatal(err)
		}
		a.Add(&r)
	}
	s := a.Stats()
	got := map[string]workload.Spend{}
	for _, m := range s.SpendByModel {
		got[m.Model] = m
	}
	if len(got) != 3 || got["gpt-4o"].Requests != 3 || got["claude-3-5-sonnet"].Requests != 3 || got["my-own-model"].Requests != 1 {
		t.Fatalf("by model %+v", s.SpendByModel)
	}
	if n := strings.Join(got["gpt-4o"].Names, ","); n != "gpt-4o,gpt-4o-2024-08-06,openai/gpt-4o" {
		t.Fatalf("gpt-4o's names %q", n)
	}
	if n := strings.Join(got["claude-3-5-sonnet"].Names, ","); n != "anthropic/claude-3-5-sonnet,claude-3-5-sonnet-20241022,claude-3.5-sonnet" {
		t.Fatalf("claude-3-5-sonnet's names %q", n)
	}
	if got["my-own-model"].Names != nil {
		t.Fatalf("a model under one name lists names: %+v", got["my-own-model"])
	}
	// One routing opportunity for gpt-4o on chat, not three.
	routes := 0
	for _, o := range s.Routing {
		if o.Model == "gpt-4o" {
			routes++
		}
		if o.Model != "gpt-4o" && o.Model != "claude-3-5-sonnet" {
			t.Fatalf("routing under a raw name: %+v", o)
		}
	}
	if routes != 1 {
		t.Fatalf("%d routing opportunities for gpt-4o", routes)
	}
	// The mapping is data: an alias that names another model is refused.
	if _, err := workload.ParsePrices([]byte(`{"models":[{"provider":"x","model":"a","aliases":["b"],"input_per_mtok":1,"output_per_mtok":1},{"provider":"x","model":"b","input_per_mtok":1,"output_per_mtok":1}]}`)); err == nil {
		t.Fatal("an alias equal to another model's name was accepted")
	}
}

// TestCachingPremiumAndLifetime, by hand with the price table's claude-sonnet-4 ($3.00 input,
// $0.30 cached, writes at 1.25×, at least 1,024 tokens, 300 s) and gpt-4o ($2.50, $1.25, no
// premium):
//   - claude prefix a, 3 uses a minute apart, 2,000 tokens: 1 write, 2 reads; reads save
//     4,000 · 2.70/1e6 = 0.0108, the write costs 2,000 · 3.00 · 0.25/1e6 = 0.0015 more: 0.0093;
//   - claude prefix b, 2 uses an hour apart: never read (expired); prefix c, 800 tokens: short;
//   - gpt-4o prefix d, 5 uses a minute apart, 2,000 tokens: 4 reads save 8,000 · 1.25/1e6 = 0.01.
//
// The Anthropic recommendation has medium confidence (a write premium), OpenAI's high.
func TestCachingPremiumAndLifetime(t *testing.T) {
	t.Parallel()
	w := workload.Window{From: ts("2026-11-01T00:00:00Z"), To: ts("2026-11-02T00:00:00Z")}
	prices := workload.DefaultPrices()
	a := workload.NewAnalyzer(w, prices)
	at := ts("2026-11-01T10:00:00Z")
	use := func(model, prefix string, offset time.Duration, tokens int64) {
		r := workload.Record{TS: at.Add(offset), Model: model, Route: "chat", InputTokens: tokens, OutputTokens: 10, OK: true, PrefixHash: prefix, Interactive: true}
		if err := r.Validate(prices, false); err != nil {
			t.Fatal(err)
		}
		a.Add(&r)
	}
	for i := 0; i < 3; i++ {
		use("claude-sonnet-4", "a", time.Duration(i)*time.Minute, 2000)
		use("claude-sonnet-4", "c", time.Duration(i)*time.Minute, 800)
	}
	use("claude-sonnet-4", "b", 0, 2000)
	use("claude-sonnet-4", "b", time.Hour, 2000)
	for i := 0; i < 5; i++ {
		use("gpt-4o", "d", time.Duration(i)*time.Minute, 2000)
	}
	s := a.Stats()
	byModel := map[string]workload.CachingOpportunity{}
	for _, c := range s.Caching {
		byModel[c.Model] = c
	}
	c := byModel["claude-sonnet-4"]
	if !near(c.SavingsUSD, 0.0093) || !near(c.WritePremiumUSD, 0.0015) || c.Prefixes != 1 || c.Expired != 1 || c.Short != 1 || c.Reads != 2 || c.Writes != 1 || c.CacheableTokens != 4000 {
		t.Fatalf("claude caching %+v", c)
	}
	if o := byModel["gpt-4o"]; !near(o.SavingsUSD, 0.01) || o.WritePremiumUSD != 0 || o.Reads != 4 || o.Writes != 1 {
		t.Fatalf("gpt-4o caching %+v", o)
	}
	conf := map[string]string{}
	for _, r := range workload.Recommend(s, workload.Targets{}) {
		if r.Type == workload.TypePromptCaching {
			conf[r.Scope.Model] = r.Confidence
		}
	}
	if conf["claude-sonnet-4"] != "medium" || conf["gpt-4o"] != "high" {
		t.Fatalf("caching confidence %v", conf)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless yields a line of CSV text forever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const line = "x,y,z,1,2,3\n"
	for i := range p {
		p[i] = line[i%len(line)]
	}
	return len(p), nil
}

// TestCSVQuoteThatNeverCloses: a quote that opens on line 3 and never closes is reported at
// line 3, and every line it swallows counts as rejected; an open quote that would take more
// than MaxCSVRecord stops the upload at its line after reading a bounded amount, whatever the
// size of the upload.
// Shown to catch: reading a 300 MB upload into one field (1.6 GB of memory, issue 12).
func TestCSVQuoteThatNeverCloses(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("ts,model,route,latency_ms\n2026-11-01T10:00:00Z,gpt-4o,chat,100\n")
	b.WriteString(`2026-11-01T10:00:01Z,"gpt-4o,chat,100` + "\n")
	for i := 0; i < 300; i++ {
		b.WriteString("2026-11-01T10:00:02Z,gpt-4o,chat,100\n")
	}
	dec := workload.NewDecoder(workload.FormatCSV, strings.NewReader(b.String()))
	var good int
	var bad []workload.Parsed
	for {
		p, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Err != nil {
			bad = append(bad, p)
		} else {
			good++
		}
	}
	if good != 1 || len(bad) != 1 || bad[0].Line != 3 || bad[0].Lines != 301 || !strings.Contains(bad[0].Err.Error(), "line 303") {
		t.Fatalf("good %d, bad %+v", good, bad)
	}
	// An open quote in an endless upload: a bounded read and an error at its line.
	src := &countingReader{r: io.MultiReader(strings.NewReader("ts,model,route,latency_ms\n\"open"), endless{})}
	dec = workload.NewDecoder(workload.FormatCSV, src)
	_, err := dec.Next()
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "64 KiB") {
		t.Fatalf("endless open quote: %v", err)
	}
	if src.n > 4*workload.MaxCSVRecord {
		t.Fatalf("read %d bytes of an endless upload before giving up", src.n)
	}
}

// TestOTLPAttributesOfTheWrongType: a token count that is an object, text, NaN, fractional or
// beyond the bound refuses its span with the attribute's name, instead of counting 0 tokens
// or calling a huge count negative.
func TestOTLPAttributesOfTheWrongType(t *testing.T) {
	t.Parallel()
	span := func(value string) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"s1","name":"chat","startTimeUnixNano":"1764576000000000000","endTimeUnixNano":"1764576001000000000",
			"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":` + value + `}]}]}]}]}`
	}
	for value, want := range map[string]string{
		`{"intValue":{"x":[1,2]}}`: "gen_ai.usage.input_tokens must be a number",
		`{"stringValue":"NaN"}`:    "gen_ai.usage.input_tokens must be a number",
		`{"doubleValue":1e300}`:    "from 0 to 100000000",
		`{"intValue":"-5"}`:        "from 0 to 100000000",
		`{"doubleValue":12.5}`:     "whole number",
		`{"boolValue":true}`:       "gen_ai.usage.input_tokens must be a number",
	} {
		ps, err := decodeAll(t, workload.FormatOTLP, span(value))
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		if len(ps) != 1 || ps[0].Err == nil || !strings.Contains(ps[0].Err.Error(), want) {
			t.Errorf("%s: %+v, want an error with %q", value, ps, want)
		}
	}
	ps, err := decodeAll(t, workload.FormatOTLP, span(`{"intValue":"1200"}`))
	if err != nil || len(ps) != 1 || ps[0].Err != nil || ps[0].Record.InputTokens != 1200 {
		t.Fatalf("a good count: %+v %v", ps, err)
	}
}

// TestMinorItemsAreCountedNotListed: an item under 0.5% of the monthly spend is minor; latency
// items, which save no money, never are.
func TestMinorItemsAreCountedNotListed(t *testing.T) {
	t.Parallel()
	recs := []workload.Recommendation{{Type: "batching", MonthlySavingsUSD: 10}, {Type: "prompt_caching", MonthlySavingsUSD: 4.99},
		{Type: "model_routing", MonthlySavingsUSD: 5}, {Type: "latency"}}
	kept, minor := workload.SplitMinor(recs, 1000) // 0.5% of $1,000 is $5
	if len(kept) != 3 || kept[0].Type != "batching" || kept[1].Type != "model_routing" || kept[2].Type != "latency" ||
		len(minor) != 1 || minor[0].Type != "prompt_caching" {
		t.Fatalf("kept %+v, minor %+v", kept, minor)
	}
}

// A count that is a number but not a whole one in range says so, with the value, in JSONL and
// CSV alike (it used to say "must be a number" of 1e300, or "must not be negative" once an
// overflow had made it so).
func TestCountMessages(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"1e300":               "input_tokens must be a whole number from 0 to 100000000, got 1e300",
		"1.5":                 "input_tokens must be a whole number from 0 to 100000000, got 1.5",
		"9223372036854775808": "input_tokens must be a whole number from 0 to 100000000, got 9223372036854775808",
		`"NaN"`:               "input_tokens must be a whole number, got a string",
	} {
		ps, err := decodeAll(t, workload.FormatJSONL, `{"ts":"2026-11-01T00:00:00Z","model":"gpt-4o","route":"r","latency_ms":1,"input_tokens":`+v+`}`+"\n")
		if err != nil || len(ps) != 1 || ps[0].Err == nil || ps[0].Err.Error() != want {
			t.Errorf("JSONL %s: %v %v, want %q", v, ps, err, want)
		}
	}
	for v, want := range map[string]string{
		"1e300": `retries must be a whole number from 0 to 1000000, got "1e300"`,
		"NaN":   `retries must be a whole number from 0 to 1000000, got "NaN"`,
	} {
		ps, err := decodeAll(t, workload.FormatCSV, "ts,model,route,latency_ms,retries\n2026-11-01T00:00:00Z,gpt-4o,r,1,"+v+"\n")
		if err != nil || len(ps) != 1 || ps[0].Err == nil || ps[0].Err.Error() != want {
			t.Errorf("CSV %s: %v %v, want %q", v, ps, err, want)
		}
	}
}

// The largest move beyond the recommendations: the route and model whose whole traffic costs
// the most more than it would on the model's cheaper sibling, priced here record by record.
func TestLargestMove(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	prices := workload.DefaultPrices()
	recs, err := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 14, Seed: 5, End: end}, prices)
	if err != nil {
		t.Fatal(err)
	}
	w := workload.Window{From: end.Add(-14 * 24 * time.Hour), To: end}
	a := workload.NewAnalyzer(w, prices)
	type key struct{ route, model string }
	saved := map[key]float64{}
	for i := range recs {
		a.Add(&recs[i])
		r := &recs[i]
		p, ok := prices.Lookup(r.Model)
		if !ok || p.Cheaper == "" || !w.Contains(r.TS) {
			continue
		}
		c, _ := prices.Lookup(p.Cheaper)
		saved[key{r.Route, p.Model}] += r.CostUSD - c.Cost(r.InputTokens, r.CachedInputTokens, r.OutputTokens, false)
	}
	var best key
	for k, v := range saved {
		if v > saved[best] {
			best = k
		}
	}
	s := a.Stats()
	m, ok := workload.LargestMove(s)
	if !ok || m.Route != best.route || m.Model != best.model {
		t.Fatalf("largest move %+v (%v), want %s on %s", m, ok, best.route, best.model)
	}
	if want := saved[best] * s.MonthFactor(); math.Abs(m.MonthlySavingsUSD-want) > 0.01 {
		t.Fatalf("it saves $%.2f a month, the records say $%.2f", m.MonthlySavingsUSD, want)
	}
}

// The larger move is named beside recommendations that miss the cut asked for, or that save
// little against it; never when it saves less than they do.
func TestMoveWorthNaming(t *testing.T) {
	t.Parallel()
	m := workload.Move{SavingsPercent: 30}
	for _, c := range []struct {
		target, saved float64
		want          bool
	}{
		{50, 20, true},  // the target is missed
		{20, 25, false}, // met
		{0, 6, true},    // little saved, the move five times as much
		{0, 12, false},  // a tenth saved already
		{0, 20, false},
		{60, 40, false}, // the move saves less than the recommendations
	} {
		if got := m.Worth(c.target, c.saved); got != c.want {
			t.Errorf("target %v, saved %v: %v, want %v", c.target, c.saved, got, c.want)
		}
	}
}

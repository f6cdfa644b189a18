package workload_test

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/netra-ai/netra/workload"
)

// A tally of a dataset's rollups equals the tally of its records: totals, every breakdown, the
// errors by type, the waste. The dataset has errors, retries, several providers and days.
func TestRollupsTallyAsRecords(t *testing.T) {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs, err := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 9, Seed: 3, End: end}, workload.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	recs[5].Model = "gpt-4o-2024-08-06" // a dated name, merged under gpt-4o either way
	w := workload.Window{From: end.Add(-30 * 24 * time.Hour), To: end}
	fromRecords := workload.NewTally(w, workload.DefaultPrices())
	fromRollups := workload.NewTally(w, workload.DefaultPrices())
	groups, errs := 0, 0
	for i := 0; i < len(recs); i += workload.ChunkSize {
		chunk := recs[i:min(i+workload.ChunkSize, len(recs))]
		for j := range chunk {
			fromRecords.Add(&chunk[j])
			if !chunk[j].OK {
				errs++
			}
		}
		if err := workload.DecodeRollups(workload.RollUp(chunk), func(g *workload.Rollup) bool {
			fromRollups.AddRollup(g)
			groups++
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	if errs == 0 || groups >= len(recs)/4 {
		t.Fatalf("the dataset should have errors (%d) and far fewer rollups (%d) than records (%d)", errs, groups, len(recs))
	}
	a, b := fromRecords.Stats(), fromRollups.Stats()
	roundStats(&a)
	roundStats(&b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("rollups tally differently:\nrecords %+v\nrollups %+v", a, b)
	}
	if a.Totals.Errors != int64(errs) || a.Totals.Requests != int64(len(recs)) {
		t.Fatalf("totals %+v, want %d requests and %d errors", a.Totals, len(recs), errs)
	}
	// Each breakdown holds every failed request once, with what it cost.
	for name, l := range map[string][]workload.Spend{"model": b.SpendByModel, "route": b.SpendByRoute, "provider": b.SpendByProvider, "day": b.SpendByDay} {
		var n int64
		var cost float64
		for _, s := range l {
			n += s.Errors
			cost += s.ErrorCostUSD
		}
		if n != int64(errs) || math.Abs(cost-b.Errors.WasteUSD) > 1e-6 {
			t.Fatalf("errors by %s add up to %d costing $%f, want %d costing $%f", name, n, cost, errs, b.Errors.WasteUSD)
		}
	}
	// Each model's, route's and provider's failures by type, counted here from the records.
	want := map[string]map[string]map[string]int64{"model": {}, "route": {}, "provider": {}}
	for i := range recs {
		r := &recs[i]
		if r.OK {
			continue
		}
		et := r.ErrorType
		if et == "" {
			et = "unknown"
		}
		m := workload.DefaultPrices().Canonical(r.Model)
		for dim, key := range map[string]string{"model": m, "route": r.Route, "provider": r.Provider} {
			if want[dim][key] == nil {
				want[dim][key] = map[string]int64{}
			}
			want[dim][key][et]++
		}
	}
	for dim, l := range map[string][]workload.Spend{"model": b.SpendByModel, "route": b.SpendByRoute, "provider": b.SpendByProvider} {
		for _, s := range l {
			if w := want[dim][s.Key]; !reflect.DeepEqual(s.ErrorTypes, w) && (len(w) > 0 || len(s.ErrorTypes) > 0) {
				t.Fatalf("%s %s fails by type %v, want %v", dim, s.Key, s.ErrorTypes, w)
			}
		}
	}
	merged := false
	for _, m := range b.SpendByModel {
		merged = merged || m.Model == "gpt-4o" && slices.Contains(m.Names, "gpt-4o-2024-08-06")
	}
	if !merged {
		t.Fatalf("the dated name is not merged under gpt-4o: %+v", b.SpendByModel)
	}
}

// roundStats rounds sums of money to 1e-9: rollups add in another order.
func roundStats(s *workload.Stats) {
	r := func(f *float64) { *f = math.Round(*f*1e9) / 1e9 }
	r(&s.Totals.CostUSD)
	r(&s.Totals.InputCostUSD)
	r(&s.Totals.OutputCostUSD)
	r(&s.Totals.ErrorRate)
	r(&s.Errors.WasteUSD)
	r(&s.Errors.RetryWasteUSD)
	r(&s.Errors.Rate)
	for k, v := range s.Errors.CostByType {
		r(&v)
		s.Errors.CostByType[k] = v
	}
	for _, l := range [][]workload.Spend{s.SpendByModel, s.SpendByRoute, s.SpendByProvider, s.SpendByDay, s.SpendByDayModel} {
		for i := range l {
			r(&l[i].CostUSD)
			r(&l[i].Share)
			r(&l[i].ErrorCostUSD)
			r(&l[i].InputCostUSD)
			r(&l[i].OutputCostUSD)
			r(&l[i].RetryWasteUSD)
		}
	}
}

func TestDecodeRollupsRefusesCorruption(t *testing.T) {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs, _ := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 2, Seed: 3, End: end}, workload.DefaultPrices())
	b := workload.RollUp(recs[:500])
	for cut := range len(b) {
		_ = workload.DecodeRollups(b[:cut], func(*workload.Rollup) bool { return true }) // must not panic
	}
	if err := workload.DecodeRollups(b[:len(b)-3], func(*workload.Rollup) bool { return true }); err == nil {
		t.Fatal("a truncated rollup decoded")
	}
}

func FuzzDecodeRollups(f *testing.F) {
	f.Add(workload.RollUp([]workload.Record{{ID: "a", TS: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Model: "m", Route: "r", CostUSD: 1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = workload.DecodeRollups(b, func(*workload.Rollup) bool { return true })
	})
}

// The latency analyzer's sections equal the full analyzer's, and it fills nothing else.
func TestLatencyAnalyzerMatchesAnalyzer(t *testing.T) {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs, err := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 5, Seed: 4, End: end}, workload.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	w := workload.Window{From: end.Add(-3 * 24 * time.Hour), To: end}
	full, lat := workload.NewAnalyzer(w, workload.DefaultPrices()), workload.NewLatencyAnalyzer(w, workload.DefaultPrices())
	for i := range recs {
		full.Add(&recs[i])
		lat.Add(&recs[i])
	}
	a, b := full.Stats(), lat.Stats()
	if a.LatencyMS.Count == 0 || !reflect.DeepEqual(a.LatencyMS, b.LatencyMS) || !reflect.DeepEqual(a.TTFTMS, b.TTFTMS) ||
		!reflect.DeepEqual(a.LatencyByRoute, b.LatencyByRoute) || !reflect.DeepEqual(a.LatencyByModel, b.LatencyByModel) {
		t.Fatalf("latencies differ:\nfull    %+v %+v\nlatency %+v %+v", a.LatencyMS, a.LatencyByRoute, b.LatencyMS, b.LatencyByRoute)
	}
	if b.Totals.Requests != 0 || len(b.SpendByModel) != 0 || b.InputTokens.Count != 0 {
		t.Fatalf("the latency analyzer filled other sections: %+v", b.Totals)
	}
}

// Latency analyzers that each saw a part of the records, merged, give one analyzer's answer.
func TestLatencyAnalyzersMerge(t *testing.T) {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs, err := workload.Generate(workload.SyntheticSpec{Preset: "mixed", Days: 5, Seed: 9, End: end}, workload.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	w := workload.Window{From: end.Add(-3 * 24 * time.Hour), To: end}
	one := workload.NewLatencyAnalyzer(w, workload.DefaultPrices())
	parts := []*workload.Analyzer{workload.NewLatencyAnalyzer(w, workload.DefaultPrices()), workload.NewLatencyAnalyzer(w, workload.DefaultPrices()), workload.NewLatencyAnalyzer(w, workload.DefaultPrices())}
	for i := range recs {
		one.Add(&recs[i])
		// In runs of 100, as chunks would come: each part sees some of every route.
		parts[(i/100)%len(parts)].Add(&recs[i])
	}
	for _, p := range parts[1:] {
		parts[0].MergeLatencies(p)
	}
	a, b := one.Stats(), parts[0].Stats()
	// Sums in another order may differ in the last bits; nothing shown does.
	for _, m := range []struct{ a, b *float64 }{{&a.LatencyMS.Mean, &b.LatencyMS.Mean}, {&a.TTFTMS.Mean, &b.TTFTMS.Mean}} {
		if math.Abs(*m.a-*m.b) < 1e-9**m.a {
			*m.b = *m.a
		}
	}
	if a.LatencyMS.Count == 0 || len(a.LatencyByRoute) < 2 || !reflect.DeepEqual(a.LatencyMS, b.LatencyMS) || !reflect.DeepEqual(a.TTFTMS, b.TTFTMS) ||
		!reflect.DeepEqual(a.LatencyByRoute, b.LatencyByRoute) || !reflect.DeepEqual(a.LatencyByModel, b.LatencyByModel) {
		t.Fatalf("merged latencies differ:\none    %+v %+v\nmerged %+v %+v", a.LatencyMS, a.LatencyByRoute, b.LatencyMS, b.LatencyByRoute)
	}
}

package ingest_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/store/storesqlite"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
	"github.com/netra-ai/netra/workload"
)

// Latency decodes chunks on several cores; its figures are those of one serial analysis, for
// every scope, over many chunks whose latencies differ from chunk to chunk.
func TestLatencyOnCoresEqualsOneScan(t *testing.T) {
	ctx := context.Background()
	st, _ := sqlitetest.Open(t)
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	routes := []string{"chat", "search", "agent"}
	for up := range 12 {
		u, err := st.BeginUpload(ctx, "lee", 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		var batch []workload.Record
		for i := range 1000 {
			batch = append(batch, workload.Record{ID: fmt.Sprintf("u%d-%d", up, i), TS: end.Add(-time.Duration(up*1000+i) * time.Minute),
				Provider: "openai", Model: []string{"gpt-4o", "gpt-4o-mini"}[(up+i)%2], Route: routes[(up*7+i)%3],
				InputTokens: 100, OutputTokens: 10, LatencyMS: float64(100*up + i%97), TTFTMS: float64(up + 1), OK: true, Interactive: i%2 == 0, CostUSD: 0.001})
		}
		if _, _, err := u.Add(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	svc := ingest.New(ingest.Config{}, st)
	w := workload.Window{From: end.Add(-6000 * time.Minute), To: end}
	for _, scope := range []ingest.Scope{{}, {Routes: []string{"search"}}, {Models: []string{"gpt-4o-mini"}}} {
		got, err := svc.Latency(ctx, "lee", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		want, err := svc.Analyze(ctx, "lee", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		if want.LatencyMS.Count < 1000 || !reflect.DeepEqual(got.LatencyByRoute, want.LatencyByRoute) || !reflect.DeepEqual(got.LatencyByModel, want.LatencyByModel) ||
			got.LatencyMS.Count != want.LatencyMS.Count || got.LatencyMS.P95 != want.LatencyMS.P95 || got.TTFTMS.P50 != want.TTFTMS.P50 || got.Totals.Requests != want.Totals.Requests {
			t.Fatalf("scope %+v:\non cores %+v %+v\none scan %+v %+v", scope, got.LatencyMS, got.LatencyByRoute, want.LatencyMS, want.LatencyByRoute)
		}
	}
}

// A scope's days keep whole UTC days: Saturdays and Sundays, or Monday to Friday, alike from
// daily rollups, from the records at a window's edges, and in every scan.
func TestScopeKeepsWeekendsOrWeekdays(t *testing.T) {
	ctx := context.Background()
	st, _ := sqlitetest.Open(t)
	first := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC) // a Monday
	var all []workload.Record
	for day := range 14 { // an upload a day: a chunk wholly in the window is tallied from its rollups
		var batch []workload.Record
		for i := range day + 1 { // a different count each day
			batch = append(batch, workload.Record{ID: fmt.Sprintf("d%d-%d", day, i), TS: first.AddDate(0, 0, day).Add(time.Duration(i*53) * time.Minute),
				Provider: "openai", Model: "gpt-4o", Route: "chat", InputTokens: 100, OutputTokens: 10, LatencyMS: float64(10 * (day + 1)), OK: true, CostUSD: 0.001})
		}
		upload(t, st, "kim", batch)
		all = append(all, batch...)
	}
	// From noon of the first day: its morning is outside, so the edge is read record by record.
	w := workload.Window{From: first.Add(12 * time.Hour), To: first.AddDate(0, 0, 14)}
	want := map[string]int64{}
	for _, r := range all {
		if !w.Contains(r.TS) {
			continue
		}
		days := ingest.DaysWeekdays
		if wd := r.TS.Weekday(); wd == time.Saturday || wd == time.Sunday {
			days = ingest.DaysWeekends
		}
		want[days]++
		want[""]++
	}
	svc := ingest.New(ingest.Config{}, st)
	for _, days := range []string{"", ingest.DaysWeekends, ingest.DaysWeekdays} {
		scope := ingest.Scope{Days: days}
		tally, err := svc.Tally(ctx, "kim", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		full, err := svc.Analyze(ctx, "kim", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		lat, err := svc.Latency(ctx, "kim", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		if tally.Totals.Requests != want[days] || full.Totals.Requests != want[days] || lat.LatencyMS.Count != want[days] {
			t.Errorf("days %q: tally %d, analysis %d, latency %d requests; want %d", days, tally.Totals.Requests, full.Totals.Requests, lat.LatencyMS.Count, want[days])
		}
		// A run-rate divides by the days the records cover, weekends or not: the 2nd to the
		// 14th (the first day's one record is before noon).
		if tally.CoveredDays != 13 || full.CoveredDays != 13 {
			t.Errorf("days %q: the tally covers %v days, the analysis %v; want 13", days, tally.CoveredDays, full.CoveredDays)
		}
	}
	if want[ingest.DaysWeekends] == 0 || want[ingest.DaysWeekdays] == 0 {
		t.Fatalf("the records hold no weekend or no weekday: %v", want)
	}
}

// Bounds keep single requests, so a bounded tally reads the records, not the rollups (which
// sum requests of every size), and every scan keeps the same requests.
func TestScopeBoundsKeepRequests(t *testing.T) {
	ctx := context.Background()
	st, _ := sqlitetest.Open(t)
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var all []workload.Record
	for up := range 3 { // whole chunks inside the window: rolled up
		var batch []workload.Record
		for i := range 500 {
			n := up*500 + i
			batch = append(batch, workload.Record{ID: fmt.Sprintf("b%d", n), TS: end.Add(-time.Duration(n+1) * time.Minute),
				Provider: "openai", Model: []string{"gpt-4o", "gpt-4o-mini"}[n%2], Route: "chat",
				InputTokens: int64(100 * (n % 97)), OutputTokens: int64(n % 13), LatencyMS: float64(37 * (n % 301)), TTFTMS: float64(n % 3 * 100),
				OK: n%11 != 0, CostUSD: float64(n%50) / 100})
		}
		upload(t, st, "ana", batch)
		all = append(all, batch...)
	}
	w := workload.Window{From: end.Add(-48 * time.Hour), To: end}
	f := func(v float64) *float64 { return &v }
	svc := ingest.New(ingest.Config{}, st)
	for _, bounds := range [][]workload.Bound{
		{{Measure: workload.MeasureLatency, Over: f(10000)}},
		{{Measure: workload.MeasureInputTokens, Under: f(2000)}},
		{{Measure: workload.MeasureCost, Over: f(0.1), Under: f(0.3)}, {Measure: workload.MeasureTTFT, Over: f(50)}}, // a zero TTFT is unknown: kept by no bound on it
		{{Measure: workload.MeasureTokens, Over: f(9000)}},
	} {
		var want int64
		var cost float64
		for _, r := range all {
			keep := true
			for _, b := range bounds {
				keep = keep && b.Keeps(&r)
			}
			if keep {
				want++
				cost += r.CostUSD
			}
		}
		if want == 0 || want == int64(len(all)) {
			t.Fatalf("bounds %+v keep %d of %d: a test of nothing", bounds, want, len(all))
		}
		scope := ingest.Scope{Models: []string{"gpt-4o", "gpt-4o-mini"}, Bounds: bounds}
		tally, err := svc.Tally(ctx, "ana", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		full, err := svc.Analyze(ctx, "ana", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		lat, err := svc.Latency(ctx, "ana", w, scope)
		if err != nil {
			t.Fatal(err)
		}
		q, err := svc.Query(ctx, "ana", w, scope, workload.GroupNone)
		if err != nil {
			t.Fatal(err)
		}
		if tally.Totals.Requests != want || full.Totals.Requests != want || lat.LatencyMS.Count != want || len(q.Rows) != 1 || q.Rows[0].Requests != want {
			t.Errorf("bounds %+v: tally %d, analysis %d, latency %d, query %+v requests; want %d", bounds, tally.Totals.Requests, full.Totals.Requests, lat.LatencyMS.Count, q.Rows, want)
		}
		if d := tally.Totals.CostUSD - cost; d > 1e-6 || d < -1e-6 {
			t.Errorf("bounds %+v: tally cost %v, want %v", bounds, tally.Totals.CostUSD, cost)
		}
	}
}

// upload stores recs as one upload of owner's.
func upload(t *testing.T, st *storesqlite.Store, owner string, recs []workload.Record) {
	t.Helper()
	ctx := context.Background()
	u, err := st.BeginUpload(ctx, owner, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Add(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

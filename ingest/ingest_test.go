package ingest_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/netra-ai/netra/ingest"
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

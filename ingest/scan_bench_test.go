package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
	"github.com/netra-ai/netra/workload"
)

// BenchmarkLatency: the latency figure of a question over one user's 1,000,000 records in
// SQLite, shaped like the node's scale benchmark (4 models, 5 routes, 30 days).
//
//	go test -run XXX -bench Latency -benchtime 10x ./ingest/
func BenchmarkLatency(b *testing.B) {
	ctx := context.Background()
	svc, w := bigStore(b)
	b.ResetTimer()
	for b.Loop() {
		s, err := svc.Latency(ctx, "big", w, ingest.Scope{})
		if err != nil || s.LatencyMS.Count == 0 {
			b.Fatal(s.LatencyMS, err)
		}
	}
}

// BenchmarkTally: a figure about spend over the same million records, from the rollups, and
// within a bound on each request ("requests slower than 2 s"), which reads every record.
//
//	go test -run XXX -bench Tally -benchtime 10x ./ingest/
func BenchmarkTally(b *testing.B) {
	ctx := context.Background()
	svc, w := bigStore(b)
	over := 2000.0
	for _, c := range []struct {
		name  string
		scope ingest.Scope
	}{{"rollups", ingest.Scope{}}, {"bounded", ingest.Scope{Bounds: []workload.Bound{{Measure: workload.MeasureLatency, Over: &over}}}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s, err := svc.Tally(ctx, "big", w, c.scope)
				if err != nil || s.Totals.Requests == 0 {
					b.Fatal(s.Totals, err)
				}
			}
		})
	}
}

// bigStore is one user's 1,000,000 records in SQLite, and the window that holds them.
func bigStore(b *testing.B) (*ingest.Service, workload.Window) {
	ctx := context.Background()
	st, _ := sqlitetest.Open(b)
	now := time.Now().UTC().Truncate(time.Second)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"}
	routes := []string{"chat", "search", "summarize", "classify", "agent"}
	up, err := st.BeginUpload(ctx, "big", 2_000_000)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	batch := make([]workload.Record, 0, 4096)
	for i := range n {
		batch = append(batch, workload.Record{ID: fmt.Sprintf("r%d", i), TS: now.Add(-time.Duration(i%(30*24*3600)) * time.Second),
			Provider: "openai", Model: models[i%4], Route: routes[i%5], InputTokens: int64(200 + i%3000), OutputTokens: int64(20 + i%700),
			LatencyMS: float64(300 + i%4000), OK: true, PrefixHash: fmt.Sprintf("p%d", i%17), CostUSD: 0.001})
		if len(batch) == cap(batch) {
			if _, _, err := up.Add(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := up.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return ingest.New(ingest.Config{}, st), workload.Window{From: now.Add(-30 * 24 * time.Hour), To: now.Add(time.Second)}
}

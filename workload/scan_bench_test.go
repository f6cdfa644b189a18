package workload

import (
	"fmt"
	"testing"
	"time"
)

// benchChunks encodes n records shaped like the node's scale benchmark: 4 models, 5 routes,
// 17 prefixes, unique ids, over the seconds before now.
func benchChunks(n int) ([][]byte, Window) {
	now := time.Now().UTC().Truncate(time.Second)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"}
	routes := []string{"chat", "search", "summarize", "classify", "agent"}
	prices := DefaultPrices()
	var chunks [][]byte
	recs := make([]Record, 0, ChunkSize)
	for i := 0; i < n; i++ {
		r := Record{ID: fmt.Sprintf("r%d", i), TS: now.Add(-time.Duration(i%(30*24*3600)) * time.Second),
			Model: models[i%4], Route: routes[i%5], InputTokens: int64(200 + i%3000), OutputTokens: int64(20 + i%700),
			LatencyMS: float64(300 + i%4000), OK: true, PrefixHash: fmt.Sprintf("p%d", i%17)}
		if p, ok := prices.Lookup(r.Model); ok {
			r.Provider = p.Provider
			r.CostUSD = p.Cost(r.InputTokens, 0, r.OutputTokens, false)
		}
		recs = append(recs, r)
		if len(recs) == ChunkSize || i == n-1 {
			chunks = append(chunks, EncodeChunk(recs))
			recs = recs[:0]
		}
	}
	return chunks, Window{From: now.Add(-31 * 24 * time.Hour), To: now.Add(time.Second)}
}

func BenchmarkScan(b *testing.B) {
	chunks, w := benchChunks(1_000_000)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			for _, c := range chunks {
				_ = DecodeChunk(c, func(*Record) bool { return true })
			}
		}
	})
	b.Run("analyze", func(b *testing.B) {
		for b.Loop() {
			a := NewAnalyzer(w, DefaultPrices())
			for _, c := range chunks {
				_ = DecodeChunk(c, func(r *Record) bool { a.Add(r); return true })
			}
			_ = a.Stats()
		}
	})
	b.Run("latency", func(b *testing.B) {
		for b.Loop() {
			a := NewLatencyAnalyzer(w, DefaultPrices())
			for _, c := range chunks {
				_ = DecodeChunk(c, func(r *Record) bool { a.Add(r); return true })
			}
			_ = a.Stats()
		}
	})
	b.Run("tally", func(b *testing.B) {
		for b.Loop() {
			a := NewTally(w, DefaultPrices())
			for _, c := range chunks {
				_ = DecodeChunk(c, func(r *Record) bool { a.Add(r); return true })
			}
			_ = a.Stats()
		}
	})
}

func BenchmarkRollUp(b *testing.B) {
	now := time.Now().UTC()
	recs := make([]Record, ChunkSize)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"}
	routes := []string{"chat", "search", "summarize", "classify", "agent"}
	for i := range recs {
		recs[i] = Record{ID: fmt.Sprintf("r%d", i), TS: now.Add(-time.Duration(i) * time.Second), Provider: "openai",
			Model: string([]byte(models[i%4])), Route: string([]byte(routes[i%5])), OK: true, CostUSD: 0.001}
	}
	b.Run("rollup", func(b *testing.B) {
		for b.Loop() {
			RollUp(recs)
		}
	})
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			EncodeChunk(recs)
		}
	})
}

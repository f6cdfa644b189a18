package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/modeltest"
	"github.com/netra-ai/netra/node"
)

// letters names a token by its index without digits (a word with a digit waits in the number
// gate for the whitespace after it, by design; these measure the pipeline).
func letters(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		if i /= 26; i == 0 {
			return "tok" + s
		}
	}
}

var tokenRe = regexp.MustCompile(`tok([a-z]+)`)

// liveHeap is the heap the last collection found live, read without stopping the world.
func liveHeap() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

func tokenIndex(s string) int {
	n := 0
	for _, c := range s {
		n = n*26 + int(c-'a')
	}
	return n
}

// BenchmarkAnalystStreaming: 200 users each ask the analyst a free-form question, all at once
// or arriving over a second, against a fake OpenAI server that streams a 200-token answer at
// 20 ms a token after one tool call. Reported: message_delta latency from the fake's send of
// the newest token a delta holds to the client's receipt (p50, p99), split at the server's
// emit (the event's ts); the same for the oldest token (the coalescing's cost); the process's
// CPU per run (server, fake and clients together) and Netra's share of it (from a CPU profile
// of the measured window; not under go test -cpuprofile); the live heap
// per active run (server, fake and client sides); deltas per run; goroutines and live engines
// after.
//
//	go test -run XXX -bench AnalystStreaming -benchtime 1x -count 3 ./node/
func BenchmarkAnalystStreaming(b *testing.B) {
	const users, tokens = 200, 200
	const tokenEvery = 20 * time.Millisecond
	var mu sync.Mutex
	sent := map[string][]time.Time{} // by question tag: each streamed event's send time
	var words []string
	for i := range tokens {
		words = append(words, " "+letters(i))
	}
	// The load (the fake provider, the uploads and the 200 clients) runs under a profiler label,
	// so that Netra's own share of the process's CPU can be told from it (netraCPUShare).
	ctx := context.Background()
	loadCtx := pprof.WithLabels(ctx, pprof.Labels("side", "load"))
	pprof.SetGoroutineLabels(loadCtx)
	fake := modeltest.NewOpenAI(b, func(_ int, req modeltest.OpenAIRequest) modeltest.OpenAIReply {
		if len(req.ResponseFormat) > 0 {
			return modeltest.OpenAIReply{Content: `{"category":"workload_analysis","kind":"question","metric":"","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":30,"window_label":"last 30 days","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`}
		}
		last := req.Messages[len(req.Messages)-1]
		if last.Role == "user" {
			w := windowRe.FindStringSubmatch(req.Messages[0].Content)
			return modeltest.OpenAIReply{ToolCalls: []model.ToolCall{{ID: "c1", Name: "workload_query", Args: json.RawMessage(fmt.Sprintf(`{"from":%q,"to":%q,"group_by":"route"}`, w[1], w[2]))}},
				PromptTokens: 900, OutputTokens: 30}
		}
		tag := strings.TrimSuffix(strings.TrimPrefix(req.Messages[1].Content, "<question>\n"), "\n</question>")
		times := make([]time.Time, tokens+3)
		mu.Lock()
		sent[tag] = times
		mu.Unlock()
		return modeltest.OpenAIReply{Chunks: words, ChunkDelay: tokenEvery, PromptTokens: 1500, OutputTokens: tokens,
			OnChunk: func(i int, _ string) {
				mu.Lock()
				times[i] = time.Now()
				mu.Unlock()
			}}
	})
	pprof.SetGoroutineLabels(ctx) // the server's goroutines are Netra's
	n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), JWTSecret: secret, MaxRunning: 256,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Model:  node.ModelConfig{Provider: "openai", Model: "gpt-4o-mini", BaseURL: fake.URL, APIKey: "sk-bench"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = n.Stop(context.Background()) }()
	pprof.SetGoroutineLabels(loadCtx)
	conns := make([]*client.Conn, users)
	now := time.Now().UTC()
	var body strings.Builder
	for j := range 100 { // each user's records: triage finds data, the tool has rows
		fmt.Fprintf(&body, `{"id":"r%d","ts":%q,"model":"gpt-4o","route":"r%d","input_tokens":100,"output_tokens":20,"latency_ms":300,"status":"ok"}`+"\n",
			j, now.Add(-time.Duration(j+1)*time.Hour).Format(time.RFC3339), j%4)
	}
	for i := range conns {
		tok, _ := auth.Sign([]byte(secret), netra.Identity{UserID: fmt.Sprintf("s%03d", i), Tier: netra.TierEnterprise, Role: netra.RoleUser}, time.Hour, "")
		req, _ := http.NewRequest("POST", n.URL()+"/v1/workloads/records", strings.NewReader(body.String()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("upload: %v %v", resp, err)
		}
		_ = resp.Body.Close()
		// A small buffer: the default (4,096 events a connection) would be 200 × ~0.5 MB of
		// channel the collector scans in every cycle, slowing the server it measures.
		if conns[i], err = client.New(n.URL(), tok).Connect(ctx, client.ConnOptions{Buffer: 256}); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}
	// All at once (the hardest case: 200 triages, then 200 streams in step), and arriving
	// over a second, as users do.
	for _, spread := range []time.Duration{0, time.Second} {
		b.Run("arrivals="+spread.String(), func(b *testing.B) {
			pprof.SetGoroutineLabels(loadCtx)
			for b.Loop() {
				runtime.GC()
				heap0, g0 := liveHeap(), runtime.NumGoroutine()
				var prof bytes.Buffer
				profiling := pprof.StartCPUProfile(&prof) == nil // not under go test -cpuprofile
				var ru0, ru1 syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
				t0 := time.Now()
				var newest, oldest, toEmit, fromEmit []float64
				deltas, failed := 0, 0
				var wg sync.WaitGroup
				for i, c := range conns {
					tag := fmt.Sprintf("which tokens stream for s%03d?", i)
					wg.Go(func() {
						time.Sleep(spread * time.Duration(i) / users)
						acc, err := c.Start(ctx, client.StartRun{Input: tag})
						if err != nil {
							b.Error(err)
							return
						}
						for ev := range c.Events() {
							if ev.RunID != acc.RunID {
								continue
							}
							if ev.Terminal() {
								if ev.Type != "run_completed" {
									mu.Lock()
									failed++
									mu.Unlock()
								}
								return
							}
							if ev.Type != "message_delta" {
								continue
							}
							at := time.Now()
							var d struct {
								Text string `json:"text"`
							}
							_ = json.Unmarshal(ev.Data, &d)
							idx := tokenRe.FindAllStringSubmatch(d.Text, -1)
							if len(idx) == 0 {
								continue
							}
							lo, hi := tokenIndex(idx[0][1]), tokenIndex(idx[len(idx)-1][1])
							mu.Lock()
							times := sent[tag]
							newest = append(newest, float64(at.Sub(times[hi+1]).Microseconds())/1000)
							toEmit = append(toEmit, float64(ev.TS.Sub(times[hi+1]).Microseconds())/1000)
							fromEmit = append(fromEmit, float64(at.Sub(ev.TS).Microseconds())/1000)
							oldest = append(oldest, float64(at.Sub(times[lo+1]).Microseconds())/1000)
							deltas++
							mu.Unlock()
						}
					})
				}
				// Mid-stream, every run active: the live heap per run, as the collector last marked it
				// (forcing a collection here would stall every stream at the moment it measures).
				time.Sleep(2 * time.Second)
				heapMid, running := liveHeap(), n.Running()

				wg.Wait()
				wall := time.Since(t0)
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
				cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
				if profiling {
					pprof.StopCPUProfile()
					if share, err := netraCPUShare(&prof); err != nil {
						b.Error(err)
					} else {
						b.ReportMetric(share*float64(cpu.Microseconds())/1000/users, "netra-cpu-ms/run")
					}
				}
				deadline := time.Now().Add(10 * time.Second)
				for (n.Running() > 0 || n.Gauges().Engines > 0) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(200 * time.Millisecond)
				runtime.GC()
				slices.Sort(newest)
				slices.Sort(oldest)
				pct := func(v []float64, p float64) float64 {
					if len(v) == 0 {
						return 0
					}
					return v[int(p*float64(len(v)-1))]
				}
				b.ReportMetric(pct(newest, 0.5), "delta-newest-p50-ms")
				b.ReportMetric(pct(newest, 0.99), "delta-newest-p99-ms")
				slices.Sort(toEmit)
				slices.Sort(fromEmit)
				b.ReportMetric(pct(toEmit, 0.99), "send-to-emit-p99-ms")
				b.ReportMetric(pct(fromEmit, 0.99), "emit-to-client-p99-ms")
				b.ReportMetric(pct(oldest, 0.99), "delta-oldest-p99-ms")
				b.ReportMetric(float64(deltas)/users, "deltas/run")
				b.ReportMetric(float64(cpu.Microseconds())/1000/users, "process-cpu-ms/run")
				b.ReportMetric(float64(int64(heapMid)-int64(heap0))/1024/float64(max(running, 1)), "heap-KiB/active-run")
				b.ReportMetric(float64(running), "active-mid")
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(float64(failed), "failed")
				b.ReportMetric(float64(runtime.NumGoroutine()-g0), "goroutines-after")
				b.ReportMetric(float64(n.Gauges().Engines+n.Gauges().Dispatchers+n.Gauges().Emitters), "live-objects-after")
			}
		})
	}
}

// netraCPUShare is the share of a CPU profile's samples that are Netra's: those without the
// load's label, less the collector's background work in proportion to the load's share (the
// collector works for every allocation of the process, the load's too).
func netraCPUShare(r io.Reader) (float64, error) {
	p, err := profile.Parse(r)
	if err != nil {
		return 0, err
	}
	var load, gc, all int64
	for _, s := range p.Sample {
		v := s.Value[1] // cpu nanoseconds
		all += v
		switch {
		case len(s.Label["side"]) > 0:
			load += v
		case slices.ContainsFunc(s.Location, func(l *profile.Location) bool {
			return slices.ContainsFunc(l.Line, func(ln profile.Line) bool { return ln.Function != nil && ln.Function.Name == "runtime.gcBgMarkWorker" })
		}):
			gc += v
		}
	}
	if all == 0 || all == gc {
		return 0, fmt.Errorf("an empty CPU profile")
	}
	netra := all - load - gc
	return (float64(netra) + float64(gc)*float64(netra)/float64(all-gc)) / float64(all), nil
}

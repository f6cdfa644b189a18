package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
)

// jsonlBody streams n JSONL records over the last 30 days through a pipe.
func jsonlBody(n int, seed int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		var b bytes.Buffer
		now := time.Now().UTC().Add(-time.Minute)
		models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"}
		routes := []string{"chat", "search", "summarize", "classify", "agent"}
		for i := 0; i < n; i++ {
			ts := now.Add(-time.Duration(i%(30*24*3600)) * time.Second)
			fmt.Fprintf(&b, `{"id":"r%d-%d","ts":%q,"model":%q,"route":%q,"input_tokens":%d,"output_tokens":%d,"latency_ms":%d,"status":"ok","prefix_hash":"p%d"}`+"\n",
				seed, i, ts.Format(time.RFC3339), models[i%4], routes[i%5], 200+i%3000, 20+i%700, 300+i%4000, i%17)
			if b.Len() > 1<<20 {
				if _, err := pw.Write(b.Bytes()); err != nil {
					return
				}
				b.Reset()
			}
		}
		_, _ = pw.Write(b.Bytes())
		_ = pw.Close()
	}()
	return pr
}

func upload(b *testing.B, url, tok string, n, seed int) time.Duration {
	// The body is made before the clock starts: the figure is the server's, not the
	// generator's, which would otherwise share the two cores with it.
	body, err := io.ReadAll(jsonlBody(n, seed))
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+"/v1/workloads/records", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct{ Accepted int }
	_ = json.NewDecoder(resp.Body).Decode(&res)
	if resp.StatusCode != 201 || res.Accepted != n {
		b.Fatalf("upload: %d, accepted %d of %d", resp.StatusCode, res.Accepted, n)
	}
	return time.Since(t0)
}

// BenchmarkGoldenPathScale: one user uploads 1,000,000 records over HTTP while two others hold
// 200,000 each; then the user asks the supervisor. Reported: ingestion records/s, and the
// data agent's own time (its agent_completed duration_ms) over the million records.
//
//	go test -run XXX -bench GoldenPathScale -benchtime 1x ./node/
func BenchmarkGoldenPathScale(b *testing.B) {
	n := benchNode(b, 64)
	tok := func(u string) string {
		s, _ := auth.Sign([]byte(secret), netra.Identity{UserID: u, Tier: netra.TierEnterprise, Role: netra.RoleUser}, time.Hour, "")
		return s
	}
	for i, u := range []string{"neighbour-1", "neighbour-2"} {
		upload(b, n.URL(), tok(u), 200_000, 100+i)
	}
	const records = 1_000_000
	d := upload(b, n.URL(), tok("big-user"), records, 1)
	conn, err := client.New(n.URL(), tok("big-user")).Connect(context.Background(), client.ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	// The full report, and a figure question: their supervisor's time is the answer's.
	for b.Loop() {
		for _, q := range []struct{ input, metric string }{
			{"how can I reduce my LLM costs?", "report"},
			{"how much did I spend in the last 30 days?", "figure"},
			{"what's my p95 latency in the last 30 days?", "latency-figure"},
		} {
			acc, err := conn.Start(context.Background(), client.StartRun{Input: q.input})
			if err != nil {
				b.Fatal(err)
			}
			for ev := range conn.Events() {
				if ev.RunID != acc.RunID {
					continue
				}
				if ev.Type == "agent_completed" && (ev.Agent == "data" || ev.Agent == "supervisor") {
					var dd struct {
						DurationMS float64 `json:"duration_ms"`
					}
					_ = json.Unmarshal(ev.Data, &dd)
					b.ReportMetric(dd.DurationMS, q.metric+"-"+ev.Agent+"-ms")
				}
				if ev.Terminal() {
					if ev.Type != "run_completed" {
						b.Fatalf("run ended %s: %s", ev.Type, ev.Data)
					}
					break
				}
			}
		}
	}
	b.ReportMetric(float64(records)/d.Seconds(), "ingest-records/s")
}

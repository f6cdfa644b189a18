package node_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
)

func benchNode(b *testing.B, maxRunning int) *node.Node {
	b.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), JWTSecret: secret, MaxRunning: maxRunning,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = n.Stop(context.Background()) })
	return n
}

func benchConn(b *testing.B, n *node.Node, user string, tier netra.Tier) *client.Conn {
	tok, _ := auth.Sign([]byte(secret), netra.Identity{UserID: user, Tier: tier, Role: netra.RoleUser}, time.Hour, "")
	conn, err := client.New(n.URL(), tok).Connect(context.Background(), client.ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

// runEcho starts one echo run (delay 0) and waits for its end; it returns the client-observed
// time from sending start_run to receiving run_completed, and the server-side time from the
// run_queued event to the run_completed event (the platform's own cost per run).
func runEcho(b *testing.B, conn *client.Conn) (clientSide, serverSide time.Duration) {
	t0 := time.Now()
	acc, err := conn.Start(context.Background(), client.StartRun{Input: "bench", Agent: "echo"})
	if err != nil {
		b.Fatal(err)
	}
	var queued time.Time
	for ev := range conn.Events() {
		if ev.RunID != acc.RunID {
			continue
		}
		if ev.Type == "run_queued" {
			queued = ev.TS
		}
		if ev.Terminal() {
			if ev.Type != "run_completed" {
				b.Fatalf("run ended %s", ev.Type)
			}
			return time.Since(t0), ev.TS.Sub(queued)
		}
	}
	b.Fatal("connection closed")
	return 0, 0
}

func pct(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Microseconds())
}

// BenchmarkEchoRun runs echo runs one after another over one WebSocket connection.
func BenchmarkEchoRun(b *testing.B) {
	n := benchNode(b, 64)
	conn := benchConn(b, n, "bench-user", netra.TierEnterprise)
	var cl, sv []time.Duration
	for b.Loop() {
		c, s := runEcho(b, conn)
		cl, sv = append(cl, c), append(sv, s)
	}
	b.ReportMetric(pct(cl, 0.5), "client-p50-µs")
	b.ReportMetric(pct(cl, 0.99), "client-p99-µs")
	b.ReportMetric(pct(sv, 0.5), "server-p50-µs")
	b.ReportMetric(pct(sv, 0.99), "server-p99-µs")
}

// BenchmarkEchoRunParallel runs echo runs from 32 users at once, each on its own connection.
func BenchmarkEchoRunParallel(b *testing.B) {
	n := benchNode(b, 64)
	const users = 32
	conns := make([]*client.Conn, users)
	for i := range conns {
		conns[i] = benchConn(b, n, fmt.Sprintf("bench-%d", i), netra.TierEnterprise)
	}
	var mu sync.Mutex
	var sv []time.Duration
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				_, s := runEcho(b, conn)
				mu.Lock()
				sv = append(sv, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
	b.ReportMetric(pct(sv, 0.5), "server-p50-µs")
	b.ReportMetric(pct(sv, 0.99), "server-p99-µs")
}

package node_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/bench"
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

// BenchmarkEchoRunParallel runs echo runs from 32 users at once, each on its own connection
// (the throughput scenario of netra bench).
func BenchmarkEchoRunParallel(b *testing.B) {
	n := benchNode(b, 64)
	rep, err := bench.Throughput(context.Background(), bench.Target{URL: n.URL(), Secret: []byte(secret)},
		bench.ThroughputConfig{Concurrency: 32, Runs: b.N})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rep.RunsPerS, "runs/s")
	b.ReportMetric(rep.Overhead.P50, "server-p50-ms")
	b.ReportMetric(rep.Overhead.P99, "server-p99-ms")
}

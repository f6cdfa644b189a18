package bench_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/netra-ai/netra/bench"
	"github.com/netra-ai/netra/node"
)

const secret = "bench-test-secret-bench-test-secret-000"

// startNode runs a node for the test; it stops with the test (Stop is idempotent).
func startNode(t *testing.T, maxRunning int) *node.Node {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JWTSecret: secret, MaxRunning: maxRunning,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop(context.Background()) })
	return n
}

func target(t *testing.T, maxRunning int) bench.Target {
	return bench.Target{URL: startNode(t, maxRunning).URL(), Secret: []byte(secret)}
}

// Every scenario runs at a small scale and reports sane numbers.
func TestScenarios(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tg := target(t, 8)
	iso, err := bench.Isolation(ctx, tg, bench.IsolationConfig{Users: 10, Conns: 2, Runs: 3})
	if err != nil || iso.ForeignEvents != 0 || iso.MissingEvents != 0 || iso.DuplicateEvents != 0 || iso.Events < 10*2*3*7 {
		t.Fatalf("isolation %+v %v", iso, err)
	}
	tp, err := bench.Throughput(ctx, tg, bench.ThroughputConfig{Concurrency: 4, Runs: 50})
	if err != nil || tp.Client.Count != 50 || tp.RunsPerS <= 0 || tp.Overhead.P50 <= 0 {
		t.Fatalf("throughput %+v %v", tp, err)
	}
	lat, err := bench.Latency(ctx, tg, bench.LatencyConfig{Users: 10, Active: 3, Duration: 300 * time.Millisecond, DelayMS: 5})
	if err != nil || lat.Runs == 0 || lat.Latency.Count == 0 {
		t.Fatalf("latency %+v %v", lat, err)
	}
	fair, err := bench.Fairness(ctx, target(t, 2), bench.FairnessConfig{LightUsers: 3, HeavyRuns: 20, DelayMS: 50, Duration: time.Second})
	if err != nil || fair.LightRuns == 0 || fair.Jain <= 0 || fair.Jain > 1 {
		t.Fatalf("fairness %+v %v", fair, err)
	}
	soak, err := bench.Soak(ctx, tg, bench.SoakConfig{Runs: 100, Concurrency: 4, LocalGC: true})
	if err != nil || soak.GoroutinesBefore == 0 || soak.LiveEngines != 0 {
		t.Fatalf("soak %+v %v", soak, err)
	}
	conns, err := bench.Connections(ctx, tg, bench.ConnectionsConfig{Conns: 20, LocalGC: true})
	if err != nil || conns.Open < 20 {
		t.Fatalf("connections %+v %v", conns, err)
	}
	// The burst stops its own node at the end.
	n := startNode(t, 4)
	burst, err := bench.Burst(ctx, bench.Target{URL: n.URL(), Secret: []byte(secret)}, bench.BurstConfig{Users: 10, RunsPerUser: 20,
		ClosedLoop: 300 * time.Millisecond, Stop: func() error { return n.Stop(context.Background()) }})
	if err != nil || burst.Accepted != 200 || burst.Missing != 0 || burst.Foreign != 0 || burst.RunQueuedPerRun < 1 ||
		burst.QueuedAtStop != 200 || burst.StartedAfterStop != 0 || burst.Reply.Count != 200 || burst.ClosedLoopPS <= 0 {
		t.Fatalf("burst %+v %v", burst, err)
	}
}

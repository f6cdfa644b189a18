package main

import (
	"context"
	"testing"

	"github.com/netra-ai/netra/bench"
	"github.com/netra-ai/netra/node"
)

// TestBenchMeasuresCPU: a report carries the CPU the scenario cost, this process's and the
// server's from its /metrics, in all and per run.
func TestBenchMeasuresCPU(t *testing.T) {
	ctx := context.Background()
	n, secret, cleanup, err := startLocal(ctx, node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	target := bench.Target{URL: n.URL(), Secret: secret, Prefix: "cpu-"}
	m := startCPU(ctx, target, true) // as with --url: the server answers its /metrics
	if _, err := bench.Throughput(ctx, target, bench.ThroughputConfig{Concurrency: 4, Runs: 300}); err != nil {
		t.Fatal(err)
	}
	c := m.stop(ctx, 300)
	if c == nil || c.ProcessS <= 0 || c.ServerS == nil || *c.ServerS <= 0 || c.ServerMSPerRun == nil ||
		c.ProcessMSPerRun != c.ProcessS*1000/300 {
		t.Fatalf("cpu %+v", c)
	}
}

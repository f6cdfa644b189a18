package node_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/netra-ai/netra/node"
)

// TestRunsAreTraced: a run is one trace: the run span, its agent steps as children, their
// tool calls as grandchildren, with the run's ids as attributes.
func TestRunsAreTraced(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h := start(t, func(c *node.Config) { c.TracerProvider = tp })
	run := finishedRun(t, h.client("tara"), "trace me")
	h.waitIdle()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	root, agent, tool := byName["run"], byName["agent echo"], byName["tool echo"]
	if root == nil || agent == nil || tool == nil {
		t.Fatalf("spans: %v", byName)
	}
	if agent.Parent().SpanID() != root.SpanContext().SpanID() || tool.Parent().SpanID() != agent.SpanContext().SpanID() ||
		tool.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Fatal("the agent and tool spans are not children of the run's")
	}
	attrs := map[string]string{}
	for _, a := range root.Attributes() {
		attrs[string(a.Key)] = a.Value.String()
	}
	if attrs["netra.run_id"] != run.ID || attrs["netra.user_id"] != "tara" || attrs["netra.status"] != "completed" || attrs["netra.agent"] != "echo" {
		t.Fatalf("run span attributes %v", attrs)
	}
}

// TestTracesExportOverOTLP: with an OTLP endpoint configured, spans reach the collector (here
// a loopback stand-in that counts export requests), at the latest when the node stops.
func TestTracesExportOverOTLP(t *testing.T) {
	t.Parallel()
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			exports.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	h := start(t, func(c *node.Config) { c.OTLPEndpoint = collector.URL })
	finishedRun(t, h.client("otto"), "export me")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if exports.Load() == 0 {
		t.Fatal("no trace export reached the collector")
	}
}

package node_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/workload"
)

// TestOTLPReceiverWithIngestionKey: an app instrumented with the OpenTelemetry Go SDK exports
// GenAI spans over OTLP/HTTP protobuf (otlptracehttp, gzip) to POST /v1/traces with an
// ingestion key in OTEL_EXPORTER_OTLP_HEADERS' place; the spans land as records with their
// tokens and the price table's cost. An OTLP/JSON export in OpenInference's names does the
// same, and a bad span is counted in partial_success. The key works only there and only for
// its owner, is listed without its secret, and once deleted is refused at once.
func TestOTLPReceiverWithIngestionKey(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("otto", netra.TierFree)
	ctx := ctxT(t)
	// A key, shown once.
	status, made, _ := rawHTTP(t, "POST", h.url+"/v1/keys", tok, `{"name":"support-bot exporter"}`, nil)
	key, _ := made["key"].(string)
	if status != 201 || !strings.HasPrefix(key, "nk_") {
		t.Fatalf("POST /v1/keys: %d %v", status, made)
	}
	_, list, _ := rawHTTP(t, "GET", h.url+"/v1/keys", tok, "", nil)
	if ks, _ := list["keys"].([]any); len(ks) != 1 || strings.Contains(fmt.Sprint(list), key) {
		t.Fatalf("GET /v1/keys: %v", list)
	}
	// Only for ingestion.
	if status, body, _ := rawHTTP(t, "GET", h.url+"/v1/me", key, "", nil); status != 401 {
		t.Fatalf("an ingestion key on /v1/me: %d %v", status, body)
	}

	// The real SDK, as an app would configure it through OTEL_EXPORTER_OTLP_ENDPOINT and
	// OTEL_EXPORTER_OTLP_HEADERS.
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(h.url+"/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + key}),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "support-bot"))))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("app")
	now := time.Now()
	for i := range 3 {
		_, sp := tracer.Start(ctx, "chat gpt-4o", trace.WithTimestamp(now.Add(-time.Duration(i+1)*time.Minute)))
		sp.SetAttributes(attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o"), attribute.String("gen_ai.response.model", "gpt-4o-2024-08-06"),
			attribute.Int("gen_ai.usage.input_tokens", 1000+i), attribute.Int("gen_ai.usage.output_tokens", 200))
		sp.End(trace.WithTimestamp(now.Add(-time.Duration(i+1)*time.Minute + 800*time.Millisecond)))
	}
	_, other := tracer.Start(ctx, "GET /health") // not a model call: skipped, not rejected
	other.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatalf("export: %v", err)
	}
	price, _ := workload.DefaultPrices().Lookup("gpt-4o")
	var wantCost float64
	for i := range 3 {
		wantCost += price.Cost(int64(1000+i), 0, 200, false)
	}
	checkRecords := func(n int, input int64, cost float64) {
		t.Helper()
		var sum struct{ Records int }
		if err := h.client("otto").Do(ctx, "GET", "/v1/workloads/summary", nil, &sum); err != nil || sum.Records != n {
			t.Fatalf("records %d (%v), want %d", sum.Records, err, n)
		}
		answer := askHTTP(t, h, tok, "How many tokens did I use in the last 7 days?")
		if !strings.Contains(answer, fmt.Sprintf("**%d input and", input)) {
			t.Fatalf("tokens answer: %s", answer)
		}
		answer = askHTTP(t, h, tok, "How much did I spend in the last 7 days?")
		if !strings.Contains(answer, fmt.Sprintf("**$%.2f**", cost)) {
			t.Fatalf("cost answer (want $%.4f): %s", cost, answer)
		}
	}
	checkRecords(3, 3003, wantCost)

	// OTLP/JSON, in OpenInference's attribute names, with one span whose count is not a number.
	span := func(id, tokens string) *tracepb.Span {
		s := &tracepb.Span{SpanId: []byte(id), Name: "llm", StartTimeUnixNano: uint64(now.Add(-time.Hour).UnixNano()), EndTimeUnixNano: uint64(now.Add(-time.Hour + time.Second).UnixNano())}
		for k, v := range map[string]string{"llm.model_name": "gpt-4o", "llm.provider": "openai", "llm.token_count.prompt": tokens, "llm.token_count.completion": "10"} {
			s.Attributes = append(s.Attributes, &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}})
		}
		return s
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "rag"}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{span("s0000001", "500"), span("s0000002", "many")}}},
	}}}
	body, _ := protojson.Marshal(req)
	post := func(k string) (int, []byte) {
		r, _ := http.NewRequestWithContext(ctx, "POST", h.url+"/v1/traces", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+k)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// The key in its own header (contract §9) on the JSON upload endpoint as well.
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", "", "", map[string]string{"X-Netra-Key": key, "Content-Type": "application/x-ndjson"}); status != 201 {
		t.Fatalf("x-netra-key on /v1/workloads/records: %d %v", status, body)
	}
	code, answer := post(key)
	var res coltracepb.ExportTraceServiceResponse
	if code != 200 || protojson.Unmarshal(answer, &res) != nil || res.GetPartialSuccess().GetRejectedSpans() != 1 ||
		!strings.Contains(res.GetPartialSuccess().GetErrorMessage(), "span 2") {
		t.Fatalf("JSON export: %d %s", code, answer)
	}
	checkRecords(4, 3503, wantCost+price.Cost(500, 0, 10, false))

	// Another user's key does not reach otto's records; a deleted key is refused at once.
	otherTok := h.token("olga", netra.TierFree)
	_, made2, _ := rawHTTP(t, "POST", h.url+"/v1/keys", otherTok, `{}`, nil)
	if code, _ := post(made2["key"].(string)); code != 200 {
		t.Fatalf("olga's export: %d", code)
	}
	checkRecords(4, 3503, wantCost+price.Cost(500, 0, 10, false))
	if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/keys/"+made["id"].(string), otherTok, "", nil); status != 404 {
		t.Fatalf("olga deleted otto's key: %d", status)
	}
	if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/keys/"+made["id"].(string), tok, "", nil); status != 204 {
		t.Fatalf("DELETE: %d", status)
	}
	if code, _ := post(key); code != 401 {
		t.Fatalf("a deleted key: %d, want 401", code)
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	_, sp := tracer.Start(ctx, "chat gpt-4o")
	sp.SetAttributes(attribute.String("gen_ai.request.model", "gpt-4o"))
	sp.End()
	if err := tp.ForceFlush(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("the SDK's export with a deleted key: %v", err)
	}
}

// askHTTP runs a question through the supervisor over HTTP and returns the answer's markdown.
func askHTTP(t *testing.T, h *harness, tok, q string) string {
	t.Helper()
	status, run, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, fmt.Sprintf(`{"input":%q}`, q), nil)
	if status != 202 {
		t.Fatalf("POST /v1/runs: %d %v", status, run)
	}
	id, _ := run["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, r, _ := rawHTTP(t, "GET", h.url+"/v1/runs/"+id, tok, "", nil)
		switch r["status"] {
		case "completed":
			out, _ := r["output"].(map[string]any)
			md, _ := out["markdown"].(string)
			return md
		case "failed", "cancelled":
			t.Fatalf("run %s: %v", r["status"], r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the run did not end")
	return ""
}

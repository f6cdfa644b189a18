package node_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/workload"
)

func line(id string, ts time.Time, model string, in, out int) string {
	return fmt.Sprintf(`{"id":%q,"ts":%q,"model":%q,"route":"chat","input_tokens":%d,"output_tokens":%d,"latency_ms":100,"status":"ok"}`,
		id, ts.Format(time.RFC3339), model, in, out)
}

func TestIngestion(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.RecordLimits = map[netra.Tier]int64{netra.TierFree: 6} })
	tok := h.token("ingrid", netra.TierFree)
	now := time.Now().UTC().Add(-time.Hour)
	post := func(ct, query, body string) (int, map[string]any) {
		status, m, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records"+query, tok, body, map[string]string{"Content-Type": ct})
		return status, m
	}
	summary := func() float64 {
		_, m, _ := rawHTTP(t, "GET", h.url+"/v1/workloads/summary", tok, "", nil)
		return m["records"].(float64)
	}
	// JSONL: two good lines (one a repeat of the other's id), costs from the price table.
	good := line("a", now, "gpt-4o", 1000, 200) + "\n" + line("a", now, "gpt-4o", 1000, 200) + "\n" + line("b", now, "gpt-4o-mini", 1000, 200) + "\n"
	status, m := post("application/x-ndjson", "", good)
	if status != 201 || m["accepted"] != 2.0 || m["duplicates"] != 1.0 || m["rejected"] != 0.0 {
		t.Fatalf("jsonl: %d %v", status, m)
	}
	// The same upload again: all duplicates (idempotent).
	if status, m = post("application/jsonl", "", good); status != 201 || m["accepted"] != 0.0 || m["duplicates"] != 3.0 {
		t.Fatalf("repeat: %d %v", status, m)
	}
	// A bad line refuses everything, with line numbers.
	bad := line("c", now, "gpt-4o", 1, 1) + "\n{oops\n" + line("d", now, "no-such-model", 1, 1) + "\n"
	status, m = post("application/x-ndjson", "", bad)
	errs, _ := m["error"].(map[string]any)
	if status != 400 || errCode(m) != "invalid_request" || errs == nil {
		t.Fatalf("bad lines: %d %v", status, m)
	}
	list := errs["errors"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["line"] != 2.0 || list[1].(map[string]any)["line"] != 3.0 {
		t.Fatalf("line errors %v", list)
	}
	if n := summary(); n != 2 {
		t.Fatalf("refused upload stored records: %v", n)
	}
	// partial=true stores the good lines and lists the bad.
	if status, m = post("application/x-ndjson", "?partial=true", bad); status != 201 || m["accepted"] != 1.0 || m["rejected"] != 2.0 || len(m["errors"].([]any)) != 2 {
		t.Fatalf("partial: %d %v", status, m)
	}
	// CSV.
	csv := "ts,model,route,input_tokens,output_tokens,latency_ms,status\n" + now.Format(time.RFC3339) + ",gpt-4o,chat,10,10,50,ok\n"
	if status, m = post("text/csv", "", csv); status != 201 || m["accepted"] != 1.0 {
		t.Fatalf("csv: %d %v", status, m)
	}
	// A quote that never closes: reported where it opens, every line it took counted (partial);
	// refused at its line when it would outgrow a record's bound, without reading the rest.
	open := "ts,model,route,latency_ms\n" + now.Format(time.RFC3339) + ",\"gpt-4o,chat,50\n" + strings.Repeat(now.Format(time.RFC3339)+",gpt-4o,chat,50\n", 5)
	if status, m = post("text/csv", "?partial=true", open); status != 201 || m["accepted"] != 0.0 || m["rejected"] != 6.0 ||
		m["errors"].([]any)[0].(map[string]any)["line"] != 2.0 {
		t.Fatalf("open quote, partial: %d %v", status, m)
	}
	huge := "ts,model,route,latency_ms\n\"" + strings.Repeat("x", 200<<10) + "\n"
	if status, m = post("text/csv", "", huge); status != 400 || !strings.Contains(fmt.Sprint(m), "line 2") {
		t.Fatalf("open quote over the bound: %d %v", status, m)
	}
	// OTLP/JSON.
	start := now.UnixNano()
	otlp := fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"span-1","name":"chat","startTimeUnixNano":"%d","endTimeUnixNano":"%d",
		"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}}]}]}]}]}`, start, start+1e6)
	if status, m = post("application/json", "", otlp); status != 201 || m["accepted"] != 1.0 {
		t.Fatalf("otlp: %d %v", status, m)
	}
	if n := summary(); n != 5 {
		t.Fatalf("records %v, want 5", n)
	}
	// The tier's record limit (6 here): two more do not fit, nothing of them is stored.
	two := line("e", now, "gpt-4o", 1, 1) + "\n" + line("f", now, "gpt-4o", 1, 1) + "\n"
	if status, m = post("application/x-ndjson", "", two); status != 413 || errCode(m) != "payload_too_large" {
		t.Fatalf("over the limit: %d %v", status, m)
	}
	if n := summary(); n != 5 {
		t.Fatalf("records %v after refusal", n)
	}
	// An OTLP/JSON body over its bound is 413, not a parse error.
	big := `{"resourceSpans":[` + strings.Repeat(" ", workload.MaxOTLP) + `]}`
	if status, m = post("application/json", "", big); status != 413 || errCode(m) != "payload_too_large" {
		t.Fatalf("OTLP over the bound: %d %v", status, m)
	}
	// Unknown content type.
	if status, m = post("text/plain", "", "x"); status != 400 || errCode(m) != "invalid_request" {
		t.Fatalf("text/plain: %d %v", status, m)
	}
	// Another user sees none of it, and deleting is per user.
	other := h.token("olaf", netra.TierFree)
	_, om, _ := rawHTTP(t, "GET", h.url+"/v1/workloads/summary", other, "", nil)
	if om["records"] != 0.0 {
		t.Fatalf("another user sees %v records", om["records"])
	}
	if status, m, _ := rawHTTP(t, "DELETE", h.url+"/v1/workloads", other, "", nil); status != 200 || m["deleted"] != 0.0 {
		t.Fatalf("other's delete: %d %v", status, m)
	}
	if status, m, _ := rawHTTP(t, "DELETE", h.url+"/v1/workloads", tok, "", nil); status != 200 || m["deleted"] != 5.0 {
		t.Fatalf("delete: %d %v", status, m)
	}
	if n := summary(); n != 0 {
		t.Fatalf("records after delete %v", n)
	}
}

func TestSyntheticEndpoint(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("sybil", netra.TierFree)
	status, m, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/synthetic", tok, `{"preset":"nightly_batch","days":3,"seed":9}`, nil)
	if status != 201 || m["accepted"].(float64) < 100 || m["duplicates"] != 0.0 {
		t.Fatalf("synthetic: %d %v", status, m)
	}
	// Generating the same spec again adds nothing.
	status, m2, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/synthetic", tok, `{"preset":"nightly_batch","days":3,"seed":9}`, nil)
	if status != 201 || m2["accepted"].(float64) > m["accepted"].(float64)/10 {
		t.Fatalf("again: %d %v", status, m2)
	}
	if status, m, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/synthetic", tok, `{"preset":"nope"}`, nil); status != 400 || errCode(m) != "invalid_request" {
		t.Fatalf("bad preset: %d %v", status, m)
	}
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/synthetic", "", `{}`, nil); status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", status)
	}
}

package workload_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/netra-ai/netra/workload"
)

// fuzzDecode is the property every upload format keeps, whatever the bytes: the decoder ends
// (io.EOF or one fatal error) without panicking, lines count up, every good record either
// validates or is refused with a message, and every record that validates survives the
// storage codec unchanged.
func fuzzDecode(t *testing.T, f workload.Format, data []byte) {
	d := workload.NewDecoder(f, bytes.NewReader(data))
	prices := workload.DefaultPrices()
	var good []workload.Record
	last := 0
	for n := 0; ; n++ {
		p, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("fatal error without a message")
			}
			break
		}
		if n > len(data)+1 {
			t.Fatalf("more records (%d) than input bytes (%d)", n, len(data))
		}
		if f != workload.FormatOTLP && p.Line <= last {
			t.Fatalf("line %d after line %d", p.Line, last)
		}
		last = p.Line
		if p.Err != nil {
			if p.Err.Error() == "" {
				t.Fatalf("line %d refused without a message", p.Line)
			}
			continue
		}
		r := p.Record
		if err := r.Validate(prices, p.CostGiven); err != nil {
			if err.Error() == "" {
				t.Fatalf("line %d invalid without a message", p.Line)
			}
			continue
		}
		if r.InputTokens < 0 || r.CachedInputTokens > r.InputTokens || math.IsNaN(r.CostUSD) || r.CostUSD < 0 || r.TS.IsZero() {
			t.Fatalf("line %d validated but holds %+v", p.Line, r)
		}
		good = append(good, r)
	}
	if len(good) == 0 {
		return
	}
	var back []workload.Record
	if err := workload.DecodeChunk(workload.EncodeChunk(good), func(r *workload.Record) bool {
		back = append(back, *r)
		return true
	}); err != nil {
		t.Fatalf("codec: %v", err)
	}
	if len(back) != len(good) {
		t.Fatalf("codec returned %d of %d records", len(back), len(good))
	}
	for i := range good {
		g, b := good[i], back[i]
		if !g.TS.Equal(b.TS) {
			t.Fatalf("record %d time %v came back as %v", i, g.TS, b.TS)
		}
		g.TS = b.TS
		if !reflect.DeepEqual(g, b) {
			t.Fatalf("record %d changed in the codec:\n%+v\n%+v", i, g, b)
		}
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"a","ts":"2026-11-01T10:00:00Z","model":"gpt-4o","route":"chat","input_tokens":1000,"output_tokens":200,"latency_ms":900,"status":"ok"}` + "\n"))
	f.Add([]byte(`{"ts":1793527200,"model":"custom-model","route":"r","latency_ms":5,"cost_usd":0.5,"status":"error","error_type":"timeout","interactive":false,"retries":1}` + "\n\nnot json\n"))
	f.Add([]byte(`{"ts":"2026-11-01T10:00:00Z","model":"gpt-4o","route":"chat","latency_ms":3,"input_tokens":5,"cached_input_tokens":6,"prefix_hash":"p1","ttft_ms":1e308}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, workload.FormatJSONL, data) })
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("ts,model,route,input_tokens,output_tokens,latency_ms,status,interactive\n2026-11-01T10:00:00Z,gpt-4o-mini,chat,1000,100,250.5,ok,true\n"))
	f.Add([]byte("ts,model,route,cost_usd,latency_ms\n1793527200,m,\"r,1\",0.25,9\n2026-11-01T10:00:00Z,m,r,NaN,1\n"))
	f.Add([]byte("model,route\nx,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, workload.FormatCSV, data) })
}

func FuzzOTLP(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot"}}]},"scopeSpans":[{"spans":[{"spanId":"s1","name":"chat","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":"1793527201500000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":200}}]}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"s3","startTimeUnixNano":"1","endTimeUnixNano":"x","status":{"code":2},"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}},{"key":"gen_ai.usage.cost","value":{"doubleValue":-1}}]}]}]}]}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, workload.FormatOTLP, data) })
}

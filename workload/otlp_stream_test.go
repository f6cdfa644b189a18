package workload_test

import (
	"bytes"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/netra-ai/netra/workload"
)

// A resource's attributes may come after its spans (JSON keys have no order): the spans still
// take their route from service.name.
func TestOTLPResourceAfterSpans(t *testing.T) {
	t.Parallel()
	span := `{"spanId":"s1","name":"chat","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":1793527200500000000,` +
		`"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}}]}`
	body := `{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"x"},"spans":[` + span + `]}],` +
		`"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]}}]}`
	ps, err := decodeAll(t, workload.FormatOTLP, body)
	if err != nil || len(ps) != 1 || ps[0].Err != nil {
		t.Fatalf("%v %v", ps, err)
	}
	if r := ps[0].Record; r.Route != "support-bot" || r.InputTokens != 12 || r.LatencyMS != 500 {
		t.Fatalf("record %+v", r)
	}
}

// genReader writes a document on the fly: head, then body repeated n times, then tail.
type genReader struct {
	head, body, tail string
	n                int
	buf              bytes.Buffer
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && (g.n > 0 || g.tail != "") {
		switch {
		case g.head != "":
			g.buf.WriteString(g.head)
			g.head = ""
		case g.n > 0:
			g.buf.WriteString(g.body)
			g.n--
		default:
			g.buf.WriteString(g.tail)
			g.tail = ""
		}
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// A 31 MB document of tiny attributes, on one span, is read in bounded memory: the heap stays
// under 32 MB while the decoder reads it (it held about seven times the document when it was
// decoded whole).
func TestOTLPStreamsInBoundedMemory(t *testing.T) {
	attr := `{"key":"x","value":{"intValue":"1"}},`
	n := (31 << 20) / len(attr)
	doc := &genReader{
		head: `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"spanId":"s","name":"n","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":"1793527200000000001","attributes":[`,
		body: attr, n: n,
		tail: `{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}]}]}]}`,
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	d := workload.NewDecoder(workload.FormatOTLP, doc)
	var recs int
	for {
		p, err := d.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		if p.Err == nil {
			recs++
		}
	}
	close(stop)
	<-done
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("%d attributes, %.1f MB; heap grew by at most %.1f MB", n, float64(n*len(attr))/(1<<20), float64(grew)/(1<<20))
	if recs != 1 || grew > 32<<20 {
		t.Fatalf("%d records; heap grew by %d bytes", recs, grew)
	}
}

func BenchmarkOTLPAttributes(b *testing.B) {
	attr := `{"key":"x","value":{"intValue":"1"}},`
	n := (4 << 20) / len(attr)
	b.SetBytes(int64(n * len(attr)))
	for b.Loop() {
		doc := &genReader{
			head: `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"spanId":"s","name":"n","startTimeUnixNano":"1793527200000000000","endTimeUnixNano":"1793527200000000001","attributes":[`,
			body: attr, n: n,
			tail: `{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}]}]}]}`,
		}
		d := workload.NewDecoder(workload.FormatOTLP, doc)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

// FuzzOTLPProto: any bytes that decode as an OTLP export give records that validate or are
// refused with a message, never a panic.
func FuzzOTLPProto(f *testing.F) {
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
		SpanId: []byte("12345678"), Name: "chat", StartTimeUnixNano: 1793527200000000000, EndTimeUnixNano: 1793527200500000000,
		Attributes: []*commonpb.KeyValue{{Key: "gen_ai.request.model", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "gpt-4o"}}},
			{Key: "gen_ai.usage.input_tokens", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 12}}}},
	}}}}}}}
	b, _ := proto.Marshal(req)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var req coltracepb.ExportTraceServiceRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		d := workload.SpanDecoder(&req, "netra.route")
		prices := workload.DefaultPrices()
		for n := 0; ; n++ {
			p, err := d.Next()
			if err == io.EOF {
				return
			}
			if err != nil || n > len(data) {
				t.Fatalf("decoder: %v after %d records", err, n)
			}
			if p.Err == nil {
				if err := p.Record.Validate(prices, p.CostGiven); err != nil && err.Error() == "" {
					t.Fatal("refused without a message")
				}
			} else if p.Err.Error() == "" {
				t.Fatal("refused without a message")
			}
		}
	})
}

// Text that is not UTF-8 is refused in every format, where encoding/json would have stored
// U+FFFD in its place: a JSONL line and a CSV record are rejected at their line, an OTLP/JSON
// document as a whole, wherever its reads cut the bad byte; a rune cut by a read is fine.
func TestUploadsRefuseInvalidUTF8(t *testing.T) {
	t.Parallel()
	ps, err := decodeAll(t, workload.FormatJSONL, "{\"ts\":\"2026-11-01T00:00:00Z\",\"model\":\"gpt-4o\",\"route\":\"r\xff\",\"latency_ms\":1}\n")
	if err != nil || len(ps) != 1 || ps[0].Err == nil || !strings.Contains(ps[0].Err.Error(), "UTF-8") {
		t.Fatalf("JSONL: %v %v", ps, err)
	}
	ps, err = decodeAll(t, workload.FormatCSV, "ts,model,route,latency_ms\n2026-11-01T00:00:00Z,gpt-4o,r\xc3\x28,1\n")
	if err != nil || len(ps) != 1 || ps[0].Line != 2 || ps[0].Err == nil || !strings.Contains(ps[0].Err.Error(), "UTF-8") {
		t.Fatalf("CSV: %v %v", ps, err)
	}
	doc := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot-é`
	for _, tail := range []string{"\xff\"}}]}}]}", "\"}}]}}]}"} {
		d := workload.NewDecoder(workload.FormatOTLP, iotest.OneByteReader(strings.NewReader(doc+tail)))
		_, err := d.Next()
		bad := strings.Contains(tail, "\xff")
		if bad != (err != nil && strings.Contains(err.Error(), "UTF-8")) || (!bad && err != io.EOF) {
			t.Fatalf("OTLP (bad byte %v), read a byte at a time: %v", bad, err)
		}
	}
}

package node_test

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netra-ai/netra"
)

// stream is a body written on the fly: head, then body n times, then tail.
type stream struct {
	head, body, tail string
	n                int
	buf              bytes.Buffer
}

func (g *stream) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && (g.head != "" || g.n > 0 || g.tail != "") {
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

// rss is this process's resident memory, from /proc (Linux).
func rss(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestHostileUploadsKeepMemoryBounded: eight uploads at once, each built to take memory (an
// unclosed CSV quote in 300 MB, a 31 MB OTLP document of tiny attributes, a 1 GB JSONL line),
// keep the process's RSS under 256 MB over its baseline, and a quiet user's p99 request latency
// under 50 ms, against the same user's p99 measured first without the uploads. A third upload
// of a user with two in flight answers 429 with Retry-After. (Under -race, whose shadow memory and
// slowness are the detector's, the heap is bounded instead of the RSS, and the latency is not.)
func TestHostileUploadsKeepMemoryBounded(t *testing.T) {
	h := start(t, nil)
	quiet := h.token("quinn", netra.TierFree)
	p99 := func(n int) time.Duration {
		var d []time.Duration
		for range n {
			t0 := time.Now()
			status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", quiet, "", nil)
			if status != 200 {
				t.Errorf("quiet user's /v1/me: %d", status)
			}
			d = append(d, time.Since(t0))
			time.Sleep(2 * time.Millisecond)
		}
		slices.Sort(d)
		return d[len(d)*99/100]
	}
	alone := p99(300)
	runtime.GC()
	base := rss(t)
	var heap0 runtime.MemStats
	runtime.ReadMemStats(&heap0)

	bodies := []struct {
		name, ct string
		body     func(i int) io.Reader
	}{
		{"csv-quote", "text/csv", func(int) io.Reader {
			return &stream{head: "ts,model,route,latency_ms\n2026-11-01T00:00:00Z,gpt-4o,\"", body: strings.Repeat("q", 1<<10), n: 300 << 10}
		}},
		{"otlp-attrs", "application/json", func(i int) io.Reader {
			return &stream{head: fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"spanId":"s%d","name":"n","startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[`,
				i, time.Now().Add(-time.Hour).UnixNano(), time.Now().Add(-time.Hour).UnixNano()+1e6),
				body: `{"key":"x","value":{"intValue":"1"}},`, n: (31 << 20) / 36,
				tail: `{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}]}]}]}`}
		}},
		{"jsonl-line", "application/x-ndjson", func(int) io.Reader {
			return &stream{head: `{"model":"`, body: strings.Repeat("m", 1<<10), n: 1 << 20}
		}},
	}
	var peakRSS, peakHeap atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			if r := rss(t); r > peakRSS.Load() {
				peakRSS.Store(r)
			}
			runtime.ReadMemStats(&m)
			if hi := int64(m.HeapInuse); hi > peakHeap.Load() {
				peakHeap.Store(hi)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range 8 {
		b := bodies[i%len(bodies)]
		tok := h.token(fmt.Sprintf("hostile-%d", i/2), netra.TierEnterprise) // two uploads a user: the bound
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", h.url+"/v1/workloads/records", b.body(i))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", b.ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results[i] = b.name + ": " + err.Error() // the server stopped reading: a refusal
				return
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			results[i] = fmt.Sprintf("%s: %d %s", b.name, resp.StatusCode, bytes.TrimSpace(msg))
		}()
	}
	under := p99(300)
	wg.Wait()
	close(stop)
	<-sampled
	// A user with two uploads in flight (bodies that wait) gets 429 for a third, at once.
	holder := h.token("holder", netra.TierEnterprise)
	var held sync.WaitGroup
	var pipes []*io.PipeWriter
	for range 2 {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		req, _ := http.NewRequest("POST", h.url+"/v1/workloads/records", pr)
		req.Header.Set("Authorization", "Bearer "+holder)
		req.Header.Set("Content-Type", "application/x-ndjson")
		held.Add(1)
		go func() {
			defer held.Done()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); testutil.ToFloat64(h.n.Metrics().Uploads) != 2; {
		if time.Now().After(deadline) {
			t.Fatal("the two held uploads never started")
		}
		time.Sleep(time.Millisecond)
	}
	status, body, hdr := rawHTTP(t, "POST", h.url+"/v1/workloads/records", holder, "", map[string]string{"Content-Type": "application/x-ndjson"})
	for _, pw := range pipes {
		pw.Close()
	}
	held.Wait()
	for _, r := range results {
		t.Log(r)
		if strings.HasPrefix(r, "otlp-attrs") && !strings.Contains(r, " 201 ") {
			t.Errorf("the OTLP upload was not stored: %s", r)
		}
		if !strings.HasPrefix(r, "otlp-attrs") && strings.Contains(r, " 201 ") {
			t.Errorf("a hostile upload was accepted: %s", r)
		}
	}
	if status != 429 || errCode(body) != "rate_limited" || hdr.Get("Retry-After") == "" {
		t.Errorf("a third upload at once: %d %v %v", status, body, hdr)
	}
	grewRSS, grewHeap := peakRSS.Load()-base, peakHeap.Load()-int64(heap0.HeapInuse)
	t.Logf("RSS %.0f MB at rest, at most +%.0f MB during the uploads (heap +%.0f MB); quiet p99 %v alone, %v during",
		float64(base)/(1<<20), float64(grewRSS)/(1<<20), float64(grewHeap)/(1<<20), alone, under)
	if raceDetector {
		if grewHeap > 256<<20 {
			t.Errorf("the heap grew by %d MB", grewHeap>>20)
		}
		return
	}
	if grewRSS > 256<<20 {
		t.Errorf("RSS grew by %d MB, want under 256", grewRSS>>20)
	}
	if under > 50*time.Millisecond {
		t.Errorf("quiet user's p99 %v during the uploads (%v alone), want under 50 ms", under, alone)
	}
}

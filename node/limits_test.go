package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/ratelimit"
)

// TestRateLimits: per-user buckets for HTTP requests and WebSocket frames answer
// rate_limited with Retry-After, per-user connection caps refuse the upgrade, and one user's
// limits never touch another's.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) {
		c.RateLimits = map[netra.Tier]ratelimit.Limit{netra.TierFree: {RequestsPerSec: 1, RequestBurst: 3, FramesPerSec: 1, FrameBurst: 3, Connections: 2}}
	})
	ann, ben := h.token("ann", netra.TierFree), h.token("ben", netra.TierFree)
	for i := range 3 {
		if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", ann, "", nil); status != 200 {
			t.Fatalf("request %d within the burst = %d", i, status)
		}
	}
	status, body, hdr := rawHTTP(t, "GET", h.url+"/v1/me", ann, "", nil)
	if ra, _ := strconv.Atoi(hdr.Get("Retry-After")); status != 429 || errCode(body) != "rate_limited" || ra < 1 {
		t.Fatalf("4th request = %d %v Retry-After %q", status, body, hdr.Get("Retry-After"))
	}
	status, me, _ := rawHTTP(t, "GET", h.url+"/v1/me", ben, "", nil)
	if status != 200 {
		t.Fatalf("ben is limited by ann's requests: %d", status)
	}
	if rl, _ := me["rate_limits"].(map[string]any); rl["requests_per_sec"] != 1.0 || rl["request_burst"] != 3.0 || rl["connections"] != 2.0 {
		t.Fatalf("/v1/me rate_limits = %v", me["rate_limits"])
	}

	// Frames: the 4th ping in a burst is refused with its id, and the connection stays open.
	ws := dialRaw(t, h, ben)
	for i := range 3 {
		if r := ws.roundTrip(`{"type":"ping","id":"p` + strconv.Itoa(i) + `"}`); r["type"] != "pong" {
			t.Fatalf("ping %d = %v", i, r)
		}
	}
	if r := ws.roundTrip(`{"type":"ping","id":"p3"}`); r["type"] != "error" || r["code"] != "rate_limited" || r["id"] != "p3" {
		t.Fatalf("4th ping = %v", r)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := ws.roundTrip(`{"type":"ping","id":"p4"}`); r["type"] != "pong" {
		t.Fatalf("ping after a second = %v", r)
	}

	// Connections: ben has one open; a second is allowed, a third refused before upgrading.
	dialRaw(t, h, ben)
	req, _ := http.NewRequest("GET", h.url+"/v1/ws", nil)
	req.Header.Set("Authorization", "Bearer "+ben)
	_, resp, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: req.Header})
	if err == nil || resp == nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v %+v", err, resp)
	}
	// Ann's cap is her own.
	dialRaw(t, h, ann)
}

// TestFrameFloodIsNotRead: a connection that sends frames far beyond its user's frame rate
// gets a rate_limited error, then its frames are not read until the bucket has a token again,
// so the flood costs the server about the frames the rate allows, not one parse and one
// refusal per frame sent; and the connection is not closed for it.
func TestFrameFloodIsNotRead(t *testing.T) {
	t.Parallel()
	const perSec, burst, window = 20, 10, 1500 * time.Millisecond
	h := start(t, func(c *node.Config) {
		c.RateLimits = map[netra.Tier]ratelimit.Limit{netra.TierFree: {RequestsPerSec: 100, RequestBurst: 100, FramesPerSec: perSec, FrameBurst: burst, Connections: 4}}
	})
	ws := dialRaw(t, h, h.token("fay", netra.TierFree)).ws
	var sent atomic.Int64
	go func() { // as fast as the socket takes them, until the reader below closes it
		for ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)) == nil {
			sent.Add(1)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var pongs, refused int
	var err error
	for {
		var data []byte
		if _, data, err = ws.Read(ctx); err != nil {
			break
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		switch {
		case m["type"] == "pong":
			pongs++
		case m["code"] == "rate_limited":
			refused++
		default:
			t.Fatalf("unexpected frame %s", data)
		}
	}
	if ctx.Err() == nil || websocket.CloseStatus(err) != -1 {
		t.Fatalf("the flooding connection was closed: %v", err)
	}
	// Read at most: the burst, the window's rate, and one refusal before each wait of about a
	// token's time, with as much again for timers. Read frame by frame, it was thousands.
	most := burst + int(4*perSec*window.Seconds())
	t.Logf("%d frames sent in %v, %d answered (%d pongs, %d rate_limited)", sent.Load(), window, pongs+refused, pongs, refused)
	if pongs+refused > most || refused == 0 {
		t.Fatalf("%d answered; want at most %d, some of them rate_limited", pongs+refused, most)
	}
}

// TestServerConnectionCap: past --max-connections an upgrade is refused with 503 and a
// Retry-After, whoever asks.
func TestServerConnectionCap(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.MaxConnections = 1 })
	dialRaw(t, h, h.token("cap-a", netra.TierFree))
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+h.token("cap-b", netra.TierFree))
	_, resp, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err == nil || resp == nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" {
		t.Fatalf("connection over the server cap: %v %+v", err, resp)
	}
}

// TestIdleConnectionWithoutPongIsClosed: a peer that stops answering pings is disconnected,
// so dead connections do not pile up.
func TestIdleConnectionWithoutPongIsClosed(t *testing.T) {
	t.Parallel()
	// A pong may wait a second: under -race beside the package's other tests, a live client's
	// reader was once not scheduled within 200 ms, and the server rightly dropped it (CI,
	// session 23).
	h := start(t, func(c *node.Config) { c.PingEvery, c.PongWait = 200*time.Millisecond, time.Second })
	// A live client (which reads, and so answers pings) stays connected.
	live := h.connect(client.New(h.url, h.token("gil", netra.TierFree)), client.ConnOptions{})
	// A stuck one (which never reads, so never answers) is dropped.
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+h.token("hal", netra.TierFree))
	stuck, _, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.CloseNow()
	deadline := time.Now().Add(5 * time.Second)
	for testutilGauge(h) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("connections = %v, want the stuck one closed", testutilGauge(h))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a few more ping rounds
	if err := live.Ping(ctxT(t)); err != nil || testutilGauge(h) != 1 {
		t.Fatalf("live connection: %v, connections %v", err, testutilGauge(h))
	}
}

func testutilGauge(h *harness) float64 {
	mfs, _ := h.n.Metrics().Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "netra_ws_connections" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// TestSecurityHeadersAndCORS: every answer carries the security headers; CORS headers only
// for configured origins.
func TestSecurityHeadersAndCORS(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.CORSOrigins = []string{"https://app.example.com"} })
	tok := h.token("ivy", netra.TierFree)
	for _, path := range []string{"/healthz", "/v1/me", "/v1/nope"} {
		_, _, hdr := rawHTTP(t, "GET", h.url+path, tok, "", map[string]string{"Origin": "https://evil.example"})
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") || hdr.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s headers: %v", path, hdr)
		}
		if hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS for an unlisted origin", path)
		}
	}
	_, _, hdr := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", map[string]string{"Origin": "https://app.example.com"})
	if hdr.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("listed origin: %v", hdr)
	}
	status, _, hdr := rawHTTP(t, "OPTIONS", h.url+"/v1/runs", "", "", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
	if status != 204 || !strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight = %d %v", status, hdr)
	}
	status, _, hdr = rawHTTP(t, "OPTIONS", h.url+"/v1/runs", "", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if status == 204 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from an unlisted origin = %d %v", status, hdr)
	}
}

package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/tool"
)

// rawHTTP sends a request and returns status and decoded JSON body.
func rawHTTP(t *testing.T, method, url, token string, body string, hdr map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m, resp.Header
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	if e == nil {
		return ""
	}
	if ref, _ := e["ref"].(string); ref == "" {
		return "missing ref"
	}
	c, _ := e["code"].(string)
	return c
}

// finishedRun starts an echo run for c and waits for its end.
func finishedRun(t *testing.T, c *client.Client, input string) client.Run {
	t.Helper()
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: input, Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	return waitRun(t, c, run.ID)
}

func waitRun(t *testing.T, c *client.Client, id string) client.Run {
	t.Helper()
	return waitRunFor(t, c, id, 10*time.Second)
}

// waitRunFor waits up to limit for a run to end.
func waitRunFor(t *testing.T, c *client.Client, id string, limit time.Duration) client.Run {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		r, err := c.GetRun(ctxT(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == "completed" || r.Status == "failed" || r.Status == "cancelled" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s", id, r.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCrossUserIDsAnswerNotFound(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	alice := h.client("alice")
	run := finishedRun(t, alice, "alice's secret")
	// A run that is still active too, so that cancel is tried on a live run.
	live, err := alice.StartRun(ctxT(t), client.StartRun{Input: "slow", Agent: "echo", Params: map[string]any{"delay_ms": 5000}})
	if err != nil {
		t.Fatal(err)
	}
	bob := h.token("bob", netra.TierFree)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/threads/" + run.ThreadID, ""},
		{"DELETE", "/v1/threads/" + run.ThreadID, ""},
		{"GET", "/v1/threads/" + run.ThreadID + "/messages", ""},
		{"GET", "/v1/threads/" + run.ThreadID + "/runs", ""},
		{"POST", "/v1/threads/" + run.ThreadID + "/runs", `{"input":"x","agent":"echo"}`},
		{"POST", "/v1/runs", `{"input":"x","agent":"echo","thread_id":"` + run.ThreadID + `"}`},
		{"GET", "/v1/runs/" + run.ID, ""},
		{"GET", "/v1/runs/" + live.ID, ""},
		{"POST", "/v1/runs/" + live.ID + "/cancel", ""},
		{"POST", "/v1/runs/" + run.ID + "/cancel", ""},
		{"GET", "/v1/runs/" + run.ID + "/events", ""},
		{"GET", "/v1/runs/thr_nonexistent", ""},
		{"GET", "/v1/threads/default", ""},
	} {
		status, body, _ := rawHTTP(t, tc.method, h.url+tc.path, bob, tc.body, nil)
		if status != http.StatusNotFound || errCode(body) != "not_found" {
			t.Errorf("%s %s as bob = %d %v, want 404 not_found", tc.method, tc.path, status, body)
		}
		if strings.Contains(fmt.Sprint(body), "secret") {
			t.Errorf("%s %s leaked content: %v", tc.method, tc.path, body)
		}
	}
	// SSE answers the JSON 404 before any stream starts.
	status, body, hdr := rawHTTP(t, "GET", h.url+"/v1/runs/"+run.ID+"/events", bob, "", map[string]string{"Accept": "text/event-stream"})
	if status != 404 || errCode(body) != "not_found" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("SSE as bob = %d %v %s", status, body, hdr.Get("Content-Type"))
	}
	// WebSocket commands.
	ws := dialRaw(t, h, bob)
	for _, f := range []string{
		`{"type":"start_run","id":"1","input":"x","agent":"echo","thread_id":"` + run.ThreadID + `"}`,
		`{"type":"cancel_run","id":"2","run_id":"` + live.ID + `"}`,
		`{"type":"resume","id":"3","run_id":"` + run.ID + `","after_seq":0}`,
		`{"type":"resume","id":"4","run_id":"run_guessed","after_seq":0}`,
	} {
		reply := ws.roundTrip(f)
		if reply["type"] != "error" || reply["code"] != "not_found" {
			t.Errorf("%s as bob = %v", f, reply)
		}
	}
	// Alice's data is intact and her live run unaffected by bob's attempts.
	if r, err := alice.GetRun(ctxT(t), live.ID); err != nil || r.Status == "cancelled" {
		t.Fatalf("alice's run after bob's cancel: %+v %v", r, err)
	}
	if msgs, err := alice.Messages(ctxT(t), run.ThreadID); err != nil || len(msgs) != 2 {
		t.Fatalf("alice's messages: %v %v", msgs, err)
	}
	if _, err := alice.CancelRun(ctxT(t), live.ID); err != nil {
		t.Fatal(err)
	}
	waitRun(t, alice, live.ID)
}

// rawWS is a WebSocket connection read frame by frame, without the client library. Every run
// event it reads is counted by (run, seq): a second sight fails the test, whatever the test
// itself checks (the contract: a connection never receives the same (run, seq) twice, also
// across resume).
type rawWS struct {
	t    *testing.T
	ws   *websocket.Conn
	seen map[string]bool // "run/seq" of every event read
}

func dialRaw(t *testing.T, h *harness, token string) *rawWS {
	t.Helper()
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+token)
	ws, _, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	r := &rawWS{t: t, ws: ws, seen: map[string]bool{}}
	if hello := r.read(); hello["type"] != "connected" || hello["protocol"] != "netra.v1" || hello["connection_id"] == "" {
		t.Fatalf("first frame %v", hello)
	}
	return r
}

func (r *rawWS) send(frame string) {
	r.t.Helper()
	if err := r.ws.Write(ctxT(r.t), websocket.MessageText, []byte(frame)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawWS) read() map[string]any {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := r.ws.Read(ctx)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		r.t.Fatalf("frame %q: %v", data, err)
	}
	if seq, ok := m["seq"]; ok {
		key := fmt.Sprint(m["run_id"], "/", seq)
		if r.seen[key] {
			r.t.Errorf("event %s (%v) received twice on one connection", key, m["type"])
		}
		r.seen[key] = true
	}
	return m
}

// roundTrip sends a frame and returns the first direct reply (skipping run events, which read
// still counts).
func (r *rawWS) roundTrip(frame string) map[string]any {
	r.t.Helper()
	r.send(frame)
	for {
		m := r.read()
		if _, isEvent := m["seq"]; !isEvent {
			return m
		}
	}
}

func TestTokensAreRefused(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	now := time.Now()
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := jwt.MapClaims{"sub": "eve", "aud": "netra", "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, tok := range map[string]string{
		"forged":       sign(jwt.SigningMethodHS256, []byte("not-the-secret-not-the-secret-000"), good),
		"expired":      sign(jwt.SigningMethodHS256, []byte(secret), with("exp", now.Add(-time.Minute).Unix())),
		"wrong aud":    sign(jwt.SigningMethodHS256, []byte(secret), with("aud", "other")),
		"missing aud":  sign(jwt.SigningMethodHS256, []byte(secret), with("aud", nil)),
		"missing exp":  sign(jwt.SigningMethodHS256, []byte(secret), with("exp", nil)),
		"alg none":     none,
		"HS512":        sign(jwt.SigningMethodHS512, []byte(secret), good),
		"unknown tier": sign(jwt.SigningMethodHS256, []byte(secret), with("tier", "platinum")),
		"garbage":      "abc.def.ghi",
	} {
		status, body, _ := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", nil)
		if status != 401 || errCode(body) != "unauthorized" {
			t.Errorf("%s over HTTP: %d %v", name, status, body)
		}
		hdr := http.Header{}
		hdr.Set("Authorization", "Bearer "+tok)
		ws, resp, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
		if err == nil {
			_ = ws.CloseNow()
			t.Errorf("%s: WebSocket upgraded", name)
		} else if resp == nil || resp.StatusCode != 401 {
			t.Errorf("%s: WebSocket refusal %v", name, resp)
		}
	}
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", sign(jwt.SigningMethodHS256, []byte(secret), good), "", nil); status != 200 {
		t.Fatalf("the good token was refused: %d", status)
	}
	if status, _, _ := rawHTTP(t, "GET", h.url+"/healthz", "", "", nil); status != 200 {
		t.Fatalf("healthz = %d", status)
	}
	if status, _, _ := rawHTTP(t, "GET", h.url+"/readyz", "", "", nil); status != 200 {
		t.Fatalf("readyz = %d", status)
	}
}

func TestWebSocketAuthOriginAndTickets(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.AllowedOrigins = []string{"https://app.example.com"} })
	tok := h.token("frank", netra.TierFree)
	wsURL := "ws" + strings.TrimPrefix(h.url, "http") + "/v1/ws"
	host := strings.TrimPrefix(h.url, "http://")
	dial := func(url string, hdr http.Header, protos ...string) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctxT(t), url, &websocket.DialOptions{HTTPHeader: hdr, Subprotocols: protos})
	}
	// Token in the subprotocol: netra.v1 is selected and the token never echoed.
	ws, resp, err := dial(wsURL, nil, "netra.v1", "bearer."+tok)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Subprotocol() != "netra.v1" || strings.Contains(resp.Header.Get("Sec-WebSocket-Protocol"), "bearer") {
		t.Fatalf("subprotocol %q, header %q", ws.Subprotocol(), resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	_ = ws.CloseNow()
	// Origins: same host passes, a listed one passes, others and "null" are refused with 403.
	for origin, want := range map[string]int{
		"http://" + host:          101,
		"https://" + host:         101,
		"https://app.example.com": 101,
		"https://evil.example":    403,
		"null":                    403,
		"http://127.0.0.1:1":      403,
	} {
		hdr := http.Header{}
		hdr.Set("Origin", origin)
		hdr.Set("Authorization", "Bearer "+tok)
		ws, resp, err := dial(wsURL, hdr)
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		if err == nil {
			_ = ws.CloseNow()
		}
		if got != want {
			t.Errorf("origin %q: status %d, want %d", origin, got, want)
		}
	}
	// Origin is checked before authentication: a cross-site request without a token gets 403.
	hdr := http.Header{}
	hdr.Set("Origin", "https://evil.example")
	if _, resp, _ := dial(wsURL, hdr); resp == nil || resp.StatusCode != 403 {
		t.Errorf("cross-site without token: %v", resp)
	}
	// Tickets: single use.
	var tk struct {
		Ticket    string    `json:"ticket"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := client.New(h.url, tok).Do(ctxT(t), "POST", "/v1/ws-tickets", nil, &tk); err != nil || tk.Ticket == "" {
		t.Fatalf("ticket: %+v %v", tk, err)
	}
	ws, _, err = dial(wsURL+"?ticket="+tk.Ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.CloseNow()
	if _, resp, err := dial(wsURL+"?ticket="+tk.Ticket, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("reused ticket: %v", resp)
	}
	if _, resp, err := dial(wsURL, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("no credentials: %v", resp)
	}
}

func TestBadFramesKeepTheConnection(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	ws := dialRaw(t, h, h.token("gina", netra.TierFree))
	for _, tc := range []struct{ frame, code string }{
		{`not json`, "invalid_request"},
		{`[1,2]`, "invalid_request"},
		{`"str"`, "invalid_request"},
		{`{"id":"a"}`, "invalid_request"},
		{`{"type":"launch","id":"a"}`, "invalid_request"},
		{`{"type":7}`, "invalid_request"},
		{`{"type":"ping","id":5}`, "invalid_request"},
		{`{"type":"start_run","id":"a"}`, "invalid_request"},
		{`{"type":"start_run","id":"a","input":5}`, "invalid_request"},
		{`{"type":"start_run","id":"a","input":"x","agent":"echo","params":{"delay_ms":60001}}`, "invalid_request"},
		{`{"type":"start_run","id":"a","input":"x","agent":"echo","params":[1]}`, "invalid_request"},
		{`{"type":"start_run","id":"a","input":"x","agent":"echo","multitask":"sometimes"}`, "invalid_request"},
		{`{"type":"start_run","id":"a","input":"x","agent":"nope"}`, "not_found"},
		{`{"type":"start_run","id":"a","input":"x","agent":"data"}`, "not_found"}, // a step, not an entry agent
		{`{"type":"cancel_run","id":"a"}`, "invalid_request"},
		{`{"type":"cancel_run","id":"a","run_id":["x"]}`, "invalid_request"},
		{`{"type":"resume","id":"a","run_id":"run_x"}`, "invalid_request"},
		{`{"type":"resume","id":"a","run_id":"run_x","after_seq":-1}`, "invalid_request"},
		{`{"type":"resume","id":"a","run_id":"run_x","after_seq":1.5}`, "invalid_request"},
		{`{"type":"resume","id":"a","run_id":"run_x","after_seq":0}`, "not_found"},
	} {
		reply := ws.roundTrip(tc.frame)
		if reply["type"] != "error" || reply["code"] != tc.code || reply["message"] == "" {
			t.Errorf("%s → %v, want error %s", tc.frame, reply, tc.code)
		}
		if id, has := reply["id"]; has && id != "a" {
			t.Errorf("%s → id %v", tc.frame, id)
		}
	}
	// Still alive, and the id is echoed.
	if reply := ws.roundTrip(`{"type":"ping","id":"p1","extra":{"ignored":true}}`); reply["type"] != "pong" || reply["id"] != "p1" {
		t.Fatalf("ping → %v", reply)
	}
	// Nothing was stored by the refused starts.
	var threads struct {
		Threads []any `json:"threads"`
	}
	_ = client.New(h.url, h.token("gina", netra.TierFree)).Do(ctxT(t), "GET", "/v1/threads", nil, &threads)
	if len(threads.Threads) != 0 {
		t.Fatalf("refused starts stored %d threads", len(threads.Threads))
	}
}

func closeStatus(t *testing.T, ws *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := ws.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestOversizeAndBinaryFramesClose(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("hal", netra.TierFree)
	big := dialRaw(t, h, tok)
	_ = big.ws.Write(ctxT(t), websocket.MessageText, []byte(`{"type":"ping","pad":"`+strings.Repeat("x", 65*1024)+`"}`))
	if st := closeStatus(t, big.ws); st != websocket.StatusMessageTooBig {
		t.Errorf("65 KiB frame closed with %d, want 1009", st)
	}
	// Exactly the limit is fine.
	ok := dialRaw(t, h, tok)
	frame := `{"type":"ping","id":"x","pad":"` + strings.Repeat("x", 65536-len(`{"type":"ping","id":"x","pad":""}`)) + `"}`
	if len(frame) != 65536 {
		t.Fatalf("frame is %d bytes", len(frame))
	}
	if reply := ok.roundTrip(frame); reply["type"] != "pong" {
		t.Errorf("64 KiB frame → %v", reply)
	}
	bin := dialRaw(t, h, tok)
	_ = bin.ws.Write(ctxT(t), websocket.MessageBinary, []byte(`{"type":"ping"}`))
	if st := closeStatus(t, bin.ws); st != websocket.StatusUnsupportedData {
		t.Errorf("binary frame closed with %d, want 1003", st)
	}
}

// TestResumeAfterDroppedConnection: a new connection resumes a run after the last seq the
// dropped one saw and gets the rest, contiguous; resuming again from 0 on it sends nothing it
// has already sent. rawWS counts every (run, seq) read.
// Shown to catch: the server's per-connection (run, seq) de-duplication removed.
func TestResumeAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("ivan", netra.TierFree)
	ws := dialRaw(t, h, tok)
	accepted := ws.roundTrip(`{"type":"start_run","id":"s","input":"resume me","agent":"echo","params":{"delay_ms":400}}`)
	runID, _ := accepted["run_id"].(string)
	if accepted["type"] != "run_accepted" || runID == "" || accepted["id"] != "s" {
		t.Fatalf("start → %v", accepted)
	}
	// Read a few events, then drop the connection mid-run.
	var seen int64
	for seen < 3 {
		ev := ws.read()
		if ev["run_id"] != runID {
			t.Fatalf("unexpected frame %v", ev)
		}
		seen = int64(ev["seq"].(float64))
	}
	_ = ws.ws.CloseNow()
	// A new connection resumes after what it saw: the rest, contiguous, no duplicate.
	ws2 := dialRaw(t, h, tok)
	ws2.send(fmt.Sprintf(`{"type":"resume","id":"r","run_id":%q,"after_seq":%d}`, runID, seen))
	next, acked, terminal := seen+1, false, false
	for !terminal {
		m := ws2.read()
		switch m["type"] {
		case "ack":
			if m["id"] != "r" || acked {
				t.Fatalf("ack %v", m)
			}
			acked = true
			continue
		case "error":
			t.Fatalf("error %v", m)
		}
		seq := int64(m["seq"].(float64))
		if seq != next || m["run_id"] != runID {
			t.Fatalf("got seq %v, want %d", m["seq"], next)
		}
		next++
		terminal = m["type"] == "run_completed"
	}
	if !acked {
		t.Fatal("no ack before the terminal event")
	}
	// Resuming again on the same connection sends nothing twice: just the ack.
	if reply := ws2.roundTrip(fmt.Sprintf(`{"type":"resume","id":"again","run_id":%q,"after_seq":0}`, runID)); reply["type"] != "ack" {
		t.Fatalf("second resume → %v", reply)
	}
	if reply := ws2.roundTrip(`{"type":"ping","id":"p"}`); reply["type"] != "pong" {
		t.Fatalf("after second resume: %v (an event was sent twice)", reply)
	}
}

// TestClientReconnectsAndResumes: the client redials after a drop and resumes the run it
// follows; every event arrives once, in order. On the wire, the new connection receives no
// (run, seq) twice, also when the run is resumed from 0 once more.
// Shown to catch: the server's per-connection (run, seq) de-duplication removed.
func TestClientReconnectsAndResumes(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("judy")
	wire := newWireCounter(t)
	conn := h.connect(c, client.ConnOptions{Reconnect: true, OnFrame: wire.observe})
	acc, err := conn.Start(ctxT(t), client.StartRun{Input: "keep going", Agent: "echo", Params: map[string]any{"delay_ms": 300}})
	if err != nil {
		t.Fatal(err)
	}
	var evs []client.Event
	dropped := false
	for len(evs) == 0 || !evs[len(evs)-1].Terminal() {
		select {
		case ev, ok := <-conn.Events():
			if !ok {
				t.Fatalf("events closed: %v", conn.Err())
			}
			evs = append(evs, ev)
			if !dropped && ev.Type == "tool_executing" {
				dropped = true
				conn.Drop()
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("stuck after %d events", len(evs))
		}
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.RunID != acc.RunID {
			t.Fatalf("event %d: seq %d run %s", i, ev.Seq, ev.RunID)
		}
	}
	if evs[len(evs)-1].Type != "run_completed" {
		t.Fatalf("ended with %s", evs[len(evs)-1].Type)
	}
	// The events before the drop came on the first connection; the new one has only the rest.
	// A resume from 0 sends the first ones to it once, and nothing it has sent already.
	if err := conn.Resume(ctxT(t), acc.RunID, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := wire.events(), len(evs)+dropSeq(evs); got < want {
		t.Fatalf("%d distinct events on the wire, want at least %d", got, want)
	}
}

// dropSeq is the seq of the tool_executing event, after which the test drops the connection.
func dropSeq(evs []client.Event) int {
	for _, e := range evs {
		if e.Type == "tool_executing" {
			return int(e.Seq)
		}
	}
	return 0
}

// panicky declares an agent that panics and a tool that panics, for the failure tests.
func panicky(c *node.Config) {
	c.Agents = append(c.Agents,
		agent.Spec{Name: "panicker", Entry: true, New: func() agent.Agent { return panicAgent{} }},
		agent.Spec{Name: "tool_panicker", Entry: true, New: func() agent.Agent { return toolPanicAgent{} }},
	)
	c.Tools = append(c.Tools, tool.Tool{Name: "boom", Schema: `{"type":"object"}`,
		Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) { panic("tool exploded") }})
}

type panicAgent struct{}

func (panicAgent) Run(context.Context, *agent.Runtime, agent.Input) (agent.Result, error) {
	panic("agent exploded")
}

type toolPanicAgent struct{}

func (toolPanicAgent) Run(ctx context.Context, rt *agent.Runtime, _ agent.Input) (agent.Result, error) {
	if _, err := rt.CallTool(ctx, "boom", nil); err != nil {
		return agent.Result{}, err
	}
	return agent.Result{Output: "unreachable"}, nil
}

func TestPanickingAgentFailsOnlyItsRun(t *testing.T) {
	t.Parallel()
	h := start(t, panicky)
	victim, bystander := h.client("kate"), h.client("liam")
	bconn := h.connect(bystander, client.ConnOptions{})
	bAcc, err := bconn.Start(ctxT(t), client.StartRun{Input: "unharmed", Agent: "echo", Params: map[string]any{"delay_ms": 200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"panicker", "tool_panicker"} {
		run, err := victim.StartRun(ctxT(t), client.StartRun{Input: "x", Agent: name})
		if err != nil {
			t.Fatal(err)
		}
		got := waitRun(t, victim, run.ID)
		if got.Status != "failed" || got.Error == nil || got.Error.Code != "internal" {
			t.Fatalf("%s run = %+v", name, got)
		}
		if strings.Contains(got.Error.Message, "exploded") {
			t.Fatalf("panic text leaked to the user: %q", got.Error.Message)
		}
		evs, _ := victim.Events(ctxT(t), run.ID, 0)
		types := []string{}
		for _, e := range evs {
			types = append(types, e.Type)
		}
		want := "run_queued run_started agent_started agent_error run_failed"
		if name == "tool_panicker" {
			want = "run_queued run_started agent_started tool_executing tool_completed agent_error run_failed"
		}
		if strings.Join(types, " ") != want {
			t.Fatalf("%s events: %v", name, types)
		}
	}
	evs := collect(t, bconn, 10*time.Second, terminalsFor(map[string]bool{bAcc.RunID: true}))
	if last := evs[len(evs)-1]; last.Type != "run_completed" || string(last.Data) != `{"output":"unharmed"}` {
		t.Fatalf("bystander's run ended with %s %s", last.Type, last.Data)
	}
	h.waitIdle()
}

func TestSSEReplaysAndEnds(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("mona")
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "stream me", Agent: "echo", Params: map[string]any{"delay_ms": 200}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(hdr map[string]string, query string) []int64 {
		req, _ := http.NewRequestWithContext(ctxT(t), "GET", h.url+"/v1/runs/"+run.ID+"/events"+query, nil)
		req.Header.Set("Authorization", "Bearer "+h.token("mona", netra.TierFree))
		req.Header.Set("Accept", "text/event-stream")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		var seqs []int64
		var id int64
		var typ string
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				fmt.Sscan(strings.TrimPrefix(line, "id: "), &id)
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var ev client.Event
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil || ev.Seq != id || ev.Type != typ {
					t.Fatalf("data %q (id %d, event %s): %v", line, id, typ, err)
				}
				seqs = append(seqs, id)
			}
		}
		return seqs
	}
	all := read(nil, "") // live: stored first, then live, ending after the terminal event
	if len(all) < 7 {
		t.Fatalf("stream had %v", all)
	}
	for i, s := range all {
		if s != int64(i+1) {
			t.Fatalf("stream seqs %v", all)
		}
	}
	tail := read(map[string]string{"Last-Event-ID": "4"}, "?after_seq=1") // Last-Event-ID wins
	if len(tail) != len(all)-4 || tail[0] != 5 {
		t.Fatalf("after Last-Event-ID 4: %v", tail)
	}
	if none := read(nil, fmt.Sprintf("?after_seq=%d", len(all))); len(none) != 0 {
		t.Fatalf("after the terminal event: %v", none)
	}
}

// An SSE stream sends each event as it happens, not when the run ends: the queued run's events
// up to its tool call arrive while the tool still waits.
func TestSSESendsAsItHappens(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("olga") // free tier: one run at a time, so the second waits in the queue
	params := map[string]any{"delay_ms": 1500}
	if _, err := c.StartRun(ctxT(t), client.StartRun{Input: "first", Agent: "echo", Params: params}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "second", Agent: "echo", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), "GET", h.url+"/v1/runs/"+run.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+h.token("olga", netra.TierFree))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	defer resp.Body.Close()
	at := map[string]time.Time{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			at[typ] = time.Now()
		}
	}
	started, executing, completed := at["run_started"], at["tool_executing"], at["tool_completed"]
	if started.IsZero() || executing.IsZero() || completed.IsZero() {
		t.Fatalf("stream lacks events: %v", at)
	}
	// The tool waits 1.5 s between its two events; held events would arrive together.
	if gap := completed.Sub(executing); gap < 750*time.Millisecond {
		t.Fatalf("tool_executing arrived %v before tool_completed, want about 1.5 s: events were held", gap)
	}
}

func TestRunLifecycleOverHTTP(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("nina", netra.TierFree)
	c := client.New(h.url, tok)
	// Bad input is refused before anything is stored.
	for body, want := range map[string]string{
		`{"input":"x","agent":"echo","params":{"delay_ms":60001}}`: "invalid_request",
		`{"input":"x","agent":"echo","params":{"delay_ms":-1}}`:    "invalid_request",
		`{"agent":"echo"}`:                                    "invalid_request",
		`{"input":"","agent":"echo"}`:                         "invalid_request",
		`{"input":"x","agent":"unknown"}`:                     "not_found",
		`{"input":"x","agent":"triage"}`:                      "not_found",
		`{"input":"x","agent":"echo","thread_id":"thr_nope"}`: "not_found",
		`not json`:                       "invalid_request",
		`{"input":["x"],"agent":"echo"}`: "invalid_request",
	} {
		status, m, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, body, nil)
		if errCode(m) != want || status != map[string]int{"invalid_request": 400, "not_found": 404}[want] {
			t.Errorf("POST %s = %d %v, want %s", body, status, m, want)
		}
	}
	var list struct {
		Threads    []client.Thread `json:"threads"`
		NextCursor *string         `json:"next_cursor"`
	}
	if err := c.Do(ctxT(t), "GET", "/v1/threads", nil, &list); err != nil || len(list.Threads) != 0 || list.NextCursor != nil {
		t.Fatalf("after refusals: %+v %v", list, err)
	}
	// A run in a new thread, then one in the same thread; messages and runs line up.
	first := finishedRun(t, c, "first")
	if first.Status != "completed" || string(first.Output) != `"first"` || first.StartedAt == nil || first.EndedAt == nil || first.QueuePosition != nil {
		t.Fatalf("first = %+v", first)
	}
	var second client.Run
	if err := c.Do(ctxT(t), "POST", "/v1/threads/"+first.ThreadID+"/runs", map[string]any{"input": "second", "agent": "echo"}, &second); err != nil {
		t.Fatal(err)
	}
	waitRun(t, c, second.ID)
	msgs, err := c.Messages(ctxT(t), first.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Role+":"+m.Content)
	}
	if strings.Join(got, ",") != "user:first,assistant:first,user:second,assistant:second" {
		t.Fatalf("messages %v", got)
	}
	var runs struct {
		Runs []client.Run `json:"runs"`
	}
	if err := c.Do(ctxT(t), "GET", "/v1/threads/"+first.ThreadID+"/runs", nil, &runs); err != nil || len(runs.Runs) != 2 {
		t.Fatalf("runs %+v %v", runs, err)
	}
	// Cancelling an ended run is a conflict.
	if _, err := c.CancelRun(ctxT(t), first.ID); !isCode(err, "conflict", 409) {
		t.Fatalf("cancel ended run: %v", err)
	}
	// Events over HTTP, in seq order, with after_seq.
	evs, err := c.Events(ctxT(t), first.ID, 0)
	if err != nil || len(evs) != 7 || evs[0].Type != "run_queued" || evs[6].Type != "run_completed" {
		t.Fatalf("events %+v %v", evs, err)
	}
	if tail, _ := c.Events(ctxT(t), first.ID, 5); len(tail) != 2 || tail[0].Seq != 6 {
		t.Fatalf("after_seq=5: %+v", tail)
	}
	// run_started says when the run got its slot: the run's stored started_at, at most its ts.
	var started struct {
		StartedAt time.Time `json:"started_at"`
	}
	if err := json.Unmarshal(evs[1].Data, &started); err != nil || evs[1].Type != "run_started" ||
		!started.StartedAt.Equal(*first.StartedAt) || started.StartedAt.After(evs[1].TS) {
		t.Fatalf("run_started %s %s, run started_at %v: %v", evs[1].Data, evs[1].TS, first.StartedAt, err)
	}
	// Pagination, newest first.
	for i := 0; i < 3; i++ {
		if _, err := c.CreateThread(ctxT(t), fmt.Sprint("t", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Do(ctxT(t), "GET", "/v1/threads?limit=2", nil, &list); err != nil || len(list.Threads) != 2 || list.NextCursor == nil || list.Threads[0].Title != "t2" {
		t.Fatalf("page 1 %+v %v", list, err)
	}
	if err := c.Do(ctxT(t), "GET", "/v1/threads?limit=2&cursor="+*list.NextCursor, nil, &list); err != nil || len(list.Threads) != 2 || list.NextCursor != nil {
		t.Fatalf("page 2 %+v %v", list, err)
	}
	if status, m, _ := rawHTTP(t, "GET", h.url+"/v1/threads?limit=101", tok, "", nil); status != 400 || errCode(m) != "invalid_request" {
		t.Fatalf("limit=101: %d %v", status, m)
	}
	// Deleting a thread removes its runs and events.
	if err := c.Do(ctxT(t), "DELETE", "/v1/threads/"+first.ThreadID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRun(ctxT(t), first.ID); !isCode(err, "not_found", 404) {
		t.Fatalf("run after thread delete: %v", err)
	}
	if _, err := c.Events(ctxT(t), first.ID, 0); !isCode(err, "not_found", 404) {
		t.Fatalf("events after thread delete: %v", err)
	}
}

func isCode(err error, code string, status int) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Code == code && ae.Status == status
}

func TestCancelQueuedAndRunning(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("olga") // free tier: one run at a time, so the second waits
	conn := h.connect(c, client.ConnOptions{})
	ctx := ctxT(t)
	a, err := conn.Start(ctx, client.StartRun{Input: "long", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := conn.Start(ctx, client.StartRun{Input: "waiting", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != "queued" || b.QueuePosition == nil || *b.QueuePosition != 1 {
		t.Fatalf("second run accepted as %+v", b)
	}
	if r, _ := c.GetRun(ctx, b.RunID); r.QueuePosition == nil || *r.QueuePosition != 1 {
		t.Fatalf("GET queued run: %+v", r)
	}
	var me struct {
		Usage struct{ Running, Queued int } `json:"usage"`
	}
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || me.Usage.Running != 1 || me.Usage.Queued != 1 {
		t.Fatalf("me %+v %v", me, err)
	}
	startCancel := time.Now()
	if err := conn.Cancel(ctx, b.RunID); err != nil {
		t.Fatal(err)
	}
	if err := conn.Cancel(ctx, a.RunID); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, conn, 5*time.Second, terminalsFor(map[string]bool{a.RunID: true, b.RunID: true}))
	if el := time.Since(startCancel); el > time.Second {
		t.Fatalf("cancellation took %v", el)
	}
	for _, e := range evs {
		if e.Terminal() && e.Type != "run_cancelled" {
			t.Fatalf("run %s ended with %s", e.RunID, e.Type)
		}
		if e.RunID == b.RunID && (e.Type == "run_started" || e.Type == "agent_started") {
			t.Fatalf("cancelled queued run started: %s", e.Type)
		}
	}
	if err := conn.Cancel(ctx, a.RunID); !isCode(err, "conflict", 0) {
		t.Fatalf("cancel again: %v", err)
	}
	h.waitIdle()
}

func TestMultitaskRejectAndInterrupt(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) {})
	c := client.New(h.url, h.token("pete", netra.TierMid))
	ctx := ctxT(t)
	first, err := c.StartRun(ctx, client.StartRun{Input: "busy", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartRun(ctx, client.StartRun{Input: "no", Agent: "echo", ThreadID: first.ThreadID, Multitask: "reject"}); !isCode(err, "conflict", 409) {
		t.Fatalf("reject: %v", err)
	}
	second, err := c.StartRun(ctx, client.StartRun{Input: "now", Agent: "echo", ThreadID: first.ThreadID, Multitask: "interrupt"})
	if err != nil {
		t.Fatal(err)
	}
	if r := waitRun(t, c, first.ID); r.Status != "cancelled" {
		t.Fatalf("interrupted run ended %s", r.Status)
	}
	if r := waitRun(t, c, second.ID); r.Status != "completed" {
		t.Fatalf("interrupting run ended %s", r.Status)
	}
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("quinn") // free: 1 running, 10 waiting
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 11; i++ {
		r, err := c.StartRun(ctx, client.StartRun{Input: "x", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		ids = append(ids, r.ID)
	}
	_, err := c.StartRun(ctx, client.StartRun{Input: "one too many", Agent: "echo"})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "queue_full" || ae.Status != 429 {
		t.Fatalf("12th run: %v", err)
	}
	status, _, hdr := rawHTTP(t, "POST", h.url+"/v1/runs", h.token("quinn", netra.TierFree), `{"input":"x","agent":"echo"}`, nil)
	if status != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("queue_full: %d Retry-After %q", status, hdr.Get("Retry-After"))
	}
	for _, id := range ids {
		if _, err := c.CancelRun(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	h.waitIdle()
}

func TestCancelOnDisconnect(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("wendy", netra.TierMid)
	ws := dialRaw(t, h, tok)
	tied := ws.roundTrip(`{"type":"start_run","id":"1","input":"x","agent":"echo","params":{"delay_ms":30000},"cancel_on_disconnect":true}`)
	free := ws.roundTrip(`{"type":"start_run","id":"2","input":"y","agent":"echo","params":{"delay_ms":300}}`)
	if tied["type"] != "run_accepted" || free["type"] != "run_accepted" {
		t.Fatalf("starts: %v %v", tied, free)
	}
	_ = ws.ws.Close(websocket.StatusNormalClosure, "")
	c := client.New(h.url, tok)
	if r := waitRun(t, c, tied["run_id"].(string)); r.Status != "cancelled" {
		t.Fatalf("tied run ended %s", r.Status)
	}
	if r := waitRun(t, c, free["run_id"].(string)); r.Status != "completed" {
		t.Fatalf("free run ended %s", r.Status)
	}
	// eta_ms appears once runs have a history: the queued run of a busy free user gets one.
	ws2 := dialRaw(t, h, h.token("xena", netra.TierFree))
	ws2.roundTrip(`{"type":"start_run","id":"a","input":"x","agent":"echo","params":{"delay_ms":2000}}`)
	q := ws2.roundTrip(`{"type":"start_run","id":"b","input":"x","agent":"echo"}`)
	var evs []client.Event
	for deadline := time.Now().Add(5 * time.Second); len(evs) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		evs, _ = client.New(h.url, h.token("xena", netra.TierFree)).Events(ctxT(t), q["run_id"].(string), 0)
	}
	var d struct {
		Position int   `json:"position"`
		ETAMS    int64 `json:"eta_ms"`
	}
	if len(evs) == 0 || json.Unmarshal(evs[0].Data, &d) != nil || d.Position != 1 || d.ETAMS <= 0 {
		t.Fatalf("run_queued %+v", evs)
	}
}

// TestListRunsAndAgents: GET /v1/runs lists the caller's own runs, newest first, by status,
// page by page; GET /v1/agents lists the agents, supervisor and echo among the ones a run may
// name (contract rev. 1.1).
func TestListRunsAndAgents(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	mine := h.client("lena")
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, finishedRun(t, mine, fmt.Sprint("run ", i)).ID)
	}
	finishedRun(t, h.client("otto"), "not lena's")
	type page struct {
		Runs []struct {
			ID, Status string
		} `json:"runs"`
		NextCursor *string `json:"next_cursor"`
	}
	var seen []string
	path := "/v1/runs?limit=2"
	for pages := 0; pages < 5; pages++ {
		var p page
		if err := mine.Do(ctxT(t), "GET", path, nil, &p); err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Runs {
			seen = append(seen, r.ID)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/runs?limit=2&cursor=" + url.QueryEscape(*p.NextCursor)
	}
	if len(seen) != 5 {
		t.Fatalf("listed %v, want lena's 5 runs", seen)
	}
	for i := range ids {
		if seen[i] != ids[len(ids)-1-i] {
			t.Fatalf("listed %v, want newest first: %v reversed", seen, ids)
		}
	}
	var completed, queued page
	if err := mine.Do(ctxT(t), "GET", "/v1/runs?status=completed", nil, &completed); err != nil || len(completed.Runs) != 5 || completed.NextCursor != nil {
		t.Fatalf("completed: %+v %v", completed, err)
	}
	if err := mine.Do(ctxT(t), "GET", "/v1/runs?status=queued", nil, &queued); err != nil || len(queued.Runs) != 0 {
		t.Fatalf("queued: %+v %v", queued, err)
	}
	for _, bad := range []string{"status=done", "limit=0", "limit=101", "cursor=nonsense"} {
		status, body, _ := rawHTTP(t, "GET", h.url+"/v1/runs?"+bad, h.token("lena", netra.TierFree), "", nil)
		if status != 400 || errCode(body) != "invalid_request" {
			t.Errorf("GET /v1/runs?%s = %d %v", bad, status, body)
		}
	}
	var agents struct {
		Agents []struct {
			Name, Description string
			Entry             bool
		} `json:"agents"`
	}
	if err := mine.Do(ctxT(t), "GET", "/v1/agents", nil, &agents); err != nil {
		t.Fatal(err)
	}
	entry := map[string]bool{}
	for _, a := range agents.Agents {
		if a.Description == "" {
			t.Errorf("agent %s has no description", a.Name)
		}
		entry[a.Name] = a.Entry
	}
	if !entry["supervisor"] || !entry["echo"] || entry["triage"] {
		t.Fatalf("agents %+v", agents.Agents)
	}
}

// TestInvalidUTF8IsRefused: a run's input or a thread's title that is not valid UTF-8 is
// refused with invalid_request, over HTTP and WebSocket, instead of being stored with U+FFFD.
func TestInvalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("ulla", netra.TierFree)
	for _, tc := range []struct{ path, body string }{
		{"/v1/runs", "{\"input\":\"bad \xff byte\",\"agent\":\"echo\"}"},
		{"/v1/threads", "{\"title\":\"bad \xc3\x28 title\"}"},
	} {
		status, body, _ := rawHTTP(t, "POST", h.url+tc.path, tok, tc.body, nil)
		if status != 400 || errCode(body) != "invalid_request" {
			t.Errorf("POST %s with invalid UTF-8: %d %v", tc.path, status, body)
		}
	}
	ws := dialRaw(t, h, tok)
	if err := ws.ws.Write(ctxT(t), websocket.MessageText, []byte("{\"type\":\"start_run\",\"id\":\"u\",\"input\":\"bad \xff\",\"agent\":\"echo\"}")); err != nil {
		t.Fatal(err)
	}
	if reply := ws.read(); reply["type"] != "error" || reply["code"] != "invalid_request" || reply["id"] != "u" {
		t.Fatalf("start_run with invalid UTF-8: %v", reply)
	}
	var runs struct {
		Runs []any `json:"runs"`
	}
	if err := client.New(h.url, tok).Do(ctxT(t), "GET", "/v1/runs", nil, &runs); err != nil || len(runs.Runs) != 0 {
		t.Fatalf("runs stored: %v %v", runs, err)
	}
}

// TestJSONBodiesAreStrict: a body that is not declared JSON, a field nobody knows and a second
// value (malformed, at its byte) are refused, naming what is wrong, and nothing is stored; JSON with parameters, or no
// Content-Type at all, is accepted.
func TestJSONBodiesAreStrict(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("jules", netra.TierFree)
	for _, tc := range []struct{ ct, body, want string }{
		{"text/plain", `{"input":"hi","agent":"echo"}`, `not "text/plain"`},
		{"application/x-www-form-urlencoded", `{"input":"hi","agent":"echo"}`, "Content-Type: application/json"},
		{"application/json", `{"input":"hi","agent":"echo","tread_id":"thr_x"}`, `unknown field "tread_id"`},
		{"application/json", `{"input":"hi","agent":"echo"} {"input":"again"}`, "malformed JSON at byte 31"},
	} {
		status, body, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, tc.body, map[string]string{"Content-Type": tc.ct})
		e, _ := body["error"].(map[string]any)
		if msg, _ := e["message"].(string); status != 400 || errCode(body) != "invalid_request" || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s: %d %v, want 400 naming %q", tc.ct, tc.body, status, body, tc.want)
		}
	}
	var runs struct {
		Runs []any `json:"runs"`
	}
	if err := client.New(h.url, tok).Do(ctxT(t), "GET", "/v1/runs", nil, &runs); err != nil || len(runs.Runs) != 0 {
		t.Fatalf("refused bodies stored runs: %v %v", runs, err)
	}
	for _, ct := range []string{"application/json; charset=utf-8", ""} {
		status, body, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, `{"input":"hi","agent":"echo"}`, map[string]string{"Content-Type": ct})
		if status != 202 {
			t.Errorf("Content-Type %q: %d %v", ct, status, body)
		}
	}
}

// TestHeadersTooLargeAnswerJSON: headers past the bound answer 431 with the JSON error body,
// like every other error.
func TestHeadersTooLargeAnswerJSON(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	status, body, hdr := rawHTTP(t, "GET", h.url+"/v1/me", h.token("hugo", netra.TierFree), "", map[string]string{"X-Padding": strings.Repeat("p", 70<<10)})
	if status != 431 || errCode(body) != "headers_too_large" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("oversized headers: %d %v %v", status, body, hdr)
	}
}

// TestRepliesKeepFrameOrder: start_runs sent back to back with pings between them are accepted
// in one go (the reader does not wait for each commit), and the replies still come in the
// order of the frames.
// Shown to catch: replies that do not wait behind an earlier start_run's (a pong first).
func TestRepliesKeepFrameOrder(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	ws := dialRaw(t, h, h.token("orla", netra.TierEnterprise))
	var want []string
	for i := 0; i < 10; i++ {
		ws.send(fmt.Sprintf(`{"type":"start_run","id":"s%d","input":"x","agent":"echo"}`, i))
		ws.send(fmt.Sprintf(`{"type":"ping","id":"p%d"}`, i))
		want = append(want, fmt.Sprint("s", i), fmt.Sprint("p", i))
	}
	var got []string
	for len(got) < len(want) {
		m := ws.read()
		if _, isEvent := m["seq"]; isEvent {
			continue
		}
		if m["type"] != "run_accepted" && m["type"] != "pong" {
			t.Fatalf("reply %v", m)
		}
		got = append(got, m["id"].(string))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("replies in the order %v, want %v", got, want)
	}
}

// TestIdleConnectionHoldsOneGoroutine: an idle WebSocket costs the server its reader's
// goroutine only; a writer runs while frames wait and ends once they are out (docs/
// benchmarks.md, "An idle connection"). Not parallel: it counts the process's goroutines.
func TestIdleConnectionHoldsOneGoroutine(t *testing.T) {
	h := start(t, nil)
	const n = 40
	// within waits until the goroutines beyond base are at most n plus a small margin for
	// the node's own timers and the test's reads.
	within := func(base int, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := runtime.NumGoroutine() - base
			if got <= n+5 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d goroutines more than before %d idle connections; want at most %d", what, got, n, n+5)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	base := runtime.NumGoroutine()
	conns := make([]*rawWS, n)
	for i := range conns {
		conns[i] = dialRaw(t, h, h.token(fmt.Sprintf("idle-%d", i), netra.TierFree))
	}
	within(base, "connected")
	// A run's events come and go on one of them; its writer ends after them.
	ws := conns[0]
	if m := ws.roundTrip(`{"type":"start_run","id":"s","input":"hi","agent":"echo"}`); m["type"] != "run_accepted" {
		t.Fatalf("start_run answered %v", m)
	}
	for m := ws.read(); m["type"] != "run_completed"; m = ws.read() {
	}
	within(base, "after a run")
}

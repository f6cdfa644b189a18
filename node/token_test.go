package node_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
)

func shortToken(t *testing.T, user string, ttl time.Duration) string {
	t.Helper()
	tok, err := auth.Sign([]byte(secret), netra.Identity{UserID: user, Tier: netra.TierFree, Role: netra.RoleUser}, ttl, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestExpiredTokenClosesTheConnection: a WebSocket lives no longer than its token; the close
// says why, and a client with a token source reconnects with a new token and misses nothing.
func TestExpiredTokenClosesTheConnection(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	ws := dialRaw(t, h, shortToken(t, "vera", 1500*time.Millisecond))
	start := time.Now()
	var lastSeq int64
	if st := closeStatusAfter(t, ws.ws, &lastSeq); st != websocket.StatusCode(4401) {
		t.Fatalf("closed with %d, want 4401", st)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed %v after connecting; the token lived 1.5 s", d)
	}

	// A ticket-opened connection expires with the token the ticket came from.
	tc := client.New(h.url, shortToken(t, "vera", 1500*time.Millisecond))
	var tk struct {
		Ticket string `json:"ticket"`
	}
	if err := tc.Do(ctxT(t), "POST", "/v1/ws-tickets", nil, &tk); err != nil {
		t.Fatal(err)
	}
	tws, _, err := websocket.Dial(ctxT(t), "ws"+h.url[len("http"):]+"/v1/ws?ticket="+tk.Ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tws.CloseNow()
	if st := closeStatusAfter(t, tws, &lastSeq); st != websocket.StatusCode(4401) {
		t.Fatalf("ticket connection closed with %d, want 4401", st)
	}

	// The Go client renews its token and resumes the run it follows.
	refreshed := 0
	c := client.New(h.url, shortToken(t, "vera", 1500*time.Millisecond))
	conn := h.connect(c, client.ConnOptions{Reconnect: true, RefreshToken: func(context.Context) (string, error) {
		refreshed++
		return shortToken(t, "vera", time.Hour), nil
	}})
	acc, err := conn.Start(ctxT(t), client.StartRun{Input: "long", Agent: "echo", Params: map[string]any{"delay_ms": 2500}})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, conn, 15*time.Second, terminalsFor(map[string]bool{acc.RunID: true}))
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: a gap or duplicate across the renewal", i, e.Seq)
		}
	}
	if evs[len(evs)-1].Type != "run_completed" || refreshed != 1 {
		t.Fatalf("last %s, refreshed %d times", evs[len(evs)-1].Type, refreshed)
	}
}

// TestTokenInsideTheLeewayIsNotUpgraded: a token that expired a moment ago still verifies
// within the 5 s leeway, but a WebSocket is refused 401 instead of being upgraded and closed
// at once with 4401; over HTTP the leeway applies.
func TestTokenInsideTheLeewayIsNotUpgraded(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := shortToken(t, "lee", -2*time.Second) // expired 2 s ago: inside the leeway
	if status, body, _ := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", nil); status != 200 {
		t.Fatalf("HTTP inside the leeway: %d %v", status, body)
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+tok)
	_, resp, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("WebSocket inside the leeway: %v %v", resp, err)
	}
}

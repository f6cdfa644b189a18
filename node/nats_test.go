package node_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/event/eventnats/natstest"
	"github.com/netra-ai/netra/node"
)

// TestNodeOnNATS: with its events on NATS (NETRA_NATS_URL), a node delivers each user's
// events to that user's connections, live and in order, and to nobody else; the SSE stream
// of a run gets them too.
func TestNodeOnNATS(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.NATSURL = natstest.URL(t) })
	users := []string{"nia", "nox", "nell"}
	conns := map[string]*client.Conn{}
	for _, u := range users {
		conns[u] = h.connect(h.client(u), client.ConnOptions{})
	}
	runs := map[string]string{}
	for _, u := range users {
		acc, err := conns[u].Start(ctxT(t), client.StartRun{Input: "over nats " + u, Agent: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		runs[u] = acc.RunID
	}
	for _, u := range users {
		var seqs []int64
		for ev := range conns[u].Events() {
			if ev.RunID != runs[u] {
				t.Fatalf("%s received an event of run %s", u, ev.RunID)
			}
			seqs = append(seqs, ev.Seq)
			if ev.Terminal() {
				break
			}
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("%s's events arrived as seqs %v", u, seqs)
			}
		}
	}
	// A run started while an SSE stream follows it: stored, then live over the bus.
	c := h.client("nia")
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "sse", Agent: "echo", Params: map[string]any{"delay_ms": 200}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), "GET", h.url+"/v1/runs/"+run.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+h.token("nia", netra.TierFree))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // the stream ends after the terminal event
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "event: run_started") || !strings.Contains(string(body), "event: run_completed") {
		t.Fatalf("SSE over NATS: %d\n%s", resp.StatusCode, body)
	}
	h.waitIdle()
}

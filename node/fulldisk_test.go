package node_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
)

// TestFullDisk: with the database capped at its size (SQLite's max_page_count: what a full
// disk looks like to the store), starting runs answers 507 insufficient_storage, /readyz turns
// 503, and nothing half-written is left; once space is back, /readyz is 200 again, runs
// complete, and every audit chain verifies (the harness checks it after Stop): a refused
// audit entry must not have moved its chain's head.
// Shown to catch: chain heads that advance before the commit (verify then reports a break).
func TestFullDisk(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("fiona", netra.TierEnterprise)
	c := client.New(h.url, tok)
	ctx := ctxT(t)
	big := strings.Repeat("x", 32<<10) // fills pages fast: the input is stored twice (run, message)
	run := func() (int, map[string]any) {
		status, body, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, `{"input":"`+big+`","agent":"echo"}`, nil)
		return status, body
	}
	if status, body := run(); status != 202 {
		t.Fatalf("before: %d %v", status, body)
	}
	ready := func() int {
		resp, err := http.Get(h.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if err := h.n.SetMaxDBBytes(ctx, 1); err != nil { // SQLite keeps the size it has
		t.Fatal(err)
	}
	// Fill the pages the database has until a write needs one more.
	var status int
	var body map[string]any
	for i := 0; i < 5000; i++ {
		if status, body = run(); status != 202 {
			break
		}
	}
	if status != http.StatusInsufficientStorage || errCode(body) != "insufficient_storage" {
		t.Fatalf("on a full disk: %d %v, want 507 insufficient_storage", status, body)
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz on a full disk = %d, want 503", got)
	}
	// A thread refused for lack of space is not there at all.
	var threads struct {
		Threads []netra.Thread `json:"threads"`
	}
	if err := c.Do(ctx, "GET", "/v1/threads?limit=100", nil, &threads); err != nil {
		t.Fatal(err)
	}
	before := len(threads.Threads)
	if status, _ := run(); status != http.StatusInsufficientStorage {
		t.Fatalf("still full: %d", status)
	}
	if err := c.Do(ctx, "GET", "/v1/threads?limit=100", nil, &threads); err != nil || len(threads.Threads) != before {
		t.Fatalf("a refused run left a thread: %d then %d (%v)", before, len(threads.Threads), err)
	}
	if err := h.n.SetMaxDBBytes(ctx, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover once space was back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn := h.connect(c, client.ConnOptions{})
	acc, err := conn.Start(ctx, client.StartRun{Input: "after", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range conn.Events() {
		if ev.RunID == acc.RunID && ev.Terminal() {
			if ev.Type != "run_completed" {
				t.Fatalf("after recovery: %s %s", ev.Type, ev.Data)
			}
			break
		}
	}
	h.waitIdle()
}

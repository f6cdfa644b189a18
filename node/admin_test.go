package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store/storepg/pgtest"
)

func adminToken(t *testing.T) string {
	t.Helper()
	tok, err := auth.Sign([]byte(secret), netra.Identity{UserID: "root", Tier: netra.TierEnterprise, Role: netra.RoleAdmin}, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestAdminEndpoints: only admins reach them; they show live runs and users' usage, cancel any
// run, and turn agents and tools off and on, and every call lands in the audit trail.
func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	admin := adminToken(t)
	aliceTok := h.token("alice", netra.TierFree)
	alice := client.New(h.url, aliceTok)
	slow := map[string]any{"delay_ms": 10000}
	running, err := alice.StartRun(ctxT(t), client.StartRun{Input: "a", Agent: "echo", Params: slow})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := alice.StartRun(ctxT(t), client.StartRun{Input: "b", Agent: "echo", Params: slow})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, running.ID, "running")

	for _, ep := range []struct{ method, path string }{
		{"GET", "/v1/admin/users"}, {"GET", "/v1/admin/runs"}, {"POST", "/v1/admin/runs/" + running.ID + "/cancel"},
		{"GET", "/v1/admin/switches"}, {"POST", "/v1/admin/switches"}, {"DELETE", "/v1/admin/switches/agent/echo"},
		{"GET", "/v1/admin/audit?user=alice"},
	} {
		if status, body, _ := rawHTTP(t, ep.method, h.url+ep.path, aliceTok, `{"kind":"agent","name":"echo"}`, nil); status != 403 || errCode(body) != "forbidden" {
			t.Errorf("%s %s as a user = %d %v", ep.method, ep.path, status, body)
		}
	}

	status, body, _ := rawHTTP(t, "GET", h.url+"/v1/admin/runs", admin, "", nil)
	runs, _ := body["runs"].([]any)
	if status != 200 || len(runs) != 2 {
		t.Fatalf("admin runs = %d %v", status, body)
	}
	first, second := runs[0].(map[string]any), runs[1].(map[string]any)
	if first["id"] != running.ID || first["status"] != "running" || first["user_id"] != "alice" || first["agent"] != "echo" ||
		second["id"] != queued.ID || second["status"] != "queued" || second["queue_position"] != 1.0 {
		t.Fatalf("admin runs = %v", runs)
	}
	status, body, _ = rawHTTP(t, "GET", h.url+"/v1/admin/users", admin, "", nil)
	users, _ := body["users"].([]any)
	if status != 200 || len(users) != 1 {
		t.Fatalf("admin users = %d %v", status, body)
	}
	if u := users[0].(map[string]any); u["user_id"] != "alice" || u["running"] != 1.0 || u["queued"] != 1.0 ||
		u["limits"].(map[string]any)["max_running"] != 1.0 || u["rate_limits"].(map[string]any)["connections"] == nil {
		t.Fatalf("admin users = %v", users)
	}

	// Cancel any user's run.
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/runs/"+running.ID+"/cancel", admin, "", nil); status != 202 {
		t.Fatalf("admin cancel = %d %v", status, body)
	}
	waitStatus(t, alice, running.ID, "cancelled")
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/admin/runs/run_unknown/cancel", admin, "", nil); status != 404 {
		t.Fatalf("admin cancel of an unknown run = %d", status)
	}

	// Kill switch, finish mode: new echo runs are refused, the one running goes on.
	waitStatus(t, alice, queued.ID, "running")
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/switches", admin, `{"kind":"agent","name":"echo","reason":"incident 7"}`, nil); status != 200 {
		t.Fatalf("disable echo = %d %v", status, body)
	}
	status, body, _ = rawHTTP(t, "POST", h.url+"/v1/runs", aliceTok, `{"input":"c","agent":"echo"}`, nil)
	if msg := body["error"].(map[string]any)["message"].(string); status != 503 || errCode(body) != "unavailable" || !strings.Contains(msg, "incident 7") {
		t.Fatalf("run of a disabled agent = %d %v", status, body)
	}
	if r, _ := alice.GetRun(ctxT(t), queued.ID); r.Status != "running" {
		t.Fatalf("finish mode stopped a running run: %s", r.Status)
	}
	// Cancel mode: the running echo run is stopped too.
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/switches", admin, `{"kind":"agent","name":"echo","mode":"cancel"}`, nil); status != 200 || body["cancelled_runs"] != 1.0 {
		t.Fatalf("cancel-mode switch = %d %v", status, body)
	}
	waitStatus(t, alice, queued.ID, "cancelled")
	if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/admin/switches/agent/echo", admin, "", nil); status != 204 {
		t.Fatalf("enable echo = %d", status)
	}
	if r := finishedRun(t, alice, "back"); r.Status != "completed" {
		t.Fatalf("echo after enabling = %s", r.Status)
	}

	// A disabled tool fails the calls that reach it.
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/switches", admin, `{"kind":"tool","name":"echo"}`, nil); status != 200 {
		t.Fatalf("disable tool = %d %v", status, body)
	}
	r := finishedRun(t, alice, "tool off")
	evs, _ := alice.Events(ctxT(t), r.ID, 0)
	sawRefusal := false
	for _, e := range evs {
		if e.Type == "tool_completed" && strings.Contains(string(e.Data), `"ok":false`) && strings.Contains(string(e.Data), "unavailable") {
			sawRefusal = true
		}
	}
	if r.Status != "failed" || !sawRefusal {
		t.Fatalf("run with the tool off: %s, refusal in tool_completed %v", r.Status, sawRefusal)
	}
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/switches", admin, `{"kind":"tool","name":"nope"}`, nil); status != 404 {
		t.Fatalf("unknown tool = %d %v", status, body)
	}

	// Every admin call, refused ones included, is in the callers' chains.
	entries := waitAudit(t, h, admin, func(es []netra.AuditEntry) bool {
		n := 0
		for _, e := range es {
			if e.Action == netra.AuditAdmin {
				n++
			}
		}
		return n >= 9
	})
	if e := find(entries, netra.AuditAdmin, "ok"); e == nil || !strings.HasPrefix(e.Detail, "GET /v1/admin/runs") {
		t.Errorf("first admin entry %+v", e)
	}
	aliceEntries := waitAudit(t, h, aliceTok, func(es []netra.AuditEntry) bool { return find(es, netra.AuditAdmin, "forbidden") != nil })
	if e := find(aliceEntries, netra.AuditAdmin, "forbidden"); !strings.Contains(e.Detail, "/v1/admin/users") {
		t.Errorf("alice's refused admin call: %+v", e)
	}
}

func waitStatus(t *testing.T, c *client.Client, runID, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := c.GetRun(ctxT(t), runID)
		if err == nil && r.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %s (%v), want %s", runID, r.Status, err, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKillSwitchesOutliveARestart: a switch thrown before a restart still holds after it, on
// either store, until it is cleared, which lasts across a restart too.
func TestKillSwitchesOutliveARestart(t *testing.T) {
	t.Parallel()
	for name, dbURL := range map[string]func(*testing.T) string{
		"sqlite":   func(*testing.T) string { return "" },
		"postgres": func(t *testing.T) string { return pgtest.URL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, dir := dbURL(t), t.TempDir()
			cfg := func(c *node.Config) { c.DataDir, c.DatabaseURL = dir, url }
			admin, user := adminToken(t), ""
			listed := func(h *harness) []any {
				_, body, _ := rawHTTP(t, "GET", h.url+"/v1/admin/switches", admin, "", nil)
				sws, _ := body["switches"].([]any)
				return sws
			}
			h := start(t, cfg)
			user = h.token("ulla", netra.TierFree)
			if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/admin/switches", admin, `{"kind":"agent","name":"echo","reason":"incident 9"}`, nil); status != 200 {
				t.Fatalf("disable echo = %d %v", status, body)
			}
			if err := h.n.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			h = start(t, cfg)
			sws := listed(h)
			if len(sws) != 1 || sws[0].(map[string]any)["reason"] != "incident 9" || sws[0].(map[string]any)["by"] != "root" {
				t.Fatalf("switches after a restart: %v", sws)
			}
			if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/runs", user, `{"input":"x","agent":"echo"}`, nil); status != 503 {
				t.Fatalf("a run of the disabled agent after a restart = %d %v", status, body)
			}
			if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/admin/switches/agent/echo", admin, "", nil); status != 204 {
				t.Fatalf("enable echo = %d", status)
			}
			if err := h.n.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			h = start(t, cfg)
			if sws := listed(h); len(sws) != 0 {
				t.Fatalf("a cleared switch came back after a restart: %v", sws)
			}
			if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/runs", user, `{"input":"x","agent":"echo"}`, nil); status != 202 {
				t.Fatalf("a run after clearing = %d %v", status, body)
			}
			h.waitIdle()
		})
	}
}

// TestAdminNodes: the admin's list of the service's nodes shows this one with its store, bus
// and load; users may not read it.
func TestAdminNodes(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.MaxRunning = 3 })
	conn := h.connect(h.client("nod"), client.ConnOptions{})
	if _, err := conn.Start(ctxT(t), client.StartRun{Input: "x", Agent: "echo", Params: map[string]any{"delay_ms": 2000}}); err != nil {
		t.Fatal(err)
	}
	status, body, _ := rawHTTP(t, "GET", h.url+"/v1/admin/nodes", adminToken(t), "", nil)
	nodes, _ := body["nodes"].([]any)
	if status != 200 || len(nodes) != 1 {
		t.Fatalf("nodes = %d %v", status, body)
	}
	n := nodes[0].(map[string]any)
	if n["address"] != h.url || n["store"] != "sqlite" || n["bus"] != "in-process" || n["slots"] != 3.0 || n["connections"] != 1.0 ||
		n["runs_running"].(float64)+n["runs_queued"].(float64) != 1 || !strings.HasPrefix(n["id"].(string), "node_") {
		t.Fatalf("node %v", n)
	}
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/admin/nodes", h.token("nod", netra.TierFree), "", nil); status != 403 {
		t.Fatalf("a user reading the nodes: %d", status)
	}
}

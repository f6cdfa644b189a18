package node_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storesqlite"
)

type auditPage struct {
	Entries      []netra.AuditEntry `json:"entries"`
	NextAfterSeq *int64             `json:"next_after_seq"`
}

func getAudit(t *testing.T, url, token string) (int, auditPage) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p auditPage
	_ = json.NewDecoder(resp.Body).Decode(&p)
	return resp.StatusCode, p
}

// waitAudit polls the user's trail until has is true of it (entries are written with the next
// group commit, after the action).
func waitAudit(t *testing.T, h *harness, token string, has func([]netra.AuditEntry) bool) []netra.AuditEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, p := getAudit(t, h.url+"/v1/audit?limit=500", token)
		if status != 200 {
			t.Fatalf("GET /v1/audit = %d", status)
		}
		if has(p.Entries) {
			return p.Entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit trail lacks what the test waits for: %+v", p.Entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func find(entries []netra.AuditEntry, action, outcome string) *netra.AuditEntry {
	for i := range entries {
		if entries[i].Action == action && (outcome == "" || entries[i].Outcome == outcome) {
			return &entries[i]
		}
	}
	return nil
}

// TestAuditTrail: every kind of action lands in its user's own chain with who, what, where
// from and the outcome; users read only their own trail, admins anyone's; and the chains
// verify when the node has stopped (the harness checks that after every test).
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	aliceTok := h.token("alice", netra.TierFree)
	alice := client.New(h.url, aliceTok)
	conn := h.connect(alice, client.ConnOptions{})
	run := finishedRun(t, alice, "hello")
	live, err := alice.StartRun(ctxT(t), client.StartRun{Input: "slow", Agent: "echo", Params: map[string]any{"delay_ms": 5000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.CancelRun(ctxT(t), live.ID); err != nil {
		t.Fatal(err)
	}
	status, _, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", aliceTok,
		`{"id":"r1","ts":"2026-11-20T10:00:00Z","model":"gpt-4o","route":"chat","input_tokens":10,"output_tokens":5,"latency_ms":100,"status":"ok"}`, map[string]string{"Content-Type": "application/x-ndjson"})
	if status != 201 {
		t.Fatalf("upload = %d", status)
	}
	if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/workloads", aliceTok, "", nil); status != 200 {
		t.Fatalf("delete records = %d", status)
	}
	if status, _, _ := rawHTTP(t, "DELETE", h.url+"/v1/threads/"+run.ThreadID, aliceTok, "", nil); status != 204 {
		t.Fatalf("delete thread = %d", status)
	}
	// Bob tries alice's run: refused, and recorded in bob's chain, not alice's.
	bobTok := h.token("bob", netra.TierFree)
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/runs/"+live.ID+"/cancel", bobTok, "", nil); status != 404 {
		t.Fatalf("bob's cancel = %d", status)
	}
	// A forged token: the anonymous chain, without the token.
	forged := aliceTok[:len(aliceTok)-4] + "AAAA"
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", forged, "", nil); status != 401 {
		t.Fatalf("forged = %d", status)
	}
	_ = conn.Close()

	want := []struct{ action, outcome string }{
		{netra.AuditAuth, "ok"}, {netra.AuditConnect, "ok"}, {netra.AuditDisconnect, "ok"},
		{netra.AuditRunStart, "ok"}, {netra.AuditToolCall, "ok"}, {netra.AuditRunEnd, "ok"},
		{netra.AuditRunCancel, "ok"}, {netra.AuditRunEnd, "cancelled"},
		{netra.AuditDataUpload, "ok"}, {netra.AuditDataDelete, "ok"}, {netra.AuditThreadDelete, "ok"},
	}
	entries := waitAudit(t, h, aliceTok, func(es []netra.AuditEntry) bool {
		for _, w := range want {
			if find(es, w.action, w.outcome) == nil {
				return false
			}
		}
		return true
	})
	for i, e := range entries {
		if e.UserID != "alice" || e.Seq != int64(i+1) || e.Hash != audit.Hash(&e) || (i > 0 && e.Prev != entries[i-1].Hash) {
			t.Fatalf("entry %d is not alice's chain: %+v", i, e)
		}
		if e.At.IsZero() || time.Since(e.At) > time.Minute {
			t.Errorf("entry %d time %v", i, e.At)
		}
	}
	start := find(entries, netra.AuditRunStart, "ok")
	if start.RunID != run.ID || !strings.HasPrefix(start.RequestID, "req_") || !strings.HasPrefix(start.Remote, "127.0.0.1:") || start.Detail != "agent echo" {
		t.Errorf("run.start = %+v", *start)
	}
	if e := find(entries, netra.AuditToolCall, "ok"); e.RunID != run.ID || !strings.Contains(e.Detail, "tool echo") {
		t.Errorf("tool.call = %+v", *e)
	}
	if e := find(entries, netra.AuditDataUpload, "ok"); !strings.Contains(e.Detail, "1 accepted") {
		t.Errorf("data.upload = %+v", *e)
	}
	for _, e := range entries {
		if e.Action == netra.AuditRunCancel && e.Outcome != "ok" {
			t.Errorf("bob's refused cancel is in alice's trail: %+v", e)
		}
	}

	bobs := waitAudit(t, h, bobTok, func(es []netra.AuditEntry) bool { return find(es, netra.AuditRunCancel, "not_found") != nil })
	for _, e := range bobs {
		if e.UserID != "bob" {
			t.Fatalf("bob reads %+v", e)
		}
	}

	// The admin view: users are refused, admins read anyone's trail, the anonymous one included.
	if status, _ := getAudit(t, h.url+"/v1/admin/audit?user=alice", aliceTok); status != http.StatusForbidden {
		t.Fatalf("admin audit as a user = %d", status)
	}
	adminTok, err := auth.Sign([]byte(secret), netra.Identity{UserID: "root", Tier: netra.TierEnterprise, Role: netra.RoleAdmin}, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	status, p := getAudit(t, h.url+"/v1/admin/audit?user=alice&limit=3", adminTok)
	if status != 200 || len(p.Entries) != 3 || p.Entries[0].UserID != "alice" || p.NextAfterSeq == nil || *p.NextAfterSeq != 3 {
		t.Fatalf("admin audit of alice = %d %+v", status, p)
	}
	status, p = getAudit(t, h.url+"/v1/admin/audit?user="+netra.AuditAnonymous, adminTok)
	if status != 200 || len(p.Entries) == 0 {
		t.Fatalf("anonymous trail = %d %+v", status, p)
	}
	for _, e := range p.Entries {
		if e.Action != netra.AuditAuth || e.Outcome != "unauthorized" || strings.Contains(e.Detail, "eyJ") {
			t.Errorf("anonymous entry %+v", e)
		}
	}
	if status, _ := getAudit(t, h.url+"/v1/admin/audit?user=al%20ice", adminTok); status != 400 {
		t.Errorf("bad user = %d", status)
	}
	// Reading the admin trail is itself an admin action in the admin's chain.
	waitAudit(t, h, adminTok, func(es []netra.AuditEntry) bool {
		e := find(es, netra.AuditAdmin, "ok")
		return e != nil && strings.Contains(e.Detail, `"alice"`)
	})
}

// verifyAudit opens the node's database after the node stopped and checks every chain.
func verifyAudit(t *testing.T, cfg node.Config) {
	t.Helper()
	dir := cfg.DataDir
	var s interface {
		store.AuditAdmin
		Close() error
	}
	var err error
	if cfg.DatabaseURL != "" {
		s, err = storepg.Open(context.Background(), cfg.DatabaseURL)
	} else {
		s, err = storesqlite.Open(context.Background(), filepath.Join(dir, "netra.db"))
	}
	if err != nil {
		t.Errorf("opening the store to verify the audit trail: %v", err)
		return
	}
	defer s.Close()
	var opts audit.VerifyOptions
	if key, err := audit.LoadKey(dir, false); err == nil {
		opts.Key = key.Public().(ed25519.PublicKey)
	}
	rep, err := audit.Verify(context.Background(), s, opts)
	if err != nil || len(rep.Breaks) != 0 {
		t.Errorf("audit chains: %v %s", err, fmt.Sprint(rep.Breaks))
	}
}

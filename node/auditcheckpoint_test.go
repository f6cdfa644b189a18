package node_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store/storesqlite"
)

// TestServerHoldsAChainThatDisagreesWithItsCheckpoint: a node signs a checkpoint when it
// stops; a chain cut short while it was down is found when it starts again: it is counted
// (netra_audit_chain_breaks), shown to admins (GET /v1/admin/audit/status), and not continued
// (the user's new entries are refused), while other users' chains go on. The checkpoint key
// is published at GET /v1/audit/checkpoint-key.
func TestServerHoldsAChainThatDisagreesWithItsCheckpoint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	run := func(body func(n *node.Node)) {
		t.Helper()
		n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: dir, JWTSecret: secret, Logger: testLogger(t), ShutdownGrace: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		body(n)
		if err := n.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tok := func(user string, role netra.Role) string {
		s, _ := auth.Sign([]byte(secret), netra.Identity{UserID: user, Tier: netra.TierFree, Role: role}, time.Hour, "")
		return s
	}
	count := func(n *node.Node, user string) int {
		var page struct {
			Entries []netra.AuditEntry `json:"entries"`
		}
		if err := client.New(n.URL(), tok("ops", netra.RoleAdmin)).Do(ctx, "GET", "/v1/admin/audit?user="+user+"&limit=500", nil, &page); err != nil {
			t.Fatal(err)
		}
		return len(page.Entries)
	}
	act := func(n *node.Node, user string) {
		if _, err := client.New(n.URL(), tok(user, netra.RoleUser)).StartRun(ctx, client.StartRun{Input: "hi", Agent: "echo"}); err != nil {
			t.Fatal(err)
		}
	}
	run(func(n *node.Node) {
		act(n, "alice")
		act(n, "bob")
	})
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM audit WHERE user_id = 'alice' AND seq = (SELECT max(seq) FROM audit WHERE user_id = 'alice')`); err != nil {
		t.Fatal(err)
	}
	run(func(n *node.Node) {
		if v := testutil.ToFloat64(n.Metrics().AuditBreaks); v != 1 {
			t.Errorf("netra_audit_chain_breaks = %v, want 1", v)
		}
		var status node.AuditStatus
		if err := client.New(n.URL(), tok("ops", netra.RoleAdmin)).Do(ctx, "GET", "/v1/admin/audit/status", nil, &status); err != nil {
			t.Fatal(err)
		}
		if len(status.Breaks) != 1 || status.Breaks[0].UserID != "alice" || status.Checkpoint == nil {
			t.Fatalf("status %+v", status)
		}
		var key struct{ Algorithm, Key string }
		if err := client.New(n.URL(), tok("bob", netra.RoleUser)).Do(ctx, "GET", "/v1/audit/checkpoint-key", nil, &key); err != nil {
			t.Fatal(err)
		}
		own, err := audit.LoadKey(dir, false)
		if err != nil || key.Algorithm != "Ed25519" || key.Key != audit.PublicKey(own) || status.Key != key.Key {
			t.Fatalf("checkpoint key %+v (%v)", key, err)
		}
		aliceBefore, bobBefore := count(n, "alice"), count(n, "bob")
		act(n, "alice")
		act(n, "bob")
		time.Sleep(100 * time.Millisecond) // entries ride the next group commit
		if got := count(n, "alice"); got != aliceBefore {
			t.Errorf("alice's held chain went on: %d entries, then %d", aliceBefore, got)
		}
		if got := count(n, "bob"); got <= bobBefore {
			t.Errorf("bob's chain stopped: %d entries, then %d", bobBefore, got)
		}
	})
	// Verify still names the cut; bob's chain, and the checkpoints signed since, are sound.
	s, err := storesqlite.Open(ctx, filepath.Join(dir, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, _ := audit.LoadKey(dir, false)
	rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: key.Public().(ed25519.PublicKey)})
	if err != nil || len(rep.Breaks) != 1 || rep.Breaks[0].UserID != "alice" {
		t.Fatalf("verify: %+v %v", rep.Breaks, err)
	}
}

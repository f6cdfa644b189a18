package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
)

// TestCheckpointsCatchWhatChainsCannot: with a signed checkpoint, Verify catches each way of
// rewriting the trail that a database editor without the key has, including those that leave
// every hash chain internally sound (a recomputed chain, a cut end, a deleted chain, a forged
// anchor), and a log of checkpoints rolled back behind a witness kept elsewhere.
func TestCheckpointsCatchWhatChainsCannot(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pub := key.Public().(ed25519.PublicKey)
	ctx := context.Background()
	// rehash rewrites alice's entries from seq 4 on with a new detail and correct hashes: the
	// chain verifies on its own.
	rehash := func(t *testing.T, s auditScanner, db *sql.DB) {
		var es []netra.AuditEntry
		if err := s.ScanAudit(ctx, "alice", 0, 0, func(e netra.AuditEntry) error { es = append(es, e); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := 3; i < len(es); i++ {
			if i == 3 {
				es[i].Detail = "nothing to see"
			}
			es[i].Prev = es[i-1].Hash
			es[i].Hash = audit.Hash(&es[i])
			if _, err := db.Exec(`UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE user_id = 'alice' AND seq = ?`, es[i].Detail, es[i].Prev, es[i].Hash, es[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name     string
		tamper   func(t *testing.T, s *testStore, db *sql.DB)
		chainsOK bool   // the chains alone do not show it
		user     string // the chain Verify must name
		want     string // in the reason
	}{
		{"edit", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `UPDATE audit SET detail = 'x' WHERE user_id = 'alice' AND seq = 4`)
		}, false, "alice", "changed"},
		{"middle deletion", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit WHERE user_id = 'alice' AND seq = 4`)
		}, false, "alice", "missing"},
		{"truncation", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit WHERE user_id = 'alice' AND seq > 6`)
		}, true, "alice", "cut short: it ends at seq 6"},
		{"whole chain deleted", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit WHERE user_id = 'bob'`)
		}, true, "bob", "the whole chain is gone"},
		{"recomputed chain", func(t *testing.T, s *testStore, db *sql.DB) { rehash(t, s, db) }, true, "alice", "differs from the one checkpoint #1"},
		{"forged anchor", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `INSERT INTO audit_anchors (user_id, seq, hash) SELECT user_id, seq, hash FROM audit WHERE user_id = 'alice' AND seq = 3`)
			mustExec(t, db, `DELETE FROM audit WHERE user_id = 'alice' AND seq <= 3`)
		}, true, "alice", "is not the one checkpoint #1 of"},
		{"forged checkpoint", func(t *testing.T, _ *testStore, db *sql.DB) {
			mustExec(t, db, `UPDATE audit_checkpoints SET body = replace(body, '"seq":8', '"seq":6')`)
			mustExec(t, db, `DELETE FROM audit WHERE user_id = 'alice' AND seq > 6`)
		}, true, audit.Checkpoints, "signature does not verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := sqlitetest.Open(t)
			fill(t, s, 8)
			if _, made, err := audit.MakeCheckpoint(ctx, s, key); err != nil || !made {
				t.Fatalf("checkpoint: %v %v", made, err)
			}
			if rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub}); err != nil || len(rep.Breaks) != 0 || rep.Checkpoint == nil {
				t.Fatalf("before tampering: %+v %v", rep, err)
			}
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tc.tamper(t, &testStore{s}, db)
			alone, err := audit.Verify(ctx, s, audit.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.chainsOK != (len(alone.Breaks) == 0) {
				t.Fatalf("without the checkpoint: %+v, want chains sound: %v", alone.Breaks, tc.chainsOK)
			}
			rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range rep.Breaks {
				if b.UserID == tc.user && strings.Contains(b.Reason, tc.want) {
					return
				}
			}
			t.Fatalf("breaks %+v, want %s: %q", rep.Breaks, tc.user, tc.want)
		})
	}

	// A log rolled back to an older checkpoint, with the entries since cut away, is sound on
	// its own; the witness kept elsewhere catches it.
	t.Run("rolled back behind a witness", func(t *testing.T) {
		t.Parallel()
		s, path := sqlitetest.Open(t)
		fill(t, s, 4)
		if _, _, err := audit.MakeCheckpoint(ctx, s, key); err != nil {
			t.Fatal(err)
		}
		fill(t, s, 4)
		witness, made, err := audit.MakeCheckpoint(ctx, s, key)
		if err != nil || !made || witness.Seq != 2 {
			t.Fatalf("second checkpoint: %+v %v %v", witness, made, err)
		}
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		mustExec(t, db, `DELETE FROM audit_checkpoints WHERE seq = 2`)
		mustExec(t, db, `DELETE FROM audit WHERE seq > 4`)
		if rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub}); err != nil || len(rep.Breaks) != 0 {
			t.Fatalf("the rollback alone: %+v %v", rep.Breaks, err)
		}
		rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub, Witness: &witness})
		if err != nil || len(rep.Breaks) == 0 || rep.Breaks[0].UserID != audit.Checkpoints || !strings.Contains(rep.Breaks[0].Reason, "end at #1 but the witness is #2") {
			t.Fatalf("with the witness: %+v %v", rep.Breaks, err)
		}
		// A witness of another key is refused too.
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		forged := witness
		forged.Sig = ""
		forged.Key = audit.PublicKey(other)
		if rep, _ := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub, Witness: &forged}); len(rep.Breaks) == 0 {
			t.Fatal("an unsigned witness passed")
		}
	})

	// Pruning behind a signed checkpoint keeps everything verifiable.
	t.Run("prune then checkpoint", func(t *testing.T) {
		t.Parallel()
		s, _ := sqlitetest.Open(t)
		fill(t, s, 4)
		if _, _, err := audit.MakeCheckpoint(ctx, s, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PruneAudit(ctx, farFuture()); err != nil {
			t.Fatal(err)
		}
		if rep, _ := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub}); len(rep.Breaks) == 0 {
			t.Fatal("anchors no checkpoint signed passed")
		}
		if _, made, err := audit.MakeCheckpoint(ctx, s, key); err != nil || !made {
			t.Fatal(err)
		}
		if rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Key: pub}); err != nil || len(rep.Breaks) != 0 {
			t.Fatalf("after the signed prune: %+v %v", rep.Breaks, err)
		}
	})
}

// testStore is what the tamper functions read.
type testStore struct{ auditScanner }

type auditScanner interface {
	ScanAudit(context.Context, string, int64, int, func(netra.AuditEntry) error) error
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func farFuture() time.Time { return time.Now().Add(24 * time.Hour) }

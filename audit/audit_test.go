package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
)

// appendSink links and writes each entry at once, as the pipeline's group commit would.
type appendSink struct {
	s     store.Store
	chain *audit.Chain
	mu    *sync.Mutex
}

func newSink(s store.Store) appendSink { return appendSink{s, audit.NewChain(s), new(sync.Mutex)} }

func (a appendSink) Audit(ctx context.Context, e *netra.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.chain.Link(ctx, e); err != nil {
		return err
	}
	err := a.s.Append(ctx, []store.Record{{Audit: e}})
	a.chain.Settle(err == nil)
	return err
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fill records n entries for each of three users, from concurrent goroutines.
func fill(t *testing.T, s store.Store, n int) {
	t.Helper()
	l := audit.NewLog(newSink(s), quiet())
	var wg sync.WaitGroup
	for _, u := range []string{"alice", "bob", ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				l.Record(context.Background(), netra.AuditEntry{UserID: u, Action: netra.AuditRunStart, RunID: fmt.Sprintf("run_%d", i),
					RequestID: "req_1", Remote: "127.0.0.1:5000", Detail: "agent echo"})
			}
		}()
	}
	wg.Wait()
}

func TestChainsVerify(t *testing.T) {
	t.Parallel()
	s, _ := sqlitetest.Open(t)
	fill(t, s, 20)
	rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{})
	if err != nil || len(rep.Breaks) != 0 || rep.Users != 3 || rep.Entries != 60 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	got, err := s.ListAudit(context.Background(), netra.AuditAnonymous, 0, 0)
	if err != nil || len(got) != 20 || got[0].Prev != "" || got[1].Prev != got[0].Hash {
		t.Fatalf("anonymous chain: %d entries, %v", len(got), err)
	}
	// A new Log over the same store continues each chain where it ends.
	fill(t, s, 2)
	if rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{}); err != nil || len(rep.Breaks) != 0 || rep.Entries != 66 {
		t.Fatalf("after a restart: %+v, %v", rep, err)
	}
}

// TestTamperingIsDetected: changing any stored field of any entry, removing an entry or
// swapping two makes Verify fail and name the entry.
func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sql string
		seq       int64 // the entry Verify must name
	}{
		{"action", `UPDATE audit SET action = 'auth' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"outcome", `UPDATE audit SET outcome = 'forbidden' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"time", `UPDATE audit SET at = at + 1 WHERE user_id = 'alice' AND seq = 4`, 4},
		{"request id", `UPDATE audit SET request_id = 'req_2' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"run id", `UPDATE audit SET run_id = 'run_x' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"remote", `UPDATE audit SET remote = '10.0.0.1:1' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"detail", `UPDATE audit SET detail = 'agent supervisor' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"hash", `UPDATE audit SET hash = 'x' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"prev hash", `UPDATE audit SET prev_hash = 'x' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"user", `UPDATE audit SET user_id = 'alicf' WHERE user_id = 'alice' AND seq = 4`, 4},
		{"deleted", `DELETE FROM audit WHERE user_id = 'alice' AND seq = 4`, 5},
		{"deleted first", `DELETE FROM audit WHERE user_id = 'alice' AND seq = 1`, 2},
		{"renumbered", `UPDATE audit SET seq = 100 WHERE user_id = 'alice' AND seq = 4`, 5},
		// Rewriting an entry and its own hash is caught by the next entry's prev_hash.
		{"rehashed", `UPDATE audit SET detail = 'x', hash = 'deadbeef' WHERE user_id = 'alice' AND seq = 4`, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := sqlitetest.Open(t)
			fill(t, s, 8)
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "user" {
				// The moved entry leaves a gap in alice's chain and starts "alicf" at 4.
				if len(rep.Breaks) != 2 || rep.Breaks[0].UserID != "alice" || rep.Breaks[0].Seq != 5 ||
					rep.Breaks[1].UserID != "alicf" || rep.Breaks[1].Seq != 4 {
					t.Fatalf("breaks = %+v", rep.Breaks)
				}
				return
			}
			if len(rep.Breaks) != 1 {
				t.Fatalf("breaks = %+v, want exactly one", rep.Breaks)
			}
			b := rep.Breaks[0]
			if b.UserID != "alice" || b.Seq != tc.seq || !strings.Contains(b.Error(), fmt.Sprintf("seq %d", tc.seq)) {
				t.Fatalf("break = %+v (%s), want alice seq %d", b, b.Error(), tc.seq)
			}
		})
	}
}

func TestPrunedChainsStillVerify(t *testing.T) {
	t.Parallel()
	s, _ := sqlitetest.Open(t)
	l := audit.NewLog(newSink(s), quiet())
	ctx := context.Background()
	old := time.Now().UTC().Add(-72 * time.Hour)
	for i := range 6 {
		e := netra.AuditEntry{UserID: "alice", Action: netra.AuditAuth}
		if i < 3 {
			e.At = old.Add(time.Duration(i) * time.Second)
		}
		l.Record(ctx, e)
	}
	if n, err := s.PruneAudit(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 3 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if rep, err := audit.Verify(ctx, s, audit.VerifyOptions{}); err != nil || len(rep.Breaks) != 0 || rep.Entries != 3 {
		t.Fatalf("after prune: %+v, %v", rep, err)
	}
}

func TestDetailIsRedactedAndBounded(t *testing.T) {
	t.Parallel()
	d := audit.Clean("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl " + strings.Repeat("é", 600))
	if strings.Contains(d, "eyJ") || len(d) > audit.MaxDetail {
		t.Fatalf("Clean = %q (%d bytes)", d[:60], len(d))
	}
}

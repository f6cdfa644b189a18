package node_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store/storepg/pgtest"
)

// TestNodeOnPostgreSQL: a node whose store is PostgreSQL (NETRA_DATABASE_URL) does what the
// embedded one does, and holds the database alone: a run's events stream to its owner and replay gap-free, nobody else
// sees them; uploaded records are analysed into a report; runs queued when the node stops
// start after a restart on the same database, in order, with their seq continued; and every
// audit chain verifies (the harness checks it at the end).
func TestNodeOnPostgreSQL(t *testing.T) {
	t.Parallel()
	url, dir := pgtest.URL(t), t.TempDir() // the same node restarts: its data directory holds its keys
	cfg := func(c *node.Config) {
		c.DatabaseURL = url
		c.DataDir = dir
		c.MaxRunning = 1
		c.ShutdownGrace = 3 * time.Second
	}
	h := start(t, cfg)

	// A second node on the same database is refused: it would recover the first one's runs.
	if _, err := node.New(context.Background(), node.Config{DataDir: t.TempDir(), JWTSecret: secret, DatabaseURL: url}); err == nil || !strings.Contains(err.Error(), "another Netra node") {
		t.Fatalf("a second node on the database: %v", err)
	}

	// Events, live and replayed, to their owner only.
	alice, bob := h.client("alice"), h.client("bob")
	conn := h.connect(alice, client.ConnOptions{})
	acc, err := conn.Start(ctxT(t), client.StartRun{Input: "hello postgres", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	var live []int64
	for ev := range conn.Events() {
		if ev.RunID == acc.RunID {
			live = append(live, ev.Seq)
			if ev.Terminal() {
				break
			}
		}
	}
	var apiErr *client.APIError
	stored, err := alice.Events(ctxT(t), acc.RunID, 0)
	if err != nil || len(stored) != len(live) || stored[len(stored)-1].Type != "run_completed" {
		t.Fatalf("live seqs %v, stored %d events (%v)", live, len(stored), err)
	}
	if _, err := bob.Events(ctxT(t), acc.RunID, 0); !errors.As(err, &apiErr) || apiErr.Code != "not_found" {
		t.Fatalf("another user reading the run: %v", err)
	}

	// Records in, a report out.
	tok := h.token("alice", netra.TierFree)
	h.demoData(tok, 7, 3)
	if md := askHTTP(t, h, tok, "how can I reduce my LLM costs?"); !strings.Contains(md, "## Recommendations") {
		t.Fatalf("the report on PostgreSQL:\n%.400s", md)
	}

	// Queued runs outlive the node.
	c := client.New(h.url, h.token("yuri", netra.TierEnterprise))
	var ids []string
	for i := range 4 {
		r, err := c.StartRun(ctxT(t), client.StartRun{Input: fmt.Sprint("job ", i), Agent: "echo", Params: map[string]any{"delay_ms": jobDelay(i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	waitStatus(t, c, ids[0], "running")
	if err := h.n.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now().UTC()
	second := start(t, cfg)
	c = client.New(second.url, second.token("yuri", netra.TierEnterprise))
	var last time.Time
	for _, id := range ids[1:] {
		r := waitRun(t, c, id)
		if r.Status != "completed" || !r.StartedAt.After(stopped) || r.StartedAt.Before(last) {
			t.Fatalf("queued run %s after the restart: %+v (stopped at %v, previous start %v)", id, r, stopped, last)
		}
		last = *r.StartedAt
		evs, err := c.Events(ctxT(t), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("run %s: events not contiguous across the restart: %+v", id, evs)
			}
		}
	}
	second.waitIdle()
}

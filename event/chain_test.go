package event_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/event/eventmem"
	"github.com/netra-ai/netra/store"
)

// chainStore keeps audit chains as a cluster's store does: an entry whose seq or prev hash does
// not follow its user's head fails the whole batch with store.ErrChainMoved. Before each of its
// first rivalMoves appends, another node continues ann's chain.
type chainStore struct {
	mu         sync.Mutex
	heads      map[string]netra.AuditEntry
	rivalMoves int
	calls      int
	committed  [][]store.Record
}

func (s *chainStore) LastAudit(_ context.Context, user string) (netra.AuditEntry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.heads[user]
	return h, ok, nil
}

func (s *chainStore) Append(_ context.Context, batch []store.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls++; s.calls <= s.rivalMoves {
		h := s.heads["ann"]
		e := netra.AuditEntry{UserID: "ann", Seq: h.Seq + 1, Prev: h.Hash, At: time.Now().UTC(), Action: "elsewhere", Outcome: "ok"}
		e.Hash = audit.Hash(&e)
		s.heads["ann"] = e
	}
	heads := maps.Clone(s.heads)
	for _, r := range batch {
		if a := r.Audit; a != nil {
			if h := heads[a.UserID]; a.Seq != h.Seq+1 || a.Prev != h.Hash {
				return fmt.Errorf("append: %w", &store.ChainMoved{User: a.UserID})
			}
			heads[a.UserID] = *a
		}
	}
	s.heads = heads
	s.committed = append(s.committed, batch)
	return nil
}

func (s *chainStore) batches() [][]store.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committed
}

// A batch whose user's chain other nodes keep moving past the pipeline's relinks is linked
// again on each retry, and commits whole: the same links would fail the same way, and
// committing its records one by one (the last resort) holds up every run's events behind it.
func TestMovedChainIsLinkedAgainOnRetry(t *testing.T) {
	t.Parallel()
	st := &chainStore{heads: map[string]netra.AuditEntry{}, rivalMoves: 52} // past the pipeline's 1 + 50 tries
	p := event.NewPipeline(event.PipelineConfig{Chain: audit.NewChain(st)}, st, eventmem.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range 3 { // handed over before the committer starts: one batch
		if err := p.Audit(context.Background(), &netra.AuditEntry{UserID: "ann", At: time.Now().UTC(), Action: fmt.Sprint("act", i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	p.Start()
	defer p.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of ann's 3 entries stored", n)
		}
		time.Sleep(5 * time.Millisecond)
		n = 0
		for _, b := range st.batches() {
			n += len(b)
		}
	}
	if b := st.batches(); len(b) != 1 {
		t.Fatalf("ann's 3 entries committed in %d batches, want 1: a retry did not link them again", len(b))
	}
}

package server

import (
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/metrics"
)

// The last line of defence: should the hub ever hand a connection another user's event, the
// connection writer drops it and counts it; nothing is written.
func TestWriterDropsAndCountsForeignEvents(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	s := &Server{cfg: Config{Metrics: m}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// ws is nil: a write would panic, so passing proves nothing was written.
	c := &wsConn{s: s, user: netra.Identity{UserID: "alice"}, sent: map[string]*seqSet{}, held: map[string][]*netra.Event{}}
	ev := &netra.Event{Owner: "bob", RunID: "run_b", Seq: 1, Type: netra.EventRunQueued, Frame: []byte(`{}`)}
	if err := c.handleOut(outItem{ev: ev}); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(m.IsolationViolations); v != 1 {
		t.Fatalf("violations = %v, want 1", v)
	}
	sub := &streamSub{owner: "alice", runID: "run_b", m: m, ch: make(chan *netra.Event, 1), gone: make(chan struct{})}
	sub.Deliver(ev)
	if len(sub.ch) != 0 || testutil.ToFloat64(m.IsolationViolations) != 2 {
		t.Fatal("SSE stream accepted a foreign event")
	}
}

func TestSeqSet(t *testing.T) {
	t.Parallel()
	var s seqSet
	for _, n := range []int64{5, 6, 7, 1, 2, 4, 3, 10} {
		s.add(n)
	}
	for n := int64(1); n <= 10; n++ {
		if want := n <= 7 || n == 10; s.has(n) != want {
			t.Errorf("has(%d) = %v", n, s.has(n))
		}
	}
	if len(s.iv) != 2 {
		t.Fatalf("intervals %v, want [1 7] [10 10]", s.iv)
	}
}

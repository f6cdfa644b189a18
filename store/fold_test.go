package store_test

import (
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

func TestFoldRuns(t *testing.T) {
	t.Parallel()
	at := time.Unix(1_800_000_000, 0).UTC()
	ev := func(run, owner string) *netra.Event { return &netra.Event{RunID: run, Owner: owner} }
	running := &netra.Transition{Status: netra.RunRunning, At: at}
	done := &netra.Transition{Status: netra.RunCompleted, At: at.Add(time.Second), Output: []byte(`"x"`)}
	failed := &netra.Transition{Status: netra.RunFailed, At: at.Add(time.Second), Error: &netra.RunError{Code: "timeout"}}
	kim := netra.Identity{UserID: "kim"}

	if states, folded := store.FoldRuns([]store.Record{{Event: ev("run_a", "kim"), Transition: done}}); states != nil || folded != nil {
		t.Fatalf("a batch that creates nothing folds %v %v", states, folded)
	}
	batch := []store.Record{
		{Event: ev("run_old", "kim"), Transition: done}, // created in an earlier batch
		{Create: &store.NewRun{ID: "run_a", Identity: kim}},
		{Event: ev("run_a", "kim")}, // run_queued: no transition
		{Create: &store.NewRun{ID: "run_b", Identity: kim}},
		{Event: ev("run_a", "kim"), Transition: running},
		{Event: ev("run_b", "lou"), Transition: running}, // not the owner's: updated as usual
		{Create: &store.NewRun{ID: "run_c", Identity: kim}},
		{Event: ev("run_c", "kim"), Transition: running},
		{Event: ev("run_a", "kim"), Transition: done},
		{Event: ev("run_c", "kim"), Transition: failed},
	}
	states, folded := store.FoldRuns(batch)
	want := []bool{false, false, false, false, true, false, false, true, true, true}
	for i := range want {
		if folded[i] != want[i] {
			t.Fatalf("folded = %v, want %v", folded, want)
		}
	}
	if a := states["run_a"]; a.Status != netra.RunCompleted || !a.StartedAt.Equal(at) || !a.EndedAt.Equal(done.At) || string(a.Output) != `"x"` || a.Error != nil {
		t.Fatalf("run_a: %+v", a)
	}
	if b := states["run_b"]; b.Status != netra.RunQueued || !b.StartedAt.IsZero() {
		t.Fatalf("run_b: %+v", b)
	}
	if c := states["run_c"]; c.Status != netra.RunFailed || c.Error == nil || c.Error.Code != "timeout" || c.Output != nil {
		t.Fatalf("run_c: %+v", c)
	}
	if _, ok := states["run_old"]; ok || len(states) != 3 {
		t.Fatalf("states %v", states)
	}
}

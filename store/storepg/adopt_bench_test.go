package storepg_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storepg/pgtest"
)

// BenchmarkAdoptReads is what a node reads to take over a dead node's queued runs: two reads
// a run (the run, its last seq), as it was, against RunStates, 1,000 runs a query. Reported
// per run, over 5,000 queued runs with one event each.
//
//	CI=true go test -run XXX -bench AdoptReads -benchtime 3x ./store/storepg/
func BenchmarkAdoptReads(b *testing.B) {
	ctx := context.Background()
	s, err := storepg.Open(ctx, pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 5000
	refs := make([]store.RunRef, n)
	recs := make([]store.Record, 0, 2*n)
	for i := range refs {
		u := fmt.Sprintf("user-%d", i%100)
		id := netra.NewID("run_")
		refs[i] = store.RunRef{ID: id, Owner: u}
		recs = append(recs, store.Record{Create: &store.NewRun{ID: id, Identity: netra.Identity{UserID: u, Tier: netra.TierMid, Role: netra.RoleUser},
			Agent: "echo", Input: "hello", CreatedAt: time.Now().UTC()}},
			store.Record{Event: &netra.Event{RunID: id, Seq: 1, Owner: u, Type: netra.EventRunQueued, Frame: []byte(`{}`)}})
	}
	if err := s.Append(ctx, recs); err != nil {
		b.Fatal(err)
	}
	b.Run("two reads a run", func(b *testing.B) {
		for b.Loop() {
			for _, ref := range refs {
				if _, err := s.GetRun(ctx, ref.Owner, ref.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := s.LastSeq(ctx, ref.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/run")
	})
	b.Run("RunStates", func(b *testing.B) {
		for b.Loop() {
			for i := 0; i < n; i += store.MaxRunStates {
				got, err := s.RunStates(ctx, refs[i:i+store.MaxRunStates])
				if err != nil || len(got) != store.MaxRunStates {
					b.Fatal(len(got), err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/run")
	})
}

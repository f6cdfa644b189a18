package storesqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
)

// BenchmarkAcceptance is the writer's cost of accepting runs as a burst commits them: each
// transaction holds 512 acceptances (thread, user message, run), their run_queued events and
// their audit entries, as the pipeline batches them, with a context that can end, as the
// pipeline's. Reported per acceptance.
//
//	go test -run XXX -bench Acceptance -benchtime 20x ./store/storesqlite/
func BenchmarkAcceptance(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	s, _ := sqlitetest.Open(b)
	const batch = 512
	users := 1000
	n := 0
	for b.Loop() {
		recs := make([]store.Record, 0, 3*batch)
		for range batch {
			n++
			u := fmt.Sprintf("user-%d", n%users)
			id := netra.NewID("run_")
			now := time.Now().UTC()
			recs = append(recs, store.Record{Create: &store.NewRun{ID: id, Identity: netra.Identity{UserID: u, Tier: netra.TierEnterprise, Role: netra.RoleUser},
				Agent: "echo", Input: "hello", CreatedAt: now}})
			frame := fmt.Sprintf(`{"type":"run_queued","run_id":%q,"seq":1,"data":{"position":%d}}`, id, n)
			recs = append(recs, store.Record{Event: &netra.Event{RunID: id, Seq: 1, Owner: u, Type: "run_queued", Frame: []byte(frame)}})
			e := &netra.AuditEntry{UserID: u, Seq: int64(n/users + 1), At: now, Action: netra.AuditRunStart, Outcome: "ok", RequestID: "req_x", RunID: id, Detail: "agent echo"}
			e.Hash = audit.Hash(e)
			recs = append(recs, store.Record{Audit: e})
		}
		if err := s.Append(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/acceptance")
}

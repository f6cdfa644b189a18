package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netra-ai/netra/cluster"
	"github.com/netra-ai/netra/event/eventnats/natstest"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/sched/schedtest"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storepg/pgtest"
)

// noRuns is a node's engine for a cluster where no node dies: nothing is taken over.
type noRuns struct{}

func (noRuns) Adopt(context.Context, []store.RunRef) ([]cluster.Job, error) {
	return nil, errors.New("no run is handed over in this test")
}
func (noRuns) EndOrphan(context.Context, string, string) error { return nil }

// TestSuite: a cluster node that is not the leader passes the suite every scheduler passes,
// each answer asked of the leader over NATS.
func TestSuite(t *testing.T) {
	schedtest.Run(t, func(t *testing.T) schedtest.Scheduler {
		ctx := context.Background()
		db, bus := pgtest.URL(t), natstest.URL(t)
		join := func(id string) *cluster.Member {
			st, err := storepg.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			nc, err := nats.Connect(bus)
			if err != nil {
				t.Fatal(err)
			}
			m, err := cluster.New(cluster.Config{NodeID: id, Slots: 4, Sched: sched.Config{}.WithDefaults(), Beat: 100 * time.Millisecond}, st, noRuns{}, nc)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				m.Stop()
				m.Close(ctx)
				nc.Close()
				_ = st.Close()
			})
			return m
		}
		leader := join("lead")
		for deadline := time.Now().Add(10 * time.Second); !leader.Leader(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no leader")
			}
		}
		follower := join("follow")
		if follower.Leader() {
			t.Fatal("two leaders")
		}
		return follower
	})
}

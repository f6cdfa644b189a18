// Package eventtest is the conformance suite every event.Bus implementation passes.
package eventtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/event"
)

// Run runs the suite. open returns a fresh bus; the suite calls its cleanup.
func Run(t *testing.T, open func(t *testing.T) event.Bus) {
	t.Helper()
	t.Run("EverySubscriberGetsEveryEventInOrder", func(t *testing.T) {
		t.Parallel()
		bus := open(t)
		const runs, perRun = 8, 200
		subs := make([]*collector, 3)
		for i := range subs {
			subs[i] = &collector{}
			stop, err := bus.Subscribe(subs[i].add)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
		}
		for seq := int64(1); seq <= perRun; seq++ {
			for r := 0; r < runs; r++ {
				ev := &netra.Event{Owner: fmt.Sprint("user", r%3), RunID: fmt.Sprint("run_", r), ThreadID: "thr_x",
					Seq: seq, Type: netra.EventAgentThinking, TS: time.Now().UTC(), Frame: []byte(fmt.Sprintf(`{"seq":%d}`, seq))}
				if err := bus.Publish(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, c := range subs {
			c.waitFor(t, runs*perRun)
			next := map[string]int64{}
			for _, ev := range c.snapshot() {
				if ev.Seq != next[ev.RunID]+1 {
					t.Fatalf("subscriber %d: run %s seq %d after %d", i, ev.RunID, ev.Seq, next[ev.RunID])
				}
				next[ev.RunID] = ev.Seq
				if want := fmt.Sprintf(`{"seq":%d}`, ev.Seq); string(ev.Frame) != want || ev.Owner == "" || ev.Type != netra.EventAgentThinking {
					t.Fatalf("event changed in transit: %+v", ev)
				}
			}
		}
	})
	t.Run("StopEndsDelivery", func(t *testing.T) {
		t.Parallel()
		bus := open(t)
		c := &collector{}
		stop, err := bus.Subscribe(c.add)
		if err != nil {
			t.Fatal(err)
		}
		ev := &netra.Event{Owner: "u1", RunID: "run_1", Seq: 1, Type: netra.EventRunQueued, Frame: []byte(`{}`)}
		_ = bus.Publish(context.Background(), ev)
		c.waitFor(t, 1)
		stop()
		stop() // idempotent
		ev2 := *ev
		ev2.Seq = 2
		_ = bus.Publish(context.Background(), &ev2)
		time.Sleep(50 * time.Millisecond)
		if n := len(c.snapshot()); n != 1 {
			t.Fatalf("got %d events after stop, want 1", n)
		}
	})
}

type collector struct {
	mu  sync.Mutex
	evs []netra.Event
}

func (c *collector) add(ev *netra.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, *ev)
	c.mu.Unlock()
}

func (c *collector) snapshot() []netra.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]netra.Event(nil), c.evs...)
}

func (c *collector) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.snapshot()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d", len(c.snapshot()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

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
	t.Run("SubscribersGetTheirUsersEventsInOrderAndNoOneElses", func(t *testing.T) {
		t.Parallel()
		bus := open(t)
		const users, runs, perRun = 3, 8, 200
		// Two subscribers for each of the users; user3's events have none.
		subs := map[string][]*collector{}
		for u := range users {
			user := fmt.Sprint("user", u)
			for range 2 {
				c := &collector{}
				stop, err := bus.Subscribe(context.Background(), user, c.add)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(stop)
				subs[user] = append(subs[user], c)
			}
		}
		for seq := int64(1); seq <= perRun; seq++ {
			for r := range runs {
				ev := &netra.Event{Owner: fmt.Sprint("user", r%(users+1)), RunID: fmt.Sprint("run_", r), ThreadID: "thr_x",
					Seq: seq, Type: netra.EventAgentThinking, TS: time.Unix(0, seq).UTC(), Frame: []byte(fmt.Sprintf(`{"seq":%d}`, seq))}
				if err := bus.Publish(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		for user, cs := range subs {
			want := 0
			for r := range runs {
				if fmt.Sprint("user", r%(users+1)) == user {
					want += perRun
				}
			}
			for i, c := range cs {
				c.waitFor(t, want)
				next := map[string]int64{}
				for _, ev := range c.snapshot() {
					var r int
					_, _ = fmt.Sscanf(ev.RunID, "run_%d", &r)
					if ev.Owner != user || fmt.Sprint("user", r%(users+1)) != user {
						t.Fatalf("%s's subscriber %d got an event of %s's run %s", user, i, ev.Owner, ev.RunID)
					}
					if ev.Seq != next[ev.RunID]+1 {
						t.Fatalf("%s's subscriber %d: run %s seq %d after %d", user, i, ev.RunID, ev.Seq, next[ev.RunID])
					}
					next[ev.RunID] = ev.Seq
					if want := fmt.Sprintf(`{"seq":%d}`, ev.Seq); string(ev.Frame) != want || ev.Type != netra.EventAgentThinking ||
						ev.ThreadID != "thr_x" || !ev.TS.Equal(time.Unix(0, ev.Seq)) {
						t.Fatalf("event changed in transit: %+v", ev)
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond) // nothing more arrives
		for user, cs := range subs {
			for i, c := range cs {
				if n := len(c.snapshot()); n != runs/(users+1)*perRun {
					t.Fatalf("%s's subscriber %d got %d events, want %d", user, i, n, runs/(users+1)*perRun)
				}
			}
		}
	})
	t.Run("InEffectOnReturnAndStopEndsDelivery", func(t *testing.T) {
		t.Parallel()
		bus := open(t)
		c := &collector{}
		stop, err := bus.Subscribe(context.Background(), "u1", c.add)
		if err != nil {
			t.Fatal(err)
		}
		ev := &netra.Event{Owner: "u1", RunID: "run_1", Seq: 1, Type: netra.EventRunQueued, Frame: []byte(`{}`)}
		_ = bus.Publish(context.Background(), ev) // at once: the subscription is in effect
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

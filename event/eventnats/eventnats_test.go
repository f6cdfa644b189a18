package eventnats_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/event/eventnats"
	"github.com/netra-ai/netra/event/eventnats/natstest"
	"github.com/netra-ai/netra/event/eventtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	url := natstest.URL(t)
	eventtest.Run(t, func(t *testing.T) event.Bus {
		b, err := eventnats.Connect(url, t.Name(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	})
}

// TestAcrossNodes: a node's subscription receives, in order, what another node publishes for
// its user, and nothing of the users it did not subscribe to; the subject of a user id with
// dots is one token.
func TestAcrossNodes(t *testing.T) {
	t.Parallel()
	url := natstest.URL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := eventnats.Connect(url, "node-a", log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := eventnats.Connect(url, "node-b", log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan *netra.Event, 1000)
	stop, err := b.Subscribe(context.Background(), "ann.lee", func(ev *netra.Event) { got <- ev })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// The publishing node's own subscription gets its events once: directly, not again
	// through NATS.
	own := make(chan *netra.Event, 1000)
	stopOwn, err := a.Subscribe(context.Background(), "ann.lee", func(ev *netra.Event) { own <- ev })
	if err != nil {
		t.Fatal(err)
	}
	defer stopOwn()
	for seq := int64(1); seq <= 500; seq++ {
		for _, owner := range []string{"ann.lee", "ann", "ann.lee.x"} {
			if err := a.Publish(context.Background(), &netra.Event{Owner: owner, RunID: "run_" + owner, Seq: seq, Type: netra.EventAgentThinking,
				TS: time.Now().UTC(), Frame: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, ch := range map[string]chan *netra.Event{"another node": got, "the publishing node": own} {
		for seq := int64(1); seq <= 500; seq++ {
			select {
			case ev := <-ch:
				if ev.Owner != "ann.lee" || ev.RunID != "run_ann.lee" || ev.Seq != seq {
					t.Fatalf("%s: event %d: %+v", name, seq, ev)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: event %d never arrived", name, seq)
			}
		}
		select {
		case ev := <-ch:
			t.Fatalf("%s: an event of another user, or one twice, arrived: %+v", name, ev)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if s := eventnats.Subject("ann.lee"); strings.Count(s, ".") != strings.Count(eventnats.Prefix, ".") {
		t.Fatalf("subject %q has more tokens than the prefix's", s)
	}
}

// TestSurvivesANATSRestart: when the NATS server goes away and comes back, the bus
// reconnects and its subscriptions carry events again, without a new Subscribe.
func TestSurvivesANATSRestart(t *testing.T) {
	t.Parallel()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	s1 := natstest.Start(t, opts)
	opts.Port = s1.Addr().(*net.TCPAddr).Port // the second server takes the first one's port
	url := s1.ClientURL()
	b, err := eventnats.Connect(url, "node", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan int64, 10)
	stop, err := b.Subscribe(context.Background(), "rae", func(ev *netra.Event) { got <- ev.Seq })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	s1.Shutdown()
	s1.WaitForShutdown()
	natstest.Start(t, opts)
	deadline := time.Now().Add(10 * time.Second)
	for seq := int64(1); ; seq++ { // publish until the reconnected subscription carries one
		_ = b.Publish(context.Background(), &netra.Event{Owner: "rae", RunID: "run_r", Seq: seq, Frame: []byte(`{}`)})
		select {
		case <-got:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no event arrived within 10 s of the NATS server's restart")
		}
	}
}

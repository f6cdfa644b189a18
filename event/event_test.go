package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/event/eventmem"
	"github.com/netra-ai/netra/store"
)

// memAppender is a hand-written store fake that records batches and can fail on demand.
type memAppender struct {
	mu         sync.Mutex
	batches    [][]store.Record
	failSeq    int64         // refuse any batch holding an event with this seq
	failCreate string        // refuse any batch holding the acceptance of this run
	gate       chan struct{} // when set, Append waits until it is closed
}

func (m *memAppender) Append(_ context.Context, batch []store.Record) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range batch {
		if r.Event != nil && r.Event.Seq == m.failSeq {
			return errors.New("refused")
		}
		if r.Create != nil && r.Create.ID == m.failCreate {
			return errors.New("refused")
		}
	}
	m.batches = append(m.batches, append([]store.Record(nil), batch...))
	return nil
}

func (m *memAppender) events() []*netra.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*netra.Event
	for _, b := range m.batches {
		for _, r := range b {
			if r.Event != nil {
				out = append(out, r.Event)
			}
		}
	}
	return out
}

// records lists what was stored, in commit order: "create run_x" or "event run_x 3".
func (m *memAppender) records() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, b := range m.batches {
		for _, r := range b {
			switch {
			case r.Create != nil:
				out = append(out, "create "+r.Create.ID)
			case r.Event != nil:
				out = append(out, fmt.Sprintf("event %s %d", r.Event.RunID, r.Event.Seq))
			}
		}
	}
	return out
}

type sub struct {
	mu  sync.Mutex
	evs []*netra.Event
}

func (s *sub) Deliver(ev *netra.Event) { s.mu.Lock(); s.evs = append(s.evs, ev); s.mu.Unlock() }
func (s *sub) n() int                  { s.mu.Lock(); defer s.mu.Unlock(); return len(s.evs) }

func setup(t *testing.T, app *memAppender) (*event.Pipeline, *event.Hub) {
	bus := eventmem.New()
	hub := event.NewHub(bus)
	p := event.NewPipeline(event.PipelineConfig{Retries: 1}, app, bus, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Start()
	t.Cleanup(p.Stop)
	return p, hub
}

func subscribe(t *testing.T, hub *event.Hub, user string, s event.Subscriber) func() {
	t.Helper()
	stop, err := hub.Subscribe(context.Background(), user, s)
	if err != nil {
		t.Fatal(err)
	}
	return stop
}

func TestEmitterStampsAndOrders(t *testing.T) {
	t.Parallel()
	app := &memAppender{}
	p, hub := setup(t, app)
	alice, bob := &sub{}, &sub{}
	defer subscribe(t, hub, "alice", alice)()
	defer subscribe(t, hub, "bob", bob)()
	closed := 0
	em := p.NewEmitter("alice", "run_a", "thr_a", 0, func() { closed++ })
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = em.Emit(ctx, netra.EventAgentThinking, "echo", map[string]any{"text": "hi", "api_key": "sk-abcdefghijklmnopqrstuvwxyz"})
		}()
	}
	wg.Wait()
	if err := em.End(ctx, netra.EventRunCompleted, map[string]any{"output": "x"}, &netra.Transition{Status: netra.RunCompleted}); err != nil {
		t.Fatal(err)
	}
	if err := em.Emit(ctx, netra.EventAgentThinking, "echo", nil); netra.ErrorCode(err) != netra.CodeConflict {
		t.Fatalf("emit after end: %v", err)
	}
	if closed != 1 {
		t.Fatalf("onClose called %d times", closed)
	}
	evs := app.events()
	if len(evs) != 51 {
		t.Fatalf("stored %d events", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Owner != "alice" || ev.RunID != "run_a" {
			t.Fatalf("event %d: %+v", i, ev)
		}
		var w map[string]any
		if err := json.Unmarshal(ev.Frame, &w); err != nil {
			t.Fatal(err)
		}
		if w["seq"] != float64(i+1) || w["run_id"] != "run_a" || w["thread_id"] != "thr_a" {
			t.Fatalf("frame %s", ev.Frame)
		}
		if ts, err := time.Parse(time.RFC3339Nano, w["ts"].(string)); err != nil || ts.Location() != time.UTC {
			t.Fatalf("ts %v: %v", w["ts"], err)
		}
		if i < 50 && (w["agent"] != "echo" || w["data"].(map[string]any)["api_key"] != "[REDACTED]") {
			t.Fatalf("frame %s", ev.Frame)
		}
		if i == 50 && w["agent"] != nil {
			t.Fatalf("run event has agent: %s", ev.Frame)
		}
	}
	if alice.n() != 51 || bob.n() != 0 {
		t.Fatalf("hub delivered alice=%d bob=%d", alice.n(), bob.n())
	}
}

func TestBadEventDoesNotSinkTheBatch(t *testing.T) {
	t.Parallel()
	app := &memAppender{failSeq: 3}
	p, hub := setup(t, app)
	s := &sub{}
	defer subscribe(t, hub, "carol", s)()
	em := p.NewEmitter("carol", "run_c", "thr_c", 0, nil)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		_ = em.Emit(ctx, netra.EventAgentThinking, "echo", nil)
	}
	err := em.End(ctx, netra.EventRunCompleted, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// seq 3 is lost (and logged); the others are stored and delivered.
	if n := len(app.events()); n != 4 {
		t.Fatalf("stored %d, want 4", n)
	}
	if s.n() != 4 {
		t.Fatalf("delivered %d, want 4", s.n())
	}
}

// A run that starts at once executes while its acceptance commits (Emitter.Accept). Its
// events must never be stored before, or without, its acceptance, even with thousands of
// queued runs' acceptances waiting in their own lane.
func TestRunStartedAtOnceCommitsAfterItsAcceptance(t *testing.T) {
	t.Parallel()
	app := &memAppender{gate: make(chan struct{})}
	p, _ := setup(t, app)
	ctx := context.Background()
	newRun := func(id string) store.NewRun {
		return store.NewRun{ID: id, Identity: netra.Identity{UserID: "dora", Tier: netra.TierFree, Role: netra.RoleUser},
			NewThreadID: "thr_" + id, Agent: "echo", Input: "hi", CreatedAt: time.Now()}
	}
	// The committer is held in its first Append; behind it, 3,000 queued runs' acceptances
	// wait in their lane (more than a batch), then the run that starts at once.
	first := p.NewEmitter("dora", "run_first", "thr_first", 0, nil)
	if err := first.Emit(ctx, netra.EventAgentThinking, "echo", nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		if _, err := p.Accept(ctx, newRun(fmt.Sprintf("run_q%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	em := p.NewEmitter("dora", "run_now", "thr_run_now", 0, nil)
	wait, err := em.Accept(ctx, newRun("run_now"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := em.Emit(ctx, netra.EventAgentThinking, "echo", nil); err != nil {
			t.Fatal(err)
		}
	}
	close(app.gate)
	if err := em.End(ctx, netra.EventRunCompleted, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	recs := app.records()
	created := -1
	events := 0
	for i, r := range recs {
		switch {
		case r == "create run_now":
			created = i
		case strings.HasPrefix(r, "event run_now "):
			events++
			if created < 0 {
				t.Fatalf("%s was stored at %d, before its run's acceptance", r, i)
			}
		}
	}
	if created < 0 || events != 4 {
		t.Fatalf("stored the acceptance at %d and %d of 4 events", created, events)
	}
}

// When a started run's acceptance cannot be stored, its events are not stored either: not
// those committed with it, not those emitted after.
func TestRunNotAcceptedStoresNoEvents(t *testing.T) {
	t.Parallel()
	app := &memAppender{failCreate: "run_bad", gate: make(chan struct{})}
	p, _ := setup(t, app)
	ctx := context.Background()
	other := p.NewEmitter("erin", "run_ok", "thr_ok", 0, nil)
	if err := other.Emit(ctx, netra.EventAgentThinking, "echo", nil); err != nil { // holds the committer
		t.Fatal(err)
	}
	em := p.NewEmitter("erin", "run_bad", "thr_bad", 0, nil)
	wait, err := em.Accept(ctx, store.NewRun{ID: "run_bad", Identity: netra.Identity{UserID: "erin", Tier: netra.TierFree,
		Role: netra.RoleUser}, NewThreadID: "thr_bad", Agent: "echo", Input: "hi", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	_ = em.Emit(ctx, netra.EventRunQueued, "", nil)
	if err := other.Emit(ctx, netra.EventAgentThinking, "echo", nil); err != nil { // same batch, stored
		t.Fatal(err)
	}
	close(app.gate)
	if err := wait(); err == nil {
		t.Fatal("the refused acceptance reported no error")
	}
	_ = em.Emit(ctx, netra.EventAgentThinking, "echo", nil) // a later batch
	if err := em.End(ctx, netra.EventRunFailed, nil, nil); err == nil {
		t.Fatal("the terminal event of a run that was not accepted reported no error")
	}
	if err := other.End(ctx, netra.EventRunCompleted, nil, nil); err != nil {
		t.Fatal(err)
	}
	var ok int
	for _, r := range app.records() {
		if strings.Contains(r, "run_bad") {
			t.Fatalf("stored %q of a run whose acceptance failed", r)
		}
		if strings.HasPrefix(r, "event run_ok") {
			ok++
		}
	}
	if ok != 3 {
		t.Fatalf("stored %d of the other run's 3 events", ok)
	}
}

func TestStopRefusesLateEmits(t *testing.T) {
	t.Parallel()
	app := &memAppender{}
	bus := eventmem.New()
	p := event.NewPipeline(event.PipelineConfig{}, app, bus, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Start()
	em := p.NewEmitter("dan", "run_d", "thr_d", 7, nil)
	if err := em.Emit(context.Background(), netra.EventAgentThinking, "x", nil); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	p.Stop()
	if evs := app.events(); len(evs) != 1 || evs[0].Seq != 8 {
		t.Fatalf("buffered event not committed on stop: %+v", evs)
	}
	if err := em.Emit(context.Background(), netra.EventAgentThinking, "x", nil); netra.ErrorCode(err) != netra.CodeUnavailable {
		t.Fatalf("emit after stop: %v", err)
	}
}

func TestEncodeDataBounds(t *testing.T) {
	t.Parallel()
	big := make([]byte, event.MaxData+10)
	for i := range big {
		big[i] = 'a'
	}
	raw, err := event.EncodeData(map[string]string{"x": string(big)})
	if err != nil || string(raw) != `{"truncated":true,"bytes":262162}` {
		t.Fatalf("EncodeData = %s, %v", raw, err)
	}
	if raw, _ := event.EncodeData(nil); string(raw) != `{}` {
		t.Fatalf("nil data = %s", raw)
	}
}

// countingBus counts the bus subscriptions open per user.
type countingBus struct {
	event.Bus
	mu   sync.Mutex
	open map[string]int
}

func (b *countingBus) Subscribe(ctx context.Context, user string, h func(*netra.Event)) (func(), error) {
	stop, err := b.Bus.Subscribe(ctx, user, h)
	b.mu.Lock()
	b.open[user]++
	b.mu.Unlock()
	return func() {
		stop()
		b.mu.Lock()
		b.open[user]--
		b.mu.Unlock()
	}, err
}

func (b *countingBus) count(user string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open[user]
}

// TestHubSubscribesPerUserWhileConnected: a node's hub holds one bus subscription for a user
// while the user has subscribers on it, whatever their number, and none otherwise; the
// events of one user reach that user's subscribers only.
func TestHubSubscribesPerUserWhileConnected(t *testing.T) {
	t.Parallel()
	bus := &countingBus{Bus: eventmem.New(), open: map[string]int{}}
	hub := event.NewHub(bus)
	a1, a2, b1 := &sub{}, &sub{}, &sub{}
	stopA1 := subscribe(t, hub, "ann", a1)
	stopA2 := subscribe(t, hub, "ann", a2)
	stopB1 := subscribe(t, hub, "ben", b1)
	if bus.count("ann") != 1 || bus.count("ben") != 1 || bus.count("cid") != 0 {
		t.Fatalf("bus subscriptions: %v", bus.open)
	}
	for _, owner := range []string{"ann", "ben", "cid"} {
		_ = bus.Publish(context.Background(), &netra.Event{Owner: owner, RunID: "run_" + owner, Seq: 1})
	}
	if a1.n() != 1 || a2.n() != 1 || b1.n() != 1 || a1.evs[0].Owner != "ann" || b1.evs[0].Owner != "ben" {
		t.Fatalf("delivered: ann %d %d, ben %d", a1.n(), a2.n(), b1.n())
	}
	stopA1()
	if bus.count("ann") != 1 {
		t.Fatal("the bus subscription ended while ann still had a subscriber")
	}
	stopA2()
	stopA2() // idempotent
	stopB1()
	if bus.count("ann") != 0 || bus.count("ben") != 0 {
		t.Fatalf("bus subscriptions after the last subscribers left: %v", bus.open)
	}
}

// chainStore is a store fake that, as PostgreSQL's unique (user, seq) does, refuses a batch
// whose audit entry does not continue its user's stored chain, naming the first such user in
// (user, seq) order; other nodes move chains by changing heads.
type chainStore struct {
	mu     sync.Mutex
	heads  map[string]store.AuditAnchor
	gate   chan struct{} // when set, Append waits until it is closed
	moved  int           // batches refused because a chain moved
	stored int           // entries stored
}

func (c *chainStore) Append(_ context.Context, batch []store.Record) error {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]store.AuditAnchor{}
	var first string
	for _, r := range batch {
		a := r.Audit
		if a == nil {
			continue
		}
		head, ok := next[a.UserID]
		if !ok {
			head = c.heads[a.UserID]
		}
		if a.Seq != head.Seq+1 && (first == "" || a.UserID < first) {
			first = a.UserID
		}
		next[a.UserID] = store.AuditAnchor{Seq: a.Seq, Hash: a.Hash}
	}
	if first != "" {
		c.moved++
		return fmt.Errorf("append: %w", &store.ChainMoved{User: first})
	}
	for u, h := range next {
		c.heads[u] = h
	}
	for _, r := range batch {
		if r.Audit != nil {
			c.stored++
		}
	}
	return nil
}

func (c *chainStore) LastAudit(_ context.Context, owner string) (netra.AuditEntry, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heads[owner]
	return netra.AuditEntry{UserID: owner, Seq: h.Seq, Hash: h.Hash}, ok, nil
}

func (c *chainStore) LastAudits(_ context.Context, owners []string) (map[string]store.AuditAnchor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]store.AuditAnchor{}
	for _, u := range owners {
		if h, ok := c.heads[u]; ok {
			out[u] = h
		}
	}
	return out, nil
}

func (c *chainStore) storedCount() int { c.mu.Lock(); defer c.mu.Unlock(); return c.stored }

// TestMovedChainsRelinkAtOnce: when other nodes continued many of a batch's users' chains,
// the committer reads every head of the batch again at once and commits on its next try,
// instead of one read and one refused commit for each chain that moved.
func TestMovedChainsRelinkAtOnce(t *testing.T) {
	t.Parallel()
	cs := &chainStore{heads: map[string]store.AuditAnchor{}}
	p := event.NewPipeline(event.PipelineConfig{Chain: audit.NewChain(cs)}, cs, eventmem.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Start()
	t.Cleanup(p.Stop)
	ctx := context.Background()
	users := make([]string, 20)
	for i := range users {
		users[i] = fmt.Sprintf("u%02d", i)
	}
	submit := func() {
		for _, u := range users {
			if err := p.Audit(ctx, &netra.AuditEntry{UserID: u, Action: "auth", At: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitStored := func(n int) {
		for deadline := time.Now().Add(5 * time.Second); cs.storedCount() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d entries stored, want %d", cs.storedCount(), n)
			}
		}
	}
	submit() // this node knows every head
	waitStored(len(users))
	cs.mu.Lock()
	for _, u := range users { // another node continues every chain
		h := cs.heads[u]
		cs.heads[u] = store.AuditAnchor{Seq: h.Seq + 1, Hash: "other-" + u}
	}
	cs.moved, cs.gate = 0, make(chan struct{})
	gate := cs.gate
	cs.mu.Unlock()
	submit()
	close(gate)
	waitStored(2 * len(users))
	cs.mu.Lock()
	defer cs.mu.Unlock()
	// The entries may have gone in one batch or a few; each is refused once at most.
	if cs.moved > 3 {
		t.Fatalf("%d commits refused for chains that moved; want one a batch", cs.moved)
	}
	for _, u := range users {
		if h := cs.heads[u]; h.Seq != 3 {
			t.Fatalf("%s's chain ends at %d, want 3", u, h.Seq)
		}
	}
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
)

// leader runs the service's scheduler while its node holds the lease.
type leader struct {
	m     *Member
	lease *storepg.Lease
	s     *sched.Scheduler

	mu       sync.Mutex
	proxies  map[string]*proxy         // every run the scheduler holds, by id
	releases map[string]reservation    // by run id
	checked  time.Time                 // when the nodes' runs were last compared with the proxies
	live     map[string]int            // live nodes and their slots
	conns    map[string]map[string]int // user → node → connections
	gone     bool                      // abdicated: proxies no longer speak to nodes

	ready chan struct{} // closed once rebuilt: requests wait for it
	quit  chan struct{} // closed by abdicate
	ended chan struct{} // closed when run has returned: its subject and lease are let go
	once  sync.Once
}

func newLeader(m *Member, lease *storepg.Lease) *leader {
	cfg := m.cfg.Sched
	cfg.MaxRunning = 1 << 30 // the nodes' slots bound what runs (sched.SetNode)
	return &leader{m: m, lease: lease, s: sched.New(cfg, m.log), proxies: map[string]*proxy{}, releases: map[string]reservation{},
		live: map[string]int{}, conns: map[string]map[string]int{}, ready: make(chan struct{}), quit: make(chan struct{}), ended: make(chan struct{})}
}

// run serves as leader: it rebuilds the scheduler's view, then watches the nodes each beat
// until the lease is lost or the node stops.
func (l *leader) run(ctx context.Context) {
	defer close(l.ended)
	defer l.lease.Release()
	sub, err := l.m.nc.Subscribe(l.m.leaderSubject(), l.onRequest)
	if err != nil {
		l.m.log.Error("leader subject", "err", err)
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	// Started under mu, so that an abdicate at once (a node leaving as it took the lead) stops
	// a scheduler that has started, or finds gone set before it starts.
	l.mu.Lock()
	gone := l.gone
	if !gone {
		l.s.Start(ctx)
	}
	l.mu.Unlock()
	defer l.abdicate()
	if gone {
		return
	}
	if err := l.rebuild(ctx); err != nil {
		l.m.log.Error("rebuilding the service's queue; stepping down", "err", err)
		return
	}
	close(l.ready)
	t := time.NewTicker(l.m.cfg.Beat)
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, l.m.cfg.Beat)
		err := l.lease.Check(cctx)
		cancel()
		if err != nil {
			l.m.log.Error("leader lease lost; stepping down", "err", err)
			return
		}
		if !l.watch(ctx) {
			l.m.log.Error("the leader's own heartbeat is stale; stepping down for a healthy node")
			return
		}
	}
}

// abdicate stops leading: the scheduler stops without a word to the nodes, whose runs go on
// under the next leader.
func (l *leader) abdicate() {
	l.once.Do(func() {
		l.mu.Lock()
		l.gone = true
		l.mu.Unlock()
		close(l.quit)
		l.s.Stop()
	})
}

// rebuild makes the scheduler's view of the service: it asks every node with a fresh row what
// it holds (waiting, for one that does not answer, until its row is stale and it is dead),
// then goes through the store's active runs: those a node holds are queued or followed there,
// the others were a dead node's and are ended (running) or handed to a live node (queued).
func (l *leader) rebuild(ctx context.Context) error {
	t0 := time.Now()
	where := map[string]held{} // run → the node holding it (in held.Run) and whether it runs
	for {
		members, err := l.m.st.Members(ctx)
		if err != nil {
			return err
		}
		waiting := false
		for _, mb := range members {
			l.mu.Lock()
			_, known := l.live[mb.ID]
			l.mu.Unlock()
			if known {
				continue
			}
			if mb.Age > l.m.cfg.Expire {
				if _, err := l.m.st.Expire(ctx, mb.ID, l.m.cfg.Expire); err != nil {
					return err
				}
				continue
			}
			r, err := l.ask(mb.ID, msg{Op: opState}, 2*time.Second)
			if err != nil {
				waiting = true // alive by its row, silent by NATS: wait until it is one or the other
				continue
			}
			l.mu.Lock()
			l.live[mb.ID] = slotsOf(mb.Info)
			l.mu.Unlock()
			for _, h := range r.Held {
				where[h.Run] = held{Run: mb.ID, Running: h.Running, Owner: h.Owner, Tier: h.Tier, Thread: h.Thread, Agent: h.Agent}
			}
			for _, c := range r.Conns {
				l.count(c.User, mb.ID, c.N)
			}
		}
		if !waiting {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.quit:
			return errors.New("stepped down")
		case <-time.After(500 * time.Millisecond):
		}
	}
	l.mu.Lock()
	live := maps.Clone(l.live)
	l.mu.Unlock()
	for id, slots := range live {
		l.s.SetNode(id, slots)
	}
	active, err := l.m.st.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	var orphans []*proxy
	stored := make(map[string]bool, len(active))
	for _, r := range active {
		stored[r.ID] = true
	}
	for id, h := range where {
		if h.Running && !stored[id] && h.Owner != "" {
			// Started at once (opReserve with Begin) and not stored yet, or its acceptance failed: it counts
			// against its user and its node until its node says it ended.
			active = append(active, netra.Run{ID: id, Owner: h.Owner, Tier: h.Tier, ThreadID: h.Thread, Agent: h.Agent, Status: netra.RunRunning})
		}
	}
	for _, r := range active {
		p := &proxy{l: l, id: r.ID, owner: r.Owner, tier: r.Tier, thread: r.ThreadID, agent: r.Agent, done: make(chan struct{})}
		h, ok := where[r.ID]
		switch {
		case ok && h.Running:
			p.node, p.started = h.Run, true
			l.add(p)
			l.s.Resumed(p)
		case ok:
			p.node = h.Run
			l.add(p)
			l.s.Recovered(p)
		case r.Status == netra.RunRunning:
			// Its node died with it: one terminal event, from here.
			if err := l.m.runs.EndOrphan(ctx, r.Owner, r.ID); err != nil {
				l.m.log.Error("run of a dead node not ended", "run_id", r.ID, "err", err)
			}
		default:
			l.add(p)
			orphans = append(orphans, p)
			l.s.Recovered(p)
		}
	}
	l.place(ctx, orphans)
	l.s.Resume()
	l.m.log.Info("leader rebuilt the service's queue", "nodes", len(live), "runs", len(active), "handed_over", len(orphans),
		"took", time.Since(t0).Round(time.Millisecond).String())
	return nil
}

func slotsOf(info json.RawMessage) int {
	var r row
	_ = json.Unmarshal(info, &r)
	if r.Leaving {
		return 0
	}
	return r.Slots
}

func (l *leader) add(p *proxy) {
	l.mu.Lock()
	l.proxies[p.id] = p
	l.mu.Unlock()
}

func (l *leader) remove(p *proxy) {
	l.mu.Lock()
	if l.proxies[p.id] == p {
		delete(l.proxies, p.id)
	}
	l.mu.Unlock()
}

// watch follows the nodes' rows: new nodes get their slots, a node whose beat is stale is
// expired and its runs taken over, a node that left is forgotten. It reports false when the
// leader's own beat is stale: a leader does not take itself over, it steps down.
func (l *leader) watch(ctx context.Context) bool {
	members, err := l.m.st.Members(ctx)
	if err != nil {
		l.m.log.Warn("listing nodes", "err", err)
		return true
	}
	seen := map[string]bool{}
	for _, mb := range members {
		if mb.ID == l.m.cfg.NodeID && mb.Age > l.m.cfg.Expire {
			return false
		}
		if mb.Age > l.m.cfg.Expire {
			expired, err := l.m.st.Expire(ctx, mb.ID, l.m.cfg.Expire)
			if err != nil {
				l.m.log.Warn("expiring a node", "node_id", mb.ID, "err", err)
				seen[mb.ID] = true
				continue
			}
			if expired {
				l.m.log.Warn("node's heartbeat is stale: taking its runs over", "node_id", mb.ID, "beat_age", mb.Age.Round(time.Millisecond).String())
				continue // not seen: handled below as gone
			}
		}
		seen[mb.ID] = true
		slots := slotsOf(mb.Info)
		l.mu.Lock()
		old, known := l.live[mb.ID]
		l.live[mb.ID] = slots
		l.mu.Unlock()
		if !known || old != slots {
			l.s.SetNode(mb.ID, slots)
		}
	}
	l.mu.Lock()
	var gone []string
	for id := range l.live {
		if !seen[id] {
			gone = append(gone, id)
			delete(l.live, id)
		}
	}
	l.mu.Unlock()
	for _, id := range gone {
		l.takeOver(ctx, id)
	}
	if time.Since(l.checked) >= 5*l.m.cfg.Beat {
		l.checked = time.Now()
		l.reconcile()
	}
	return true
}

// reconcile tells a start again to a node that still holds the run queued: a notice is not
// delivered while the node's NATS connection is down, and a run told to start and never
// started would hold its slot for ever.
func (l *leader) reconcile() {
	asks := map[string][]store.RunRef{} // node → its runs told to start more than 2 s ago
	l.mu.Lock()
	for _, p := range l.proxies {
		p.mu.Lock()
		if p.started && time.Since(p.told) > 2*time.Second {
			asks[p.node] = append(asks[p.node], store.RunRef{ID: p.id, Owner: p.owner})
		}
		p.mu.Unlock()
	}
	l.mu.Unlock()
	for node, refs := range asks {
		r, err := l.ask(node, msg{Op: opState, Runs: refs}, 2*time.Second)
		if err != nil {
			continue // watch finds out whether it lives
		}
		holds := make(map[string]bool, len(r.Held))
		for _, h := range r.Held {
			holds[h.Run] = true
			if !h.Running {
				l.m.log.Warn("a start was not heard; telling it again", "node_id", node, "run_id", h.Run)
				l.tell(node, msg{Op: opStart, Run: h.Run})
			}
		}
		// A started run its node does not hold has ended there (its Finished may be on its way:
		// finishing twice is harmless), or was never held: a start whose answer the node lost
		// (opReserve with Begin). Either way it no longer takes a slot. Nothing is emitted for
		// it: a run that ended has its terminal event, and one never held was never stored.
		for _, ref := range refs {
			if holds[ref.ID] {
				continue
			}
			l.mu.Lock()
			p := l.proxies[ref.ID]
			l.mu.Unlock()
			if p != nil && p.nodeOf() == node {
				l.m.log.Warn("a started run is not held by its node; freeing its slot", "node_id", node, "run_id", ref.ID)
				p.finish()
			}
		}
	}
}

// takeOver ends the runs a dead node was executing and hands its queued runs to live nodes.
// Its row is gone, so it commits nothing more: the store's seq of each run is final.
func (l *leader) takeOver(ctx context.Context, node string) {
	l.s.RemoveNode(node)
	l.mu.Lock()
	for u, by := range l.conns { // its connections died with it
		if delete(by, node); len(by) == 0 {
			delete(l.conns, u)
		}
	}
	var gone []func() // and the places it had reserved for runs it never stored
	for id, r := range l.releases {
		if r.node == node {
			gone = append(gone, r.release)
			delete(l.releases, id)
		}
	}
	defer func() {
		for _, release := range gone {
			release()
		}
	}()
	var running, queued []*proxy
	for _, p := range l.proxies {
		p.mu.Lock()
		if p.node == node {
			if p.started {
				running = append(running, p)
			} else {
				queued = append(queued, p)
			}
		}
		p.mu.Unlock()
	}
	l.mu.Unlock()
	for _, p := range running {
		if err := l.m.runs.EndOrphan(ctx, p.owner, p.id); err != nil {
			l.m.log.Error("run of a dead node not ended", "run_id", p.id, "err", err)
		}
		p.finish()
	}
	l.place(ctx, queued)
	l.m.log.Info("took a dead node's runs over", "node_id", node, "ended", len(running), "handed_over", len(queued))
}

// place hands queued runs to the live nodes with the most free room, in chunks, and lets the
// scheduler start what it can.
func (l *leader) place(ctx context.Context, ps []*proxy) {
	if len(ps) == 0 {
		return
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	for len(ps) > 0 && ctx.Err() == nil {
		target := l.roomiest()
		if target == "" {
			l.m.log.Error("no live node to hand queued runs to; they wait for the next leader", "runs", len(ps))
			return
		}
		n := min(len(ps), 500)
		chunk := ps[:n]
		refs := make([]store.RunRef, n)
		for i, p := range chunk {
			refs[i] = store.RunRef{ID: p.id, Owner: p.owner}
		}
		if _, err := l.ask(target, msg{Op: opAdopt, Runs: refs}, 30*time.Second); err != nil {
			l.m.log.Warn("handing runs over", "node_id", target, "err", err)
			l.mu.Lock()
			delete(l.live, target) // try another; watch brings it back if it lives
			l.mu.Unlock()
			continue
		}
		for _, p := range chunk {
			p.mu.Lock()
			p.node = target
			p.mu.Unlock()
		}
		ps = ps[n:]
	}
	l.s.Replace()
}

// roomiest is the live node with the most slots per run it holds.
func (l *leader) roomiest() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	load := map[string]int{}
	for _, p := range l.proxies {
		load[p.nodeOf()]++
	}
	best, bestScore := "", -1.0
	for id, slots := range l.live {
		if slots <= 0 {
			continue
		}
		score := float64(slots) / float64(1+load[id])
		if score > bestScore || score == bestScore && id < best {
			best, bestScore = id, score
		}
	}
	return best
}

// count adds n to a user's connections on a node.
func (l *leader) count(user, node string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.countLocked(user, node, n)
}

func (l *leader) countLocked(user, node string, n int) {
	by := l.conns[user]
	if by == nil {
		by = map[string]int{}
		l.conns[user] = by
	}
	if by[node] += n; by[node] <= 0 {
		delete(by, node)
	}
	if len(by) == 0 {
		delete(l.conns, user)
	}
}

// connect counts a connection unless the user holds the tier's cap across the service.
func (l *leader) connect(user, node string, tier netra.Tier) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	for _, n := range l.conns[user] {
		total += n
	}
	if limit, capped := l.m.cfg.Connections[tier]; capped && total >= limit {
		return false
	}
	l.countLocked(user, node, 1)
	return true
}

// ask sends a request to a node (its own in process).
func (l *leader) ask(node string, q msg, timeout time.Duration) (reply, error) {
	if node == l.m.cfg.NodeID {
		r := l.m.handle(q)
		return r, r.err()
	}
	b, _ := json.Marshal(q)
	res, err := l.m.nc.Request(l.m.subject(node), b, timeout)
	if err != nil {
		return reply{}, err
	}
	var r reply
	if err := json.Unmarshal(res.Data, &r); err != nil {
		return reply{}, err
	}
	return r, r.err()
}

// tell sends a notice to a node, unless this leader stepped down.
func (l *leader) tell(node string, q msg) {
	l.mu.Lock()
	gone := l.gone
	l.mu.Unlock()
	if gone {
		return
	}
	if node == l.m.cfg.NodeID { // its own: in process, in the order told
		l.m.handle(q)
		return
	}
	b, _ := json.Marshal(q)
	if err := l.m.nc.Publish(l.m.subject(node), b); err != nil {
		l.m.log.Warn("telling a node", "node_id", node, "op", q.Op, "err", err)
	}
}

// leave hands a leaving node's queued runs to the others; it starts nothing more there.
func (l *leader) leave(ctx context.Context, node string) {
	l.mu.Lock()
	l.live[node] = 0
	var queued []*proxy
	for _, p := range l.proxies {
		p.mu.Lock()
		if p.node == node && !p.started {
			queued = append(queued, p)
		}
		p.mu.Unlock()
	}
	l.mu.Unlock()
	l.s.SetNode(node, 0)
	if l.roomiest() == "" {
		return // nowhere to go: they stay queued in the store for the next node
	}
	refs := make([]store.RunRef, len(queued))
	for i, p := range queued {
		refs[i] = store.RunRef{ID: p.id, Owner: p.owner}
	}
	r, err := l.ask(node, msg{Op: opDrop, Runs: refs}, 30*time.Second)
	if err != nil {
		l.m.log.Warn("leaving node did not give its runs up", "node_id", node, "err", err)
		return
	}
	dropped := map[string]bool{}
	for _, id := range r.Runs {
		dropped[id] = true
	}
	var move []*proxy
	for _, p := range queued {
		if dropped[p.id] {
			move = append(move, p)
		}
	}
	l.place(ctx, move)
}

// onRequest answers the nodes.
func (l *leader) onRequest(nm *nats.Msg) {
	select {
	case <-l.ready:
	case <-l.quit:
		return // no answer: the asker retries with the next leader
	}
	var q msg
	if err := json.Unmarshal(nm.Data, &q); err != nil {
		return
	}
	b, _ := json.Marshal(l.respond(q))
	_ = nm.Respond(b)
}

// serving reports whether the leader answers: rebuilt, and not stepped down.
func (l *leader) serving() bool {
	select {
	case <-l.quit:
		return false
	case <-l.ready:
		return true
	default:
		return false
	}
}

// respond answers a request with the scheduler's pace.
func (l *leader) respond(q msg) reply {
	r := l.answer(q)
	avg, slots := l.s.Pace()
	r.AvgRun, r.Slots = avg, max(1, slots)
	return r
}

func (l *leader) answer(q msg) reply {
	switch q.Op {
	case opReserve:
		id := netra.Identity{UserID: q.Owner, Tier: q.Tier}
		if !q.Begin {
			release, err := l.s.Reserve(id, q.Run)
			if err != nil {
				return refusal(err)
			}
			l.mu.Lock()
			l.releases[q.Run] = reservation{node: q.Node, release: release}
			l.mu.Unlock()
			return reply{OK: true}
		}
		// The node executes the run as soon as it hears it started: the proxy is started
		// already, so its Execute only follows it.
		p := &proxy{l: l, id: q.Run, owner: q.Owner, tier: q.Tier, thread: q.Thread, agent: q.Agent, node: q.Node,
			done: make(chan struct{}), started: true, told: time.Now()}
		l.meet(q.Node, q.Slots)
		l.add(p)
		release, started, err := l.s.ReserveOrStart(id, p)
		if err != nil || !started {
			l.remove(p)
		}
		if err != nil {
			return refusal(err)
		}
		if !started {
			l.mu.Lock()
			l.releases[q.Run] = reservation{node: q.Node, release: release}
			l.mu.Unlock()
		}
		return reply{OK: true, Started: started}
	case opRelease:
		l.mu.Lock()
		r, ok := l.releases[q.Run]
		delete(l.releases, q.Run)
		l.mu.Unlock()
		if ok {
			r.release()
		}
		return reply{OK: true}
	case opSubmit:
		l.mu.Lock()
		_, known := l.proxies[q.Run]
		delete(l.releases, q.Run)
		l.mu.Unlock()
		if known { // asked again after a lost answer, or queued by the rebuild already
			return reply{OK: true, Pos: l.s.Position(q.Run)}
		}
		p := &proxy{l: l, id: q.Run, owner: q.Owner, tier: q.Tier, thread: q.Thread, agent: q.Agent, node: q.Node, done: make(chan struct{})}
		l.meet(q.Node, q.Slots)
		l.add(p)
		return reply{OK: true, Pos: l.s.Submit(p)}
	case opFinished:
		l.mu.Lock()
		p := l.proxies[q.Run]
		l.mu.Unlock()
		if p != nil {
			p.finish()
		}
		return reply{OK: true}
	case opCancel:
		return reply{OK: l.s.Cancel(q.Run)}
	case opPosition:
		return reply{Pos: l.s.Position(q.Run)}
	case opThread:
		return reply{Runs: l.s.ActiveInThread(q.Owner, q.Thread)}
	case opUsage:
		running, queued := l.s.Usage(q.Owner)
		return reply{Running: running, Queued: queued}
	case opUsers:
		return reply{Users: l.s.Users()}
	case opLive:
		return reply{Live: l.s.Live()}
	case opOwner:
		owner, _ := l.s.Owner(q.Run)
		return reply{Owner: owner}
	case opLeader:
		return reply{OK: true, Leader: l.m.cfg.NodeID}
	case opConnect:
		return reply{OK: l.connect(q.Owner, q.Node, q.Tier)}
	case opGone:
		l.count(q.Owner, q.Node, -1)
		return reply{OK: true}
	case opLeave:
		go l.leave(l.m.base, q.Node) // it asks the leaving node back; not from this goroutine
		return reply{OK: true}
	}
	return reply{Code: netra.CodeInvalidRequest, Message: "unknown cluster operation " + q.Op}
}

// meet gives a node that joined since the last watch its slots, from now.
func (l *leader) meet(node string, slots int) {
	l.mu.Lock()
	_, met := l.live[node]
	if !met {
		l.live[node] = slots
	}
	l.mu.Unlock()
	if !met {
		l.s.SetNode(node, slots)
	}
}

// reservation is a queue place a node reserved for a run it is about to store.
type reservation struct {
	node    string
	release func()
}

// proxy is a run as the leader's scheduler holds it: it executes on its node, which the
// proxy tells when to start, its position, and its cancellation.
type proxy struct {
	l                        *leader
	id, owner, thread, agent string
	tier                     netra.Tier
	done                     chan struct{} // closed when the run ended on its node, or was ended for it
	once                     sync.Once

	mu      sync.Mutex
	node    string
	started bool      // told to start (or found running): Execute follows it
	told    time.Time // when it was told to start
}

var _ sched.Placed = (*proxy)(nil)

func (p *proxy) RunID() string    { return p.id }
func (p *proxy) Owner() string    { return p.owner }
func (p *proxy) Tier() netra.Tier { return p.tier }
func (p *proxy) ThreadID() string { return p.thread }
func (p *proxy) Agent() string    { return p.agent }
func (p *proxy) Node() string     { return p.nodeOf() }

func (p *proxy) nodeOf() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.node
}

func (p *proxy) finish() { p.once.Do(func() { close(p.done) }) }

// Execute tells the node to start the run and follows it to its end; a cancellation is passed
// on, unless the leader is stepping down (the run goes on under the next one).
func (p *proxy) Execute(ctx context.Context) {
	defer p.l.remove(p)
	p.mu.Lock()
	node, was := p.node, p.started
	p.started, p.told = true, time.Now()
	p.mu.Unlock()
	if !was {
		p.l.tell(node, msg{Op: opStart, Run: p.id})
	}
	select {
	case <-p.done:
		return
	case <-p.l.quit:
		return
	case <-ctx.Done():
	}
	cause := causeCancel
	if errors.Is(context.Cause(ctx), sched.ErrShutdown) {
		cause = causeShutdown
	}
	p.l.tell(node, msg{Op: opStop, Run: p.id, Cause: cause})
	select {
	case <-p.done:
	case <-p.l.quit:
	}
}

// Cancelled tells the node that its queued run was cancelled.
func (p *proxy) Cancelled() {
	p.l.remove(p)
	p.l.tell(p.nodeOf(), msg{Op: opCancelled, Run: p.id})
}

// Moved tells the node the queued run's new position.
func (p *proxy) Moved(position int, eta time.Duration) {
	p.l.tell(p.nodeOf(), msg{Op: opMoved, Run: p.id, Pos: position, ETA: int64(eta)})
}

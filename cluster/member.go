package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
)

// Store is what the cluster keeps in the database (storepg.Store).
type Store interface {
	Join(ctx context.Context, id string, info []byte) error
	Beat(ctx context.Context, id string, info []byte) (alive bool, err error)
	Members(ctx context.Context) ([]storepg.Member, error)
	Expire(ctx context.Context, id string, after time.Duration) (bool, error)
	Leave(ctx context.Context, id string) error
	TryLead(ctx context.Context) (*storepg.Lease, bool, error)
	ActiveRuns(ctx context.Context) ([]netra.Run, error)
}

// Job is a run a node executes: the engine's run, which can also be silenced when another
// node takes it over.
type Job interface {
	sched.Job
	Agent() string
	Silence()
}

// Runs is what the cluster needs of the node's engine.
type Runs interface {
	// Adopt builds the jobs of stored queued runs this node takes over, their seqs continued
	// from the store; runs no longer stored are left out. It emits nothing.
	Adopt(ctx context.Context, refs []store.RunRef) ([]Job, error)
	// EndOrphan ends a run whose node died: run_failed interrupted, its seq continued.
	EndOrphan(ctx context.Context, owner, runID string) error
}

// Config configures a cluster node. Zero values mean the defaults.
type Config struct {
	// NodeID names this node: letters, digits, '_' and '-'. Required.
	NodeID string
	// Slots is how many runs execute at once on this node (its MaxRunning). Default 64.
	Slots int
	// Sched is the service's scheduler settings when this node leads: tier limits and
	// weights, and MaxQueued for the whole service. Its MaxRunning is not used: each node
	// brings its Slots.
	Sched sched.Config
	// Prefix starts every NATS subject. Default "netra".
	Prefix string
	// Beat is how often the node renews its row. Default 1 s.
	Beat time.Duration
	// Expire is how old a row's beat may be before the leader declares its node dead and
	// takes its runs over. Default 5 s.
	Expire time.Duration
	// Connections caps each user's WebSocket connections across the service, by tier
	// (ratelimit.Limit.Connections). Default: no cap here.
	Connections map[netra.Tier]int
	// Load describes this node in its row (GET /v1/admin/nodes); called once a beat.
	Load func() any
	// Rates, when set, is shared with the other nodes: each beat this node tells them what
	// every user drew from its buckets, and takes what users drew on them from its own.
	Rates  Rates
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Slots <= 0 {
		c.Slots = 64
	}
	if c.Prefix == "" {
		c.Prefix = "netra"
	}
	if c.Beat <= 0 {
		c.Beat = time.Second
	}
	if c.Expire <= 0 {
		c.Expire = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// row is what a node keeps in its row.
type row struct {
	Slots   int  `json:"slots"`
	Leaving bool `json:"leaving,omitempty"`
	Load    any  `json:"load,omitempty"`
}

// Node is a member of the cluster as GET /v1/admin/nodes shows it.
type Node struct {
	ID      string
	Leader  bool
	Joined  time.Time
	BeatAge time.Duration
	Load    json.RawMessage
}

// local is a run this node holds.
type local struct {
	job     Job
	running bool
	cancel  context.CancelCauseFunc
}

// Member is this node's part in the cluster: its scheduler (server.Scheduler, by asking the
// leader), its heartbeat, its runs, and, while elected, the leader.
type Member struct {
	cfg  Config
	st   Store
	runs Runs
	nc   *nats.Conn
	log  *slog.Logger

	base    context.Context // parent of the executing runs' contexts
	cancel  context.CancelFunc
	subs    []*nats.Subscription
	loops   sync.WaitGroup
	running sync.WaitGroup // executing runs
	notes   sync.WaitGroup // telling the leader that runs ended, until Close

	mu      sync.Mutex
	jobs    map[string]*local
	conns   map[string]int // this node's connections by user, for a new leader
	leaving bool
	stopped bool
	lead    *leader
	avgRun  time.Duration // the leader's pace, from its last reply, for ETAs
	slots   int
	mute    time.Time // no beat before then (Pause)
	deaf    int       // start notices still to drop (DropStarts)
	lose    int       // answers to reservations that start runs still to lose (LoseBeginAnswers)
}

// New returns a member; Start joins the cluster. nc is this node's NATS connection.
func New(cfg Config, st Store, runs Runs, nc *nats.Conn) (*Member, error) {
	cfg = cfg.withDefaults()
	if !validID(cfg.NodeID) {
		return nil, fmt.Errorf("node id %q: use 1-64 letters, digits, '_' or '-'", cfg.NodeID)
	}
	return &Member{cfg: cfg, st: st, runs: runs, nc: nc, log: cfg.Logger.With("node", cfg.NodeID),
		jobs: map[string]*local{}, conns: map[string]int{}, slots: cfg.Slots}, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ID is this node's id.
func (m *Member) ID() string { return m.cfg.NodeID }

func (m *Member) subject(node string) string { return m.cfg.Prefix + ".node." + node }
func (m *Member) leaderSubject() string      { return m.cfg.Prefix + ".sched" }

// Start joins the cluster: the node's row, its subject, and the loop that beats and stands
// for election.
func (m *Member) Start(ctx context.Context) error {
	m.base, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := m.st.Join(ctx, m.cfg.NodeID, m.rowJSON()); err != nil {
		return err
	}
	sub, err := m.nc.Subscribe(m.subject(m.cfg.NodeID), m.onNode)
	if err != nil {
		return fmt.Errorf("cluster subject: %w", err)
	}
	m.subs = append(m.subs, sub)
	if m.cfg.Rates != nil {
		if sub, err = m.nc.Subscribe(m.ratesSubject(), m.onRates); err != nil {
			m.unsubscribe()
			return fmt.Errorf("cluster rates subject: %w", err)
		}
		m.subs = append(m.subs, sub)
	}
	m.loops.Add(1)
	go m.loop()
	return nil
}

func (m *Member) rowJSON() []byte {
	m.mu.Lock()
	r := row{Slots: m.cfg.Slots, Leaving: m.leaving}
	m.mu.Unlock()
	if r.Leaving {
		r.Slots = 0
	}
	if m.cfg.Load != nil {
		r.Load = m.cfg.Load()
	}
	b, _ := json.Marshal(r)
	return b
}

// loop beats the node's row and stands for election, once a Beat, until Stop.
func (m *Member) loop() {
	defer m.loops.Done()
	t := time.NewTicker(m.cfg.Beat)
	defer t.Stop()
	m.elect()
	for {
		select {
		case <-m.base.Done():
			return
		case <-t.C:
		}
		m.beat()
		m.elect()
		m.shareRates()
	}
}

// Pause stops the heartbeat for d, as a stalled process or a cut network would, for tests of
// fencing.
func (m *Member) Pause(d time.Duration) {
	m.mu.Lock()
	m.mute = time.Now().Add(d)
	m.mu.Unlock()
}

// DropStarts drops the next n start notices that reach this node over NATS, as NATS does
// while a connection is down, for tests of the leader's reconcile.
func (m *Member) DropStarts(n int) {
	m.mu.Lock()
	m.deaf = n
	m.mu.Unlock()
}

// LoseBeginAnswers loses the leader's next n answers to reservations that start a run at once,
// after the leader acted on them, as a request that times out does, for tests of the leader's
// reconcile.
func (m *Member) LoseBeginAnswers(n int) {
	m.mu.Lock()
	m.lose = n
	m.mu.Unlock()
}

func (m *Member) beat() {
	m.mu.Lock()
	muted := time.Now().Before(m.mute)
	m.mu.Unlock()
	if muted {
		return
	}
	ctx, cancel := context.WithTimeout(m.base, m.cfg.Beat)
	defer cancel()
	alive, err := m.st.Beat(ctx, m.cfg.NodeID, m.rowJSON())
	if err != nil {
		if m.base.Err() == nil {
			m.log.Warn("heartbeat failed", "err", err)
		}
		return
	}
	if alive {
		return
	}
	// The leader found our beat stale and took our runs over: whatever we held is another
	// node's now. Our commits are refused already (storepg.Fence); drop the runs without a
	// word and join again as a node with nothing.
	m.log.Error("this node lost its leases: its runs were taken over; dropping them")
	m.stepDown() // a leader too: another one expired it
	m.silenceAll()
	if err := m.st.Join(ctx, m.cfg.NodeID, m.rowJSON()); err != nil {
		m.log.Warn("joining again", "err", err)
	}
}

// silenceAll silences and forgets every run held here, cancelling those that execute.
func (m *Member) silenceAll() {
	m.mu.Lock()
	jobs := m.jobs
	m.jobs = map[string]*local{}
	m.mu.Unlock()
	for _, l := range jobs {
		l.job.Silence()
		if l.cancel != nil {
			l.cancel(sched.ErrShutdown)
		}
	}
}

// elect takes the leadership when no one holds it.
func (m *Member) elect() {
	m.mu.Lock()
	stand := m.lead == nil && !m.leaving && !m.stopped
	m.mu.Unlock()
	if !stand {
		return
	}
	ctx, cancel := context.WithTimeout(m.base, 5*time.Second)
	defer cancel()
	lease, ok, err := m.st.TryLead(ctx)
	if err != nil {
		m.log.Warn("standing for leader", "err", err)
		return
	}
	if !ok {
		return
	}
	l := newLeader(m, lease)
	m.mu.Lock()
	if m.leaving || m.stopped { // it began to leave while it stood
		m.mu.Unlock()
		lease.Release()
		return
	}
	m.lead = l
	m.mu.Unlock()
	m.log.Info("leading the cluster")
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		l.run(m.base)
		m.mu.Lock()
		m.lead = nil
		m.mu.Unlock()
	}()
}

// Leader reports whether this node leads the cluster now.
func (m *Member) Leader() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lead != nil
}

// Nodes lists the cluster's nodes from their rows.
func (m *Member) Nodes(ctx context.Context) ([]Node, error) {
	rows, err := m.st.Members(ctx)
	if err != nil {
		return nil, err
	}
	leader := ""
	if r, err := m.call(msg{Op: opLeader}); err == nil {
		leader = r.Leader
	}
	out := make([]Node, 0, len(rows))
	for _, r := range rows {
		var rw struct {
			Load json.RawMessage `json:"load"`
		}
		_ = json.Unmarshal(r.Info, &rw)
		out = append(out, Node{ID: r.ID, Leader: r.ID == leader, Joined: r.Joined, BeatAge: r.Age, Load: rw.Load})
	}
	return out, nil
}

// call asks the leader once: in process when this node leads, else over NATS.
func (m *Member) call(q msg) (reply, error) {
	m.mu.Lock()
	l := m.lead
	m.mu.Unlock()
	if l != nil && l.serving() {
		r := l.respond(q)
		m.pace(r)
		return r, r.err()
	}
	b, err := json.Marshal(q)
	if err != nil {
		return reply{}, netra.Internal(err)
	}
	res, err := m.nc.Request(m.leaderSubject(), b, 5*time.Second)
	if err != nil {
		return reply{}, &netra.Error{Code: netra.CodeUnavailable, Message: "the service's scheduler does not answer; try again shortly", Err: err}
	}
	var r reply
	if err := json.Unmarshal(res.Data, &r); err != nil {
		return reply{}, netra.Internal(err)
	}
	m.pace(r)
	return r, r.err()
}

// pace keeps the leader's pace from its reply, for ETAs.
func (m *Member) pace(r reply) {
	if r.Slots > 0 {
		m.mu.Lock()
		m.avgRun, m.slots = r.AvgRun, r.Slots
		m.mu.Unlock()
	}
}

// callUntil asks the leader until it answers, for at most d (a leader is being elected).
func (m *Member) callUntil(q msg, d time.Duration) (reply, error) {
	deadline := time.Now().Add(d)
	for {
		r, err := m.call(q)
		if netra.ErrorCode(err) != netra.CodeUnavailable || time.Now().After(deadline) || m.base.Err() != nil {
			return r, err
		}
		select {
		case <-m.base.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Reserve implements server.Scheduler.
func (m *Member) Reserve(id netra.Identity, runID string) (func(), error) {
	release, _, err := m.reserve(id, runID, nil)
	return release, err
}

// ReserveOrStart reserves a run's place and, when the leader finds a slot free for it on this
// node (sched.Scheduler.ReserveOrStart), starts it here at once: one round trip, after which
// the run executes while its acceptance commits, instead of two round trips, a commit and a
// start notice in turn. If it did not start, it is submitted once it is stored.
func (m *Member) ReserveOrStart(id netra.Identity, j sched.Job) (func(), bool, error) {
	return m.reserve(id, j.RunID(), j.(Job))
}

// reserve asks the leader for a run's place, and to start job at once when it is not nil.
func (m *Member) reserve(id netra.Identity, runID string, job Job) (func(), bool, error) {
	q := msg{Op: opReserve, Node: m.cfg.NodeID, Run: runID, Owner: id.UserID, Tier: id.Tier, Slots: m.cfg.Slots}
	var l *local
	m.mu.Lock()
	leaving := m.leaving || m.stopped
	if !leaving && job != nil {
		// Held before the leader starts it: from then on its Finished, a Stop or a new
		// leader's question may come.
		l = &local{job: job}
		m.jobs[runID] = l
		q.Begin, q.Thread, q.Agent = true, job.ThreadID(), job.Agent()
	}
	m.mu.Unlock()
	if leaving {
		return nil, false, netra.Errorf(netra.CodeUnavailable, "server is shutting down")
	}
	r, err := m.call(q)
	if q.Begin {
		m.mu.Lock()
		if m.lose > 0 {
			m.lose--
			r, err = reply{}, netra.Errorf(netra.CodeUnavailable, "the answer was lost (LoseBeginAnswers)")
		}
		m.mu.Unlock()
	}
	if l != nil && (err != nil || !r.Started) {
		m.forget(runID, l)
	}
	if err != nil {
		if netra.ErrorCode(err) == netra.CodeUnavailable {
			// The reservation may have been made before the answer was lost. (A run the
			// lost answer started is not released this way: the leader's check of unheard
			// starts finds this node does not hold it.)
			_, _ = m.call(msg{Op: opRelease, Run: runID})
		}
		return nil, false, err
	}
	if r.Started {
		m.execute(runID, l)
		return func() {}, true, nil
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if _, err := m.call(msg{Op: opRelease, Run: runID}); err != nil {
				m.log.Warn("reservation not released", "run_id", runID, "err", err)
			}
		})
	}, false, nil
}

// Submit implements server.Scheduler. The run is held here from now on; if the leader cannot
// be reached it stays held, and the next leader queues it from what this node reports.
func (m *Member) Submit(j sched.Job) int {
	job := j.(Job)
	m.mu.Lock()
	m.jobs[j.RunID()] = &local{job: job}
	m.mu.Unlock()
	r, err := m.callUntil(msg{Op: opSubmit, Node: m.cfg.NodeID, Run: j.RunID(), Owner: j.Owner(), Tier: j.Tier(),
		Thread: j.ThreadID(), Agent: job.Agent(), Slots: m.cfg.Slots}, 10*time.Second)
	if err != nil {
		m.log.Error("run not queued with the leader; the next leader queues it", "run_id", j.RunID(), "err", err)
		return 1
	}
	return r.Pos
}

// ETA implements server.Scheduler, from the pace the leader gave in its last answer.
func (m *Member) ETA(position int) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sched.Wait(m.avgRun, m.slots, position)
}

// Cancel implements server.Scheduler.
func (m *Member) Cancel(runID string) bool {
	r, err := m.callUntil(msg{Op: opCancel, Run: runID}, 5*time.Second)
	if err != nil {
		// Unknown is not the answer: the run may execute somewhere. Say it was handled, as
		// ending it here could give it a second terminal event.
		m.log.Warn("cancel not confirmed by the leader", "run_id", runID, "err", err)
		return true
	}
	return r.OK
}

// Position implements server.Scheduler.
func (m *Member) Position(runID string) int {
	r, _ := m.call(msg{Op: opPosition, Run: runID})
	return r.Pos
}

// ActiveInThread implements server.Scheduler.
func (m *Member) ActiveInThread(owner, threadID string) []string {
	r, _ := m.call(msg{Op: opThread, Owner: owner, Thread: threadID})
	return r.Runs
}

// Usage implements server.Scheduler.
func (m *Member) Usage(userID string) (running, queued int) {
	r, _ := m.call(msg{Op: opUsage, Owner: userID})
	return r.Running, r.Queued
}

// Users implements server.Scheduler.
func (m *Member) Users() []sched.UserUsage {
	r, _ := m.call(msg{Op: opUsers})
	return r.Users
}

// Live implements server.Scheduler.
func (m *Member) Live() []sched.LiveRun {
	r, _ := m.call(msg{Op: opLive})
	return r.Live
}

// Owner implements server.Scheduler.
func (m *Member) Owner(runID string) (string, bool) {
	r, _ := m.call(msg{Op: opOwner, Run: runID})
	return r.Owner, r.Owner != ""
}

// Limit implements server.Scheduler.
func (m *Member) Limit(t netra.Tier) sched.Limit {
	return m.cfg.Sched.Limits[t]
}

// Connect implements server.Connections: the leader counts the user's connections on every
// node. If it cannot be asked, the connection is let in (each node's own cap still holds).
func (m *Member) Connect(id netra.Identity) bool {
	m.mu.Lock()
	m.conns[id.UserID]++
	m.mu.Unlock()
	r, err := m.call(msg{Op: opConnect, Node: m.cfg.NodeID, Owner: id.UserID, Tier: id.Tier})
	if err == nil && !r.OK {
		m.release(id.UserID)
		return false
	}
	if err != nil {
		m.log.Warn("connection not counted by the leader", "user_id", id.UserID, "err", err)
	}
	return true
}

// Disconnect implements server.Connections.
func (m *Member) Disconnect(userID string) {
	m.release(userID)
	if _, err := m.call(msg{Op: opGone, Node: m.cfg.NodeID, Owner: userID}); err != nil {
		m.log.Warn("connection's end not counted by the leader", "user_id", userID, "err", err)
	}
}

func (m *Member) release(userID string) {
	m.mu.Lock()
	if m.conns[userID]--; m.conns[userID] <= 0 {
		delete(m.conns, userID)
	}
	m.mu.Unlock()
}

// Running is how many runs execute on this node now.
func (m *Member) Running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.jobs {
		if l.running {
			n++
		}
	}
	return n
}

// Held is how many runs this node holds, queued or running.
func (m *Member) Held() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.jobs)
}

// onNode handles what the leader tells this node over NATS.
func (m *Member) onNode(nm *nats.Msg) {
	var q msg
	if err := json.Unmarshal(nm.Data, &q); err != nil {
		m.log.Warn("cluster message not understood", "err", err)
		return
	}
	if q.Op == opStart {
		m.mu.Lock()
		drop := m.deaf > 0
		if drop {
			m.deaf--
		}
		m.mu.Unlock()
		if drop {
			m.log.Warn("dropping a start notice (DropStarts)", "run_id", q.Run)
			return
		}
	}
	r := m.handle(q)
	if nm.Reply != "" {
		b, _ := json.Marshal(r)
		_ = nm.Respond(b)
	}
}

// handle does what the leader tells this node, and answers (for a request).
func (m *Member) handle(q msg) reply {
	m.mu.Lock()
	l := m.jobs[q.Run]
	m.mu.Unlock()
	switch q.Op {
	case opStart:
		if l == nil {
			m.log.Warn("told to start a run this node does not hold", "run_id", q.Run)
			return reply{}
		}
		m.execute(q.Run, l)
	case opStop:
		m.mu.Lock()
		if l != nil && l.cancel != nil {
			cause := sched.ErrCancelled
			if q.Cause == causeShutdown {
				cause = sched.ErrShutdown
			}
			l.cancel(cause)
		}
		m.mu.Unlock()
	case opMoved:
		if l != nil {
			go l.job.Moved(q.Pos, time.Duration(q.ETA))
		}
	case opCancelled:
		if l != nil {
			m.forget(q.Run, l)
			go l.job.Cancelled()
		}
	case opAdopt:
		m.mu.Lock()
		want := slices.DeleteFunc(slices.Clone(q.Runs), func(ref store.RunRef) bool { return m.jobs[ref.ID] != nil })
		m.mu.Unlock()
		jobs, err := m.runs.Adopt(m.base, want)
		if err != nil {
			return refusal(err)
		}
		if len(jobs) < len(want) {
			m.log.Warn("runs handed over are no longer stored (their threads deleted?); skipped", "runs", len(want)-len(jobs))
		}
		m.mu.Lock()
		for _, job := range jobs {
			m.jobs[job.RunID()] = &local{job: job}
		}
		m.mu.Unlock()
		return reply{OK: true}
	case opDrop:
		var dropped []string
		for _, ref := range q.Runs {
			m.mu.Lock()
			l := m.jobs[ref.ID]
			if l != nil && !l.running {
				delete(m.jobs, ref.ID)
				l.job.Silence()
				dropped = append(dropped, ref.ID)
			}
			m.mu.Unlock()
		}
		return reply{OK: true, Runs: dropped}
	case opState:
		m.mu.Lock()
		r := reply{OK: true, Held: make([]held, 0, len(m.jobs))}
		if len(q.Runs) > 0 { // only these (a leader checking its starts were heard)
			for _, ref := range q.Runs {
				if l := m.jobs[ref.ID]; l != nil {
					r.Held = append(r.Held, held{Run: ref.ID, Running: l.running})
				}
			}
			m.mu.Unlock()
			return r
		}
		for id, l := range m.jobs {
			h := held{Run: id, Running: l.running}
			if l.running {
				h.Owner, h.Tier, h.Thread, h.Agent = l.job.Owner(), l.job.Tier(), l.job.ThreadID(), l.job.Agent()
			}
			r.Held = append(r.Held, h)
		}
		for u, n := range m.conns {
			r.Conns = append(r.Conns, conns{User: u, N: n})
		}
		m.mu.Unlock()
		return r
	}
	return reply{}
}

// forget drops a run from what this node holds, if it is still l.
func (m *Member) forget(runID string, l *local) {
	m.mu.Lock()
	if m.jobs[runID] == l {
		delete(m.jobs, runID)
	}
	m.mu.Unlock()
}

// execute runs a held job and tells the leader when it has ended.
func (m *Member) execute(runID string, l *local) {
	m.mu.Lock()
	if l.running || m.stopped {
		m.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancelCause(m.base)
	l.running, l.cancel = true, cancel
	m.running.Add(1)
	m.mu.Unlock()
	m.notes.Add(1)
	go func() {
		defer m.notes.Done()
		l.job.Execute(ctx)
		cancel(nil)
		m.mu.Lock()
		mine := m.jobs[runID] == l
		m.mu.Unlock()
		m.forget(runID, l)
		m.running.Done() // ended; what follows is telling, which Stop does not wait for
		if !mine {
			return // silenced: the run is another node's now
		}
		// The leader frees the slot when it hears; a new leader would find the run ended.
		for m.base.Err() == nil {
			if _, err := m.call(msg{Op: opFinished, Run: runID}); err == nil {
				return
			}
			select {
			case <-m.base.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
}

// Leave starts a graceful leave: this node accepts and starts no more runs, and the leader
// hands the runs queued here to the other nodes. Runs executing here go on; Stop ends them.
func (m *Member) Leave(ctx context.Context) {
	m.mu.Lock()
	m.leaving = true
	l := m.lead
	m.mu.Unlock()
	// A node that took the lead just before it began to leave does not finish rebuilding: that
	// would hold its stop (it would ask itself, and wait for a dead leader's row to go stale).
	// It steps down and lets go of the leader's subject, so that its requests below reach
	// another leader, or find none at once.
	if l != nil && !l.serving() {
		l.abdicate()
		select {
		case <-l.ended:
		case <-ctx.Done():
		}
	}
	wait := 10 * time.Second // for a leader to be elected, at most half of what ctx leaves
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline)/2)
	}
	if _, err := m.callUntil(msg{Op: opLeave, Node: m.cfg.NodeID}, wait); err != nil {
		m.log.Warn("queued runs not handed over; they start when another node leads", "err", err)
	}
}

// Stop cancels the runs executing here (run_failed interrupted, ErrShutdown), waits for them,
// silences the queued ones left (they stay queued in the store for another node) and steps
// down. The node still beats its row, so that its last commits are taken, until Close.
func (m *Member) Stop() {
	m.mu.Lock()
	m.leaving = true
	for _, l := range m.jobs {
		if l.cancel != nil {
			l.cancel(sched.ErrShutdown)
		}
	}
	m.mu.Unlock()
	m.running.Wait()
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.silenceAll()
	m.stepDown()
}

// Close stops the heartbeat and deletes the node's row: call it after the node's last commit.
func (m *Member) Close(ctx context.Context) {
	m.cancel()
	m.loops.Wait()
	m.notes.Wait()
	m.unsubscribe()
	if err := m.st.Leave(ctx, m.cfg.NodeID); err != nil {
		m.log.Warn("leaving the cluster", "err", err)
	}
}

// Crash stops this node as kill -9 would, for tests: no handover, no last events, no
// goodbye; its row stays until the leader finds it stale.
func (m *Member) Crash() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.unsubscribe()
	m.silenceAll()
	m.stepDown()
	m.cancel()
	m.loops.Wait()
	m.running.Wait()
	m.notes.Wait()
}

func (m *Member) unsubscribe() {
	for _, sub := range m.subs {
		_ = sub.Unsubscribe()
	}
}

func (m *Member) stepDown() {
	m.mu.Lock()
	l := m.lead
	m.mu.Unlock()
	if l != nil {
		l.abdicate()
	}
}

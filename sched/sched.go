// Package sched decides which accepted run executes next. It bounds the runs executing at once
// on the node, each user's running and queued runs by tier, keeps each user's runs in FIFO
// order and one run per thread at a time, and shares free slots across users by deficit round
// robin weighted by tier. Its memory is a view of the store, which remains the record of truth
// for queued and running runs. A cluster's leader runs one for the whole service, each node
// with slots of its own (Placed, SetNode).
package sched

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// Job is a run as the scheduler sees it. The engine implements it.
type Job interface {
	RunID() string
	Owner() string
	Tier() netra.Tier
	ThreadID() string
	// Execute runs the job to its end. ctx is cancelled when the run is cancelled; its cause
	// is ErrCancelled or ErrShutdown.
	Execute(ctx context.Context)
	// Cancelled ends a job that was removed from the queue before it started.
	Cancelled()
	// Moved tells a queued job its new position and estimated wait (0: unknown). It is called
	// at most once per PositionInterval per job, only when Announce says so, and never after
	// Execute.
	Moved(position int, eta time.Duration)
}

// Placed is a job that executes on a named node of a cluster (package cluster). The scheduler
// starts it only while its node has a free slot of those SetNode gave it; jobs that do not
// implement Placed share MaxRunning.
type Placed interface {
	Node() string
}

// Causes of a running job's context cancellation.
var (
	ErrCancelled = errors.New("run cancelled")
	ErrShutdown  = errors.New("server shutting down")
)

// ErrNodeQueueFull is wrapped by the unavailable error Reserve answers when MaxQueued runs
// already wait on the node.
var ErrNodeQueueFull = errors.New("the node's queue is full")

// Announce reports whether a queued run whose position was last told as last must be told
// its new position pos (contract v1 rev. 1.1, §3): in the first 10 places when it changed, when
// it is at most half of last, or when it is more than 1.5 times last (newcomers cut in). So a
// run hears a few dozen updates over its wait, however deep the queue.
func Announce(last, pos int) bool {
	return pos != last && (pos <= 10 || 2*pos <= last || 2*pos > 3*last)
}

// Limit bounds one user's runs.
type Limit struct {
	// Running is how many of the user's runs may execute at once.
	Running int `json:"max_running"`
	// Queued is how many may wait, the running ones not counted.
	Queued int `json:"max_queued"`
}

// Config configures the scheduler. Zero values mean the defaults.
type Config struct {
	// MaxRunning bounds the runs executing at once on this node. Default 64.
	MaxRunning int
	// Limits per tier. Defaults: free 1/10, early 2/20, mid 3/50, enterprise 5/200.
	Limits map[netra.Tier]Limit
	// Weights per tier for sharing slots. Defaults: free 1, early 2, mid 3, enterprise 5.
	Weights map[netra.Tier]int
	// MaxQueued bounds the runs waiting on this node, all users together. Default 100,000.
	MaxQueued int
	// PositionInterval is how often queued jobs are told their changed positions. Default 1 s.
	PositionInterval time.Duration
}

// DefaultLimits are the tier limits of the wire contract.
func DefaultLimits() map[netra.Tier]Limit {
	return map[netra.Tier]Limit{
		netra.TierFree: {1, 10}, netra.TierEarly: {2, 20}, netra.TierMid: {3, 50}, netra.TierEnterprise: {5, 200},
	}
}

// DefaultWeights are the tier weights of the wire contract.
func DefaultWeights() map[netra.Tier]int {
	return map[netra.Tier]int{netra.TierFree: 1, netra.TierEarly: 2, netra.TierMid: 3, netra.TierEnterprise: 5}
}

// WithDefaults fills in the zero values.
func (c Config) WithDefaults() Config {
	if c.MaxRunning <= 0 {
		c.MaxRunning = 64
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = 100_000
	}
	if c.PositionInterval <= 0 {
		c.PositionInterval = time.Second
	}
	limits, weights := DefaultLimits(), DefaultWeights()
	for t, l := range c.Limits {
		limits[t] = l
	}
	for t, w := range c.Weights {
		if w > 0 { // a tier's turn places at least one run
			weights[t] = w
		}
	}
	c.Limits, c.Weights = limits, weights
	return c
}

type user struct {
	id       string
	tier     netra.Tier
	weight   int       // its tier's, kept here: positionOfLocked reads it for every user in the round
	queue    []*queued // FIFO
	reserved int       // accepted, not yet submitted
	running  int
	credit   int
	cut      bool          // this turn was cut short by a newcomer once; it is not cut again
	elem     *list.Element // in ring while the queue is not empty, and until the round reaches it after
	taken    int           // replayLocked's count of this user's jobs placed so far
}

// queued is a job waiting in its user's queue, with the position it was last told.
type queued struct {
	job  Job
	told int
}

// nodeSlots are one cluster node's slots.
type nodeSlots struct {
	slots, busy int
}

type running struct {
	job     Job
	node    string // where it executes, for a Placed job
	ctx     context.Context
	cancel  context.CancelCauseFunc
	started time.Time
}

// Scheduler is the fair scheduler. Start it before use; Stop cancels what runs.
type Scheduler struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	users      map[string]*user
	ring       *list.List // of *user with queued jobs (and ones that just emptied), in round-robin order
	cursor     *list.Element
	newTail    *list.Element    // the last user that joined ahead of the round and is not reached yet
	queued     map[string]*user // run id → owner's entry, for queued jobs
	running    map[string]*running
	threadBusy map[string]bool
	reserved   map[string]bool // run id → cancelled before Submit
	avgRun     time.Duration   // moving average of recent run durations, for ETAs
	slots      int
	nodes      map[string]*nodeSlots // a cluster's nodes (SetNode); nil on a single node
	draining   bool                  // no queued job starts any more (Drain)
	stopped    bool
	ctx        context.Context
	wg         sync.WaitGroup
	quit       chan struct{}
	ticker     sync.WaitGroup
}

// New returns a scheduler.
func New(cfg Config, log *slog.Logger) *Scheduler {
	cfg = cfg.WithDefaults()
	return &Scheduler{cfg: cfg, log: log, users: map[string]*user{}, ring: list.New(), queued: map[string]*user{},
		running: map[string]*running{}, threadBusy: map[string]bool{}, reserved: map[string]bool{},
		quit: make(chan struct{})}
}

// Start lets the scheduler execute jobs; ctx is the parent of every run's context.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	s.ticker.Add(1)
	go func() {
		defer s.ticker.Done()
		t := time.NewTicker(s.cfg.PositionInterval)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				s.announce()
			}
		}
	}()
}

type move struct {
	job Job
	pos int
	eta time.Duration
}

// announce tells the queued jobs whose position crossed a threshold of Announce since they
// were last told. It walks the queue once (one replay of the fair order, a few nanoseconds a
// run) per PositionInterval, not on every start, and tells only the few that crossed.
func (s *Scheduler) announce() {
	s.mu.Lock()
	var moves []move
	s.replayLocked(func(q *queued, pos int) bool {
		if Announce(q.told, pos) {
			q.told = pos
			moves = append(moves, move{q.job, pos, s.etaLocked(pos)})
		}
		return true
	})
	s.mu.Unlock()
	for _, m := range moves {
		m.job.Moved(m.pos, m.eta)
	}
}

// Drain stops starting queued jobs and refuses new reservations (unavailable); running jobs go
// on. A node calls it first when it shuts down, so that however deep the queue, only the runs
// already running are waited for; the queued ones stay queued in the store for the next start.
func (s *Scheduler) Drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// Stop refuses new jobs, cancels the running ones with ErrShutdown and waits for them to
// end. Queued jobs stay queued in the store and are recovered on the next start.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if !s.stopped {
		close(s.quit)
	}
	s.stopped = true
	for _, r := range s.running {
		r.cancel(ErrShutdown)
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.ticker.Wait()
}

// Limit returns the limit of a tier.
func (s *Scheduler) Limit(t netra.Tier) Limit { return s.cfg.Limits[t] }

// Slots is how many runs may execute at once: MaxRunning, or in a cluster the sum of its
// nodes' slots.
func (s *Scheduler) Slots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capacityLocked()
}

func (s *Scheduler) capacityLocked() int {
	if s.nodes == nil {
		return s.cfg.MaxRunning
	}
	n := 0
	for _, ns := range s.nodes {
		n += ns.slots
	}
	return n
}

// SetNode gives a cluster node slots for Placed jobs (0 while it leaves: it starts nothing
// more) and starts what that allows.
func (s *Scheduler) SetNode(id string, slots int) {
	s.mu.Lock()
	if s.nodes == nil {
		s.nodes = map[string]*nodeSlots{}
	}
	ns := s.nodes[id]
	if ns == nil {
		ns = &nodeSlots{}
		s.nodes[id] = ns
	}
	ns.slots = slots
	starts := s.dispatchLocked()
	s.mu.Unlock()
	s.launch(starts)
}

// RemoveNode forgets a node that left the cluster; its queued jobs wait until they are placed
// on another node (their Node changes) and SetNode or a finishing run dispatches them.
func (s *Scheduler) RemoveNode(id string) {
	s.mu.Lock()
	delete(s.nodes, id)
	s.mu.Unlock()
}

// Replace re-reads where the queued jobs execute after some moved to another node, and
// starts what that allows.
func (s *Scheduler) Replace() {
	s.mu.Lock()
	starts := s.dispatchLocked()
	s.mu.Unlock()
	s.launch(starts)
}

// nodeFree reports whether j may start now as far as its node goes.
func (s *Scheduler) nodeFree(j Job) bool {
	p, ok := j.(Placed)
	if !ok {
		return true
	}
	ns := s.nodes[p.Node()]
	return ns != nil && ns.busy < ns.slots
}

func (s *Scheduler) userOf(id string, t netra.Tier) *user {
	u := s.users[id]
	if u == nil {
		u = &user{id: id, tier: t}
		s.users[id] = u
	}
	u.tier, u.weight = t, s.cfg.Weights[t] // the newest token's tier applies
	return u
}

func (s *Scheduler) forget(u *user) {
	if len(u.queue) == 0 && u.reserved == 0 && u.running == 0 && u.elem == nil {
		delete(s.users, u.id)
	}
}

// Reserve claims a queue place for a run that is about to be stored, so that the queue bound
// holds without storing anything first. It answers queue_full when the user's queue is full,
// and unavailable after Stop. Call release if the run is not submitted after all.
func (s *Scheduler) Reserve(id netra.Identity, runID string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.draining {
		return nil, netra.Errorf(netra.CodeUnavailable, "server is shutting down")
	}
	u := s.userOf(id.UserID, id.Tier)
	if lim := s.cfg.Limits[id.Tier]; len(u.queue)+u.reserved >= lim.Queued {
		s.forget(u)
		return nil, netra.Errorf(netra.CodeQueueFull, "queue full: at most %d runs may wait on the %s tier", lim.Queued, id.Tier)
	}
	if len(s.queued)+len(s.reserved) >= s.cfg.MaxQueued {
		s.forget(u)
		return nil, &netra.Error{Code: netra.CodeUnavailable, Err: ErrNodeQueueFull,
			Message: fmt.Sprintf("the server's queue is full (%d runs wait); try again shortly", s.cfg.MaxQueued)}
	}
	u.reserved++
	s.reserved[runID] = false
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if _, ok := s.reserved[runID]; ok {
				delete(s.reserved, runID)
				u.reserved--
				s.forget(u)
			}
			s.mu.Unlock()
		})
	}, nil
}

// Submit queues a job whose place was reserved, consuming the reservation, and returns its
// queue position (1 = next to start), or 0 when it started at once. A job cancelled while
// reserved is ended at once.
func (s *Scheduler) Submit(j Job) int {
	s.mu.Lock()
	pos, starts := s.submitLocked(j)
	s.mu.Unlock()
	s.launch(starts)
	return pos
}

// StartIfFree starts j at once, as Submit would, when a slot is free for it now; otherwise it
// changes nothing (j's reservation stays) and reports false. A run started this way can
// execute while its acceptance is still being committed, so that a user who waits for
// nobody pays for one commit, not two (the caller orders the run's events after its
// acceptance). On a cluster's shared scheduler, j must be Placed on the node that accepted
// it (which executes it, and holds its acceptance), with a slot free there.
func (s *Scheduler) StartIfFree(j Job) bool {
	s.mu.Lock()
	u := s.users[j.Owner()]
	cancelled, reserved := s.reserved[j.RunID()]
	_, placed := j.(Placed)
	// With a slot free, no queued job can take it (every change that frees one dispatches):
	// what waits is held by its user's running limit, its thread or its node. So j starts
	// when its own user is below the limit, its thread is idle and its node has room, as
	// dispatch would start it.
	if u == nil || !reserved || cancelled || s.ctx == nil || s.stopped || s.draining ||
		(s.nodes != nil && (!placed || !s.nodeFree(j))) ||
		s.slots >= s.capacityLocked() ||
		u.running >= s.cfg.Limits[j.Tier()].Running || s.threadBusy[j.ThreadID()] {
		s.mu.Unlock()
		return false
	}
	pos, starts := s.submitLocked(j)
	if pos > 0 {
		// Not expected (see above), but then j must not stay queued: the caller submits it
		// again once it is stored. It is the last of its user's queue.
		u.queue[len(u.queue)-1] = nil
		u.queue = u.queue[:len(u.queue)-1]
		delete(s.queued, j.RunID())
		s.reserved[j.RunID()] = false
		u.reserved++
	}
	s.mu.Unlock()
	s.launch(starts)
	return pos == 0
}

// ReserveOrStart reserves j's place, as Reserve does, and starts j at once when a slot is free
// for it (StartIfFree): one call where a caller would make two, for a cluster's nodes one
// round trip to the leader. started reports whether j started; if not, its place is
// reserved, to be submitted once j is stored, or released.
func (s *Scheduler) ReserveOrStart(id netra.Identity, j Job) (release func(), started bool, err error) {
	if release, err = s.Reserve(id, j.RunID()); err != nil {
		return nil, false, err
	}
	return release, s.StartIfFree(j), nil
}

// submitLocked queues j and dispatches; the caller launches the starts after unlocking.
func (s *Scheduler) submitLocked(j Job) (pos int, starts []*running) {
	u := s.userOf(j.Owner(), j.Tier())
	cancelled, wasReserved := s.reserved[j.RunID()]
	if wasReserved {
		delete(s.reserved, j.RunID())
		u.reserved--
	}
	if cancelled || s.stopped {
		s.forget(u)
		// Cancelled waits until the submitter has emitted run_queued, which it does after
		// Submit returns; so it must not run in the submitter's goroutine.
		go j.Cancelled()
		return 0, nil
	}
	q := &queued{job: j}
	u.queue = append(u.queue, q)
	s.queued[j.RunID()] = u
	if u.elem == nil {
		u.credit = 0 // no banked credit for idle time
		s.joinLocked(u)
	}
	starts = s.dispatchLocked()
	if _, ok := s.queued[j.RunID()]; ok {
		// Still queued: it is the last of its user's queue (dispatch only takes from it).
		pos = s.positionOfLocked(u, len(u.queue)-1)
		q.told = pos
	}
	return pos, starts
}

// Recovered queues a job accepted before a restart, beyond the queue bounds (it was accepted
// within them). The node calls it for each stored queued run, oldest first, then Resume.
func (s *Scheduler) Recovered(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userOf(j.Owner(), j.Tier())
	u.queue = append(u.queue, &queued{job: j})
	s.queued[j.RunID()] = u
	if u.elem == nil {
		u.credit = 0
		s.joinLocked(u)
	}
}

// Resume starts what the recovered jobs allow. Each recovered job's position now counts as
// told, so that it hears again by Announce's rule; one in the first 10 places hears at the
// next tick. It walks the queue once.
func (s *Scheduler) Resume() {
	s.mu.Lock()
	s.replayLocked(func(q *queued, pos int) bool {
		if q.told == 0 && pos > 10 {
			q.told = pos
		}
		return true
	})
	starts := s.dispatchLocked()
	s.mu.Unlock()
	s.launch(starts)
}

// Cancel cancels a run the scheduler knows. It reports false when the run is neither
// reserved, queued nor running here.
func (s *Scheduler) Cancel(runID string) bool {
	s.mu.Lock()
	if _, ok := s.reserved[runID]; ok {
		s.reserved[runID] = true // Submit ends it
		s.mu.Unlock()
		return true
	}
	if r, ok := s.running[runID]; ok {
		r.cancel(ErrCancelled)
		s.mu.Unlock()
		return true
	}
	if u, ok := s.queued[runID]; ok {
		var job Job
		for i, q := range u.queue {
			if q.job.RunID() == runID {
				job = q.job
				u.queue = append(u.queue[:i], u.queue[i+1:]...)
				break
			}
		}
		delete(s.queued, runID)
		s.leaveRingIfIdle(u)
		s.forget(u)
		starts := s.dispatchLocked()
		s.mu.Unlock()
		job.Cancelled()
		s.launch(starts)
		return true
	}
	s.mu.Unlock()
	return false
}

// ETA estimates the wait of a run at a queue position: the runs ahead of it share the slots,
// each taking the recent average run time. It is 0 while there is no history.
func (s *Scheduler) ETA(position int) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etaLocked(position)
}

func (s *Scheduler) etaLocked(position int) time.Duration {
	return Wait(s.avgRun, s.capacityLocked(), position)
}

// Pace returns what ETAs are estimated from: the recent average run time and the slots.
func (s *Scheduler) Pace() (avgRun time.Duration, slots int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.avgRun, s.capacityLocked()
}

// Wait estimates the wait at a queue position from the average run time and the slots: the
// runs ahead share the slots, each taking the average. It is 0 while there is no history.
func Wait(avgRun time.Duration, slots, position int) time.Duration {
	if avgRun == 0 || position < 1 {
		return 0
	}
	// Position 1 starts when the first slot frees: on average half a run from now when all are
	// busy. Each further slots positions add one run time.
	return time.Duration((float64(position-1)/float64(max(1, slots)) + 0.5) * float64(avgRun))
}

// Position returns the queue position of a queued run, or 0.
func (s *Scheduler) Position(runID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.positionLocked(runID)
}

// ActiveInThread lists the runs of a thread that are queued or running here.
func (s *Scheduler) ActiveInThread(owner, threadID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, r := range s.running {
		if r.job.ThreadID() == threadID && r.job.Owner() == owner {
			out = append(out, id)
		}
	}
	if u := s.users[owner]; u != nil {
		for _, q := range u.queue {
			if q.job.ThreadID() == threadID {
				out = append(out, q.job.RunID())
			}
		}
	}
	return out
}

// Usage reports a user's running and queued runs.
func (s *Scheduler) Usage(userID string) (running, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		return u.running, len(u.queue)
	}
	return 0, 0
}

// LiveRun is a run the scheduler holds, for the admin view.
type LiveRun struct {
	RunID, Owner, ThreadID, Agent string
	Tier                          netra.Tier
	Node                          string // where it executes, in a cluster
	Running                       bool
	Position                      int       // queue position while queued
	Started                       time.Time // when it got its slot, while running
}

func liveRun(j Job) LiveRun {
	l := LiveRun{RunID: j.RunID(), Owner: j.Owner(), ThreadID: j.ThreadID(), Tier: j.Tier()}
	if a, ok := j.(interface{ Agent() string }); ok {
		l.Agent = a.Agent()
	}
	if p, ok := j.(Placed); ok {
		l.Node = p.Node()
	}
	return l
}

// Live lists the runs running and queued here: running ones first (oldest start first), then
// the queue in its fair order. It costs O(running + queued).
func (s *Scheduler) Live() []LiveRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LiveRun, 0, len(s.running)+len(s.queued))
	for _, r := range s.running {
		l := liveRun(r.job)
		l.Running, l.Started = true, r.started
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	s.replayLocked(func(q *queued, pos int) bool {
		l := liveRun(q.job)
		l.Position = pos
		out = append(out, l)
		return true
	})
	return out
}

// UserUsage is one user's share of the scheduler now.
type UserUsage struct {
	UserID          string
	Tier            netra.Tier
	Running, Queued int
	Limit           Limit
}

// Users lists the users with runs running or queued here, by user id.
func (s *Scheduler) Users() []UserUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserUsage, 0, len(s.users))
	for _, u := range s.users {
		if u.running+len(u.queue)+u.reserved == 0 {
			continue
		}
		out = append(out, UserUsage{UserID: u.id, Tier: u.tier, Running: u.running, Queued: len(u.queue), Limit: s.cfg.Limits[u.tier]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// Owner returns the owner of a run held here, reserved, queued or running; ok is false for
// any other run.
func (s *Scheduler) Owner(runID string) (owner string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.running[runID]; ok {
		return r.job.Owner(), true
	}
	if u, ok := s.queued[runID]; ok {
		return u.id, true
	}
	return "", false
}

// Queued reports how many runs wait in the queue now.
func (s *Scheduler) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queued)
}

// Running reports how many runs execute now.
func (s *Scheduler) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots
}

// joinLocked puts a user whose queue was empty into the round. It goes ahead of the users
// already waiting: right after the current turn, behind other such newcomers not reached yet
// (so they keep their order). The current turn ends at once if it has started a run already,
// and its user keeps the rest of its credit for its next turn, which no newcomer cuts short
// again. So a light user usually waits for one start of a heavy one rather than a whole turn
// of its weight, while each backlogged user still gets its weight's worth of starts per
// round: users who keep rejoining cannot starve it.
func (s *Scheduler) joinLocked(u *user) {
	if s.ring.Len() == 0 {
		u.elem = s.ring.PushBack(u)
		return
	}
	if s.cursor == nil { // past the end of the round: its next turn is the front's
		s.cursor = s.ring.Front()
	}
	after := s.cursor
	if s.newTail != nil {
		after = s.newTail
	}
	u.elem = s.ring.InsertAfter(u, after)
	s.newTail = u.elem
	if cur := s.cursor.Value.(*user); !cur.cut && cur.credit > 0 && cur.credit < cur.weight {
		cur.cut = true
		s.advanceLocked()
	}
}

// advanceLocked passes the turn to the next user in the round.
func (s *Scheduler) advanceLocked() {
	if s.cursor == s.newTail {
		s.newTail = nil // every newcomer has been reached
	}
	s.cursor = s.cursor.Next()
}

// leaveRingIfIdle takes a user whose queue was emptied by a cancellation out of the round.
func (s *Scheduler) leaveRingIfIdle(u *user) {
	if len(u.queue) == 0 && u.elem != nil {
		s.removeLocked(u)
	}
}

// removeLocked takes u out of the round, passing the turn on if it was u's.
func (s *Scheduler) removeLocked(u *user) {
	if s.cursor == u.elem {
		s.advanceLocked()
	}
	if s.newTail == u.elem {
		s.newTail = u.elem.Prev()
		if s.newTail == s.cursor {
			s.newTail = nil
		}
	}
	s.ring.Remove(u.elem)
	u.elem = nil
	u.credit, u.cut = 0, false
}

// eligible returns the index of the user's first queued job that may start now, or -1; then
// forNode says whether a job of its could start but for its node's slots (in a cluster).
func (s *Scheduler) eligible(u *user) (i int, forNode bool) {
	if u.running >= s.cfg.Limits[u.tier].Running {
		return -1, false
	}
	for i, q := range u.queue {
		if s.threadBusy[q.job.ThreadID()] {
			continue
		}
		if s.nodeFree(q.job) {
			return i, false
		}
		forNode = true
	}
	return -1, forNode
}

// dispatchLocked picks the jobs to start now by weighted deficit round robin: a user whose
// turn comes gets credit equal to its weight and starts up to that many runs before the turn
// passes on. A user that cannot start anything now loses its turn and its credit, unless what
// holds it is its jobs' node (in a cluster, each node has its own slots): then it keeps its
// turn, and a slot free on another node goes to the next user in the round who can use it.
func (s *Scheduler) dispatchLocked() []*running {
	if s.ctx == nil || s.stopped || s.draining {
		return nil
	}
	var starts []*running
	capacity := s.capacityLocked()
	for s.slots < capacity && s.ring.Len() > 0 {
		started := false
		for visited := 0; visited < s.ring.Len() && !started; visited++ {
			if s.cursor == nil {
				s.cursor = s.ring.Front()
			}
			u := s.cursor.Value.(*user)
			i, forNode := s.eligible(u)
			if i < 0 && forNode {
				v, k := s.outOfTurnLocked()
				if v == nil {
					break // every slot free is on nodes no queued job can use
				}
				starts = append(starts, s.startLocked(v, k))
				started = true
				continue
			}
			if i < 0 {
				if len(u.queue) == 0 {
					// A user that emptied its queue stays in the round until the round comes
					// back to it; only then does it leave, so that coming back at once does not
					// make it a newcomer again (joinLocked).
					s.removeLocked(u)
					s.forget(u)
					visited-- // the round is one shorter; the users after it are still to visit
					continue
				}
				u.credit, u.cut = 0, false
				s.advanceLocked()
				continue
			}
			if u.credit <= 0 {
				u.credit = u.weight
			}
			starts = append(starts, s.startLocked(u, i))
			u.credit--
			started = true
			if u.credit <= 0 || len(u.queue) == 0 {
				// Its turn is complete (or it has nothing left): the next one may be cut again.
				u.credit, u.cut = 0, false
				s.advanceLocked()
			}
		}
		if !started {
			break
		}
	}
	return starts
}

// outOfTurnLocked finds, after the user whose turn it is, the first user with a job that can
// start now: the turn's holder waits for its node, and a free slot elsewhere is not wasted.
func (s *Scheduler) outOfTurnLocked() (*user, int) {
	e := s.cursor
	for n := 1; n < s.ring.Len(); n++ {
		if e = e.Next(); e == nil {
			e = s.ring.Front()
		}
		v := e.Value.(*user)
		if k, _ := s.eligible(v); k >= 0 {
			return v, k
		}
	}
	return nil, -1
}

// startLocked takes u's k-th queued job out of the queue and counts it as running.
func (s *Scheduler) startLocked(u *user, k int) *running {
	j := u.queue[k].job
	if k == 0 {
		u.queue[0] = nil // the backing array keeps no reference
		u.queue = u.queue[1:]
	} else {
		u.queue = append(u.queue[:k], u.queue[k+1:]...)
	}
	delete(s.queued, j.RunID())
	u.running++
	s.slots++
	return s.runLocked(j)
}

// runLocked counts j as running and makes its context; launch executes it.
func (s *Scheduler) runLocked(j Job) *running {
	s.threadBusy[j.ThreadID()] = true
	now := time.Now()
	ctx, cancel := context.WithCancelCause(context.WithValue(s.ctx, startedKey{}, now))
	r := &running{job: j, ctx: ctx, cancel: cancel, started: now}
	if p, ok := j.(Placed); ok {
		r.node = p.Node()
		if ns := s.nodes[r.node]; ns != nil {
			ns.busy++
		}
	}
	s.running[j.RunID()] = r
	s.wg.Add(1) // under the lock, so that Stop's Wait never races an Add
	return r
}

type startedKey struct{}

// StartedAt is when the scheduler started the job whose Execute was given ctx: the moment it
// took its slot, however long its goroutine then waited for a CPU. Zero for another context.
func StartedAt(ctx context.Context) time.Time {
	t, _ := ctx.Value(startedKey{}).(time.Time)
	return t
}

// Resumed takes over a job that was already executing when this scheduler was made (a
// cluster's new leader finds it running on a node): it counts against every limit as a
// running job and Execute is called to follow it to its end. Call it after Start.
func (s *Scheduler) Resumed(j Job) {
	s.mu.Lock()
	u := s.userOf(j.Owner(), j.Tier())
	u.running++
	s.slots++
	r := s.runLocked(j)
	s.mu.Unlock()
	s.launch([]*running{r})
}

func (s *Scheduler) launch(starts []*running) {
	for _, r := range starts {
		go func() {
			defer s.finish(r)
			r.job.Execute(r.ctx)
		}()
	}
}

func (s *Scheduler) finish(r *running) {
	r.cancel(nil)
	s.mu.Lock()
	starts := s.finishLocked(r)
	s.mu.Unlock()
	s.wg.Done()
	s.launch(starts)
}

// finishLocked frees a finished run's slot and picks what starts next.
func (s *Scheduler) finishLocked(r *running) []*running {
	id := r.job.RunID()
	delete(s.running, id)
	// An exponential moving average over roughly the last 20 runs.
	if d := time.Since(r.started); s.avgRun == 0 {
		s.avgRun = d
	} else {
		s.avgRun += (d - s.avgRun) / 20
	}
	delete(s.threadBusy, r.job.ThreadID())
	s.slots--
	if ns := s.nodes[r.node]; r.node != "" && ns != nil {
		ns.busy--
	}
	if u := s.users[r.job.Owner()]; u != nil {
		u.running--
		s.forget(u)
	}
	return s.dispatchLocked()
}

// replayLocked walks the weighted round robin from the current turn over the queued jobs, as if
// every slot were free and no other run arrived, and calls visit with each job and its place
// (1 = next to start) until visit returns false. It costs O(queued jobs + users in the round).
func (s *Scheduler) replayLocked(visit func(q *queued, pos int) bool) {
	for e := s.ring.Front(); e != nil; e = e.Next() {
		e.Value.(*user).taken = 0
	}
	left := len(s.queued)
	pos := 0
	first := true
	e := s.cursor
	if e == nil {
		e = s.ring.Front()
	}
	for left > 0 && e != nil {
		u := e.Value.(*user)
		credit := u.weight
		if first && u.credit > 0 {
			credit = u.credit // the user whose turn it is keeps what is left of it
		}
		first = false
		for ; credit > 0 && u.taken < len(u.queue); credit-- {
			pos++
			left--
			if !visit(u.queue[u.taken], pos) {
				return
			}
			u.taken++
		}
		if e = e.Next(); e == nil {
			e = s.ring.Front()
		}
	}
}

// positionOfLocked returns the place in the fair order (replayLocked's) of the k-th queued job
// (from 0) of u, without walking the queue: it costs O(users in the round). In the replay, the
// user whose turn it is has c jobs in its first turn and w more a round; every other user w a
// round. u's k-th job falls in round r at offset k within u's own jobs, and the jobs ahead of
// it are, for each other user, those of its first r+1 turns when it comes before u in the
// round and of its first r turns when it comes after, as far as its queue reaches.
func (s *Scheduler) positionOfLocked(u *user, k int) int {
	start := s.cursor
	if start == nil {
		start = s.ring.Front()
	}
	// u's round.
	uFirst := start.Value.(*user) == u
	var r int
	if w := u.weight; uFirst {
		c := w
		if u.credit > 0 {
			c = u.credit
		}
		if k >= c {
			r = 1 + (k-c)/w
		}
	} else {
		r = k / w
	}
	// Each other user v places, by the end of its turn in round r' (r' = r before u in the
	// round's order, r-1 after), c + r'w jobs if its turn is the first (c its credit, or w),
	// else (r'+1)w: as far as its queue reaches. This loop is the cost of a Submit (BenchmarkSubmit).
	pos := k + 1
	rounds := r + 1 // v's turns by u's: r+1 before u, r after
	e := start
	for i := 0; i < s.ring.Len(); i++ {
		v := e.Value.(*user)
		switch {
		case v == u:
			rounds = r
		case e == start:
			c := v.weight
			if v.credit > 0 {
				c = v.credit
			}
			if rounds > 0 {
				pos += min(len(v.queue), c+(rounds-1)*v.weight)
			}
		default:
			pos += min(len(v.queue), rounds*v.weight)
		}
		if e = e.Next(); e == nil {
			e = s.ring.Front()
		}
	}
	return pos
}

// positionLocked returns a queued run's place in the fair order, or 0.
func (s *Scheduler) positionLocked(runID string) int {
	u, ok := s.queued[runID]
	if !ok {
		return 0
	}
	for k, q := range u.queue {
		if q.job.RunID() == runID {
			return s.positionOfLocked(u, k)
		}
	}
	return 0
}

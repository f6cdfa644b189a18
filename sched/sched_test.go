package sched_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/sched/schedtest"
)

// job is a hand-written fake: Execute records its start and blocks until released.
type job struct {
	id, owner, thread string
	tier              netra.Tier
	rec               *recorder
	release           chan struct{}
}

func (j *job) RunID() string    { return j.id }
func (j *job) Owner() string    { return j.owner }
func (j *job) Tier() netra.Tier { return j.tier }
func (j *job) ThreadID() string { return j.thread }
func (j *job) Execute(ctx context.Context) {
	j.rec.started(j)
	select {
	case <-j.release:
	case <-ctx.Done():
		j.rec.cause(j, context.Cause(ctx))
	}
}
func (j *job) Cancelled()                     { j.rec.cancelled(j) }
func (j *job) Moved(pos int, _ time.Duration) { j.rec.moved(j, pos) }

type recorder struct {
	mu     sync.Mutex
	starts []*job
	causes map[string]error
	cancel []string
	moves  map[string][]int
	ch     chan *job
}

func newRecorder() *recorder {
	return &recorder{causes: map[string]error{}, moves: map[string][]int{}, ch: make(chan *job, 10000)}
}

func (r *recorder) moved(j *job, pos int) {
	r.mu.Lock()
	r.moves[j.id] = append(r.moves[j.id], pos)
	r.mu.Unlock()
}
func (r *recorder) started(j *job) {
	r.mu.Lock()
	r.starts = append(r.starts, j)
	r.mu.Unlock()
	r.ch <- j
}
func (r *recorder) cause(j *job, err error) { r.mu.Lock(); r.causes[j.id] = err; r.mu.Unlock() }
func (r *recorder) cancelled(j *job)        { r.mu.Lock(); r.cancel = append(r.cancel, j.id); r.mu.Unlock() }

func (r *recorder) next(t *testing.T) *job {
	t.Helper()
	select {
	case j := <-r.ch:
		return j
	case <-time.After(5 * time.Second):
		t.Fatal("no job started")
		return nil
	}
}

// none checks that no job starts for a moment.
func (r *recorder) none(t *testing.T, why string) {
	t.Helper()
	select {
	case j := <-r.ch:
		t.Fatalf("%s started %s", j.id, why)
	case <-time.After(50 * time.Millisecond):
	}
}

func newSched(t *testing.T, cfg sched.Config) *sched.Scheduler {
	s := sched.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Start(context.Background())
	t.Cleanup(s.Stop)
	return s
}

func submit(t *testing.T, s *sched.Scheduler, rec *recorder, owner string, tier netra.Tier, thread string) (*job, int) {
	t.Helper()
	j := &job{id: netra.NewID("run_"), owner: owner, thread: thread, tier: tier, rec: rec, release: make(chan struct{})}
	release, err := s.Reserve(netra.Identity{UserID: owner, Tier: tier}, j.id)
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	defer release()
	return j, s.Submit(j)
}

func TestWeightsAreHonoured(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	big := map[netra.Tier]sched.Limit{netra.TierFree: {1, 1000}, netra.TierEnterprise: {1, 1000}}
	s := newSched(t, sched.Config{MaxRunning: 1, Limits: big})
	blocker, _ := submit(t, s, rec, "blocker", netra.TierFree, "thr_block")
	rec.next(t)
	for i := 0; i < 300; i++ {
		submit(t, s, rec, "ent", netra.TierEnterprise, fmt.Sprint("thr_e", i))
		submit(t, s, rec, "free", netra.TierFree, fmt.Sprint("thr_f", i))
	}
	close(blocker.release)
	counts := map[string]int{}
	for i := 0; i < 240; i++ {
		j := rec.next(t)
		counts[j.owner]++
		close(j.release)
	}
	// Enterprise weighs 5, free 1: 200 and 40 of 240 starts, within one round.
	if counts["ent"] < 195 || counts["ent"] > 205 || counts["free"] < 35 || counts["free"] > 45 {
		t.Fatalf("starts %v, want about ent 200 / free 40", counts)
	}
}

func TestNewUserStartsWithinOneRound(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 1, Limits: map[netra.Tier]sched.Limit{netra.TierEnterprise: {1, 1000}}})
	blocker, _ := submit(t, s, rec, "heavy", netra.TierEnterprise, "thr_0")
	rec.next(t)
	for i := 1; i < 200; i++ {
		submit(t, s, rec, "heavy", netra.TierEnterprise, fmt.Sprint("thr_", i))
	}
	_, pos := submit(t, s, rec, "light", netra.TierFree, "thr_light")
	if pos < 1 || pos > 6 {
		t.Fatalf("light user's position %d, want within one round (≤ 6)", pos)
	}
	close(blocker.release)
	for i := 0; i < 6; i++ {
		j := rec.next(t)
		close(j.release)
		if j.owner == "light" {
			if i+1 != pos {
				t.Errorf("started as %d, was told position %d", i+1, pos)
			}
			return
		}
	}
	t.Fatal("light user did not start within one round")
}

func TestLimitsFIFOAndThreads(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 10})
	// Free tier: one running, ten waiting.
	var jobs []*job
	for i := 0; i < 11; i++ {
		j, _ := submit(t, s, rec, "u", netra.TierFree, fmt.Sprint("thr_", i))
		jobs = append(jobs, j)
	}
	if _, err := s.Reserve(netra.Identity{UserID: "u", Tier: netra.TierFree}, "run_over"); netra.ErrorCode(err) != netra.CodeQueueFull {
		t.Fatalf("12th reserve: %v", err)
	}
	if r, q := s.Usage("u"); r != 1 || q != 10 {
		t.Fatalf("usage %d/%d", r, q)
	}
	for i := 0; i < 11; i++ { // FIFO within the user
		j := rec.next(t)
		if j != jobs[i] {
			t.Fatalf("start %d was %s", i, j.id)
		}
		close(j.release)
	}
	// One run per thread at a time, even when the tier allows more.
	a, _ := submit(t, s, rec, "m", netra.TierMid, "thr_same")
	b, pos := submit(t, s, rec, "m", netra.TierMid, "thr_same")
	if rec.next(t) != a || pos != 1 {
		t.Fatalf("second run on the thread: position %d", pos)
	}
	c, _ := submit(t, s, rec, "m", netra.TierMid, "thr_other")
	if rec.next(t) != c {
		t.Fatal("run on another thread did not start beside it")
	}
	close(a.release)
	if rec.next(t) != b {
		t.Fatal("second run on the thread did not follow the first")
	}
	close(b.release)
	close(c.release)
}

// StartIfFree starts a run only when Submit would have started it at once; otherwise it
// changes nothing and leaves the run's reservation for a later Submit.
func TestStartIfFree(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 4})
	reserve := func(owner string, tier netra.Tier, thread string) *job {
		t.Helper()
		j := &job{id: netra.NewID("run_"), owner: owner, thread: thread, tier: tier, rec: rec, release: make(chan struct{})}
		if _, err := s.Reserve(netra.Identity{UserID: owner, Tier: tier}, j.id); err != nil {
			t.Fatalf("Reserve: %v", err)
		}
		return j
	}
	expect := func(j *job, want bool, why string) {
		t.Helper()
		running, queued := s.Usage(j.owner)
		if got := s.StartIfFree(j); got != want {
			t.Fatalf("StartIfFree %s: %v, want %v", why, got, want)
		}
		if r, q := s.Usage(j.owner); !want && (r != running || q != queued) {
			t.Fatalf("StartIfFree %s changed %s's running/queued from %d/%d to %d/%d", why, j.owner, running, queued, r, q)
		}
		if want && rec.next(t) != j {
			t.Fatalf("another job started than the one started at once (%s)", why)
		}
	}
	submitted := func(j *job) { // its reservation stayed, and it waits
		t.Helper()
		if pos := s.Submit(j); pos < 1 {
			t.Fatalf("%s submitted at position %d, want it queued", j.id, pos)
		}
	}
	a := reserve("u1", netra.TierFree, "thr_a")
	expect(a, true, "with slots free and nothing queued")
	b := reserve("u1", netra.TierFree, "thr_b")
	expect(b, false, "beyond the free tier's one running run")
	submitted(b)
	c := reserve("u2", netra.TierMid, "thr_c")
	expect(c, true, "beside another user's run")
	d := reserve("u2", netra.TierMid, "thr_c")
	expect(d, false, "on a thread with a run under way")
	submitted(d)
	rec.none(t, "while d's thread is busy")
	e := reserve("u2", netra.TierMid, "thr_e")
	expect(e, true, "past its user's run that waits for its thread, as Submit would")
	f := reserve("u3", netra.TierMid, "thr_f")
	expect(f, true, "in the last free slot")
	g := reserve("u4", netra.TierMid, "thr_g")
	expect(g, false, "with no slot free")
	expect(&job{id: "run_unreserved", owner: "u4", thread: "thr_z", tier: netra.TierMid, rec: rec}, false, "without a reservation")
	close(f.release)
	deadline := time.Now().Add(5 * time.Second)
	for r, _ := s.Usage("u3"); r != 0; r, _ = s.Usage("u3") {
		if time.Now().After(deadline) {
			t.Fatal("f's slot was not freed")
		}
		time.Sleep(time.Millisecond)
	}
	s.Drain()
	expect(g, false, "while the scheduler drains for a stop")
	if r, q := s.Usage("u4"); r != 0 || q != 0 {
		t.Fatalf("g left u4 with %d running, %d queued", r, q)
	}
	close(a.release)
	close(c.release)
	close(e.release)
}

func TestCancelAndStop(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := sched.New(sched.Config{MaxRunning: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Start(context.Background())
	running, _ := submit(t, s, rec, "u", netra.TierEarly, "thr_1")
	rec.next(t)
	queued, _ := submit(t, s, rec, "u", netra.TierEarly, "thr_2")
	if !s.Cancel(queued.id) || s.Position(queued.id) != 0 {
		t.Fatal("queued run not cancelled")
	}
	if !s.Cancel(running.id) {
		t.Fatal("running run not cancelled")
	}
	if s.Cancel("run_unknown") {
		t.Fatal("unknown run reported cancelled")
	}
	// A cancel that arrives between Reserve and Submit ends the run at Submit.
	j := &job{id: "run_raced", owner: "u", thread: "thr_3", tier: netra.TierEarly, rec: rec, release: make(chan struct{})}
	if _, err := s.Reserve(netra.Identity{UserID: "u", Tier: netra.TierEarly}, j.id); err != nil {
		t.Fatal(err)
	}
	if !s.Cancel(j.id) || s.Submit(j) != 0 {
		t.Fatal("reserved run not cancelled")
	}
	long, _ := submit(t, s, rec, "v", netra.TierFree, "thr_4")
	rec.next(t)
	s.Stop()
	s.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		done := len(rec.cancel) == 2 && rec.causes[running.id] != nil && rec.causes[long.id] != nil
		rec.mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cancelled %v causes %v", rec.cancel, rec.causes)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rec.causes[running.id] != sched.ErrCancelled || rec.causes[long.id] != sched.ErrShutdown {
		t.Fatalf("causes %v", rec.causes)
	}
	if _, err := s.Reserve(netra.Identity{UserID: "w", Tier: netra.TierFree}, "run_late"); netra.ErrorCode(err) != netra.CodeUnavailable {
		t.Fatalf("reserve after stop: %v", err)
	}
}

func TestPositionChangesAreAnnounced(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 1, PositionInterval: 20 * time.Millisecond})
	first, _ := submit(t, s, rec, "a", netra.TierFree, "thr_a1")
	rec.next(t)
	_, p1 := submit(t, s, rec, "a", netra.TierFree, "thr_a2")
	late, p2 := submit(t, s, rec, "a", netra.TierFree, "thr_a3")
	if p1 != 1 || p2 != 2 {
		t.Fatalf("positions %d %d", p1, p2)
	}
	// Another user's arrival puts its run between a's two: late moves from 2 to 3.
	submit(t, s, rec, "b", netra.TierFree, "thr_b1")
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		m := append([]int(nil), rec.moves[late.id]...)
		rec.mu.Unlock()
		if len(m) > 0 {
			if m[0] != 3 || len(m) != 1 {
				t.Fatalf("late's moves %v, want [3]", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no move announced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(first.release)
	second := rec.next(t)
	close(second.release)
	// After the start, late is 2nd again (b's run is next): announced once more.
	deadline = time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		m := append([]int(nil), rec.moves[late.id]...)
		rec.mu.Unlock()
		if len(m) >= 2 {
			if m[1] >= 3 {
				t.Fatalf("moves %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moves %v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNoStarvationWithManyUsers: 1,000 light users with a run each and a heavy user with
// hundreds. Every run starts, and the heavy user never starts more than its weight's worth
// (5) between two light users' runs. One slot, so that the order the jobs record is exactly
// the order the scheduler chose (with several slots it would also measure goroutine timing).
func TestNoStarvationWithManyUsers(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 1, Limits: map[netra.Tier]sched.Limit{netra.TierEnterprise: {5, 1000}}})
	const light = 1000
	total := 0
	for i := 0; i < 500; i++ {
		submit(t, s, rec, "heavy", netra.TierEnterprise, fmt.Sprint("thr_h", i))
		total++
	}
	for i := 0; i < light; i++ {
		submit(t, s, rec, fmt.Sprint("light-", i), netra.TierFree, fmt.Sprint("thr_l", i))
		total++
	}
	heavyStarts, lightStarts, worstHeavyBetween, sinceLight := 0, 0, 0, 0
	var order []string
	for n := 0; n < total; n++ {
		j := rec.next(t)
		order = append(order, j.owner)
		if j.owner == "heavy" {
			heavyStarts++
			sinceLight++
		} else {
			lightStarts++
			worstHeavyBetween = max(worstHeavyBetween, sinceLight)
			sinceLight = 0
		}
		close(j.release)
	}
	if lightStarts != light || heavyStarts != 500 {
		t.Fatalf("started %d light and %d heavy runs", lightStarts, heavyStarts)
	}
	// The heavy user's first run started alone (its queue was empty for a moment, so the next
	// one began a fresh turn of 5): 1 + 5 before the first light run, then none between light
	// runs until every light user has had its turn.
	if worstHeavyBetween > 1+5 {
		t.Fatalf("the heavy user started %d runs between two light ones; order %v", worstHeavyBetween, order[:min(len(order), 80)])
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("slots not returned: %d running", s.Running())
		}
		time.Sleep(time.Millisecond)
	}
	if r, q := s.Usage("heavy"); r != 0 || q != 0 {
		t.Fatalf("heavy usage after all: %d %d", r, q)
	}
}

// TestNewcomersCutATurnOnceAndNeverStarve: a user whose queue was empty starts after one
// start of the user whose turn it is, not after its whole weight; and light users who keep
// coming back cannot take a backlogged heavy user's share: it still gets its weight's worth
// of starts per round, and they get theirs.
// Shown to catch: light users starved once the heavy user is backlogged, and light users who
// keep coming back taking the heavy user's share.
func TestNewcomersCutATurnOnceAndNeverStarve(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 1, Limits: map[netra.Tier]sched.Limit{netra.TierEnterprise: {1, 1000}, netra.TierFree: {1, 1000}}})
	blocker, _ := submit(t, s, rec, "blocker", netra.TierFree, "thr_b")
	rec.next(t)
	for i := 0; i < 400; i++ {
		submit(t, s, rec, "heavy", netra.TierEnterprise, fmt.Sprint("thr_h", i))
	}
	close(blocker.release)
	first := rec.next(t) // heavy's turn has started one run
	if first.owner != "heavy" {
		t.Fatalf("%s started", first.owner)
	}
	_, pos := submit(t, s, rec, "light-0", netra.TierFree, "thr_l0_0")
	if pos != 1 {
		t.Fatalf("newcomer's position %d, want 1 (right after the one start)", pos)
	}
	close(first.release)
	if j := rec.next(t); j.owner != "light-0" {
		t.Fatalf("after the cut, %s started", j.owner)
	} else {
		close(j.release)
	}
	// Three light users who submit again whenever their run starts.
	counts := map[string]int{}
	seq := map[string]int{}
	lastStart := map[string]int{}
	for i := 1; i <= 3; i++ {
		submit(t, s, rec, fmt.Sprint("light-", i), netra.TierFree, fmt.Sprint("thr_l", i, "_0"))
		lastStart[fmt.Sprint("light-", i)] = -1
	}
	for n := 0; n < 240; n++ {
		j := rec.next(t)
		counts[j.owner]++
		if j.owner != "heavy" {
			// Both ways: a light user is not starved either; it starts once a round.
			if gap := n - lastStart[j.owner]; gap > 9 {
				t.Fatalf("%s waited %d starts (a round is 8) at start %d: %v", j.owner, gap, n, counts)
			}
			lastStart[j.owner] = n
			seq[j.owner]++
			submit(t, s, rec, j.owner, netra.TierFree, fmt.Sprint("thr_", j.owner, "_", seq[j.owner]))
		}
		close(j.release)
	}
	// Per round: heavy 5, each light 1 (8 starts): heavy about 150 of 240, each light about 30.
	if counts["heavy"] < 140 || counts["heavy"] > 160 {
		t.Fatalf("heavy started %d of 240 while light users kept coming back: %v", counts["heavy"], counts)
	}
	for i := 1; i <= 3; i++ {
		if gap := 240 - lastStart[fmt.Sprint("light-", i)]; gap > 9 {
			t.Fatalf("light-%d has not started in the last %d starts: %v", i, gap, counts)
		}
		if n := counts[fmt.Sprint("light-", i)]; n < 27 || n > 33 {
			t.Fatalf("light-%d started %d of 240, want about 30: %v", i, n, counts)
		}
	}
}

// TestDrainStartsNothingQueued: once drained, a freed slot starts no queued job and new
// reservations are refused, while the running job goes on to its end.
// Shown to catch: a shutdown that keeps feeding queued runs into freed slots.
func TestDrainStartsNothingQueued(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := newSched(t, sched.Config{MaxRunning: 1})
	running, _ := submit(t, s, rec, "u", netra.TierEnterprise, "thr_1")
	rec.next(t)
	for i := 2; i < 5; i++ {
		submit(t, s, rec, "u", netra.TierEnterprise, fmt.Sprint("thr_", i))
	}
	s.Drain()
	if _, err := s.Reserve(netra.Identity{UserID: "w", Tier: netra.TierFree}, "run_late"); netra.ErrorCode(err) != netra.CodeUnavailable {
		t.Fatalf("Reserve after Drain: %v, want unavailable", err)
	}
	close(running.release)
	select {
	case j := <-rec.ch:
		t.Fatalf("job %s started after Drain", j.id)
	case <-time.After(200 * time.Millisecond):
	}
	if s.Running() != 0 || s.Queued() != 3 {
		t.Fatalf("running %d, queued %d; want 0 and 3", s.Running(), s.Queued())
	}
}

// placed is a job that executes on a cluster node.
type placed struct {
	*job
	node string
}

func (p placed) Node() string { return p.node }

// A cluster's leader starts a placed job only while its node has a free slot, however many
// slots the others have; and a job it finds running counts against its user's limit.
func TestNodeSlots(t *testing.T) {
	s := newSched(t, sched.Config{Limits: map[netra.Tier]sched.Limit{netra.TierEnterprise: {Running: 5, Queued: 50}}})
	rec := newRecorder()
	s.SetNode("a", 1)
	s.SetNode("b", 2)
	if got := s.Slots(); got != 3 {
		t.Fatalf("slots %d, want the nodes' 3", got)
	}
	mk := func(id, user, node string) placed {
		return placed{&job{id: id, owner: user, thread: id, tier: netra.TierEnterprise, rec: rec, release: make(chan struct{})}, node}
	}
	submit := func(j sched.Job) {
		release, err := s.Reserve(netra.Identity{UserID: j.Owner(), Tier: j.Tier()}, j.RunID())
		if err != nil {
			t.Fatal(err)
		}
		_ = release
		s.Submit(j)
	}
	a1, a2, b1 := mk("a1", "u", "a"), mk("a2", "v", "a"), mk("b1", "w", "b")
	submit(a1)
	submit(a2)
	submit(b1)
	got := map[string]bool{rec.next(t).id: true, rec.next(t).id: true}
	if !got["a1"] || !got["b1"] {
		t.Fatalf("started %v, want a1 and b1 (a has one slot)", got)
	}
	rec.none(t, "while its node's slot was taken")
	close(a1.release)
	if j := rec.next(t); j.id != "a2" {
		t.Fatalf("started %s, want a2 once a's slot was free", j.id)
	}

	// A job found running counts: the free user's one running run blocks its next.
	free := func(id string) placed {
		return placed{&job{id: id, owner: "f", thread: id, tier: netra.TierFree, rec: rec, release: make(chan struct{})}, "b"}
	}
	r1, q1 := free("r1"), free("q1")
	s.Resumed(r1)
	if j := rec.next(t); j.id != "r1" {
		t.Fatalf("resumed %s, want r1 followed", j.id)
	}
	submit(q1)
	if running, _ := s.Usage("f"); running != 1 {
		t.Fatalf("f runs %d, want the resumed 1", running)
	}
	rec.none(t, "beside the free user's resumed run")
	close(r1.release)
	if j := rec.next(t); j.id != "q1" {
		t.Fatalf("started %s, want q1 after r1 ended", j.id)
	}
	close(a2.release)
	close(b1.release)
	close(q1.release)
}

// TestNodeFullKeepsTurns: in a cluster, slots free on other nodes do not cost a user whose
// node is full its turn. A newcomer queued behind a heavy user on a full node starts within
// one round of the heavy user's (its weight in starts), not after its whole queue.
func TestNodeFullKeepsTurns(t *testing.T) {
	s := newSched(t, sched.Config{MaxRunning: 1 << 30})
	rec := newRecorder()
	s.SetNode("x", 2)
	s.SetNode("y", 2)
	s.SetNode("z", 2)
	var heavy []placed
	for i := range 40 {
		j := placed{&job{id: fmt.Sprintf("h%d", i), owner: "hugo", thread: fmt.Sprintf("h%d", i), tier: netra.TierEnterprise, rec: rec, release: make(chan struct{})}, "x"}
		heavy = append(heavy, j)
		if _, err := s.Reserve(netra.Identity{UserID: "hugo", Tier: netra.TierEnterprise}, j.id); err != nil {
			t.Fatal(err)
		}
		s.Submit(j)
	}
	rec.next(t)
	rec.next(t)
	n := placed{&job{id: "n0", owner: "nina", thread: "n0", tier: netra.TierFree, rec: rec, release: make(chan struct{})}, "x"}
	if _, err := s.Reserve(netra.Identity{UserID: "nina", Tier: netra.TierFree}, "n0"); err != nil {
		t.Fatal(err)
	}
	s.Submit(n)
	// One round: the heavy user's weight (5) of starts at most, then the newcomer's.
	for k := 0; ; k++ {
		close(heavy[k].release)
		j := rec.next(t)
		if j.id == "n0" {
			break
		}
		if k >= 5 {
			t.Fatalf("the newcomer waits beyond one round: %d heavy starts", k+1)
		}
	}
	for _, h := range heavy {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
	}
	close(n.release)
}

// TestSuite: the lone node's scheduler passes the suite every scheduler passes.
func TestSuite(t *testing.T) {
	schedtest.Run(t, func(t *testing.T) schedtest.Scheduler { return newSched(t, sched.Config{MaxRunning: 4}) })
}

// On a cluster's scheduler, a run starts at once only on its own node, when that node has a
// free slot, whatever room the other nodes have; a job that is not placed never does.
func TestStartIfFreeOnNodes(t *testing.T) {
	t.Parallel()
	s := newSched(t, sched.Config{})
	rec := newRecorder()
	s.SetNode("a", 1)
	s.SetNode("b", 1)
	reserve := func(id, node string) placed {
		t.Helper()
		j := placed{&job{id: id, owner: "u-" + id, thread: id, tier: netra.TierEnterprise, rec: rec, release: make(chan struct{})}, node}
		if _, err := s.Reserve(netra.Identity{UserID: j.owner, Tier: j.tier}, id); err != nil {
			t.Fatal(err)
		}
		return j
	}
	a1, a2, b1 := reserve("a1", "a"), reserve("a2", "a"), reserve("b1", "b")
	if !s.StartIfFree(a1) || rec.next(t) != a1.job {
		t.Fatal("a1 did not start at once on its free node")
	}
	if s.StartIfFree(a2) {
		t.Fatal("a2 started at once on a node with no free slot (b had one)")
	}
	if s.StartIfFree(b1.job) {
		t.Fatal("a job that is not placed started at once on a cluster's scheduler")
	}
	if !s.StartIfFree(b1) || rec.next(t) != b1.job {
		t.Fatal("b1 did not start at once on its free node")
	}
	if pos := s.Submit(a2); pos != 1 {
		t.Fatalf("a2 submitted at position %d, want 1: its reservation stayed", pos)
	}
	close(a1.release)
	if rec.next(t) != a2.job {
		t.Fatal("a2 did not start when a's slot was free")
	}
	close(a2.release)
	close(b1.release)
}

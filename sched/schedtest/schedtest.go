// Package schedtest is the suite every scheduler the server can be given passes: the lone
// node's *sched.Scheduler and a cluster node's *cluster.Member, which asks its leader for
// each answer. It checks what the server relies on: the tier bounds at Reserve, starts
// within the running limit and one run per thread, positions, cancellation of queued and
// running runs, and the views (usage, owner, live runs, users).
package schedtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/server"
)

// Scheduler is the server's view of a scheduler.
type Scheduler = server.Scheduler

// Job is a hand-written job: Execute reports its start and blocks until released or
// cancelled.
type Job struct {
	ID, User, Thread string
	TierOf           netra.Tier
	release          chan struct{}
	started          chan struct{}
	ended            chan error // the cause of Execute's context, or nil when released
	cancelled        chan struct{}
	once             sync.Once
}

// NewJob returns a job of user on thread.
func NewJob(id, user, thread string, tier netra.Tier) *Job {
	return &Job{ID: id, User: user, Thread: thread, TierOf: tier, release: make(chan struct{}), started: make(chan struct{}),
		ended: make(chan error, 1), cancelled: make(chan struct{})}
}

func (j *Job) RunID() string            { return j.ID }
func (j *Job) Owner() string            { return j.User }
func (j *Job) Tier() netra.Tier         { return j.TierOf }
func (j *Job) ThreadID() string         { return j.Thread }
func (j *Job) Agent() string            { return "echo" }
func (j *Job) Silence()                 {}
func (j *Job) Moved(int, time.Duration) {}
func (j *Job) Cancelled()               { close(j.cancelled) }
func (j *Job) Release()                 { j.once.Do(func() { close(j.release) }) }
func (j *Job) Execute(ctx context.Context) {
	close(j.started)
	select {
	case <-j.release:
		j.ended <- nil
	case <-ctx.Done():
		j.ended <- context.Cause(ctx)
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
}

func quiet(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s happened", what)
	case <-time.After(100 * time.Millisecond):
	}
}

// Run runs the suite on the scheduler make returns, a fresh one for each test (started, with
// at least 4 slots, the default tier limits, and stopped by make's cleanup).
func Run(t *testing.T, make func(t *testing.T) Scheduler) {
	submit := func(t *testing.T, s Scheduler, j *Job) int {
		t.Helper()
		if _, err := s.Reserve(netra.Identity{UserID: j.User, Tier: j.TierOf}, j.ID); err != nil {
			t.Fatalf("reserve %s: %v", j.ID, err)
		}
		return s.Submit(j)
	}
	t.Run("TierBounds", func(t *testing.T) {
		s := make(t)
		lim := s.Limit(netra.TierFree)
		if lim != sched.DefaultLimits()[netra.TierFree] {
			t.Fatalf("free limit %+v, want the default %+v", lim, sched.DefaultLimits()[netra.TierFree])
		}
		first := NewJob("run_b0", "bea", "thr_b0", netra.TierFree)
		submit(t, s, first)
		wait(t, first.started, "the first run's start")
		var jobs []*Job
		for i := range lim.Queued {
			j := NewJob(fmt.Sprintf("run_b%d", i+1), "bea", fmt.Sprintf("thr_b%d", i+1), netra.TierFree)
			jobs = append(jobs, j)
			if pos := submit(t, s, j); pos != i+1 {
				t.Fatalf("run %d waits at %d, want %d", i+1, pos, i+1)
			}
		}
		_, err := s.Reserve(netra.Identity{UserID: "bea", Tier: netra.TierFree}, "run_over")
		if netra.ErrorCode(err) != netra.CodeQueueFull {
			t.Fatalf("reserving past the queue bound: %v, want queue_full", err)
		}
		if running, queued := s.Usage("bea"); running != 1 || queued != lim.Queued {
			t.Fatalf("usage %d running, %d queued; want 1 and %d", running, queued, lim.Queued)
		}
		// A released reservation gives its place back.
		if !s.Cancel(jobs[0].ID) {
			t.Fatal("cancelling a queued run answered unknown")
		}
		wait(t, jobs[0].cancelled, "the queued run's cancellation")
		release, err := s.Reserve(netra.Identity{UserID: "bea", Tier: netra.TierFree}, "run_again")
		if err != nil {
			t.Fatalf("a place freed by a cancellation: %v", err)
		}
		release()
		if _, err := s.Reserve(netra.Identity{UserID: "bea", Tier: netra.TierFree}, "run_again2"); err != nil {
			t.Fatalf("a place freed by a release: %v", err)
		}
		first.Release()
		for _, j := range jobs[1:] {
			s.Cancel(j.ID)
		}
	})
	t.Run("ReserveOrStart", func(t *testing.T) {
		s := make(t)
		st, ok := s.(interface {
			ReserveOrStart(id netra.Identity, j sched.Job) (release func(), started bool, err error)
		})
		if !ok {
			t.Skip("this scheduler starts no run before it is stored")
		}
		dan := netra.Identity{UserID: "dan", Tier: netra.TierFree}
		a := NewJob("run_d1", "dan", "thr_d1", netra.TierFree)
		if _, started, err := st.ReserveOrStart(dan, a); err != nil || !started {
			t.Fatalf("with slots free: started %v, %v; want started", started, err)
		}
		wait(t, a.started, "the run started at once")
		if running, queued := s.Usage("dan"); running != 1 || queued != 0 {
			t.Fatalf("usage %d running, %d queued; want 1 and 0", running, queued)
		}
		// Beyond the free tier's one running run: reserved, not started; submitted once
		// stored, it waits for the first.
		b := NewJob("run_d2", "dan", "thr_d2", netra.TierFree)
		if _, started, err := st.ReserveOrStart(dan, b); err != nil || started {
			t.Fatalf("beyond the running limit: started %v, %v; want reserved", started, err)
		}
		quiet(t, b.started, "the second run's start beside the first")
		if pos := s.Submit(b); pos != 1 {
			t.Fatalf("the reserved run submitted at %d, want 1", pos)
		}
		a.Release()
		wait(t, b.started, "the second run's start after the first")
		b.Release()
		// A refusal starts nothing and reserves nothing.
		lim := s.Limit(netra.TierFree)
		var held []*Job
		for i := range lim.Queued + 1 {
			j := NewJob(fmt.Sprintf("run_e%d", i), "eve", fmt.Sprintf("thr_e%d", i), netra.TierFree)
			held = append(held, j)
			if i == 0 {
				if _, started, err := st.ReserveOrStart(netra.Identity{UserID: "eve", Tier: netra.TierFree}, j); err != nil || !started {
					t.Fatalf("eve's first run: started %v, %v", started, err)
				}
				continue
			}
			submit(t, s, j)
		}
		over := NewJob("run_e_over", "eve", "thr_e_over", netra.TierFree)
		if _, started, err := st.ReserveOrStart(netra.Identity{UserID: "eve", Tier: netra.TierFree}, over); netra.ErrorCode(err) != netra.CodeQueueFull || started {
			t.Fatalf("past the queue bound: started %v, %v; want queue_full", started, err)
		}
		quiet(t, over.started, "a refused run's start")
		for _, j := range held {
			j.Release()
			s.Cancel(j.ID)
		}
	})
	t.Run("StartsAndPositions", func(t *testing.T) {
		s := make(t)
		a := NewJob("run_c1", "cai", "thr_c", netra.TierEarly)
		b := NewJob("run_c2", "cai", "thr_c", netra.TierEarly) // the same thread: waits for a
		c := NewJob("run_c3", "cai", "thr_c3", netra.TierEarly)
		if pos := submit(t, s, a); pos != 0 {
			t.Fatalf("the first run waits at %d, want 0 (started)", pos)
		}
		wait(t, a.started, "the first run's start")
		if pos := submit(t, s, b); pos != 1 {
			t.Fatalf("a second run of a busy thread at %d, want 1", pos)
		}
		submit(t, s, c) // another thread: starts (early runs 2 at once)
		wait(t, c.started, "a run of another thread")
		quiet(t, b.started, "a second run of a busy thread starting")
		if got := s.Position(b.ID); got != 1 {
			t.Fatalf("position %d, want 1", got)
		}
		if got := s.ActiveInThread("cai", "thr_c"); !slices.Contains(got, a.ID) || !slices.Contains(got, b.ID) || len(got) != 2 {
			t.Fatalf("active in the thread %v, want %s and %s", got, a.ID, b.ID)
		}
		if owner, ok := s.Owner(b.ID); !ok || owner != "cai" {
			t.Fatalf("owner %q %v", owner, ok)
		}
		if _, ok := s.Owner("run_nobody"); ok {
			t.Fatal("an unknown run has an owner")
		}
		live := s.Live()
		if len(live) != 3 || !live[0].Running || !live[1].Running || live[2].Running || live[2].RunID != b.ID || live[2].Position != 1 || live[2].Agent != "echo" {
			t.Fatalf("live %+v, want two running, then %s at 1", live, b.ID)
		}
		users := s.Users()
		if len(users) != 1 || users[0].UserID != "cai" || users[0].Running != 2 || users[0].Queued != 1 {
			t.Fatalf("users %+v", users)
		}
		a.Release()
		wait(t, b.started, "the thread's next run once the first ended")
		b.Release()
		c.Release()
	})
	t.Run("Cancel", func(t *testing.T) {
		s := make(t)
		r := NewJob("run_d1", "dov", "thr_d1", netra.TierMid)
		submit(t, s, r)
		wait(t, r.started, "the run's start")
		if !s.Cancel(r.ID) {
			t.Fatal("cancelling a running run answered unknown")
		}
		select {
		case cause := <-r.ended:
			if !errors.Is(cause, sched.ErrCancelled) {
				t.Fatalf("the run's context ended with %v, want sched.ErrCancelled", cause)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the running run was not cancelled")
		}
		if s.Cancel("run_unknown") {
			t.Fatal("cancelling an unknown run answered known")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if running, _ := s.Usage("dov"); running == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the cancelled run still counts as running")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

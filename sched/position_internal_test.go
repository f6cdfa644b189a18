package sched

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netra-ai/netra"
)

type idleJob struct{ id, owner, thread string }

func (j idleJob) RunID() string          { return j.id }
func (j idleJob) Owner() string          { return j.owner }
func (j idleJob) Tier() netra.Tier       { return netra.TierFree }
func (j idleJob) ThreadID() string       { return j.thread }
func (idleJob) Execute(context.Context)  {}
func (idleJob) Cancelled()               {}
func (idleJob) Moved(int, time.Duration) {}

// TestPositionFormulaMatchesReplay: the O(users) position of a queued run equals its place in
// the replay of the fair order, over random queues, tiers, turns and credits.
// Shown to catch: an off-by-one in the first turn's credit (the cursor user's c jobs).
func TestPositionFormulaMatchesReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tiers := []netra.Tier{netra.TierFree, netra.TierEarly, netra.TierMid, netra.TierEnterprise}
	for trial := 0; trial < 300; trial++ {
		s := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil))) // not started: nothing runs
		users := 1 + rng.IntN(12)
		for n := rng.IntN(200); n > 0; n-- {
			u := fmt.Sprint("u", rng.IntN(users))
			tier := tiers[rng.IntN(len(tiers))]
			j := idleJob{id: netra.NewID("run_"), owner: u, thread: netra.NewID("thr_")}
			s.mu.Lock()
			usr := s.userOf(u, tier)
			usr.queue = append(usr.queue, &queued{job: j})
			s.queued[j.id] = usr
			if usr.elem == nil {
				s.joinLocked(usr)
			}
			s.mu.Unlock()
		}
		s.mu.Lock()
		if s.ring.Len() > 0 && rng.IntN(2) == 0 {
			// A turn in progress: a cursor somewhere, with some credit left.
			k := rng.IntN(s.ring.Len())
			e := s.ring.Front()
			for ; k > 0; k-- {
				e = e.Next()
			}
			s.cursor = e
			u := e.Value.(*user)
			u.credit = rng.IntN(s.cfg.Weights[u.tier] + 1)
		}
		want := map[string]int{}
		s.replayLocked(func(q *queued, pos int) bool { want[q.job.RunID()] = pos; return true })
		for id, u := range s.queued {
			if got := s.positionLocked(id); got != want[id] {
				t.Fatalf("trial %d: run of %s (tier %s, credit %d, cursor %v): formula %d, replay %d",
					trial, u.id, u.tier, u.credit, s.cursor != nil && s.cursor.Value.(*user) == u, got, want[id])
			}
		}
		s.mu.Unlock()
	}
}

// TestAnnounceRule is contract v1 rev. 1.1's rule for run_queued updates.
func TestAnnounceRule(t *testing.T) {
	for _, c := range []struct {
		last, pos int
		want      bool
	}{
		{5, 5, false}, {5, 4, true}, {10, 9, true}, {11, 10, true}, {9, 11, false}, // the first 10
		{100, 51, false}, {100, 50, true}, {100, 99, false}, {1000, 500, true}, {1000, 501, false}, // halved
		{100, 150, false}, {100, 151, true}, {20, 31, true}, {20, 30, false}, // pushed back by half
	} {
		if got := Announce(c.last, c.pos); got != c.want {
			t.Errorf("Announce(last %d, pos %d) = %v, want %v", c.last, c.pos, got, c.want)
		}
	}
}

// movesJob records the positions it is told.
type movesJob struct {
	idleJob
	moves *[]int
}

func (j movesJob) Moved(pos int, _ time.Duration) { *j.moves = append(*j.moves, pos) }

// TestAnnouncementsFollowTheRule drains 1,000 queued runs of 10 users through one slot, with
// a position tick after every start (the most often there can be one), and 200 runs of a
// newcomer arriving half way: every update a run hears obeys Announce, is its exact place at
// that moment, and no run hears more than 30 over its whole wait, against about 1,000 under
// "every change" (contract v1 rev. 1.1). A run pushed back by more than half hears of it.
// Shown to catch: announcing every change (a run hears its position at each start).
func TestAnnouncementsFollowTheRule(t *testing.T) {
	s := New(Config{MaxRunning: 1, Limits: map[netra.Tier]Limit{netra.TierFree: {1, 10_000}}},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	moves := map[string]*[]int{}
	first := map[string]int{}
	submit := func(owner string, n int) {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("run_%s_%d", owner, i)
			m := &[]int{}
			moves[id] = m
			if _, err := s.Reserve(netra.Identity{UserID: owner, Tier: netra.TierFree}, id); err != nil {
				t.Fatal(err)
			}
			first[id] = s.Submit(movesJob{idleJob{id: id, owner: owner, thread: "thr_" + id}, m}) // not started: no start yet
		}
	}
	for u := 0; u < 10; u++ {
		submit(fmt.Sprint("u", u), 100)
	}
	s.ctx = context.Background()
	s.mu.Lock()
	cur := s.dispatchLocked()
	s.mu.Unlock()
	started := 0
	var maxHeard int
	pushedBack := false
	for len(cur) == 1 {
		// The exact places now, to compare with what is told.
		s.mu.Lock()
		want := map[string]int{}
		s.replayLocked(func(q *queued, pos int) bool { want[q.job.RunID()] = pos; return true })
		told := map[string]int{}
		for id := range want {
			told[id] = len(*moves[id])
		}
		s.mu.Unlock()
		s.announce()
		for id, pos := range want {
			m := *moves[id]
			if len(m) == told[id] {
				continue
			}
			last := first[id]
			if told[id] > 0 {
				last = m[told[id]-1]
			}
			if got := m[len(m)-1]; got != pos || !Announce(last, got) || len(m) != told[id]+1 {
				t.Fatalf("run %s was told %v after %d, at place %d", id, m[told[id]:], last, pos)
			}
			if pos > 2*last {
				pushedBack = true
			}
		}
		started++
		if started == 500 {
			s.ctx = nil // submit without starting
			submit("newcomer", 200)
			s.ctx = context.Background()
		}
		s.mu.Lock()
		cur = s.finishLocked(cur[0])
		s.mu.Unlock()
		s.wg.Done()
	}
	if len(s.queued) != 0 || started != 1200 {
		t.Fatalf("%d started, %d left", started, len(s.queued))
	}
	for id, m := range moves {
		maxHeard = max(maxHeard, len(*m))
		if len(*m) > 30 {
			t.Fatalf("run %s heard %d updates: %v", id, len(*m), *m)
		}
	}
	if !pushedBack {
		t.Fatal("no run was pushed back by the newcomer: the test did not test that")
	}
	t.Logf("%d runs, at most %d updates each", len(moves), maxHeard)
}

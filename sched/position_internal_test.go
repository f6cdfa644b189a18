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
			usr.queue = append(usr.queue, j)
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
		s.replayLocked(func(j Job, pos int) bool { want[j.RunID()] = pos; return true })
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

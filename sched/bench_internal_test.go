package sched

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/netra-ai/netra"
)

// queuedScheduler returns a started scheduler with one slot, one job running and queued jobs
// waiting, spread evenly over users (each a thread of its own).
func queuedScheduler(b *testing.B, depth, users int) (*Scheduler, []*running) {
	big := map[netra.Tier]Limit{netra.TierFree: {1, depth + 1}}
	s := New(Config{MaxRunning: 1, Limits: big}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.ctx = context.Background() // started, without the position ticker
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i <= depth; i++ {
		u := s.userOf(fmt.Sprint("u", i%users), netra.TierFree)
		j := idleJob{id: fmt.Sprint("run_", i), owner: u.id, thread: fmt.Sprint("thr_", i)}
		u.queue = append(u.queue, &queued{job: j})
		s.queued[j.id] = u
		if u.elem == nil {
			s.joinLocked(u)
		}
	}
	return s, s.dispatchLocked()
}

// BenchmarkStart is the scheduler's cost per start with a deep queue: a run ends, its slot
// goes to the next run in the fair order, and a new run joins the queue (so that its depth
// stays the same). The cost must not grow with the queued runs or the waiting users.
func BenchmarkStart(b *testing.B) {
	for _, c := range []struct{ queued, users int }{{100, 10}, {10_000, 1_000}, {1_000_000, 100_000}} {
		b.Run(fmt.Sprintf("queued=%d/users=%d", c.queued, c.users), func(b *testing.B) {
			s, starts := queuedScheduler(b, c.queued, c.users)
			next := c.queued + 1
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := starts[0]
				s.mu.Lock()
				starts = s.finishLocked(r)
				u := s.userOf(r.job.Owner(), netra.TierFree)
				j := idleJob{id: fmt.Sprint("run_", next), owner: u.id, thread: fmt.Sprint("thr_", next)}
				next++
				u.queue = append(u.queue, &queued{job: j})
				s.queued[j.id] = u
				if u.elem == nil {
					s.joinLocked(u)
				}
				starts = append(starts, s.dispatchLocked()...)
				s.mu.Unlock()
				s.wg.Done()
				if len(starts) != 1 {
					b.Fatalf("%d starts", len(starts))
				}
			}
		})
	}
}

// BenchmarkAnnounce is the cost of one tick of position updates (once a second), which walks
// the queue once: it grows with the queue, unlike the cost per start.
func BenchmarkAnnounce(b *testing.B) {
	for _, c := range []struct{ queued, users int }{{100, 10}, {10_000, 1_000}, {1_000_000, 100_000}} {
		b.Run(fmt.Sprintf("queued=%d/users=%d", c.queued, c.users), func(b *testing.B) {
			s, _ := queuedScheduler(b, c.queued, c.users)
			s.announce() // every run is told its first position once
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.announce()
			}
		})
	}
}

// BenchmarkSubmit is the scheduler's cost of accepting a run into a deep queue: its user's
// queue grows by one and its place in the fair order is computed for run_accepted and
// run_queued. That place is a sum over the users in the round, so this cost grows with the
// waiting users (not with the queued runs).
func BenchmarkSubmit(b *testing.B) {
	for _, c := range []struct{ queued, users int }{{100, 10}, {10_000, 1_000}, {1_000_000, 100_000}} {
		b.Run(fmt.Sprintf("queued=%d/users=%d", c.queued, c.users), func(b *testing.B) {
			s, _ := queuedScheduler(b, c.queued, c.users)
			next := c.queued + 1
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u := s.userOf(fmt.Sprint("u", next%c.users), netra.TierFree)
				j := idleJob{id: fmt.Sprint("run_", next), owner: u.id, thread: fmt.Sprint("thr_", next)}
				next++
				if s.Submit(j) == 0 {
					b.Fatal("not queued")
				}
				// Leave the queue as deep as it was.
				s.mu.Lock()
				u.queue = u.queue[:len(u.queue)-1]
				delete(s.queued, j.id)
				s.mu.Unlock()
			}
		})
	}
}

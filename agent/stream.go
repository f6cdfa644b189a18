package agent

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// DeltaInterval is the least time between two message_delta events of a run: an answer
// streamed a token at a time goes out as ~10 events a second, not one a token. Each event is
// stored and sent on its own, so the interval is most of a streamed answer's cost; a tenth of
// a second still reads as continuous (docs/benchmarks.md, "Streaming answers").
const DeltaInterval = 100 * time.Millisecond

// Stream sends a run's answer as it is written, in message_delta events (contract §3): a
// piece goes out at once when the last went out DeltaInterval ago or more; else it waits,
// gathering the pieces that follow, for the first piece after the interval (so a delta holds
// the newest token the moment it arrives) or, when the model pauses, for half an interval
// more at most. All that was written, in order, is Text: the run's markdown must end up
// equal to it.
type Stream struct {
	rt  *Runtime
	ctx context.Context

	mu      sync.Mutex // the writer's goroutine and the timer's
	pending strings.Builder
	all     strings.Builder
	last    time.Time
	timer   *time.Timer // set while pieces wait
	events  int
}

// Stream starts streaming this step's answer.
func (rt *Runtime) Stream(ctx context.Context) *Stream { return &Stream{rt: rt, ctx: ctx} }

// Write adds a piece of the answer.
func (s *Stream) Write(text string) {
	if text == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending.WriteString(text)
	s.all.WriteString(text)
	wait := DeltaInterval - time.Since(s.last)
	switch {
	case wait <= 0:
		s.flush()
	case s.timer == nil:
		// A model that pauses (a slow token, a tool call next) must not hold back what it
		// has written; one that goes on flushes at its next piece, before this fires.
		s.timer = time.AfterFunc(wait+DeltaInterval/2, s.Flush)
	}
}

// Flush sends what is waiting.
func (s *Stream) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flush()
}

func (s *Stream) flush() {
	if s.timer != nil {
		s.timer.Stop() // a timer already firing finds nothing waiting
		s.timer = nil
	}
	if s.pending.Len() == 0 {
		return
	}
	text := s.pending.String()
	s.pending.Reset()
	s.last = time.Now()
	s.events++
	// An event that cannot be stored means the run is ending; its terminal event says why.
	_ = s.rt.em.Emit(s.ctx, netra.EventMessageDelta, s.rt.name, map[string]string{"text": text})
}

// Text is everything written so far.
func (s *Stream) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.String()
}

// Events is how many message_delta events went out.
func (s *Stream) Events() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events
}

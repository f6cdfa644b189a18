package agent

import (
	"context"
	"strings"
	"time"

	"github.com/netra-ai/netra"
)

// DeltaInterval is the least time between two message_delta events of a run: an answer
// streamed a token at a time goes out as ~20 events a second, not one a token.
const DeltaInterval = 50 * time.Millisecond

// Stream sends a run's answer as it is written, in message_delta events (contract §3): a
// piece goes out at once when the last went out DeltaInterval ago or more, else it waits for
// the next piece or Flush. All that was written, in order, is Text: the run's markdown must
// end up equal to it.
type Stream struct {
	rt      *Runtime
	ctx     context.Context
	pending strings.Builder
	all     strings.Builder
	last    time.Time
	events  int
}

// Stream starts streaming this step's answer.
func (rt *Runtime) Stream(ctx context.Context) *Stream { return &Stream{rt: rt, ctx: ctx} }

// Write adds a piece of the answer.
func (s *Stream) Write(text string) {
	if text == "" {
		return
	}
	s.pending.WriteString(text)
	s.all.WriteString(text)
	if time.Since(s.last) >= DeltaInterval {
		s.Flush()
	}
}

// Flush sends what is waiting.
func (s *Stream) Flush() {
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
func (s *Stream) Text() string { return s.all.String() }

// Events is how many message_delta events went out.
func (s *Stream) Events() int { return s.events }

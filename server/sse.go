package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/metrics"
)

// streamSub receives the live events of one run for one SSE stream.
type streamSub struct {
	owner, runID string
	m            *metrics.Metrics
	ch           chan *netra.Event
	once         sync.Once
	gone         chan struct{} // closed when the stream fell behind
}

func (s *streamSub) Deliver(ev *netra.Event) {
	if ev.RunID != s.runID {
		return
	}
	if ev.Owner != s.owner {
		s.m.IsolationViolations.Inc()
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.once.Do(func() { close(s.gone) })
	}
}

const sseKeepAlive = 15 * time.Second

// streamEvents serves a run's events as SSE: the stored ones after `after`, then the live
// ones, ending after the terminal event. It subscribes before reading the store, and events
// are published only after they are stored, so nothing falls between the two.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, run netra.Run, after int64) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return netra.Errorf(netra.CodeInternal, "streaming not supported")
	}
	ctx := r.Context()
	sub := &streamSub{owner: run.Owner, runID: run.ID, m: s.cfg.Metrics, ch: make(chan *netra.Event, s.cfg.SendQueue), gone: make(chan struct{})}
	unsubscribe, err := s.cfg.Hub.Subscribe(ctx, run.Owner, sub)
	if err != nil {
		return netra.Errorf(netra.CodeUnavailable, "the event bus is unavailable; try again shortly")
	}
	defer unsubscribe()
	stored, err := s.cfg.Store.ListEvents(ctx, run.Owner, run.ID, after, 0)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := after
	buf := make([]byte, 0, 1024)
	write := func(ev *netra.Event) bool {
		buf = append(buf[:0], "id: "...)
		buf = strconv.AppendInt(buf, ev.Seq, 10)
		buf = append(buf, "\nevent: "...)
		buf = append(buf, ev.Type...)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, ev.Frame...)
		buf = append(buf, "\n\n"...)
		if _, err := w.Write(buf); err != nil {
			return false
		}
		last = ev.Seq
		return true
	}
	for i := range stored {
		if !write(&stored[i]) {
			return nil
		}
		if stored[i].Type.Terminal() {
			flusher.Flush()
			return nil
		}
	}
	flusher.Flush()
	if run.Status.Ended() {
		return nil // after_seq was at or past the terminal event
	}
	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.gone:
			return nil // fell behind: the client reconnects with Last-Event-ID
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			flusher.Flush()
		case ev := <-sub.ch:
			if ev.Seq <= last {
				continue
			}
			if !write(ev) {
				return nil
			}
			// Events that arrived together (one commit's) leave in one write.
			if len(sub.ch) == 0 || ev.Type.Terminal() {
				flusher.Flush()
			}
			if ev.Type.Terminal() {
				return nil
			}
		}
	}
}

package event

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/store"
)

// MaxData bounds an event's encoded data; larger data is replaced by a note of its size.
const MaxData = 256 << 10

// Emitter emits the events of one run. It is made for one run and owns the run's seq counter:
// the owner, run and thread of every event come from here, never from the caller. After the
// terminal event it refuses further events, so the terminal event always has the highest seq.
type Emitter struct {
	p                  *Pipeline
	owner, run, thread string
	mu                 sync.Mutex
	seq                int64
	ended              bool
	onClose            func()
	created            *creation // set by Accept
}

// NewEmitter returns the emitter of one run whose last stored seq is lastSeq (0 for a new
// run). onClose, when set, is called once when the terminal event has been committed.
func (p *Pipeline) NewEmitter(owner, runID, threadID string, lastSeq int64, onClose func()) *Emitter {
	return &Emitter{p: p, owner: owner, run: runID, thread: threadID, seq: lastSeq, onClose: onClose}
}

// RunID is the run this emitter belongs to.
func (e *Emitter) RunID() string { return e.run }

// Seq is the seq of the last event emitted.
func (e *Emitter) Seq() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seq
}

// Emit emits a non-terminal event. agent is "" for run_* events. data is encoded as JSON and
// redacted.
func (e *Emitter) Emit(ctx context.Context, typ netra.EventType, agent string, data any) error {
	return e.emit(ctx, typ, agent, data, nil, false)
}

// Transition emits an event that commits together with a change of the run's stored state
// (run_started with status running). It does not wait for the commit: nothing depends on the
// new state being durable before the run goes on, and recovery handles either outcome.
func (e *Emitter) Transition(ctx context.Context, typ netra.EventType, data any, tr *netra.Transition) error {
	return e.emit(ctx, typ, "", data, tr, false)
}

// End emits the terminal event with its transition and waits until it is committed. Only the
// first call has effect; later calls, and any emit after it, return a conflict error.
func (e *Emitter) End(ctx context.Context, typ netra.EventType, data any, tr *netra.Transition) error {
	if !typ.Terminal() {
		return netra.Errorf(netra.CodeInternal, "%s is not a terminal event", typ)
	}
	return e.emit(ctx, typ, "", data, tr, true)
}

// Silence ends the emitter without a terminal event: every later emit is refused. A cluster
// node calls it for the runs it lost to another node (package cluster), which emits for them
// from then on; onClose is called as for a terminal event.
func (e *Emitter) Silence() {
	e.mu.Lock()
	was := e.ended
	e.ended = true
	e.mu.Unlock()
	if !was && e.onClose != nil {
		e.onClose()
	}
}

// Accept hands the run's acceptance (thread, user message, run) to the pipeline ahead of
// its events, in their lane: the run may then execute at once, and its events commit with its
// acceptance or after it, never without it. If the acceptance fails to store, so do the
// run's events. wait reports the acceptance's commit. Call it before the first emit, for a
// run that starts at once; a queued run is accepted with Pipeline.Accept.
func (e *Emitter) Accept(ctx context.Context, nr store.NewRun) (wait func() error, err error) {
	c := &creation{}
	pd := pending{rec: store.Record{Create: &nr}, done: make(chan error, 1), created: c}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.p.submit(ctx, pd); err != nil {
		return nil, err
	}
	e.created = c
	return func() error { return <-pd.done }, nil
}

// Ended reports whether the terminal event was emitted.
func (e *Emitter) Ended() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ended
}

type wireEvent struct {
	Type     netra.EventType `json:"type"`
	RunID    string          `json:"run_id"`
	ThreadID string          `json:"thread_id"`
	Seq      int64           `json:"seq"`
	TS       string          `json:"ts"`
	Agent    string          `json:"agent,omitempty"`
	Data     json.RawMessage `json:"data"`
}

// EncodeData encodes and redacts event data, bounding its size.
func EncodeData(data any) (json.RawMessage, error) {
	if data == nil {
		return json.RawMessage(`{}`), nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, netra.Internal(err)
	}
	if raw, err = redact.JSON(raw); err != nil {
		return nil, netra.Internal(err)
	}
	if len(raw) > MaxData {
		raw = []byte(`{"truncated":true,"bytes":` + strconv.Itoa(len(raw)) + `}`)
	}
	return raw, nil
}

func (e *Emitter) emit(ctx context.Context, typ netra.EventType, agent string, data any, tr *netra.Transition, wait bool) error {
	raw, err := EncodeData(data)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.ended {
		e.mu.Unlock()
		return netra.Errorf(netra.CodeConflict, "run %s has ended", e.run)
	}
	now := time.Now().UTC()
	ev := &netra.Event{Owner: e.owner, RunID: e.run, ThreadID: e.thread, Seq: e.seq + 1, Type: typ, TS: now}
	ev.Frame, err = json.Marshal(wireEvent{Type: typ, RunID: e.run, ThreadID: e.thread, Seq: ev.Seq,
		TS: now.Format(time.RFC3339Nano), Agent: agent, Data: raw})
	if err != nil {
		e.mu.Unlock()
		return netra.Internal(err)
	}
	pd := pending{rec: store.Record{Event: ev, Transition: tr}, created: e.created}
	if wait {
		pd.done = make(chan error, 1)
	}
	// Submitting under the lock keeps pipeline order equal to seq order for this run.
	if err := e.p.submit(ctx, pd); err != nil {
		e.mu.Unlock()
		return err
	}
	e.seq = ev.Seq
	terminal := typ.Terminal()
	if terminal {
		e.ended = true
	}
	e.mu.Unlock()
	if !wait {
		return nil
	}
	// The commit is already under way; wait for it even if ctx ends, so that the caller can
	// rely on the state being stored. The pipeline always answers.
	err = <-pd.done
	if terminal && e.onClose != nil {
		e.onClose()
	}
	return err
}

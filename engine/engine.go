// Package engine executes runs. The Factory is built once at start-up; for each accepted run
// it makes a Run holding the run's emitter, and when the scheduler starts the run it builds the
// run's UserExecutionContext from the stored run (never from anything a client sent), its tool
// dispatcher and agent runtime, runs the entry agent, and ends the run with exactly one
// terminal event on every exit path: success, error, timeout, cancellation or panic.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/metrics"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/tool"
)

// Timeouts bound one tier's runs; they must nest: Tool < Agent < Run.
type Timeouts struct {
	// Run bounds a run's execution (not its time in the queue).
	Run time.Duration
	// Agent bounds each agent step.
	Agent time.Duration
	// Tool caps each tool call (a tool's own, shorter timeout still applies).
	Tool time.Duration
}

// DefaultTimeouts are the timeouts of every tier: tool 2 min, agent 5 min, run 10 min.
func DefaultTimeouts() map[netra.Tier]Timeouts {
	t := Timeouts{Run: 10 * time.Minute, Agent: 5 * time.Minute, Tool: 2 * time.Minute}
	return map[netra.Tier]Timeouts{netra.TierFree: t, netra.TierEarly: t, netra.TierMid: t, netra.TierEnterprise: t}
}

// CheckTimeouts fills in defaults and refuses timeouts that do not nest (tool < agent < run).
func CheckTimeouts(over map[netra.Tier]Timeouts) (map[netra.Tier]Timeouts, error) {
	out := DefaultTimeouts()
	for tier, t := range over {
		if !tier.Valid() {
			return nil, fmt.Errorf("timeouts: unknown tier %q", tier)
		}
		d := out[tier]
		if t.Run > 0 {
			d.Run = t.Run
		}
		if t.Agent > 0 {
			d.Agent = t.Agent
		}
		if t.Tool > 0 {
			d.Tool = t.Tool
		}
		out[tier] = d
	}
	for tier, t := range out {
		if !(t.Tool < t.Agent && t.Agent < t.Run) {
			return nil, fmt.Errorf("timeouts of the %s tier must nest, tool < agent < run: got tool %s, agent %s, run %s", tier, t.Tool, t.Agent, t.Run)
		}
	}
	return out, nil
}

// Config tunes the factory. Zero values mean the defaults.
type Config struct {
	// Timeouts per tier, checked with CheckTimeouts. Default DefaultTimeouts.
	Timeouts map[netra.Tier]Timeouts
	// StopGrace is how long an agent may take to return once its run is cancelled or timed
	// out; after that the run ends without it and the agent's goroutine is abandoned (its
	// late events are refused). Default 500 ms.
	StopGrace time.Duration
	// Audit records each run's end and tool calls. Default: nothing recorded.
	Audit netra.Auditor
	// Switches turn agents and tools off at run time. Default: a board with all on.
	Switches *killswitch.Board
	// Metrics, when set, receive queue waits, run durations and ends, and tool call outcomes.
	Metrics *metrics.Metrics
	// Tracer makes a span of each run, with its agent steps and tool calls as children.
	// Default: no tracing.
	Tracer trace.Tracer
	// Usage, when set, hears what each run that called a language model used, by model, when
	// the run ends (whatever its end).
	Usage func(ctx context.Context, owner string, byModel map[string]model.Usage)
}

// Factory makes the per-run objects. It is safe for concurrent use.
type Factory struct {
	cfg      Config
	agents   *agent.Registry
	tools    *tool.Registry
	pipeline *event.Pipeline
	log      *slog.Logger

	emitters    atomic.Int64
	engines     atomic.Int64
	dispatchers atomic.Int64
}

// NewFactory returns a factory.
func NewFactory(cfg Config, agents *agent.Registry, tools *tool.Registry, p *event.Pipeline, log *slog.Logger) (*Factory, error) {
	timeouts, err := CheckTimeouts(cfg.Timeouts)
	if err != nil {
		return nil, err
	}
	cfg.Timeouts = timeouts
	if cfg.Audit == nil {
		cfg.Audit = netra.NoAudit{}
	}
	if cfg.Switches == nil {
		cfg.Switches = killswitch.New()
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 500 * time.Millisecond
	}
	return &Factory{cfg: cfg, agents: agents, tools: tools, pipeline: p, log: log}, nil
}

// Gauges reports the live per-run objects; all return to zero when no run is in flight.
type Gauges struct {
	Emitters, Engines, Dispatchers int64
}

// Gauges returns the current gauges.
func (f *Factory) Gauges() Gauges {
	return Gauges{Emitters: f.emitters.Load(), Engines: f.engines.Load(), Dispatchers: f.dispatchers.Load()}
}

// Accept hands an accepted run to the next group commit; wait reports the commit.
func (f *Factory) Accept(ctx context.Context, nr store.NewRun) (wait func() error, err error) {
	return f.pipeline.Accept(ctx, nr)
}

// Agents returns the agent registry.
func (f *Factory) Agents() *agent.Registry { return f.agents }

// Tools returns the tool registry.
func (f *Factory) Tools() *tool.Registry { return f.tools }

// Run is one accepted run on its way through the queue and the engine. It implements
// sched.Job.
type Run struct {
	f      *Factory
	run    netra.Run
	connID string
	em     *event.Emitter
	ready  chan struct{}
	log    *slog.Logger
	// startedAt is when the run got its slot, span its trace span; written and read only by
	// the goroutine that executes it.
	startedAt time.Time
	span      trace.Span
	meter     *model.Meter // the run's language-model usage
	usage     sync.Once    // stores the meter's usage once, however the run ends

	// mu orders position updates before run_started: once started, Moved does nothing.
	mu      sync.Mutex
	started bool
}

var _ sched.Job = (*Run)(nil)

// NewRun prepares an accepted run. lastSeq is the run's highest stored seq (0 when new).
// connID is the WebSocket connection that started it, or "".
func (f *Factory) NewRun(r netra.Run, connID string, lastSeq int64) *Run {
	f.emitters.Add(1)
	var released atomic.Bool
	em := f.pipeline.NewEmitter(r.Owner, r.ID, r.ThreadID, lastSeq, func() {
		if released.CompareAndSwap(false, true) {
			f.emitters.Add(-1)
		}
	})
	return &Run{f: f, run: r, connID: connID, em: em, ready: make(chan struct{}),
		log: f.log.With("run_id", r.ID, "user_id", r.Owner, "thread_id", r.ThreadID)}
}

// RunID implements sched.Job.
func (r *Run) RunID() string { return r.run.ID }

// Owner implements sched.Job.
func (r *Run) Owner() string { return r.run.Owner }

// Agent is the run's entry agent.
func (r *Run) Agent() string { return r.run.Agent }

// Tier implements sched.Job.
func (r *Run) Tier() netra.Tier { return r.run.Tier }

// ThreadID implements sched.Job.
func (r *Run) ThreadID() string { return r.run.ThreadID }

type queued struct {
	Position int   `json:"position"`
	ETAMS    int64 `json:"eta_ms,omitempty"`
}

// Accepted emits run_queued with the run's position and lets the run start. It must be
// called once, right after the scheduler accepted the run, so that run_queued is the run's
// first event even when a slot was free.
func (r *Run) Accepted(ctx context.Context, position int, eta time.Duration) {
	defer close(r.ready)
	if position < 1 {
		position = 1
	}
	if err := r.em.Emit(ctx, netra.EventRunQueued, "", queued{Position: position, ETAMS: eta.Milliseconds()}); err != nil && !r.em.Ended() {
		r.log.Warn("run_queued not emitted", "err", err)
	}
}

// AcceptAtOnce hands the acceptance of a run that the scheduler started at once
// (sched.Scheduler.StartIfFree) to the group commit ahead of the run's events, then emits
// run_queued and lets the run execute while its acceptance commits: its events commit with
// it or after it. wait reports the acceptance's commit; if it fails, call Withdraw. If
// AcceptAtOnce itself fails, the run is withdrawn already. Either way, cancel the run in the
// scheduler to free its slot.
func (r *Run) AcceptAtOnce(ctx context.Context, nr store.NewRun) (wait func() error, err error) {
	if wait, err = r.em.Accept(ctx, nr); err != nil {
		r.Withdraw()
		close(r.ready) // Execute may wait for it; it finds the emitter silenced
		return nil, err
	}
	r.Accepted(context.WithoutCancel(ctx), 1, 0)
	return wait, nil
}

// Withdraw silences a run whose acceptance was not stored: it emits nothing more, and its
// events still waiting are refused with its acceptance (event.Emitter.Accept). Cancel it in
// the scheduler too, to free its slot.
func (r *Run) Withdraw() { r.em.Silence() }

// Recovered lets a run accepted before a restart start, without a new run_queued: it had
// one when it was accepted, and the scheduler tells it its new position by the contract's
// rule (sched.Announce). Call it instead of Accepted.
func (r *Run) Recovered() { close(r.ready) }

// Moved implements sched.Job: the queued run's position changed.
func (r *Run) Moved(position int, eta time.Duration) {
	<-r.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return
	}
	if err := r.em.Emit(context.Background(), netra.EventRunQueued, "", queued{Position: position, ETAMS: eta.Milliseconds()}); err != nil && !r.em.Ended() {
		r.log.Warn("run_queued not emitted", "err", err)
	}
}

// Cancelled implements sched.Job: the run left the queue before it started.
func (r *Run) Cancelled() {
	<-r.ready
	r.end(context.Background(), netra.RunCancelled, nil, nil)
}

// Silence makes the run emit nothing more: its events now come from another node, which
// took it over (package cluster). Cancel its context too if it executes.
func (r *Run) Silence() { r.em.Silence() }

// EndOrphan ends a stored run that no scheduler holds, such as one a crash left behind:
// cancelled when runErr is nil, else failed with runErr. lastSeq is its highest stored seq.
func (f *Factory) EndOrphan(ctx context.Context, run netra.Run, lastSeq int64, runErr error) {
	r := f.NewRun(run, "", lastSeq)
	close(r.ready)
	if runErr == nil {
		r.end(ctx, netra.RunCancelled, nil, nil)
		return
	}
	r.end(ctx, netra.RunFailed, nil, runErr)
}

// Execute implements sched.Job.
func (r *Run) Execute(ctx context.Context) {
	<-r.ready
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
	f := r.f
	f.engines.Add(1)
	defer f.engines.Add(-1)
	var disp *tool.Dispatcher
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("engine panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.end(ctx, netra.RunFailed, nil, netra.Errorf(netra.CodeInternal, "internal error"))
		}
		if disp != nil {
			disp.Close()
		}
		if !r.em.Ended() { // every exit path ends the run
			r.end(ctx, netra.RunFailed, nil, netra.Errorf(netra.CodeInternal, "internal error"))
		}
	}()

	ec, err := execctx.New(execctx.Params{Identity: r.run.Identity(), ThreadID: r.run.ThreadID, RunID: r.run.ID,
		RequestID: netra.NewID("req_"), TraceID: netra.NewID("trc_"), ConnectionID: r.connID})
	if err != nil {
		r.log.Error("execution context refused", "err", err)
		r.end(ctx, netra.RunFailed, nil, netra.Errorf(netra.CodeInternal, "internal error"))
		return
	}
	if ctx.Err() != nil { // cancelled between the pick and now
		r.endCtx(ctx, ctx)
		return
	}
	// The run started when the scheduler gave it its slot (a stop's Drain stops that at once),
	// not when its goroutine got to run.
	started := sched.StartedAt(ctx).UTC()
	if started.IsZero() {
		started = time.Now().UTC()
	}
	r.startedAt = started
	// started_at (added to the contract's empty data) is the run's stored start, which the
	// event's ts, taken when it is emitted, may follow by a goroutine's wait for a CPU.
	if err := r.em.Transition(ctx, netra.EventRunStarted, runStarted{StartedAt: started.Format(time.RFC3339Nano)},
		&netra.Transition{Status: netra.RunRunning, At: started}); err != nil {
		r.log.Error("run_started not stored", "err", err)
	}
	if m := f.cfg.Metrics; m != nil {
		m.QueueWait.WithLabelValues(string(r.run.Tier)).Observe(started.Sub(r.run.CreatedAt).Seconds())
	}
	limits := f.cfg.Timeouts[r.run.Tier]
	ctx, span := f.cfg.Tracer.Start(ctx, "run")
	defer span.End()
	if span.IsRecording() { // attributes cost allocations; only for a real tracer
		span.SetAttributes(attribute.String("netra.run_id", r.run.ID), attribute.String("netra.user_id", r.run.Owner),
			attribute.String("netra.thread_id", r.run.ThreadID), attribute.String("netra.agent", r.run.Agent),
			attribute.String("netra.tier", string(r.run.Tier)), attribute.String("netra.request_id", ec.RequestID()))
		r.span = span
	}
	runCtx, cancel := context.WithTimeout(ctx, limits.Run)
	defer cancel()
	runCtx, r.meter = model.WithMeter(runCtx)
	f.dispatchers.Add(1)
	disp = tool.NewDispatcher(ec, r.em, f.tools, r.log, func() { f.dispatchers.Add(-1) })
	disp.LimitTimeout(limits.Tool)
	disp.Audit(f.cfg.Audit)
	disp.Trace(f.cfg.Tracer)
	disp.Guard(func(name string) error { return f.cfg.Switches.Check(killswitch.Tool, name, started) })
	if m := f.cfg.Metrics; m != nil {
		disp.Observe(func(tool, outcome string) { m.ToolCalls.WithLabelValues(tool, outcome).Inc() })
	}
	rt := agent.NewRuntime(ec, r.em, disp, f.agents, r.log)
	rt.LimitSteps(limits.Agent)
	rt.Trace(f.cfg.Tracer)
	rt.Guard(func(name string) error { return f.cfg.Switches.Check(killswitch.Agent, name, started) })
	res, err, ok := r.runEntry(runCtx, rt)
	disp.Close()
	if !ok || runCtx.Err() != nil {
		r.endCtx(ctx, runCtx)
		return
	}
	if err != nil {
		r.end(ctx, netra.RunFailed, nil, err)
		return
	}
	r.end(ctx, netra.RunCompleted, res.Output, nil)
}

type outcome struct {
	res agent.Result
	err error
}

// runEntry runs the entry agent. ok is false when the run's context ended and the agent did
// not return within StopGrace: a stuck agent must not keep its run, or its slot, forever.
func (r *Run) runEntry(ctx context.Context, rt *agent.Runtime) (agent.Result, error, bool) {
	done := make(chan outcome, 1)
	go func() {
		res, err := rt.RunAgent(ctx, r.run.Agent, agent.Input{Text: r.run.Input, Params: r.run.Params})
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err, true
	case <-ctx.Done():
	}
	grace := time.NewTimer(r.f.cfg.StopGrace)
	defer grace.Stop()
	select {
	case o := <-done:
		return o.res, o.err, true
	case <-grace.C:
		r.log.Warn("agent did not stop after its run ended; abandoning it", "agent", r.run.Agent, "grace", r.f.cfg.StopGrace)
		return agent.Result{}, nil, false
	}
}

// endCtx ends a run whose context ended: cancelled by the user, stopped by shutdown, or
// timed out.
func (r *Run) endCtx(parent, runCtx context.Context) {
	switch cause := context.Cause(parent); {
	case errors.Is(cause, sched.ErrShutdown):
		r.end(parent, netra.RunFailed, nil, netra.Errorf(netra.CodeInterrupted, "the server stopped while the run was executing"))
	case parent.Err() != nil:
		r.end(parent, netra.RunCancelled, nil, nil)
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		r.end(parent, netra.RunFailed, nil, netra.Errorf(netra.CodeTimeout, "the run took longer than %s", r.f.cfg.Timeouts[r.run.Tier].Run))
	default:
		r.end(parent, netra.RunCancelled, nil, nil)
	}
}

type completedData struct {
	Output json.RawMessage `json:"output"`
	// Usage sums the run's language-model calls; absent when it made none (contract §3).
	Usage *model.Usage `json:"usage,omitempty"`
}

// failedData is run_failed's data: code and message, and what was done when there is some.
type failedData struct {
	netra.RunError
	Output json.RawMessage `json:"output,omitempty"`
}

// end emits the terminal event with the run's final state; the emitter ignores all but the
// first call.
func (r *Run) end(ctx context.Context, status netra.RunStatus, output any, runErr error) {
	ctx = context.WithoutCancel(ctx) // the terminal event is written whatever ended the run
	tr := &netra.Transition{Status: status, At: time.Now().UTC()}
	var typ netra.EventType
	var data any
	switch status {
	case netra.RunCompleted:
		typ = netra.EventRunCompleted
		raw, err := encodeOutput(output)
		if err != nil {
			r.log.Error("run output not encodable", "err", err)
			r.end(ctx, netra.RunFailed, nil, netra.Errorf(netra.CodeInternal, "the run's output could not be encoded"))
			return
		}
		tr.Output = raw
		tr.Assistant = &netra.Message{ID: netra.NewID("msg_"), Content: assistantContent(raw)}
		cd := completedData{Output: raw}
		if r.meter != nil {
			if u := r.meter.Total(); u.ModelCalls > 0 {
				u.CostUSD = math.Round(u.CostUSD*1e6) / 1e6
				cd.Usage = &u
			}
		}
		data = cd
	case netra.RunFailed:
		typ = netra.EventRunFailed
		tr.Error = &netra.RunError{Code: netra.ErrorCode(runErr), Message: redact.Message(netra.ErrorMessage(runErr))}
		if tr.Error.Code == netra.CodeInternal {
			r.log.Error("run failed", "err", runErr)
		}
		data = tr.Error
		var partial *agent.PartialError
		if errors.As(runErr, &partial) && partial.Output != nil {
			if raw, err := encodeOutput(partial.Output); err == nil {
				tr.Output = raw
				data = failedData{RunError: *tr.Error, Output: raw}
			}
		}
	default:
		typ = netra.EventRunCancelled
	}
	// The usage is stored before the terminal event: whoever sees the run end (its owner's
	// GET /v1/me, the budget check of their next run) sees what it spent.
	r.usage.Do(func() {
		if r.meter != nil && r.f.cfg.Usage != nil {
			if by := r.meter.ByModel(); len(by) > 0 {
				r.f.cfg.Usage(ctx, r.run.Owner, by)
			}
		}
	})
	if err := r.em.End(ctx, typ, data, tr); err != nil {
		if netra.ErrorCode(err) != netra.CodeConflict {
			r.log.Error("terminal event not stored", "type", typ, "err", err)
		}
		return // not stored, or the run had already ended: nothing ended here
	}
	r.record(ctx, status, tr)
}

// record reports the run's end to the trace, the metrics and the audit trail.
func (r *Run) record(ctx context.Context, status netra.RunStatus, tr *netra.Transition) {
	outcome := netra.AuditOK
	if tr.Error != nil {
		outcome = string(tr.Error.Code)
	} else if status == netra.RunCancelled {
		outcome = string(netra.CodeCancelled)
	}
	if r.span != nil {
		r.span.SetAttributes(attribute.String("netra.status", string(status)))
		if tr.Error != nil {
			r.span.SetStatus(codes.Error, outcome)
		}
	}
	if m := r.f.cfg.Metrics; m != nil {
		m.RunsEnded.WithLabelValues(string(status), string(r.run.Tier)).Inc()
		if !r.startedAt.IsZero() {
			m.RunDuration.WithLabelValues(r.run.Agent).Observe(time.Since(r.startedAt).Seconds())
		}
	}
	r.f.cfg.Audit.Record(ctx, netra.AuditEntry{UserID: r.run.Owner, Action: netra.AuditRunEnd, Outcome: outcome, RunID: r.run.ID,
		Detail: "agent " + r.run.Agent})
}

// encodeOutput encodes and redacts a run's output: a string or a JSON object.
func encodeOutput(output any) (json.RawMessage, error) {
	if output == nil {
		output = ""
	}
	raw, err := json.Marshal(output)
	if err != nil {
		return nil, err
	}
	return redact.JSON(raw)
}

// assistantContent is the output when it is a string, its markdown when it is an object that
// has one, else its JSON text.
func assistantContent(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Markdown *string `json:"markdown"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Markdown != nil {
		return *obj.Markdown
	}
	return string(raw)
}

// runStarted is run_started's data.
type runStarted struct {
	StartedAt string `json:"started_at"`
}

package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/redact"
)

// Emitter is what the dispatcher needs of the run's emitter.
type Emitter interface {
	Emit(ctx context.Context, typ netra.EventType, agent string, data any) error
}

// Dispatcher runs tool calls for one run. Make one per run with NewDispatcher and Close it
// when the run ends; calls after Close fail.
type Dispatcher struct {
	ec      *execctx.Context
	em      Emitter
	reg     *Registry
	log     *slog.Logger
	closed  atomic.Bool
	onClose func()
	maxTime time.Duration // the tier's cap on one tool call; 0: the tool's own timeout
	audit   netra.Auditor
	guard   func(tool string) error
	observe func(tool, outcome string)
	tracer  trace.Tracer
}

// Trace makes a span of every call with t. Call it before the first call.
func (d *Dispatcher) Trace(t trace.Tracer) { d.tracer = t }

// Observe reports every call's outcome ("ok" or the error code) to o, for metrics. Call it
// before the first call.
func (d *Dispatcher) Observe(o func(tool, outcome string)) { d.observe = o }

// Guard checks every call with g first (the kill switches); a non-nil answer fails the call.
// Call it before the first call.
func (d *Dispatcher) Guard(g func(tool string) error) { d.guard = g }

// Audit records every call of this dispatcher in a. Call it before the first call.
func (d *Dispatcher) Audit(a netra.Auditor) { d.audit = a }

// LimitTimeout caps every tool call of this dispatcher at d (the tier's tool timeout). Call it
// before the first call.
func (d *Dispatcher) LimitTimeout(limit time.Duration) { d.maxTime = limit }

// NewDispatcher binds a dispatcher to one run. onClose, when set, runs once on Close.
func NewDispatcher(ec *execctx.Context, em Emitter, reg *Registry, log *slog.Logger, onClose func()) *Dispatcher {
	return &Dispatcher{ec: ec, em: em, reg: reg, log: log, onClose: onClose, audit: netra.NoAudit{}, tracer: noop.NewTracerProvider().Tracer("")}
}

// Close releases the dispatcher. It is idempotent.
func (d *Dispatcher) Close() {
	if d.closed.CompareAndSwap(false, true) && d.onClose != nil {
		d.onClose()
	}
}

// CallError describes a failed tool call in tool_completed.
type CallError struct {
	Code    netra.Code `json:"code"`
	Message string     `json:"message"`
}

type executing struct {
	Tool   string          `json:"tool"`
	CallID string          `json:"call_id"`
	Args   json.RawMessage `json:"args"`
}

type completed struct {
	Tool       string          `json:"tool"`
	CallID     string          `json:"call_id"`
	OK         bool            `json:"ok"`
	DurationMS float64         `json:"duration_ms"`
	Attempts   int             `json:"attempts,omitempty"` // when retried
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *CallError      `json:"error,omitempty"`
}

// Call runs the tool name with args (any JSON-encodable value) for agent and returns its
// result as JSON. Every outcome, success or failure, is reported in tool_completed; a failure
// is also returned as a *netra.Error for the agent to decide on.
func (d *Dispatcher) Call(ctx context.Context, agent, name string, args any) (json.RawMessage, error) {
	if d.closed.Load() {
		return nil, netra.Errorf(netra.CodeUnavailable, "tool dispatcher of run %s is closed", d.ec.RunID())
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, netra.Errorf(netra.CodeInvalidRequest, "tool %s: arguments are not JSON-encodable", name)
	}
	if args == nil {
		raw = []byte(`{}`)
	}
	callID := netra.NewID("call_")
	ctx, span := d.tracer.Start(ctx, "tool "+name)
	defer span.End()
	if span.IsRecording() { // attributes cost allocations; only for a real tracer
		span.SetAttributes(attribute.String("netra.tool", name), attribute.String("netra.agent", agent), attribute.String("netra.call_id", callID))
	}
	start := time.Now()
	// Args are redacted by the emitter, like all event data.
	if err := d.em.Emit(ctx, netra.EventToolExecuting, agent, executing{Tool: name, CallID: callID, Args: raw}); err != nil {
		return nil, err
	}
	result, attempts, callErr := d.call(ctx, name, raw)
	done := completed{Tool: name, CallID: callID, OK: callErr == nil, DurationMS: ms(time.Since(start))}
	if attempts > 1 {
		done.Attempts = attempts
	}
	outcome := netra.AuditOK
	if callErr != nil {
		done.Error = &CallError{Code: netra.ErrorCode(callErr), Message: redact.Message(netra.ErrorMessage(callErr))}
		outcome = string(done.Error.Code)
	} else {
		done.Result = result
	}
	if d.observe != nil {
		d.observe(name, outcome)
	}
	if callErr != nil {
		span.SetStatus(codes.Error, outcome)
	}
	d.audit.Record(ctx, netra.AuditEntry{UserID: d.ec.UserID(), Action: netra.AuditToolCall, Outcome: outcome,
		RequestID: d.ec.RequestID(), RunID: d.ec.RunID(), Detail: "tool " + name + " by agent " + agent})
	// The completion is reported even when ctx has ended, so every tool_executing is closed.
	if err := d.em.Emit(context.WithoutCancel(ctx), netra.EventToolCompleted, agent, done); err != nil && callErr == nil {
		return nil, err
	}
	return result, callErr
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// call checks the call, then runs it with retries, behind the tool's breaker.
func (d *Dispatcher) call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, int, error) {
	e, ok := d.reg.tools[name]
	if !ok {
		return nil, 0, netra.Errorf(netra.CodeNotFound, "unknown tool %q", name)
	}
	if d.guard != nil {
		if err := d.guard(name); err != nil {
			return nil, 0, err
		}
	}
	if !e.allows(d.ec.Tier()) {
		return nil, 0, netra.Errorf(netra.CodeForbidden, "tool %s is not available on the %s tier", name, d.ec.Tier())
	}
	if err := e.args.Validate("tool "+name+" arguments", args); err != nil {
		return nil, 0, err
	}
	if err := e.breaker.Allow(); err != nil {
		return nil, 0, netra.Errorf(netra.CodeUnavailable, "tool %s is failing and temporarily switched off; try again later", name)
	}
	var res json.RawMessage
	attempts, err := e.Retry.Do(ctx, retryable, func(ctx context.Context) error {
		var err error
		res, err = d.run(ctx, e, args)
		e.breaker.Record(!dependencyFailure(err))
		return err
	})
	return res, attempts, err
}

// retryable: failures that may pass on their own.
func retryable(err error) bool {
	c := netra.ErrorCode(err)
	return c == netra.CodeUnavailable || c == netra.CodeTimeout
}

// dependencyFailure: failures of the tool itself, not of the caller's request.
func dependencyFailure(err error) bool {
	if err == nil {
		return false
	}
	c := netra.ErrorCode(err)
	return c == netra.CodeUnavailable || c == netra.CodeTimeout || c == netra.CodeInternal
}

func (d *Dispatcher) run(ctx context.Context, e *entry, args json.RawMessage) (_ json.RawMessage, err error) {
	name := e.Name
	child, err := d.ec.Child()
	if err != nil {
		return nil, err
	}
	timeout := e.Timeout
	if d.maxTime > 0 && d.maxTime < timeout {
		timeout = d.maxTime
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("tool panicked", "tool", name, "run_id", d.ec.RunID(), "user_id", d.ec.UserID(),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = netra.Errorf(netra.CodeInternal, "tool %s failed", name)
		}
	}()
	out, err := e.Run(tctx, child, args)
	if err != nil {
		return nil, toolError(ctx, tctx, name, timeout, err)
	}
	res, err := json.Marshal(out)
	if err != nil {
		return nil, netra.Errorf(netra.CodeInternal, "tool %s returned a result that is not JSON-encodable", name)
	}
	if len(res) > MaxResult {
		return nil, netra.Errorf(netra.CodeInternal, "tool %s returned %d bytes, more than the %d allowed", name, len(res), MaxResult)
	}
	return res, nil
}

func toolError(ctx, tctx context.Context, name string, timeout time.Duration, err error) error {
	switch {
	case ctx.Err() != nil:
		return netra.Errorf(netra.CodeCancelled, "tool %s stopped: the run ended", name)
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		return netra.Errorf(netra.CodeTimeout, "tool %s timed out after %s", name, timeout)
	}
	var ne *netra.Error
	if errors.As(err, &ne) {
		return err
	}
	return &netra.Error{Code: netra.CodeInternal, Message: fmt.Sprintf("tool %s failed", name), Err: err}
}

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/tool"
)

// Runtime is an agent's view of its run: its own execution context (a child of the run's),
// and the run's emitter, tool dispatcher and agent registry. The engine makes the root
// runtime; RunAgent and Workflow make one per step.
type Runtime struct {
	name        string
	ec          *execctx.Context
	em          tool.Emitter
	tools       *tool.Dispatcher
	agents      *Registry
	log         *slog.Logger
	stepTimeout time.Duration // bounds each agent step; 0: none
	guard       func(agent string) error
	tracer      trace.Tracer
}

// Trace makes a span of every agent step with t. The engine calls it on the root runtime.
func (rt *Runtime) Trace(t trace.Tracer) { rt.tracer = t }

// Guard checks every agent step with g first (the kill switches); a non-nil answer fails the
// step before it starts. The engine calls it on the root runtime before the run starts.
func (rt *Runtime) Guard(g func(agent string) error) { rt.guard = g }

// LimitSteps bounds each agent step at d (the tier's agent timeout). The engine calls it on
// the root runtime before the run starts.
func (rt *Runtime) LimitSteps(d time.Duration) { rt.stepTimeout = d }

// NewRuntime returns the root runtime of a run. The engine calls it; agents never do.
func NewRuntime(ec *execctx.Context, em tool.Emitter, tools *tool.Dispatcher, agents *Registry, log *slog.Logger) *Runtime {
	return &Runtime{ec: ec, em: em, tools: tools, agents: agents, log: log, tracer: noop.NewTracerProvider().Tracer("")}
}

// Context is the execution context of this agent step.
func (rt *Runtime) Context() *execctx.Context { return rt.ec }

// Name is the agent this runtime belongs to ("" for the root).
func (rt *Runtime) Name() string { return rt.name }

// Logger returns the run's logger with this step's ids.
func (rt *Runtime) Logger() *slog.Logger {
	return rt.log.With("agent", rt.name, "request_id", rt.ec.RequestID())
}

// Think reports what the agent is doing (agent_thinking).
func (rt *Runtime) Think(ctx context.Context, text string) error {
	return rt.em.Emit(ctx, netra.EventAgentThinking, rt.name, map[string]string{"text": text})
}

// CallTool calls a tool through the run's dispatcher.
func (rt *Runtime) CallTool(ctx context.Context, name string, args any) (json.RawMessage, error) {
	return rt.tools.Call(ctx, rt.name, name, args)
}

type agentDone struct {
	OK         bool            `json:"ok"`
	DurationMS float64         `json:"duration_ms"`
	Result     json.RawMessage `json:"result,omitempty"`
}

type agentErr struct {
	Code    netra.Code `json:"code"`
	Message string     `json:"message"`
}

// RunAgent runs the named agent as one step: agent_started, the agent's work, then
// agent_completed with its result, or agent_error. A panic becomes an internal error.
func (rt *Runtime) RunAgent(ctx context.Context, name string, in Input) (Result, error) {
	a, err := rt.agents.instance(name)
	if err != nil {
		return Result{}, err
	}
	if rt.guard != nil {
		if err := rt.guard(name); err != nil {
			return Result{}, err
		}
	}
	child, err := rt.ec.Child()
	if err != nil {
		return Result{}, err
	}
	step := &Runtime{name: name, ec: child, em: rt.em, tools: rt.tools, agents: rt.agents, log: rt.log, stepTimeout: rt.stepTimeout,
		guard: rt.guard, tracer: rt.tracer}
	ctx, span := rt.tracer.Start(ctx, "agent "+name)
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(attribute.String("netra.agent", name), attribute.String("netra.request_id", child.RequestID()))
	}
	start := time.Now()
	if err := rt.em.Emit(ctx, netra.EventAgentStarted, name, nil); err != nil {
		return Result{}, err
	}
	parent := ctx
	if rt.stepTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rt.stepTimeout)
		defer cancel()
	}
	res, err := step.safeRun(ctx, a, in)
	if err == nil && ctx.Err() != nil && parent.Err() == nil {
		err = ctx.Err() // the step's own deadline passed, though the agent returned no error
	}
	if err == nil {
		var out json.RawMessage
		if res.Output != nil {
			if out, err = json.Marshal(res.Output); err != nil {
				err = &netra.Error{Code: netra.CodeInternal, Message: fmt.Sprintf("agent %s returned an output that is not JSON-encodable", name), Err: err}
			}
		}
		if err == nil {
			d := agentDone{OK: true, DurationMS: float64(time.Since(start).Microseconds()) / 1000, Result: out}
			if err := rt.em.Emit(ctx, netra.EventAgentCompleted, name, d); err != nil {
				return Result{}, err
			}
			return res, nil
		}
	}
	switch {
	case parent.Err() != nil:
		err = netra.Errorf(netra.CodeCancelled, "agent %s stopped: the run ended", name)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = netra.Errorf(netra.CodeTimeout, "agent %s took longer than %s", name, rt.stepTimeout)
	}
	span.SetStatus(codes.Error, string(netra.ErrorCode(err)))
	// Reported even when ctx has ended, so that every agent_started is closed.
	_ = rt.em.Emit(context.WithoutCancel(ctx), netra.EventAgentError, name, agentErr{Code: netra.ErrorCode(err), Message: redact.Message(netra.ErrorMessage(err))})
	return Result{}, err
}

func (rt *Runtime) safeRun(ctx context.Context, a Agent, in Input) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			rt.log.Error("agent panicked", "agent", rt.name, "run_id", rt.ec.RunID(), "user_id", rt.ec.UserID(),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = netra.Errorf(netra.CodeInternal, "agent %s failed", rt.name)
		}
	}()
	return a.Run(ctx, rt, in)
}

// Workflow runs steps in order, each with the results of the steps before it in Input.Prior.
// A step whose Result.Next is not nil replaces the remaining steps. The first failing step
// stops the workflow; its error is returned with the results so far.
func (rt *Runtime) Workflow(ctx context.Context, steps []string, in Input) (map[string]json.RawMessage, []string, error) {
	prior := make(map[string]json.RawMessage, len(steps))
	var ran []string
	const maxSteps = 32 // a step that keeps scheduling steps must not loop forever
	for len(steps) > 0 {
		if len(ran) == maxSteps {
			return prior, ran, netra.Errorf(netra.CodeInternal, "workflow ran more than %d steps", maxSteps)
		}
		name := steps[0]
		steps = steps[1:]
		step := in
		step.Prior = prior
		res, err := rt.RunAgent(ctx, name, step)
		ran = append(ran, name)
		if err != nil {
			return prior, ran, err
		}
		if res.Output != nil {
			out, _ := json.Marshal(res.Output) // RunAgent already checked it encodes
			prior[name] = out
		}
		if res.Next != nil {
			steps = append([]string(nil), res.Next...)
		}
	}
	return prior, ran, nil
}

// IsCancelled reports whether err is the result of the run being cancelled.
func IsCancelled(err error) bool {
	return errors.Is(err, context.Canceled) || netra.ErrorCode(err) == netra.CodeCancelled
}

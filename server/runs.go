package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/engine"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
)

// startRequest is start_run on the WebSocket and the body of POST /v1/runs.
type startRequest struct {
	Input     *string         `json:"input"`
	ThreadID  *string         `json:"thread_id"`
	Agent     *string         `json:"agent"`
	Params    json.RawMessage `json:"params"`
	Multitask *string         `json:"multitask"`
	// CancelOnDisconnect (WebSocket only) cancels the run when the connection that started it
	// closes before the run ends.
	CancelOnDisconnect bool `json:"cancel_on_disconnect"`
}

// DefaultAgent runs when a start request names none.
const DefaultAgent = "supervisor"

type validStart struct {
	input, threadID, agent string
	params                 json.RawMessage
	multitask              netra.Multitask
}

// validate refuses bad input before anything is stored.
func (s *Server) validate(req startRequest) (validStart, error) {
	v := validStart{agent: DefaultAgent, multitask: netra.MultitaskEnqueue}
	if req.Input == nil {
		return v, netra.Errorf(netra.CodeInvalidRequest, "input is required")
	}
	v.input = *req.Input
	switch {
	case v.input == "":
		return v, netra.Errorf(netra.CodeInvalidRequest, "input must not be empty")
	case len(v.input) > MaxInput:
		return v, netra.Errorf(netra.CodePayloadTooLarge, "input longer than %d bytes", MaxInput)
	case !utf8.ValidString(v.input):
		return v, netra.Errorf(netra.CodeInvalidRequest, "input must be UTF-8")
	}
	if req.ThreadID != nil {
		v.threadID = *req.ThreadID
		// An id that could never have been made answers like an unknown one.
		if !execctx.ValidID(v.threadID) || len(v.threadID) > maxThreadID {
			return v, netra.Errorf(netra.CodeNotFound, "thread not found")
		}
	}
	if req.Multitask != nil {
		v.multitask = netra.Multitask(*req.Multitask)
		if !v.multitask.Valid() {
			return v, netra.Errorf(netra.CodeInvalidRequest, "multitask must be enqueue, reject or interrupt")
		}
	}
	if len(req.Params) > MaxParams {
		return v, netra.Errorf(netra.CodePayloadTooLarge, "params longer than %d bytes", MaxParams)
	}
	if p := bytes.TrimSpace(req.Params); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if p[0] != '{' {
			return v, netra.Errorf(netra.CodeInvalidRequest, "params must be an object")
		}
		v.params = p
	}
	if req.Agent != nil {
		v.agent = *req.Agent
	}
	if err := s.cfg.Factory.Agents().CheckEntry(v.agent, v.params); err != nil {
		return v, err
	}
	if err := s.cfg.Switches.Check(killswitch.Agent, v.agent, time.Time{}); err != nil {
		return v, err
	}
	return v, nil
}

// startRun accepts a run: validated, owner-checked, stored (thread, user message, run) in one
// group commit, queued, and announced with run_queued. hold, when set, is called with the new
// run's id before anything about the run can be published, so that a WebSocket can hold the
// run's events until its run_accepted reply has gone out.
func (s *Server) startRun(ctx context.Context, id netra.Identity, req startRequest, connID string, hold func(runID string)) (netra.Run, int, error) {
	return s.beginRun(ctx, id, req, connID, hold).finish()
}

// pendingStart is a run on its way to acceptance: checked, its queue place reserved and its
// rows handed to the group commit, which finish waits for. Splitting the two lets a WebSocket
// go on reading frames while earlier start_runs commit, and still reply in order.
type pendingStart struct {
	s       *Server
	ctx     context.Context
	id      netra.Identity
	req     startRequest
	connID  string
	run     netra.Run
	release func()
	wait    func() error // the commit of the run's rows
	err     error        // a refusal before anything was stored
	job     *engine.Run  // made before the commit when the scheduler can start runs at once
	started bool         // job started at once (startsAtOnce), before its rows were stored
}

// beginRun checks a start request, reserves the run's queue place and hands its rows to the
// next group commit, without waiting for it. It does not fail: a refusal is in the result's
// err, and finish reports it.
func (s *Server) beginRun(ctx context.Context, id netra.Identity, req startRequest, connID string, hold func(runID string)) *pendingStart {
	p := &pendingStart{s: s, ctx: ctx, id: id, req: req, connID: connID}
	v, err := s.validate(req)
	if err != nil {
		p.err = err
		return p
	}
	if err := s.checkBudget(ctx, id); err != nil {
		p.err = err
		return p
	}
	if v.threadID != "" {
		if _, err := s.cfg.Store.GetThread(ctx, id.UserID, v.threadID); err != nil {
			p.err = err
			return p
		}
		active := s.cfg.Scheduler.ActiveInThread(id.UserID, v.threadID)
		switch {
		case len(active) > 0 && v.multitask == netra.MultitaskReject:
			p.err = netra.Errorf(netra.CodeConflict, "thread %s already has an active run", v.threadID)
			return p
		case v.multitask == netra.MultitaskInterrupt:
			// The scheduler runs one run per thread at a time, so the new run starts only
			// once the cancelled ones have released the thread.
			for _, runID := range active {
				s.cfg.Scheduler.Cancel(runID)
			}
		}
	}
	runID := netra.NewID("run_")
	nr := store.NewRun{ID: runID, Identity: id, ThreadID: v.threadID, Agent: v.agent, Input: v.input, Params: v.params,
		CreatedAt: time.Now().UTC()}
	if nr.ThreadID == "" {
		nr.NewThreadID = netra.NewID("thr_")
	}
	p.run = netra.Run{ID: runID, Owner: id.UserID, ThreadID: nr.ThreadID, Agent: nr.Agent, Status: netra.RunQueued,
		Tier: id.Tier, Role: id.Role, Input: nr.Input, Params: nr.Params, CreatedAt: nr.CreatedAt.Truncate(0)}
	if p.run.ThreadID == "" {
		p.run.ThreadID = nr.NewThreadID
	}
	var release func()
	if st, ok := s.cfg.Scheduler.(startsAtOnce); ok {
		p.job = s.cfg.Factory.NewRun(p.run, connID, 0)
		release, p.started, err = st.ReserveOrStart(id, p.job)
	} else {
		release, err = s.cfg.Scheduler.Reserve(id, runID)
	}
	if errors.Is(err, sched.ErrNodeQueueFull) {
		err = RetryAfter(err, 5*time.Second)
	}
	if err != nil {
		if p.job != nil {
			p.job.Withdraw()
		}
		p.err = err
		return p
	}
	// Before the acceptance goes to the group commit: nothing of the run is published sooner.
	if hold != nil {
		hold(runID)
	}
	p.release = release
	if p.started {
		// A slot was free: the run executes while its acceptance commits, and its events
		// follow the acceptance into the same commit or a later one.
		if p.wait, p.err = p.job.AcceptAtOnce(ctx, nr); p.err != nil {
			s.cfg.Scheduler.Cancel(runID)
		}
		return p
	}
	if p.wait, p.err = s.cfg.Factory.Accept(ctx, nr); p.err != nil {
		if p.job != nil {
			p.job.Withdraw()
		}
		release()
	}
	return p
}

// startsAtOnce is the ability of a scheduler to start a run before its acceptance is stored,
// when a slot is free for it (sched.Scheduler, cluster.Member).
type startsAtOnce interface {
	// ReserveOrStart reserves j's place as Reserve does and, when a slot is free for j now,
	// starts it too (started).
	ReserveOrStart(id netra.Identity, j sched.Job) (release func(), started bool, err error)
}

// finish waits for the run's rows to be committed, then queues the run and emits run_queued
// (a run started at once did both already). Once the rows are stored, the run is queued
// whatever happened to the caller meanwhile.
func (p *pendingStart) finish() (run netra.Run, pos int, err error) {
	s := p.s
	defer func() {
		agent := DefaultAgent
		if p.req.Agent != nil {
			agent = *p.req.Agent
		}
		s.audit(p.ctx, p.id.UserID, netra.AuditRunStart, run.ID, "agent "+agent, err)
	}()
	if p.err != nil {
		return netra.Run{}, 0, p.err
	}
	if err := p.wait(); err != nil {
		if p.job != nil {
			p.job.Withdraw()
		}
		if p.started {
			s.cfg.Scheduler.Cancel(p.run.ID)
		} else {
			p.release()
		}
		return netra.Run{}, 0, err
	}
	run = p.run
	s.cfg.Metrics.RunsAccepted.WithLabelValues(string(p.id.Tier)).Inc()
	if p.started {
		run.Status = netra.RunRunning
		return run, 0, nil
	}
	job := p.job
	if job == nil {
		job = s.cfg.Factory.NewRun(run, p.connID, 0)
	}
	pos = s.cfg.Scheduler.Submit(job)
	job.Accepted(context.WithoutCancel(p.ctx), pos, s.cfg.Scheduler.ETA(pos))
	if pos > 0 {
		run.QueuePosition = &pos
	} else {
		run.Status = netra.RunRunning
	}
	return run, pos, nil
}

// cancelRun cancels the owner's run. A run that has already ended answers conflict.
func (s *Server) cancelRun(ctx context.Context, id netra.Identity, runID string) (_ netra.Run, err error) {
	defer func() { s.audit(ctx, id.UserID, netra.AuditRunCancel, runID, "", err) }()
	if !execctx.ValidID(runID) {
		return netra.Run{}, netra.Errorf(netra.CodeNotFound, "run not found")
	}
	run, err := s.cfg.Store.GetRun(ctx, id.UserID, runID)
	if err != nil {
		return netra.Run{}, err
	}
	if run.Status.Ended() {
		return run, netra.Errorf(netra.CodeConflict, "run %s has already ended (%s)", runID, run.Status)
	}
	if !s.cfg.Scheduler.Cancel(runID) {
		// Not reserved, queued or running here: it may have ended a moment ago, or a crash
		// left it behind. End it so that it is not stuck.
		if run, err = s.cfg.Store.GetRun(ctx, id.UserID, runID); err != nil {
			return netra.Run{}, err
		}
		if run.Status.Ended() {
			return run, netra.Errorf(netra.CodeConflict, "run %s has already ended (%s)", runID, run.Status)
		}
		last, err := s.cfg.Store.LastSeq(ctx, runID)
		if err != nil {
			return netra.Run{}, err
		}
		s.cfg.Factory.EndOrphan(ctx, run, last, nil)
	}
	return s.withPosition(run), nil
}

// withPosition fills in the queue position of a queued run from the scheduler's view.
func (s *Server) withPosition(r netra.Run) netra.Run {
	r.QueuePosition = nil
	if r.Status == netra.RunQueued {
		if p := s.cfg.Scheduler.Position(r.ID); p > 0 {
			r.QueuePosition = &p
		}
	}
	return r
}

package model

import (
	"context"
	"errors"
	"time"
)

// Call is one model call as Recorded reports it: Netra's own usage, for its operators.
type Call struct {
	Provider string // the provider's name, "openai:gpt-4o-mini"
	Task     string // triage, write or chat
	Start    time.Time
	Duration time.Duration
	Usage    Usage // zero for a failed call
	Err      error
}

// Recorded reports every call of p, failed ones included, to rec. rec must not block.
func Recorded(p Provider, rec func(Call)) Provider { return recorded{p, rec} }

type recorded struct {
	p   Provider
	rec func(Call)
}

func (r recorded) Name() string     { return r.p.Name() }
func (r recorded) Unwrap() Provider { return r.p }

func (r recorded) Complete(ctx context.Context, req Request) (Response, error) {
	t0 := time.Now()
	res, err := r.p.Complete(ctx, req)
	r.rec(Call{Provider: r.p.Name(), Task: req.Task, Start: t0, Duration: time.Since(t0), Usage: res.Usage, Err: err})
	return res, err
}

func (r recorded) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	t0 := time.Now()
	res, err := Chat(ctx, r.p, req)
	if !errors.Is(err, ErrNoChat) {
		r.rec(Call{Provider: r.p.Name(), Task: "chat", Start: t0, Duration: time.Since(t0), Usage: res.Usage, Err: err})
	}
	return res, err
}

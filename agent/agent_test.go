package agent_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/tool"
)

type recEmitter struct {
	mu  sync.Mutex
	log []string
}

func (r *recEmitter) Emit(_ context.Context, typ netra.EventType, a string, _ any) error {
	r.mu.Lock()
	r.log = append(r.log, string(typ)+":"+a)
	r.mu.Unlock()
	return nil
}

// step is a configurable test agent.
type step struct {
	out  any
	next []string
	err  error
	seen *[]string
}

func (s step) Run(_ context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	keys := []string{}
	for k := range in.Prior {
		keys = append(keys, k)
	}
	*s.seen = append(*s.seen, rt.Name()+"<"+strings.Join(sorted(keys), ",")+">")
	return agent.Result{Output: s.out, Next: s.next}, s.err
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestWorkflowStepsDecideWhatFollows(t *testing.T) {
	t.Parallel()
	var seen []string
	reg, err := agent.NewRegistry(
		agent.Spec{Name: "triage", New: func() agent.Agent { return step{out: "t", next: []string{"data", "report"}, seen: &seen} }},
		agent.Spec{Name: "skipped", New: func() agent.Agent { return step{out: "s", seen: &seen} }},
		agent.Spec{Name: "data", New: func() agent.Agent { return step{out: map[string]int{"n": 1}, seen: &seen} }},
		agent.Spec{Name: "report", New: func() agent.Agent { return step{out: "r", seen: &seen} }},
		agent.Spec{Name: "broken", New: func() agent.Agent { return step{err: netra.Errorf("data_missing", "no data"), seen: &seen} }},
	)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	em := &recEmitter{}
	treg, _ := tool.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := agent.NewRuntime(ec, em, tool.NewDispatcher(ec, em, treg, log, nil), reg, log)
	prior, ran, err := rt.Workflow(context.Background(), []string{"triage", "skipped"}, agent.Input{Text: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ran, ",") != "triage,data,report" || string(prior["data"]) != `{"n":1}` {
		t.Fatalf("ran %v prior %v", ran, prior)
	}
	if strings.Join(seen, " ") != "triage<> data<triage> report<data,triage>" {
		t.Fatalf("seen %v", seen)
	}
	want := "agent_started:triage agent_completed:triage agent_started:data agent_completed:data agent_started:report agent_completed:report"
	if strings.Join(em.log, " ") != want {
		t.Fatalf("events %v", em.log)
	}
	em.log = nil
	_, ran, err = rt.Workflow(context.Background(), []string{"broken", "report"}, agent.Input{})
	if netra.ErrorCode(err) != "data_missing" || len(ran) != 1 {
		t.Fatalf("failing workflow: ran %v err %v", ran, err)
	}
	if strings.Join(em.log, " ") != "agent_started:broken agent_error:broken" {
		t.Fatalf("events %v", em.log)
	}
}

func TestRegistryChecksEntryAndParams(t *testing.T) {
	t.Parallel()
	reg, err := agent.NewRegistry(
		agent.Spec{Name: "entry", Entry: true, Params: `{"type":"object","properties":{"n":{"type":"integer"}}}`, New: func() agent.Agent { return nil }},
		agent.Spec{Name: "inner", New: func() agent.Agent { return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.CheckEntry("entry", json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := reg.CheckEntry("entry", json.RawMessage(`{"n":"x"}`)); netra.ErrorCode(err) != netra.CodeInvalidRequest {
		t.Fatalf("bad params: %v", err)
	}
	if err := reg.CheckEntry("inner", nil); netra.ErrorCode(err) != netra.CodeNotFound {
		t.Fatalf("inner agent as entry: %v", err)
	}
	if err := reg.CheckEntry("missing", nil); netra.ErrorCode(err) != netra.CodeNotFound {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := agent.NewRegistry(agent.Spec{Name: "x"}); err == nil {
		t.Fatal("spec without New accepted")
	}
}

type waiter struct{}

func (waiter) Run(ctx context.Context, _ *agent.Runtime, _ agent.Input) (agent.Result, error) {
	<-ctx.Done()
	return agent.Result{}, ctx.Err()
}

func TestStepTimeout(t *testing.T) {
	t.Parallel()
	reg, _ := agent.NewRegistry(agent.Spec{Name: "waiter", New: func() agent.Agent { return waiter{} }})
	ec, _ := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	em := &recEmitter{}
	treg, _ := tool.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := agent.NewRuntime(ec, em, tool.NewDispatcher(ec, em, treg, log, nil), reg, log)
	rt.LimitSteps(20 * time.Millisecond)
	_, err := rt.RunAgent(context.Background(), "waiter", agent.Input{})
	if netra.ErrorCode(err) != netra.CodeTimeout {
		t.Fatalf("err %v", err)
	}
	if strings.Join(em.log, " ") != "agent_started:waiter agent_error:waiter" {
		t.Fatalf("events %v", em.log)
	}
}

// deltaEmitter records message_delta texts with when they went out.
type deltaEmitter struct {
	mu    sync.Mutex
	texts []string
	at    []time.Time
}

func (d *deltaEmitter) Emit(_ context.Context, typ netra.EventType, _ string, data any) error {
	if typ == netra.EventMessageDelta {
		d.mu.Lock()
		d.texts = append(d.texts, data.(map[string]string)["text"])
		d.at = append(d.at, time.Now())
		d.mu.Unlock()
	}
	return nil
}

// TestStreamCoalescesAndNeverHoldsText: pieces written close together go out as one
// message_delta; pieces followed by a pause go out within one and a half DeltaInterval,
// without waiting for the next piece or the end; all of it, in order, is the stream's text.
func TestStreamCoalescesAndNeverHoldsText(t *testing.T) {
	t.Parallel()
	ec, _ := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	em := &deltaEmitter{}
	treg, _ := tool.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, _ := agent.NewRegistry()
	rt := agent.NewRuntime(ec, em, tool.NewDispatcher(ec, em, treg, log, nil), reg, log)
	s := rt.Stream(context.Background())
	s.Write("a ")
	s.Write("b ")
	wrote := time.Now()
	s.Write("c ")
	time.Sleep(3 * agent.DeltaInterval) // the model pauses: "b c " must not wait for it
	em.mu.Lock()
	texts := append([]string(nil), em.texts...)
	var late time.Duration
	if len(em.at) == 2 {
		late = em.at[1].Sub(wrote)
	}
	em.mu.Unlock()
	if len(texts) != 2 || texts[0] != "a " || texts[1] != "b c " || late > agent.DeltaInterval*3/2+50*time.Millisecond {
		t.Fatalf("during the pause the deltas were %q (the second %v after its first piece)", texts, late)
	}
	s.Write("d")
	s.Flush()
	em.mu.Lock()
	defer em.mu.Unlock()
	if strings.Join(em.texts, "") != s.Text() || s.Text() != "a b c d" || s.Events() != 3 {
		t.Fatalf("deltas %q, text %q, %d events", em.texts, s.Text(), s.Events())
	}
}

package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/resilience"
	"github.com/netra-ai/netra/tool"
)

type emitted struct {
	typ  netra.EventType
	data map[string]any
}

// fakeEmitter records what the dispatcher emits.
type fakeEmitter struct {
	mu  sync.Mutex
	evs []emitted
}

func (f *fakeEmitter) Emit(_ context.Context, typ netra.EventType, _ string, data any) error {
	raw, _ := json.Marshal(data)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	f.mu.Lock()
	f.evs = append(f.evs, emitted{typ, m})
	f.mu.Unlock()
	return nil
}

func setup(t *testing.T, tier netra.Tier) (*tool.Dispatcher, *fakeEmitter, *int) {
	t.Helper()
	reg, err := tool.NewRegistry(
		tool.Tool{Name: "add", Schema: `{"type":"object","required":["a","b"],"properties":{"a":{"type":"number"},"b":{"type":"number"}}}`,
			Run: func(_ context.Context, ec *execctx.Context, raw json.RawMessage) (any, error) {
				if ec.Depth() != 1 || ec.UserID() != "alice" {
					return nil, errors.New("tool got the wrong context")
				}
				var in struct{ A, B float64 }
				_ = json.Unmarshal(raw, &in)
				return map[string]float64{"sum": in.A + in.B}, nil
			}},
		tool.Tool{Name: "slow", Timeout: 20 * time.Millisecond, Run: func(ctx context.Context, _ *execctx.Context, _ json.RawMessage) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		tool.Tool{Name: "premium", Tiers: []netra.Tier{netra.TierEnterprise}, Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
			return "ok", nil
		}},
		tool.Tool{Name: "panics", Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) { panic("/etc/secret/path") }},
		tool.Tool{Name: "huge", Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
			return strings.Repeat("x", tool.MaxResult), nil
		}},
		tool.Tool{Name: "leaky", Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
			return map[string]string{"api_key": "sk-abcdefghijklmnopqrstuvwxyz"}, nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: tier, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	if err != nil {
		t.Fatal(err)
	}
	em := &fakeEmitter{}
	closed := 0
	d := tool.NewDispatcher(ec, em, reg, slog.New(slog.NewTextHandler(io.Discard, nil)), func() { closed++ })
	return d, em, &closed
}

func TestDispatcherOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, tool string
		args       any
		code       netra.Code // "" for success
	}{
		{"ok", "add", map[string]int{"a": 1, "b": 2}, ""},
		{"unknown tool", "nope", nil, netra.CodeNotFound},
		{"missing arg", "add", map[string]int{"a": 1}, netra.CodeInvalidRequest},
		{"wrong type", "add", map[string]string{"a": "1", "b": "2"}, netra.CodeInvalidRequest},
		{"timeout", "slow", nil, netra.CodeTimeout},
		{"tier", "premium", nil, netra.CodeForbidden},
		{"panic", "panics", nil, netra.CodeInternal},
		{"too large", "huge", nil, netra.CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, em, _ := setup(t, netra.TierFree)
			res, err := d.Call(context.Background(), "tester", tc.tool, tc.args)
			if got := ""; err != nil {
				got = string(netra.ErrorCode(err))
				if got != string(tc.code) {
					t.Fatalf("code %s, want %s (%v)", got, tc.code, err)
				}
			} else if tc.code != "" {
				t.Fatalf("succeeded with %s, want %s", res, tc.code)
			}
			if len(em.evs) != 2 || em.evs[0].typ != netra.EventToolExecuting || em.evs[1].typ != netra.EventToolCompleted {
				t.Fatalf("events %+v", em.evs)
			}
			exec, done := em.evs[0].data, em.evs[1].data
			if exec["call_id"] == "" || exec["call_id"] != done["call_id"] || done["tool"] != tc.tool {
				t.Fatalf("call ids %v %v", exec, done)
			}
			if ok := done["ok"].(bool); ok != (tc.code == "") {
				t.Fatalf("ok = %v", ok)
			}
			if tc.code != "" {
				e := done["error"].(map[string]any)
				if e["code"] != string(tc.code) || strings.Contains(e["message"].(string), "/etc") {
					t.Fatalf("error %v", e)
				}
			} else if string(res) != `{"sum":3}` {
				t.Fatalf("result %s", res)
			}
		})
	}
}

func TestDispatcherTierAllowedAndClose(t *testing.T) {
	t.Parallel()
	d, _, closed := setup(t, netra.TierEnterprise)
	if _, err := d.Call(context.Background(), "tester", "premium", nil); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close()
	if *closed != 1 {
		t.Fatalf("onClose ran %d times", *closed)
	}
	if _, err := d.Call(context.Background(), "tester", "add", map[string]int{"a": 1, "b": 1}); netra.ErrorCode(err) != netra.CodeUnavailable {
		t.Fatalf("call after close: %v", err)
	}
}

func TestRegistryRefusesBadDeclarations(t *testing.T) {
	t.Parallel()
	run := func(context.Context, *execctx.Context, json.RawMessage) (any, error) { return nil, nil }
	for name, tools := range map[string][]tool.Tool{
		"bad name":   {{Name: "Bad Name", Run: run}},
		"duplicate":  {{Name: "a", Run: run}, {Name: "a", Run: run}},
		"no run":     {{Name: "a"}},
		"bad schema": {{Name: "a", Run: run, Schema: `{"type":7}`}},
	} {
		if _, err := tool.NewRegistry(tools...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRetriesAndBreaker(t *testing.T) {
	t.Parallel()
	var flakyCalls, downCalls, badCalls int
	reg, err := tool.NewRegistry(
		tool.Tool{Name: "flaky", Retry: resilience.Retry{Attempts: 3, Base: time.Millisecond},
			Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
				flakyCalls++
				if flakyCalls < 3 {
					return nil, netra.Errorf(netra.CodeUnavailable, "try again")
				}
				return "ok", nil
			}},
		tool.Tool{Name: "down", Breaker: 2, BreakerCooldown: time.Hour,
			Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
				downCalls++
				return nil, netra.Errorf(netra.CodeUnavailable, "down")
			}},
		tool.Tool{Name: "picky", Breaker: 1, Retry: resilience.Retry{Attempts: 5, Base: time.Millisecond},
			Run: func(context.Context, *execctx.Context, json.RawMessage) (any, error) {
				badCalls++
				return nil, netra.Errorf(netra.CodeInvalidRequest, "your input is wrong")
			}},
	)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := execctx.New(execctx.Params{Identity: netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser},
		ThreadID: "thr_1", RunID: "run_1", RequestID: "req_1", TraceID: "trc_1"})
	em := &fakeEmitter{}
	d := tool.NewDispatcher(ec, em, reg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	ctx := context.Background()
	if res, err := d.Call(ctx, "t", "flaky", nil); err != nil || string(res) != `"ok"` || flakyCalls != 3 {
		t.Fatalf("flaky: %s %v after %d calls", res, err, flakyCalls)
	}
	if em.evs[1].data["attempts"] != 3.0 {
		t.Fatalf("tool_completed %v", em.evs[1].data)
	}
	for i := 0; i < 2; i++ {
		if _, err := d.Call(ctx, "t", "down", nil); netra.ErrorCode(err) != netra.CodeUnavailable {
			t.Fatalf("down call %d: %v", i, err)
		}
	}
	_, err = d.Call(ctx, "t", "down", nil)
	if netra.ErrorCode(err) != netra.CodeUnavailable || downCalls != 2 || !strings.Contains(err.Error(), "switched off") {
		t.Fatalf("open breaker: %v after %d calls", err, downCalls)
	}
	// A caller's mistake is neither retried nor held against the tool.
	for i := 0; i < 3; i++ {
		if _, err := d.Call(ctx, "t", "picky", nil); netra.ErrorCode(err) != netra.CodeInvalidRequest {
			t.Fatalf("picky: %v", err)
		}
	}
	if badCalls != 3 {
		t.Fatalf("picky ran %d times, want 3 (no retries, no open breaker)", badCalls)
	}
}

func TestTierCapsTheToolTimeout(t *testing.T) {
	t.Parallel()
	d, _, _ := setup(t, netra.TierFree)
	d.LimitTimeout(5 * time.Millisecond)
	start := time.Now()
	if _, err := d.Call(context.Background(), "t", "slow", nil); netra.ErrorCode(err) != netra.CodeTimeout {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 15*time.Millisecond+10*time.Millisecond {
		t.Fatalf("the tier's 5 ms cap did not apply: %v", time.Since(start))
	}
}

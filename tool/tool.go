// Package tool declares tools and runs them for one run at a time. A Tool is declared once at
// start-up in a read-only Registry; each run gets its own Dispatcher, bound to the run's
// execution context and emitter, that checks tier, arguments and timeout, emits
// tool_executing and tool_completed, and turns every failure into a failed call, never a crash.
package tool

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/resilience"
	"github.com/netra-ai/netra/schema"
)

// Func does a tool's work. ec is a child of the run's context; args has passed the schema.
type Func func(ctx context.Context, ec *execctx.Context, args json.RawMessage) (any, error)

// Tool declares a tool.
type Tool struct {
	Name        string
	Description string
	// Schema is the JSON Schema of the arguments object.
	Schema string
	// Timeout bounds one call. Default 30 s.
	Timeout time.Duration
	// Tiers that may call the tool; empty means every tier.
	Tiers []netra.Tier
	// Retry retries a call that failed with unavailable or timeout. Default: no retry.
	Retry resilience.Retry
	// Breaker opens after this many consecutive failures of the tool itself (unavailable,
	// timeout, internal) and fails calls fast with unavailable for BreakerCooldown (default
	// 30 s). 0 turns it off. The breaker is per node: it protects the dependency, for everyone.
	Breaker         int
	BreakerCooldown time.Duration
	Run             Func
}

// DefaultTimeout is a tool call's timeout when the tool declares none.
const DefaultTimeout = 30 * time.Second

// MaxResult bounds a tool result's JSON encoding; a larger result fails the call.
const MaxResult = 1 << 20

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

type entry struct {
	Tool
	args    *schema.Schema
	breaker *resilience.Breaker
}

// Registry holds the declared tools. It is built once and only read afterwards.
type Registry struct {
	tools map[string]*entry
}

// NewRegistry checks and compiles the tools.
func NewRegistry(tools ...Tool) (*Registry, error) {
	r := &Registry{tools: make(map[string]*entry, len(tools))}
	for _, t := range tools {
		if !namePattern.MatchString(t.Name) {
			return nil, fmt.Errorf("tool %q: name must match %s", t.Name, namePattern)
		}
		if _, dup := r.tools[t.Name]; dup {
			return nil, fmt.Errorf("tool %q declared twice", t.Name)
		}
		if t.Run == nil {
			return nil, fmt.Errorf("tool %q has no Run", t.Name)
		}
		if t.Schema == "" {
			t.Schema = `{"type":"object"}`
		}
		s, err := schema.Compile("tool/"+t.Name, t.Schema)
		if err != nil {
			return nil, err
		}
		if t.Timeout <= 0 {
			t.Timeout = DefaultTimeout
		}
		r.tools[t.Name] = &entry{Tool: t, args: s, breaker: resilience.NewBreaker(t.Breaker, t.BreakerCooldown)}
	}
	return r, nil
}

// Names lists the declared tools, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.tools))
	for n := range r.tools {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns the declaration of a tool.
func (r *Registry) Get(name string) (Tool, bool) {
	e, ok := r.tools[name]
	if !ok {
		return Tool{}, false
	}
	return e.Tool, true
}

func (e *entry) allows(t netra.Tier) bool {
	return len(e.Tiers) == 0 || slices.Contains(e.Tiers, t)
}

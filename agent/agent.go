// Package agent defines agents, their read-only registry, and the runtime through which an
// agent acts during one run: thinking aloud, calling tools, and running other agents as steps
// of a workflow. Every agent step is reported with agent_started and agent_completed (or
// agent_error), and a panic in an agent fails only its run.
package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/schema"
)

// Agent does one step of work. A fresh instance serves one run, so an agent may keep state
// in its fields for the duration of the run and never shares it with another run.
type Agent interface {
	Run(ctx context.Context, rt *Runtime, in Input) (Result, error)
}

// Input is what a step receives.
type Input struct {
	// Text is the user's input of the run.
	Text string
	// Params are the run's params (a JSON object, possibly empty).
	Params json.RawMessage
	// Prior holds the results of the steps that ran before this one in the workflow, by name.
	Prior map[string]json.RawMessage
}

// Result is what a step returns.
type Result struct {
	// Output is the step's result: reported in agent_completed and, for the run's entry
	// agent, the run's output (a string or a JSON object).
	Output any
	// Next, when not nil, replaces the steps that follow this one in the workflow.
	Next []string
}

// Spec declares an agent.
type Spec struct {
	Name        string
	Description string
	// Entry marks an agent that a run may name in start_run.
	Entry bool
	// Params is the JSON Schema of the run params an entry agent accepts; "" accepts any object.
	Params string
	New    func() Agent
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

type spec struct {
	Spec
	params *schema.Schema
}

// Registry holds the declared agents. It is built once at start-up and only read afterwards.
type Registry struct {
	specs map[string]*spec
}

// NewRegistry checks the specs and compiles their params schemas.
func NewRegistry(specs ...Spec) (*Registry, error) {
	r := &Registry{specs: make(map[string]*spec, len(specs))}
	for _, s := range specs {
		if !namePattern.MatchString(s.Name) {
			return nil, fmt.Errorf("agent %q: name must match %s", s.Name, namePattern)
		}
		if _, dup := r.specs[s.Name]; dup {
			return nil, fmt.Errorf("agent %q declared twice", s.Name)
		}
		if s.New == nil {
			return nil, fmt.Errorf("agent %q has no New", s.Name)
		}
		src := s.Params
		if src == "" {
			src = `{"type":"object"}`
		}
		ps, err := schema.Compile("agent/"+s.Name, src)
		if err != nil {
			return nil, err
		}
		r.specs[s.Name] = &spec{Spec: s, params: ps}
	}
	return r, nil
}

// Info describes an agent for GET /v1/agents.
type Info struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Entry is true for the agents a run may name; the others are steps of a workflow.
	Entry bool `json:"entry"`
}

// List describes the declared agents, sorted by name.
func (r *Registry) List() []Info {
	out := make([]Info, 0, len(r.specs))
	for _, n := range r.Names() {
		s := r.specs[n]
		out = append(out, Info{Name: n, Description: s.Description, Entry: s.Entry})
	}
	return out
}

// Names lists the declared agents, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.specs))
	for n := range r.specs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckEntry validates a run request for the named entry agent: the agent must exist and be
// an entry point (else not_found), and params must match its schema (else invalid_request).
func (r *Registry) CheckEntry(name string, params json.RawMessage) error {
	s, ok := r.specs[name]
	if !ok || !s.Entry {
		var entries []string
		for _, n := range r.Names() {
			if r.specs[n].Entry {
				entries = append(entries, n)
			}
		}
		return netra.Errorf(netra.CodeNotFound, "unknown agent %q; this server runs %s (GET /v1/agents lists them)", name, strings.Join(entries, ", "))
	}
	return s.params.Validate("params", params)
}

func (r *Registry) instance(name string) (Agent, error) {
	s, ok := r.specs[name]
	if !ok {
		return nil, netra.Errorf(netra.CodeNotFound, "unknown agent %q", name)
	}
	return s.New(), nil
}

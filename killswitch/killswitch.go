// Package killswitch lets an administrator turn an agent or a tool off at run time. New runs
// of a disabled agent are refused with unavailable, and steps and tool calls that reach a
// disabled agent or tool fail with unavailable. Runs that were already running when the
// switch was thrown either go on untouched (ModeFinish) or are stopped too (ModeCancel; the
// caller cancels the runs of a disabled entry agent).
package killswitch

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// Kind is what a switch turns off.
type Kind string

// Kinds.
const (
	Agent Kind = "agent"
	Tool  Kind = "tool"
)

// Mode says what happens to runs that were running when the switch was thrown.
type Mode string

// Modes.
const (
	ModeFinish Mode = "finish" // they go on as if nothing happened
	ModeCancel Mode = "cancel" // they are stopped: steps and calls fail, entry runs are cancelled
)

// Switch is one disabled agent or tool.
type Switch struct {
	Kind   Kind      `json:"kind"`
	Name   string    `json:"name"`
	Mode   Mode      `json:"mode"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

type key struct {
	kind Kind
	name string
}

// Keeper stores switches, so that a restart keeps them (the node's store).
type Keeper interface {
	PutSwitch(ctx context.Context, sw Switch) error
	DeleteSwitch(ctx context.Context, kind Kind, name string) (bool, error)
	ListSwitches(ctx context.Context) ([]Switch, error)
}

// Board holds the switches of a node. It is safe for concurrent use; the zero value is not,
// make one with New or Load. Checks read memory only; a switch thrown or cleared is written
// to the keeper first, so a board and its keeper never disagree.
type Board struct {
	keep Keeper // nil: kept in memory only

	mu sync.RWMutex
	m  map[key]Switch
}

// New returns a board with every agent and tool on, kept in memory only.
func New() *Board { return &Board{m: map[key]Switch{}} }

// Load returns a board with the switches keep holds, which keeps the changes made to it.
func Load(ctx context.Context, keep Keeper) (*Board, error) {
	sws, err := keep.ListSwitches(ctx)
	if err != nil {
		return nil, fmt.Errorf("kill switches: %w", err)
	}
	b := &Board{keep: keep, m: make(map[key]Switch, len(sws))}
	for _, s := range sws {
		b.m[key{s.Kind, s.Name}] = s
	}
	return b, nil
}

// Refresh reads the switches again from the keeper: in a cluster another node may have thrown
// or cleared one.
func (b *Board) Refresh(ctx context.Context) error {
	if b.keep == nil {
		return nil
	}
	sws, err := b.keep.ListSwitches(ctx)
	if err != nil {
		return fmt.Errorf("kill switches: %w", err)
	}
	m := make(map[key]Switch, len(sws))
	for _, s := range sws {
		m[key{s.Kind, s.Name}] = s
	}
	b.mu.Lock()
	b.m = m
	b.mu.Unlock()
	return nil
}

// Disable throws a switch (again: the newest settings win).
func (b *Board) Disable(ctx context.Context, s Switch) error {
	if s.Kind != Agent && s.Kind != Tool {
		return netra.Errorf(netra.CodeInvalidRequest, "kind must be agent or tool")
	}
	if s.Mode == "" {
		s.Mode = ModeFinish
	}
	if s.Mode != ModeFinish && s.Mode != ModeCancel {
		return netra.Errorf(netra.CodeInvalidRequest, "mode must be finish or cancel")
	}
	if s.At.IsZero() {
		s.At = time.Now().UTC()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keep != nil {
		if err := b.keep.PutSwitch(ctx, s); err != nil {
			return err
		}
	}
	b.m[key{s.Kind, s.Name}] = s
	return nil
}

// Enable turns a switch back; it reports whether it was thrown.
func (b *Board) Enable(ctx context.Context, kind Kind, name string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[key{kind, name}]
	if b.keep != nil {
		if _, err := b.keep.DeleteSwitch(ctx, kind, name); err != nil {
			return false, err
		}
	}
	delete(b.m, key{kind, name})
	return ok, nil
}

// List returns the thrown switches, by kind and name.
func (b *Board) List() []Switch {
	b.mu.RLock()
	out := make([]Switch, 0, len(b.m))
	for _, s := range b.m {
		out = append(out, s)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Check answers unavailable when name is off for a run that started at runStarted (the zero
// time for a run not started yet).
func (b *Board) Check(kind Kind, name string, runStarted time.Time) error {
	b.mu.RLock()
	s, ok := b.m[key{kind, name}]
	b.mu.RUnlock()
	if !ok {
		return nil
	}
	if s.Mode == ModeFinish && !runStarted.IsZero() && runStarted.Before(s.At) {
		return nil
	}
	msg := fmt.Sprintf("%s %s is disabled by an administrator", kind, name)
	if s.Reason != "" {
		msg += ": " + s.Reason
	}
	return &netra.Error{Code: netra.CodeUnavailable, Message: msg}
}

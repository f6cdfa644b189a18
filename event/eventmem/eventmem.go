// Package eventmem is the in-process event bus of a single node: Publish calls every
// subscriber's handler directly, in the publisher's goroutine, which keeps per-run order.
package eventmem

import (
	"context"
	"sync"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/event"
)

// Bus is the in-process bus.
type Bus struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(*netra.Event)
}

var _ event.Bus = (*Bus)(nil)

// New returns an empty bus.
func New() *Bus { return &Bus{subs: make(map[int]func(*netra.Event))} }

// Publish hands ev to every handler.
func (b *Bus) Publish(_ context.Context, ev *netra.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, h := range b.subs {
		h(ev)
	}
	return nil
}

// Subscribe registers handler until stop is called.
func (b *Bus) Subscribe(handler func(*netra.Event)) (func(), error) {
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = handler
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
		})
	}, nil
}

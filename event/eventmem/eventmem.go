// Package eventmem is the in-process event bus of a single node: Publish calls the handlers
// of the event's owner directly, in the publisher's goroutine, which keeps per-run order.
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
	subs map[string]map[int]func(*netra.Event) // by user
}

var _ event.Bus = (*Bus)(nil)

// New returns an empty bus.
func New() *Bus { return &Bus{subs: make(map[string]map[int]func(*netra.Event))} }

// Publish hands ev to the handlers of its owner.
func (b *Bus) Publish(_ context.Context, ev *netra.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, h := range b.subs[ev.Owner] {
		h(ev)
	}
	return nil
}

// Subscribe registers handler for user's events until stop is called.
func (b *Bus) Subscribe(_ context.Context, user string, handler func(*netra.Event)) (func(), error) {
	b.mu.Lock()
	id := b.next
	b.next++
	if b.subs[user] == nil {
		b.subs[user] = make(map[int]func(*netra.Event), 1)
	}
	b.subs[user][id] = handler
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[user], id)
			if len(b.subs[user]) == 0 {
				delete(b.subs, user)
			}
			b.mu.Unlock()
		})
	}, nil
}

package event

import (
	"hash/maphash"
	"sync"

	"github.com/netra-ai/netra"
)

// Subscriber receives the events of one user. Deliver must not block: a subscriber that
// cannot keep up drops itself (a connection closes with 1013 and resumes by seq).
type Subscriber interface {
	Deliver(ev *netra.Event)
}

const hubShards = 64

// Hub routes events to the subscribers of their owner. It is sharded by user id so that
// delivery for one user never waits on another user's subscribe or unsubscribe.
type Hub struct {
	seed   maphash.Seed
	shards [hubShards]hubShard
}

type hubShard struct {
	mu    sync.RWMutex
	users map[string]map[Subscriber]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	h := &Hub{seed: maphash.MakeSeed()}
	for i := range h.shards {
		h.shards[i].users = make(map[string]map[Subscriber]struct{})
	}
	return h
}

func (h *Hub) shard(userID string) *hubShard {
	return &h.shards[maphash.String(h.seed, userID)%hubShards]
}

// Subscribe registers s for userID's events until the returned function is called.
func (h *Hub) Subscribe(userID string, s Subscriber) (unsubscribe func()) {
	sh := h.shard(userID)
	sh.mu.Lock()
	set := sh.users[userID]
	if set == nil {
		set = make(map[Subscriber]struct{}, 2)
		sh.users[userID] = set
	}
	set[s] = struct{}{}
	sh.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sh.mu.Lock()
			if set := sh.users[userID]; set != nil {
				delete(set, s)
				if len(set) == 0 {
					delete(sh.users, userID)
				}
			}
			sh.mu.Unlock()
		})
	}
}

// Dispatch hands ev to every subscriber of its owner.
func (h *Hub) Dispatch(ev *netra.Event) {
	sh := h.shard(ev.Owner)
	sh.mu.RLock()
	for s := range sh.users[ev.Owner] {
		s.Deliver(ev)
	}
	sh.mu.RUnlock()
}

// Subscribers returns how many subscribers userID has.
func (h *Hub) Subscribers(userID string) int {
	sh := h.shard(userID)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.users[userID])
}

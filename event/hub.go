package event

import (
	"context"
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

// Hub routes events to the subscribers of their owner on this node. It subscribes on the bus
// for a user while the user has a subscriber here (a connection, an SSE stream), so that a
// node receives the events of its own users only. It is sharded by user id so that delivery
// for one user never waits on another user's subscribe or unsubscribe.
type Hub struct {
	bus    Bus
	seed   maphash.Seed
	shards [hubShards]hubShard
}

type hubShard struct {
	mu    sync.RWMutex
	users map[string]*hubUser
}

// hubUser is a user's subscribers on this node and the bus subscription that feeds them.
type hubUser struct {
	subs map[Subscriber]struct{} // guarded by the shard's mu

	mu   sync.Mutex // orders this user's bus subscribe and stop
	stop func()     // the bus subscription; nil until made
}

// NewHub returns an empty hub fed by bus.
func NewHub(bus Bus) *Hub {
	h := &Hub{bus: bus, seed: maphash.MakeSeed()}
	for i := range h.shards {
		h.shards[i].users = make(map[string]*hubUser)
	}
	return h
}

func (h *Hub) shard(userID string) *hubShard {
	return &h.shards[maphash.String(h.seed, userID)%hubShards]
}

// Subscribe registers s for userID's events until the returned function is called. When it
// returns, every event of userID published from then on reaches s.
func (h *Hub) Subscribe(ctx context.Context, userID string, s Subscriber) (unsubscribe func(), err error) {
	sh := h.shard(userID)
	sh.mu.Lock()
	u := sh.users[userID]
	if u == nil {
		u = &hubUser{subs: make(map[Subscriber]struct{}, 2)}
		sh.users[userID] = u
	}
	u.subs[s] = struct{}{}
	sh.mu.Unlock()
	var once sync.Once
	unsubscribe = func() { once.Do(func() { h.unsubscribe(sh, userID, u, s) }) }
	u.mu.Lock()
	if u.stop == nil {
		var stop func()
		if stop, err = h.bus.Subscribe(ctx, userID, h.Dispatch); err == nil {
			u.stop = stop
		}
	}
	u.mu.Unlock()
	if err != nil {
		unsubscribe()
		return nil, err
	}
	return unsubscribe, nil
}

func (h *Hub) unsubscribe(sh *hubShard, userID string, u *hubUser, s Subscriber) {
	sh.mu.Lock()
	delete(u.subs, s)
	last := len(u.subs) == 0
	if last && sh.users[userID] == u {
		delete(sh.users, userID)
	}
	sh.mu.Unlock()
	if !last {
		return
	}
	// A subscriber arriving now finds no user here and subscribes anew: for a moment two bus
	// subscriptions may feed it, and subscribers drop what they already had by seq.
	u.mu.Lock()
	if u.stop != nil {
		u.stop()
		u.stop = nil
	}
	u.mu.Unlock()
}

// Dispatch hands ev to every subscriber of its owner.
func (h *Hub) Dispatch(ev *netra.Event) {
	sh := h.shard(ev.Owner)
	sh.mu.RLock()
	if u := sh.users[ev.Owner]; u != nil {
		for s := range u.subs {
			s.Deliver(ev)
		}
	}
	sh.mu.RUnlock()
}

// Subscribers returns how many subscribers userID has.
func (h *Hub) Subscribers(userID string) int {
	sh := h.shard(userID)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if u := sh.users[userID]; u != nil {
		return len(u.subs)
	}
	return 0
}

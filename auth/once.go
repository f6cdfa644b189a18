package auth

import (
	"sync"
	"time"
)

// maxOnce bounds an onceSet; past it, expired ids are dropped, and a full set of live ids
// refuses new ones (add reports false), which fails closed.
const maxOnce = 100_000

// onceSet remembers ids until they expire: redeemed sign-in codes, revoked sessions. It lives
// in this node's memory, like tickets.
type onceSet struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func newOnceSet() *onceSet { return &onceSet{m: map[string]time.Time{}} }

// add records id until exp; false if it was there already (or the set is full).
func (o *onceSet) add(id string, exp time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.m[id]; ok {
		return false
	}
	if len(o.m) >= maxOnce {
		now := time.Now()
		for k, e := range o.m {
			if now.After(e) {
				delete(o.m, k)
			}
		}
		if len(o.m) >= maxOnce {
			return false
		}
	}
	o.m[id] = exp
	return true
}

func (o *onceSet) has(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.m[id]
	return ok
}

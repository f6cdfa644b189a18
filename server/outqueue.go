package server

import "sync"

// outQueue is a connection's outgoing queue: bounded like a channel of max items, but it
// holds memory only for what waits. A channel of SendQueue (1,024) items cost every
// connection 16 KiB, idle or not; most of an idle connection's memory.
type outQueue struct {
	mu    sync.Mutex
	items []outItem // waiting from head on
	head  int
	max   int
	ready chan struct{} // holds a signal while items may wait
	space chan struct{} // holds a signal after an item was taken
}

func newOutQueue(max int) *outQueue {
	return &outQueue{max: max, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// offer adds it at the end unless max items wait already.
func (q *outQueue) offer(it outItem) bool {
	q.mu.Lock()
	n := len(q.items) - q.head
	if n >= q.max {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Reuse the room of what was taken before growing.
		copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take removes the oldest item; ok is false when none waits.
func (q *outQueue) take() (it outItem, ok bool) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.mu.Unlock()
		return outItem{}, false
	}
	it = q.items[q.head]
	q.items[q.head] = outItem{}
	q.head++
	if q.head == len(q.items) { // empty: keep a small array for the next few, drop a large one
		if cap(q.items) > 64 {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
		q.head = 0
	}
	q.mu.Unlock()
	select {
	case q.space <- struct{}{}:
	default:
	}
	return it, true
}

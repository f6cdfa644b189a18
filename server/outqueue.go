package server

import "sync"

// outQueue is a connection's outgoing queue: bounded like a channel of max items, but it
// holds memory only for what waits, and it has a writer only while something waits. A
// channel of SendQueue (1,024) items cost every connection 16 KiB, idle or not, and a writer
// goroutine parked on it another stack.
type outQueue struct {
	mu      sync.Mutex
	items   []outItem // waiting from head on
	head    int
	max     int
	writing bool          // a writer was started and has not found the queue empty since
	space   chan struct{} // holds a signal after an item was taken
}

func newOutQueue(max int) *outQueue {
	return &outQueue{max: max, space: make(chan struct{}, 1)}
}

// offer adds it at the end unless max items wait already. start is true when no writer is
// under way: the caller must start one, which takes until take reports the queue empty.
func (q *outQueue) offer(it outItem) (ok, start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.items) - q.head
	if n >= q.max {
		return false, false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Reuse the room of what was taken before growing.
		copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, it)
	start = !q.writing
	q.writing = true
	return true, start
}

// take removes the oldest item. When none waits, ok is false and the writer's turn is over:
// the next offer starts another.
func (q *outQueue) take() (it outItem, ok bool) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.writing = false
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

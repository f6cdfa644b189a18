package server

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// corkMax bounds what a cork holds: beyond it, the held frames go out at once, so that a long
// replay neither waits for its end nor is copied whole.
const corkMax = 32 << 10

// corkConn is a WebSocket connection's write side that can hold frames: its writer corks it
// for a turn and uncorks it when its queue is empty, so that the frames of one turn (a run's
// events from one commit, a burst of replies) leave in one write(2) instead of one each. On
// loopback, a write costs more than encoding the event it carries (docs/benchmarks.md).
// Uncorked, every write goes straight through, as before. The WebSocket library writes whole
// frames through its buffer and serializes its writers, so a cork never splits a frame from
// another writer (a pong) in two.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	held   []byte
	// cutoff is set by cut: the connection is closing and its writes may no longer wait.
	cutoff atomic.Bool
}

// cut ends a write blocked on a peer that does not read, and any after it: the connection is
// closing (wsConn.wctx has ended). The library's own writes end with their contexts; uncork's
// write is ours, and nothing else would end it before its timeout.
func (c *corkConn) cut() {
	if c == nil {
		return
	}
	c.cutoff.Store(true)
	_ = c.Conn.SetWriteDeadline(time.Now()) // without mu: uncork holds it while it writes
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked && len(c.held)+len(p) <= corkMax {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	if len(c.held) > 0 {
		if _, err := c.Conn.Write(c.held); err != nil {
			return 0, err
		}
		c.held = c.held[:0]
	}
	return c.Conn.Write(p)
}

// cork holds writes until uncork. A nil cork (a connection not hijacked by us) does nothing.
func (c *corkConn) cork() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork sends what was held, in one write bounded by timeout.
func (c *corkConn) uncork(timeout time.Duration) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if len(c.held) == 0 {
		return nil
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	if c.cutoff.Load() { // after the deadline is set: a cut between the two is not undone
		_ = c.Conn.SetWriteDeadline(time.Now())
	}
	_, err := c.Conn.Write(c.held)
	if !c.cutoff.Load() {
		_ = c.Conn.SetWriteDeadline(time.Time{})
	}
	if cap(c.held) > 4<<10 { // an idle connection keeps no large buffer
		c.held = nil
	} else {
		c.held = c.held[:0]
	}
	return err
}

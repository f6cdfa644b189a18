package server

import (
	"net"
	"sync"
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
	_, err := c.Conn.Write(c.held)
	_ = c.Conn.SetWriteDeadline(time.Time{})
	if cap(c.held) > 4<<10 { // an idle connection keeps no large buffer
		c.held = nil
	} else {
		c.held = c.held[:0]
	}
	return err
}

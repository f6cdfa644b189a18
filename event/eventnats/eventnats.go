// Package eventnats is the event bus on NATS (github.com/nats-io/nats.go): what carries a
// user's events from the node that runs them to the nodes where the user is connected.
//
// Each user has a subject of their own, netra.events.<user id in base64url>, and a node
// subscribes to it only while the user has a connection there (event.Hub), so a node
// receives its own users' events and no one else's. Events reach the bus after they are
// stored (event.Pipeline), so a node that misses one while it subscribes finds it in the
// store: resume stays gap-free across nodes. Core NATS is enough (no JetStream): the store,
// not the bus, is what keeps events.
package eventnats

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/event"
)

// Prefix starts every subject of the bus.
const Prefix = "netra.events."

// Bus is the NATS bus of one node. An event this node publishes reaches the node's own
// subscriptions directly, in the publisher's goroutine as on the in-process bus, and other
// nodes' through NATS: its connection does not echo what it publishes back to it. Most users
// are connected to the node that runs their runs, and their events then skip two hops and a
// decode.
type Bus struct {
	nc  *nats.Conn
	log *slog.Logger

	mu    sync.RWMutex
	local map[string][]*subscription // by user
}

var _ event.Bus = (*Bus)(nil)

// subscription is one Subscribe's handler, called from NATS's goroutine (other nodes' events)
// and from this node's publisher (its own), one call at a time.
type subscription struct {
	mu      sync.Mutex
	stopped bool
	handler func(*netra.Event)
}

func (s *subscription) deliver(ev *netra.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.handler(ev)
	}
}

// Connect connects to the NATS server url names (nats://host:4222; several, comma-separated).
func Connect(url, name string, log *slog.Logger) (*Bus, error) {
	nc, err := Dial(url, name, log, nats.NoEcho())
	if err != nil {
		return nil, err
	}
	return &Bus{nc: nc, log: log, local: map[string][]*subscription{}}, nil
}

// Dial connects to NATS as every Netra connection does: reconnecting for ever, every 250 ms,
// and saying so in the log.
func Dial(url, name string, log *slog.Logger, opts ...nats.Option) (*nats.Conn, error) {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "name", name, "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "name", name, "server", c.ConnectedUrlRedacted()) })}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("NATS %s: %w", url, err)
	}
	return nc, nil
}

// Abort closes the connection at once, dropping what is buffered: a crash, for tests.
func (b *Bus) Abort() { b.nc.Close() }

// Subject is the subject of user's events.
func Subject(user string) string {
	// User ids may hold '.', NATS's token separator: encoded, one id is always one token.
	return Prefix + base64.RawURLEncoding.EncodeToString([]byte(user))
}

// message is an event on the wire; the owner is the subject's.
type message struct {
	RunID    string          `json:"r"`
	ThreadID string          `json:"t"`
	Seq      int64           `json:"s"`
	Type     string          `json:"y"`
	TS       int64           `json:"ts"` // Unix nanoseconds
	Frame    json.RawMessage `json:"f"`
}

// Publish sends ev on its owner's subject, and hands it to this node's subscriptions of its
// owner. While the connection is down, nats.go buffers what is published and sends it on
// reconnecting.
func (b *Bus) Publish(_ context.Context, ev *netra.Event) error {
	b.mu.RLock()
	for _, s := range b.local[ev.Owner] {
		s.deliver(ev)
	}
	b.mu.RUnlock()
	data, err := json.Marshal(message{RunID: ev.RunID, ThreadID: ev.ThreadID, Seq: ev.Seq, Type: string(ev.Type), TS: ev.TS.UnixNano(), Frame: ev.Frame})
	if err != nil {
		return netra.Internal(err)
	}
	if err := b.nc.Publish(Subject(ev.Owner), data); err != nil {
		return &netra.Error{Code: netra.CodeUnavailable, Message: "the event bus is unavailable", Err: err}
	}
	return nil
}

// Subscribe subscribes to user's subject and returns once the server has the subscription.
// Other nodes' events for one subscription are handled in order on a goroutine of their own,
// this node's own in its publisher's goroutine; one at a time either way.
func (b *Bus) Subscribe(ctx context.Context, user string, handler func(*netra.Event)) (func(), error) {
	ls := &subscription{handler: handler}
	subject := Subject(user)
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) {
		var msg message
		if err := json.Unmarshal(m.Data, &msg); err != nil {
			b.log.Warn("a malformed message on the event bus was dropped", "subject", m.Subject, "err", err)
			return
		}
		if m.Subject != subject { // cannot happen with an exact subject; a user's events are theirs alone
			b.log.Error("an event of another subject reached a user's subscription; dropped", "subject", m.Subject)
			return
		}
		ls.deliver(&netra.Event{Owner: user, RunID: msg.RunID, ThreadID: msg.ThreadID, Seq: msg.Seq, Type: netra.EventType(msg.Type),
			TS: time.Unix(0, msg.TS).UTC(), Frame: msg.Frame})
	})
	if err != nil {
		return nil, &netra.Error{Code: netra.CodeUnavailable, Message: "the event bus is unavailable", Err: err}
	}
	// A connection's events may be far more than the default pending limits.
	_ = sub.SetPendingLimits(-1, 256<<20)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		_ = sub.Unsubscribe()
		return nil, &netra.Error{Code: netra.CodeUnavailable, Message: "the event bus is unavailable", Err: err}
	}
	b.mu.Lock()
	b.local[user] = append(b.local[user], ls)
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = sub.Unsubscribe()
			b.mu.Lock()
			b.local[user] = slices.DeleteFunc(b.local[user], func(s *subscription) bool { return s == ls })
			if len(b.local[user]) == 0 {
				delete(b.local, user)
			}
			b.mu.Unlock()
			ls.mu.Lock()
			ls.stopped = true
			ls.mu.Unlock()
		})
	}, nil
}

// Close sends what is buffered and closes the connection.
func (b *Bus) Close() {
	_ = b.nc.Drain()
}

// Package audit keeps the audit trail: every authentication, connection, run start, cancel
// and end, tool call, data upload and deletion, and admin action, as entries that form one
// hash chain per user. Changing, removing or reordering a stored entry breaks the chain, and
// Verify names the first entry where it breaks.
//
// The chain is computed in this process (the last hash of each user is kept in memory), so
// one node writes each user's chain; a store shared by several nodes must chain in the
// database instead (docs/security.md).
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/store"
)

// MaxDetail bounds an entry's detail, in bytes.
const MaxDetail = 512

// Sink takes entries to store, in order, without waiting for the commit. It links them into
// their chains (Chain) as it commits them.
type Sink interface {
	Audit(ctx context.Context, e *netra.AuditEntry) error
}

// Heads finds where a user's chain ends in the store.
type Heads interface {
	LastAudit(ctx context.Context, owner string) (netra.AuditEntry, bool, error)
}

// Log hands the users' entries to the sink. It is safe for concurrent use.
type Log struct {
	sink Sink
	log  *slog.Logger
}

// NewLog returns a log that writes through sink.
func NewLog(sink Sink, log *slog.Logger) *Log {
	return &Log{sink: sink, log: log}
}

// Record hands e over to be chained and stored: it sets At (when zero), the outcome (ok when
// empty) and the anonymous user, and redacts and bounds Detail. A failure is logged, never
// returned: the audited action has happened and must not be undone by its record; a lost
// entry is absent from the chain, which stays whole.
func (l *Log) Record(ctx context.Context, e netra.AuditEntry) {
	if e.UserID == "" {
		e.UserID = netra.AuditAnonymous
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	if e.Outcome == "" {
		e.Outcome = netra.AuditOK
	}
	e.Detail = Clean(e.Detail)
	if err := l.sink.Audit(context.WithoutCancel(ctx), &e); err != nil {
		l.log.Error("audit entry lost", "user_id", e.UserID, "action", e.Action, "err", err)
	}
}

// Chain links entries into per-user hash chains as they are committed. The committer links
// the entries of a transaction (Link), then settles them: a committed transaction moves each
// chain's head to its last entry, a failed one leaves the heads where the store has them. A
// head thus never runs ahead of what is stored, and an entry the store refused (a full disk)
// leaves no gap. The heads live in this process (one node writes each user's chain), read
// from the store the first time a user is met.
type Chain struct {
	heads Heads

	mu        sync.Mutex
	committed map[string]link // user → the newest stored entry (every user seen since start)
	tentative map[string]link // user → the newest entry linked in the transaction under way
}

type link struct {
	seq  int64
	hash string
}

// NewChain returns a chain that finds stored heads in heads.
func NewChain(heads Heads) *Chain {
	return &Chain{heads: heads, committed: map[string]link{}, tentative: map[string]link{}}
}

// Link sets e's Seq, Prev and Hash, after its user's head in the transaction under way.
func (c *Chain) Link(ctx context.Context, e *netra.AuditEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	head, ok := c.tentative[e.UserID]
	if !ok {
		if head, ok = c.committed[e.UserID]; !ok {
			last, found, err := c.heads.LastAudit(ctx, e.UserID)
			if err != nil {
				return fmt.Errorf("reading the chain head: %w", err)
			}
			if found {
				head = link{seq: last.Seq, hash: last.Hash}
			}
			c.committed[e.UserID] = head
		}
	}
	e.Seq, e.Prev = head.seq+1, head.hash
	e.Hash = Hash(e)
	c.tentative[e.UserID] = link{seq: e.Seq, hash: e.Hash}
	return nil
}

// Settle ends the transaction under way: committed, its entries become the heads; not, the
// heads stay as they were.
func (c *Chain) Settle(committed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if committed {
		for u, l := range c.tentative {
			c.committed[u] = l
		}
	}
	clear(c.tentative)
}

// Clean sanitizes a detail as logs and errors are (redact.Message), to MaxDetail bytes.
func Clean(s string) string { return redact.Truncate(redact.Message(s), MaxDetail) }

// Hash is the hex SHA-256 of every field of e but Hash, each length-prefixed, after Prev.
func Hash(e *netra.AuditEntry) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	field(e.Prev)
	field(e.UserID)
	num(e.Seq)
	num(e.At.UnixNano())
	for _, s := range []string{e.Action, e.Outcome, e.RequestID, e.RunID, e.Remote, e.Detail} {
		field(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Break is where a chain fails verification.
type Break struct {
	UserID string
	Seq    int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain of user %q breaks at seq %d: %s", b.UserID, b.Seq, b.Reason)
}

// Report sums up a verification.
type Report struct {
	Users   int               `json:"users"`
	Entries int64             `json:"entries"`
	Heads   map[string]string `json:"heads"` // user → hash of the newest entry: keep them elsewhere to detect truncation
	Breaks  []Break           `json:"breaks"`
}

// Verify checks every chain in the store: seqs without gaps from 1 (or from the anchor left
// by pruning), each Prev equal to the previous Hash, each Hash equal to the entry's own. It
// reports the first break of each user's chain; err is for failures to read.
func Verify(ctx context.Context, s store.AuditAdmin) (Report, error) {
	rep := Report{Heads: map[string]string{}}
	anchors, err := s.AuditAnchors(ctx)
	if err != nil {
		return rep, err
	}
	var user string
	var prev link
	broken := false
	err = s.ScanAudit(ctx, "", 0, 0, func(e netra.AuditEntry) error {
		rep.Entries++
		if e.UserID != user {
			user, broken = e.UserID, false
			rep.Users++
			a := anchors[user]
			prev = link{seq: a.Seq, hash: a.Hash}
		}
		if broken {
			return nil
		}
		fail := func(reason string) {
			rep.Breaks = append(rep.Breaks, Break{UserID: e.UserID, Seq: e.Seq, Reason: reason})
			broken = true
		}
		switch {
		case e.Seq != prev.seq+1:
			fail(fmt.Sprintf("expected seq %d: an entry is missing or was moved", prev.seq+1))
		case e.Prev != prev.hash:
			fail("prev_hash does not match the entry before: an entry before it was changed or removed")
		case Hash(&e) != e.Hash:
			fail("hash does not match the entry: the entry was changed")
		}
		prev = link{seq: e.Seq, hash: e.Hash}
		rep.Heads[user] = e.Hash
		return nil
	})
	return rep, err
}

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
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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
	LastAudits(ctx context.Context, owners []string) (map[string]store.AuditAnchor, error)
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
// from the store the first time a user is met. In a cluster, where several nodes continue one
// user's chain, a commit whose seq another node took fails whole (store.ErrChainMoved), and the
// committer links it again after the stored heads (Refresh): optimistic, free while a user's
// entries come through one node.
type Chain struct {
	heads Heads
	held  map[string]string // user → why its chain may not be continued (Hold)

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
	return &Chain{heads: heads, held: map[string]string{}, committed: map[string]link{}, tentative: map[string]link{}}
}

// Hold refuses to continue a user's chain: its stored head disagrees with the signed
// checkpoint, and chaining new entries onto it would paper over that. The user's entries are
// then refused (and logged by the committer) until an operator has looked.
func (c *Chain) Hold(user, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held[user] = why
}

// Warm reads the user's chain head from the store unless it is known. An entry's sender calls
// it before handing the entry over, so that the committer, which links entries one
// transaction after another for every user, never waits on a read. Nothing of a user is in
// flight before its first Warm, so the head read is where the chain ends.
func (c *Chain) Warm(ctx context.Context, user string) error {
	c.mu.Lock()
	_, known := c.committed[user]
	c.mu.Unlock()
	if known {
		return nil
	}
	last, found, err := c.heads.LastAudit(ctx, user)
	if err != nil {
		return fmt.Errorf("reading the chain head: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.committed[user]; !known { // another sender of this user's may have been first
		var head link
		if found {
			head = link{seq: last.Seq, hash: last.Hash}
		}
		c.committed[user] = head
	}
	return nil
}

// Link sets e's Seq, Prev and Hash, after its user's head in the transaction under way.
func (c *Chain) Link(ctx context.Context, e *netra.AuditEntry) error {
	if err := c.Warm(ctx, e.UserID); err != nil { // known already, unless the sender did not warm
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if why, held := c.held[e.UserID]; held {
		return fmt.Errorf("the chain is held: %s", why)
	}
	head, ok := c.tentative[e.UserID]
	if !ok {
		head = c.committed[e.UserID]
	}
	e.Seq, e.Prev = head.seq+1, head.hash
	e.Hash = Hash(e)
	c.tentative[e.UserID] = link{seq: e.Seq, hash: e.Hash}
	return nil
}

// Refresh reads the stored heads of users' chains, all in one read, and drops the
// transaction under way. In a cluster other nodes may have continued them
// (store.ErrChainMoved); reading every user's head at once, not only the one a failed commit
// named, lets the next commit go through after one read however many chains moved.
func (c *Chain) Refresh(ctx context.Context, users ...string) error {
	heads, err := c.heads.LastAudits(ctx, users)
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.tentative)
	for _, u := range users {
		if err != nil {
			delete(c.committed, u) // Link reads it again
			continue
		}
		h := heads[u]
		c.committed[u] = link{seq: h.Seq, hash: h.Hash}
	}
	if err != nil {
		return fmt.Errorf("reading the chain heads: %w", err)
	}
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

// Break is where a chain fails verification. UserID is Checkpoints for a break in the log of
// checkpoints itself.
type Break struct {
	UserID string `json:"user_id"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Checkpoints names the log of checkpoints in a Break.
const Checkpoints = "~checkpoints"

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain of user %q breaks at seq %d: %s", b.UserID, b.Seq, b.Reason)
}

// Report sums up a verification.
type Report struct {
	Users   int               `json:"users"`
	Entries int64             `json:"entries"`
	Heads   map[string]string `json:"heads"` // user → hash of the newest entry
	// Checkpoint is the newest checkpoint the entries were checked against (nil: none, or no
	// key to check it with); Witness, the checkpoint given from elsewhere.
	Checkpoint *Checkpoint `json:"checkpoint"`
	Witness    *Checkpoint `json:"witness,omitempty"`
	Breaks     []Break     `json:"breaks"`
}

// VerifyOptions says what to check the chains against.
type VerifyOptions struct {
	// Key is the audit key's public half. Without it the checkpoints are not checked: the
	// chains are then only as good as the database they are read from.
	Key ed25519.PublicKey
	// Witness is a checkpoint kept elsewhere (`netra audit checkpoint`): the database's log
	// of checkpoints must hold it, which catches a log rolled back to an older checkpoint.
	Witness *Checkpoint
}

// Verify checks every chain in the store: seqs without gaps from 1 (or from the anchor left
// by pruning), each Prev equal to the previous Hash, each Hash equal to the entry's own. With a
// key it checks the log of signed checkpoints, then the chains against the newest one (and the
// witness): every chain it saw must still be there, at least as long, through the same entry
// at the seq it signed, and every anchor must be one it signed. It reports the first break of
// each chain; err is for failures to read.
func Verify(ctx context.Context, s store.AuditAdmin, opts VerifyOptions) (Report, error) {
	rep := Report{Heads: map[string]string{}, Breaks: []Break{}}
	anchors, err := s.AuditAnchors(ctx)
	if err != nil {
		return rep, err
	}
	var checks []*Checkpoint
	if opts.Key != nil {
		latest, err := verifyLog(ctx, s, opts, &rep)
		if err != nil {
			return rep, err
		}
		if latest != nil {
			rep.Checkpoint = latest
			checks = append(checks, latest)
		}
		if opts.Witness != nil {
			rep.Witness = opts.Witness
			checks = append(checks, opts.Witness)
		}
	}
	// The entry hashes the checkpoints name, collected on the way.
	want := map[string]map[int64]string{}
	for _, c := range checks {
		for u, h := range c.Heads {
			if want[u] == nil {
				want[u] = map[int64]string{}
			}
			want[u][h.Seq] = ""
		}
	}
	var user string
	var prev link
	broken := map[string]bool{}
	err = s.ScanAudit(ctx, "", 0, 0, func(e netra.AuditEntry) error {
		rep.Entries++
		if e.UserID != user {
			user = e.UserID
			rep.Users++
			a := anchors[user]
			prev = link{seq: a.Seq, hash: a.Hash}
		}
		if w := want[user]; w != nil {
			if _, ok := w[e.Seq]; ok {
				w[e.Seq] = e.Hash
			}
		}
		rep.Heads[user] = e.Hash
		if broken[user] {
			return nil
		}
		fail := func(reason string) {
			rep.Breaks = append(rep.Breaks, Break{UserID: e.UserID, Seq: e.Seq, Reason: reason})
			broken[user] = true
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
		return nil
	})
	if err != nil {
		return rep, err
	}
	heads, err := s.AuditHeads(ctx)
	if err != nil {
		return rep, err
	}
	for _, c := range checks {
		against(c, heads, anchors, want, broken, &rep)
	}
	return rep, nil
}

// against checks the stored chains against one checkpoint.
func against(c *Checkpoint, heads, anchors map[string]store.AuditAnchor, found map[string]map[int64]string, broken map[string]bool, rep *Report) {
	name := fmt.Sprintf("checkpoint #%d of %s", c.Seq, c.At.Format(time.RFC3339))
	fail := func(u string, seq int64, reason string) {
		if !broken[u] {
			rep.Breaks = append(rep.Breaks, Break{UserID: u, Seq: seq, Reason: reason})
			broken[u] = true
		}
	}
	for _, u := range sortedKeys(c.Heads) {
		h := c.Heads[u]
		head, ok := heads[u]
		a := anchors[u]
		switch {
		case !ok:
			fail(u, h.Seq, fmt.Sprintf("the whole chain is gone: %s saw it up to seq %d", name, h.Seq))
		case head.Seq < h.Seq:
			fail(u, head.Seq+1, fmt.Sprintf("the chain was cut short: it ends at seq %d, %s saw it up to seq %d", head.Seq, name, h.Seq))
		case a.Seq > h.Seq:
			// Pruned past the checkpoint's head: the anchors are checked below.
		case a.Seq == h.Seq:
			if a.Hash != h.Hash {
				fail(u, h.Seq, fmt.Sprintf("the anchor at seq %d differs from the entry %s signed", h.Seq, name))
			}
		case found[u][h.Seq] != h.Hash:
			fail(u, h.Seq, fmt.Sprintf("entry %d differs from the one %s signed: the chain was rewritten from there on or before", h.Seq, name))
		}
	}
	// Anchors: only the newest checkpoint speaks for them (a witness may predate a prune).
	if c != rep.Checkpoint {
		return
	}
	for _, u := range sortedKeys(anchors) {
		a := anchors[u]
		if s, ok := c.Anchors[u]; !ok || s.Seq != a.Seq || s.Hash != a.Hash {
			fail(u, a.Seq, fmt.Sprintf("the anchor at seq %d is not the one %s signed: a forged anchor, or entries pruned after the last checkpoint", a.Seq, name))
		}
	}
}

// verifyLog checks the log of checkpoints (signatures, links, seqs) and the witness against
// it, and returns the newest checkpoint (nil when there is none).
func verifyLog(ctx context.Context, s store.AuditAdmin, opts VerifyOptions, rep *Report) (*Checkpoint, error) {
	stored, err := s.Checkpoints(ctx, 0)
	if err != nil {
		return nil, err
	}
	fail := func(seq int64, reason string) {
		rep.Breaks = append(rep.Breaks, Break{UserID: Checkpoints, Seq: seq, Reason: reason})
	}
	var last *Checkpoint
	digests := map[int64]string{}
	for _, sc := range stored {
		c, err := ParseCheckpoint(sc.Body, sc.Sig)
		if err != nil {
			fail(sc.Seq, err.Error())
			return nil, nil
		}
		prev := ""
		if last != nil {
			prev = last.Digest()
		}
		switch {
		case c.verify(opts.Key) != nil:
			fail(sc.Seq, "the signature does not verify with the audit key: the checkpoint was forged or changed")
			return nil, nil
		case c.Seq != sc.Seq || (last != nil && c.Seq != last.Seq+1) || (last == nil && c.Seq != 1):
			fail(sc.Seq, "checkpoints are missing before this one")
			return nil, nil
		case c.Prev != prev:
			fail(sc.Seq, "it does not follow the checkpoint before it")
			return nil, nil
		}
		digests[c.Seq] = c.Digest()
		last = &c
	}
	if w := opts.Witness; w != nil {
		end := int64(0)
		if last != nil {
			end = last.Seq
		}
		switch {
		case w.verify(opts.Key) != nil:
			fail(w.Seq, "the witness checkpoint's signature does not verify with the audit key")
		case digests[w.Seq] == "":
			fail(w.Seq, fmt.Sprintf("the database's checkpoints end at #%d but the witness is #%d: checkpoints were removed, the log was rolled back", end, w.Seq))
		case digests[w.Seq] != w.Digest():
			fail(w.Seq, "the database's checkpoint differs from the witness: the log was replaced")
		}
	}
	return last, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

// A Checkpoint is a signed statement of every chain's head and anchor at a moment, as
// Certificate Transparency signs its tree heads. Checkpoints form a log of their own: each
// names the digest of the one before. Whoever can edit the database but does not hold the
// signing key (which lives in the data directory or NETRA_AUDIT_KEY, never in the database)
// can no longer rewrite a chain, cut its end, delete it, or forge an anchor without Verify
// saying so; an operator who keeps a copy of a recent checkpoint elsewhere (`netra audit
// checkpoint`) also catches a log of checkpoints rolled back to an older one.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	At   time.Time `json:"at"`
	Prev string    `json:"prev"` // Digest of the checkpoint before; "" for the first
	// Heads are each chain's newest entry; Anchors, where each pruned chain continues.
	Heads   map[string]Head `json:"heads"`
	Anchors map[string]Head `json:"anchors"`
	Key     string          `json:"key"` // the signing key's public half, base64
	Sig     string          `json:"sig,omitempty"`
}

// Head is a point of a chain: an entry's seq and hash.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// body is what is signed: the checkpoint without its signature (map keys sort, so the JSON is
// canonical).
func (c *Checkpoint) body() []byte {
	u := *c
	u.Sig = ""
	b, _ := json.Marshal(u)
	return b
}

// Digest is the hex SHA-256 of the signed body.
func (c *Checkpoint) Digest() string {
	h := sha256.Sum256(c.body())
	return hex.EncodeToString(h[:])
}

// verify checks the signature with pub.
func (c *Checkpoint) verify(pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pub, c.body(), sig) {
		return fmt.Errorf("checkpoint #%d: the signature does not verify with the audit key", c.Seq)
	}
	return nil
}

// ParseCheckpoint reads a checkpoint as stored or exported.
func ParseCheckpoint(body []byte, sig string) (Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(body, &c); err != nil {
		return c, fmt.Errorf("not a checkpoint: %w", err)
	}
	if sig != "" {
		c.Sig = sig
	}
	return c, nil
}

// KeyFile is the signing key's file in the data directory.
const KeyFile = "audit-key"

// LoadKey returns the audit signing key: NETRA_AUDIT_KEY (the base64 of a 32-byte Ed25519
// seed) when set, else the data directory's audit-key file, created (0600) when create is true
// and it is missing.
func LoadKey(dataDir string, create bool) (ed25519.PrivateKey, error) {
	if env := os.Getenv("NETRA_AUDIT_KEY"); env != "" {
		seed, err := base64.StdEncoding.DecodeString(env)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("NETRA_AUDIT_KEY must be the base64 of a 32-byte Ed25519 seed")
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("writing the audit key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the audit key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(string(trimSpace(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s is not an audit key (the base64 of a 32-byte seed)", KeyFile)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// PublicKey is a key's public half as checkpoints and GET /v1/audit/checkpoint-key name it.
func PublicKey(key ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
}

// ParsePublicKey reads a public key as PublicKey writes it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not an Ed25519 public key in base64")
	}
	return ed25519.PublicKey(b), nil
}

// Latest returns the newest stored checkpoint; ok is false when there is none.
func Latest(ctx context.Context, s store.AuditAdmin) (Checkpoint, bool, error) {
	last, ok, err := s.LastCheckpoint(ctx)
	if err != nil || !ok {
		return Checkpoint{}, false, err
	}
	c, err := ParseCheckpoint(last.Body, last.Sig)
	return c, err == nil, err
}

// MakeCheckpoint signs the store's current heads and anchors and appends the checkpoint to its
// log. Nothing is appended when nothing changed since the last one (made is false then). The
// chains of held users keep the head and anchor the last checkpoint signed: signing what the
// store holds now would paper over what was done to them.
func MakeCheckpoint(ctx context.Context, s store.AuditAdmin, key ed25519.PrivateKey, held ...string) (c Checkpoint, made bool, err error) {
	last, ok, err := Latest(ctx, s)
	if err != nil {
		return c, false, err
	}
	heads, err := s.AuditHeads(ctx)
	if err != nil {
		return c, false, err
	}
	anchors, err := s.AuditAnchors(ctx)
	if err != nil {
		return c, false, err
	}
	c = Checkpoint{Seq: 1, At: time.Now().UTC().Truncate(time.Millisecond), Heads: toHeads(heads), Anchors: toHeads(anchors), Key: PublicKey(key)}
	for _, u := range held {
		delete(c.Heads, u)
		delete(c.Anchors, u)
		if h, ok := last.Heads[u]; ok {
			c.Heads[u] = h
		}
		if a, ok := last.Anchors[u]; ok {
			c.Anchors[u] = a
		}
	}
	if ok {
		if maps.Equal(last.Heads, c.Heads) && maps.Equal(last.Anchors, c.Anchors) && last.Key == c.Key {
			return last, false, nil
		}
		c.Seq, c.Prev = last.Seq+1, last.Digest()
	}
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.body()))
	return c, true, s.AppendCheckpoint(ctx, store.StoredCheckpoint{Seq: c.Seq, Body: c.body(), Sig: c.Sig})
}

func toHeads(m map[string]store.AuditAnchor) map[string]Head {
	out := make(map[string]Head, len(m))
	for u, a := range m {
		out[u] = Head{Seq: a.Seq, Hash: a.Hash}
	}
	return out
}

// CheckHeads compares the stored chains' heads with the newest checkpoint, as a server does
// when it starts: a chain cut short, deleted or rewritten since, or an anchor the checkpoint
// did not sign, is a break. It does not walk the chains (Verify does); a chain whose head is
// the one signed costs nothing. The checkpoint is nil when there is none.
func CheckHeads(ctx context.Context, s store.AuditAdmin, pub ed25519.PublicKey) (*Checkpoint, []Break, error) {
	c, ok, err := Latest(ctx, s)
	if err != nil || !ok {
		return nil, nil, err
	}
	rep := Report{Checkpoint: &c, Breaks: []Break{}}
	if err := c.verify(pub); err != nil {
		return &c, []Break{{UserID: Checkpoints, Seq: c.Seq, Reason: "the newest checkpoint does not verify with this server's audit key"}}, nil
	}
	heads, err := s.AuditHeads(ctx)
	if err != nil {
		return &c, nil, err
	}
	anchors, err := s.AuditAnchors(ctx)
	if err != nil {
		return &c, nil, err
	}
	found := map[string]map[int64]string{}
	for u, h := range c.Heads {
		head, ok := heads[u]
		if !ok || head.Seq < h.Seq {
			continue // against() names it
		}
		found[u] = map[int64]string{}
		if head.Seq == h.Seq {
			found[u][h.Seq] = head.Hash
			continue
		}
		err := s.ScanAudit(ctx, u, h.Seq-1, 1, func(e netra.AuditEntry) error {
			if e.Seq == h.Seq {
				found[u][h.Seq] = e.Hash
			}
			return nil
		})
		if err != nil {
			return &c, nil, err
		}
	}
	against(&c, heads, anchors, found, map[string]bool{}, &rep)
	return &c, rep.Breaks, nil
}

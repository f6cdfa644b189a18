package netra

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"
)

// Tier is a user's plan; it sets limits and scheduling weight.
type Tier string

// The tiers of the wire contract.
const (
	TierFree       Tier = "free"
	TierEarly      Tier = "early"
	TierMid        Tier = "mid"
	TierEnterprise Tier = "enterprise"
)

// Valid reports whether t is one of the known tiers.
func (t Tier) Valid() bool {
	switch t {
	case TierFree, TierEarly, TierMid, TierEnterprise:
		return true
	}
	return false
}

// Role is what a user may do beyond their own data.
type Role string

// The roles of the wire contract.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleUser || r == RoleAdmin }

// Identity is who an authenticated request acts for. Only the auth layer makes one.
type Identity struct {
	UserID string
	Tier   Tier
	Role   Role
}

// Thread is a conversation owned by one user.
type Thread struct {
	ID        string    `json:"id"`
	Owner     string    `json:"-"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Message roles.
const (
	MessageUser      = "user"
	MessageAssistant = "assistant"
)

// Message is one entry of a thread.
type Message struct {
	ID        string    `json:"id"`
	Owner     string    `json:"-"`
	ThreadID  string    `json:"-"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	RunID     string    `json:"run_id"`
	CreatedAt time.Time `json:"created_at"`
}

// RunStatus is the lifecycle state of a run.
type RunStatus string

// Run statuses.
const (
	RunQueued    RunStatus = "queued"
	RunRunning   RunStatus = "running"
	RunCompleted RunStatus = "completed"
	RunFailed    RunStatus = "failed"
	RunCancelled RunStatus = "cancelled"
)

// Valid reports whether s is one of the run statuses.
func (s RunStatus) Valid() bool {
	switch s {
	case RunQueued, RunRunning, RunCompleted, RunFailed, RunCancelled:
		return true
	}
	return false
}

// Ended reports whether s is terminal.
func (s RunStatus) Ended() bool {
	return s == RunCompleted || s == RunFailed || s == RunCancelled
}

// Multitask says what a new run does when its thread already has an active run.
type Multitask string

// Multitask strategies.
const (
	MultitaskEnqueue   Multitask = "enqueue"
	MultitaskReject    Multitask = "reject"
	MultitaskInterrupt Multitask = "interrupt"
)

// Valid reports whether m is a known strategy.
func (m Multitask) Valid() bool {
	return m == MultitaskEnqueue || m == MultitaskReject || m == MultitaskInterrupt
}

// RunError is the error a failed run ended with.
type RunError struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Run is one execution of an agent for one user message.
type Run struct {
	ID        string          `json:"id"`
	Owner     string          `json:"-"`
	ThreadID  string          `json:"thread_id"`
	Agent     string          `json:"agent"`
	Status    RunStatus       `json:"status"`
	Tier      Tier            `json:"-"`
	Role      Role            `json:"-"`
	Input     string          `json:"-"`
	Params    json.RawMessage `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
	StartedAt *time.Time      `json:"started_at,omitempty"`
	EndedAt   *time.Time      `json:"ended_at,omitempty"`
	// QueuePosition is filled in by the scheduler's view, never stored.
	QueuePosition *int            `json:"queue_position"`
	Output        json.RawMessage `json:"output,omitempty"`
	Error         *RunError       `json:"error,omitempty"`
}

// Identity returns the identity the run was accepted for.
func (r *Run) Identity() Identity { return Identity{UserID: r.Owner, Tier: r.Tier, Role: r.Role} }

// NewID returns an unguessable id with the given prefix: 26 characters of lower-case base32,
// the first 10 the creation time in milliseconds and the other 16 80 random bits. The
// alphabet is in ASCII order, so ids sort by creation time: the store's indexes on them grow
// at their right edge, and a group commit of many new runs touches a few pages instead of a
// page per run (docs/architecture.md, "Ids").
func NewID(prefix string) string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz" // ascending in ASCII
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	id := out[len(prefix):]
	ms := uint64(time.Now().UnixMilli())
	for i := 9; i >= 0; i-- { // 50 bits: good until the year 37648
		id[i] = alphabet[ms&31]
		ms >>= 5
	}
	var acc uint32
	bits, k := 0, 10
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			id[k] = alphabet[(acc>>bits)&31]
			k++
		}
	}
	return string(out)
}

// AuditEntry is one audited action. Entries of one user form a hash chain: Seq counts from 1
// without gaps, Prev is the Hash of the entry before (empty for the first), and Hash covers
// every other field (package audit computes and checks it).
type AuditEntry struct {
	UserID    string    `json:"user_id"` // AuditAnonymous for refused credentials
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Action    string    `json:"action"`
	Outcome   string    `json:"outcome"` // "ok", or the error code that refused or ended it
	RequestID string    `json:"request_id,omitempty"`
	RunID     string    `json:"run_id,omitempty"`
	Remote    string    `json:"remote,omitempty"`
	Detail    string    `json:"detail,omitempty"` // redacted and bounded
	Prev      string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// AuditAnonymous is the chain of actions without a verified user: refused credentials. No
// token subject can take this name ('~' is outside the allowed characters).
const AuditAnonymous = "~anonymous"

// Audited actions.
const (
	AuditAuth         = "auth"          // a credential checked (HTTP request or WebSocket upgrade)
	AuditConnect      = "ws.connect"    // a WebSocket connection opened
	AuditDisconnect   = "ws.disconnect" // and closed
	AuditRunStart     = "run.start"     // a run accepted, or refused
	AuditRunCancel    = "run.cancel"
	AuditRunEnd       = "run.end" // outcome: ok, cancelled, or the failure's code
	AuditToolCall     = "tool.call"
	AuditDataUpload   = "data.upload"
	AuditDataDelete   = "data.delete"   // workload records deleted
	AuditThreadDelete = "thread.delete" // a thread with its messages, runs and events
	AuditThreadRename = "thread.rename"
	AuditAdmin        = "admin"      // an admin action; Detail says which
	AuditKeyCreate    = "key.create" // an ingestion key made
	AuditKeyRevoke    = "key.revoke" // and deleted
)

// AuditOK is the outcome of an action that succeeded.
const AuditOK = "ok"

// Auditor appends entries to the audit trail (package audit). Record never fails the action
// it records.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry)
}

// NoAudit records nothing; for tests and tools that run without a trail.
type NoAudit struct{}

// Record does nothing.
func (NoAudit) Record(context.Context, AuditEntry) {}

// Package store defines how Netra keeps threads, messages, runs and events. Every method that
// touches user data takes the owner and filters by it in the query itself: another user's id
// answers not_found exactly like an id that never existed. Implementations live in
// sub-packages and all pass the suite in store/storetest.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/workload"
)

// NewRun is what CreateRun writes: the run (queued), its user message and, when ThreadID is
// empty, a new thread titled from the input.
type NewRun struct {
	ID       string // made by the caller so that it can be known before the run exists
	Identity netra.Identity
	ThreadID string // existing thread, or "" for a new one
	// NewThreadID names the new thread when ThreadID is ""; the store makes one when it is "".
	NewThreadID string
	Agent       string
	Input       string
	Params      json.RawMessage
	CreatedAt   time.Time
}

// Threads keeps conversations.
type Threads interface {
	CreateThread(ctx context.Context, owner, title string) (netra.Thread, error)
	GetThread(ctx context.Context, owner, id string) (netra.Thread, error)
	// ListThreads returns up to limit threads, newest created first, after the opaque cursor
	// ("" for the first page); next is "" when no further thread exists.
	ListThreads(ctx context.Context, owner string, limit int, cursor string) (threads []netra.Thread, next string, err error)
	// RenameThread sets the owner's thread's title (cut as CreateThread cuts it).
	RenameThread(ctx context.Context, owner, id, title string) (netra.Thread, error)
	// DeleteThread removes the thread with its messages, runs and events.
	DeleteThread(ctx context.Context, owner, id string) error
	ListMessages(ctx context.Context, owner, threadID string) ([]netra.Message, error)
}

// Runs keeps runs and their events.
type Runs interface {
	// CreateRun writes, in one transaction, the thread when new, the user message and the run.
	CreateRun(ctx context.Context, r NewRun) (netra.Run, error)
	GetRun(ctx context.Context, owner, id string) (netra.Run, error)
	// ListRuns returns a thread's runs, oldest first.
	ListRuns(ctx context.Context, owner, threadID string) ([]netra.Run, error)
	// ListUserRuns pages through the owner's runs, newest created first, with the given status
	// ("" for any), after the opaque cursor ("" for the first page); next is "" on the last.
	ListUserRuns(ctx context.Context, owner string, status netra.RunStatus, limit int, cursor string) (runs []netra.Run, next string, err error)
	// ListEvents returns the run's events with seq > afterSeq in seq order, at most limit
	// (0: no bound). Only Seq, Type, RunID, Owner and Frame are filled in.
	ListEvents(ctx context.Context, owner, runID string, afterSeq int64, limit int) ([]netra.Event, error)
	// Append commits a batch of events, with their run transitions, in one transaction.
	// Events of a run must come in seq order; a transition belongs to its event's run.
	Append(ctx context.Context, batch []Record) error
}

// Record is one item of a group commit: an event with the run transition that commits with
// it, if any; or, with Create set and no Event, a run being accepted (as CreateRun writes it).
type Record struct {
	Event      *netra.Event
	Transition *netra.Transition
	Create     *NewRun
	// Audit, when set, is an audit entry written in the same transaction (alone or beside
	// the others).
	Audit *netra.AuditEntry
}

// ErrChainMoved is wrapped by Append's error when an audit entry's seq was taken: another node
// of a cluster continued the user's chain. Nothing of the batch was stored; link its entries
// again after the stored heads (audit.Chain.Refresh) and append it again. The error is a
// *ChainMoved when the store can tell whose chain it was.
var ErrChainMoved = errors.New("another node continued a user's audit chain")

// ChainMoved names the user whose audit chain moved on (ErrChainMoved).
type ChainMoved struct{ User string }

func (e *ChainMoved) Error() string        { return ErrChainMoved.Error() + ": " + e.User }
func (e *ChainMoved) Is(target error) bool { return target == ErrChainMoved }

// Audit reads a user's own audit trail. Entries are only ever appended (Record.Audit).
type Audit interface {
	// ListAudit returns the owner's entries with seq > afterSeq, oldest first, at most limit.
	ListAudit(ctx context.Context, owner string, afterSeq int64, limit int) ([]netra.AuditEntry, error)
	// LastAudit returns the owner's newest entry; ok is false when there is none. After a
	// prune that removed every entry, it returns the anchor (Seq and Hash only).
	LastAudit(ctx context.Context, owner string) (e netra.AuditEntry, ok bool, err error)
	// LastAudits returns the heads (seq and hash of the newest entry, or of the anchor) of
	// the owners' chains that have one, in one read: a cluster's committer relinks a batch
	// after every user's head it holds, however many other nodes moved.
	LastAudits(ctx context.Context, owners []string) (map[string]AuditAnchor, error)
}

// AuditAdmin is the admin-wide view of the audit trail, for admin endpoints and
// `netra audit verify`, never for answering a user about their own data.
type AuditAdmin interface {
	// ScanAudit calls fn with every entry of user (every user when user is ""), ordered by
	// user, then seq, with seq > afterSeq when user is set; it stops at limit entries
	// (0: no bound) or when fn returns an error.
	ScanAudit(ctx context.Context, user string, afterSeq int64, limit int, fn func(netra.AuditEntry) error) error
	// AuditAnchors returns, per user, the seq and hash of the last entry removed by
	// PruneAudit, so that the chain of what is left can still be checked.
	AuditAnchors(ctx context.Context) (map[string]AuditAnchor, error)
	// PruneAudit removes entries older than before, keeping the anchors.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
	// AuditHeads returns, per user, the seq and hash of the newest entry (or of the anchor,
	// when pruning removed every entry).
	AuditHeads(ctx context.Context) (map[string]AuditAnchor, error)
	// AppendCheckpoint stores a signed checkpoint; seq must follow the last one.
	AppendCheckpoint(ctx context.Context, c StoredCheckpoint) error
	// Checkpoints returns the stored checkpoints with seq > afterSeq, in seq order.
	Checkpoints(ctx context.Context, afterSeq int64) ([]StoredCheckpoint, error)
	// LastCheckpoint returns the newest stored checkpoint (false when there is none) without
	// reading the others: a server reads it at every start and every checkpoint, and the log
	// grows by a signature of every user's head each time.
	LastCheckpoint(ctx context.Context) (StoredCheckpoint, bool, error)
}

// StoredCheckpoint is a signed checkpoint of the audit trail as stored (audit.Checkpoint).
type StoredCheckpoint struct {
	Seq  int64
	Body []byte // the signed JSON
	Sig  string
}

// AuditAnchor is where a pruned chain continues.
type AuditAnchor struct {
	Seq  int64
	Hash string
}

// Keys keeps ingestion keys: credentials for sending one's own telemetry only.
type Keys interface {
	// CreateKey stores k unless its owner already holds limit keys (conflict).
	CreateKey(ctx context.Context, k Key, limit int) error
	// ListKeys returns the owner's keys, oldest first.
	ListKeys(ctx context.Context, owner string) ([]Key, error)
	// Key returns a key by id, whoever owns it, to authenticate it (not_found when absent).
	Key(ctx context.Context, id string) (Key, error)
	// DeleteKey removes the owner's key (not_found when the owner has no such key).
	DeleteKey(ctx context.Context, owner, id string) error
	// TouchKey notes that the key was used at at.
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// Key is a stored ingestion key. SecretHash is the hex SHA-256 of its secret; the secret
// itself is never stored.
type Key struct {
	ID         string
	Owner      string
	Tier       netra.Tier // the tier of its owner when it was made: the limits of what it sends
	Name       string
	SecretHash string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// ModelUsage keeps what each user's runs used of language models, by month and model: for
// GET /v1/me and the monthly token budgets.
type ModelUsage interface {
	// AddModelUsage adds to the owner's usage of month ("2006-01"), by model.
	AddModelUsage(ctx context.Context, owner, month string, byModel map[string]model.Usage) error
	// ModelUsage returns the owner's usage of month, by model.
	ModelUsage(ctx context.Context, owner, month string) (map[string]model.Usage, error)
}

// Switches keeps the kill switches administrators threw (package killswitch), so that a
// restart keeps them.
type Switches interface {
	// PutSwitch stores sw, replacing the switch of the same kind and name.
	PutSwitch(ctx context.Context, sw killswitch.Switch) error
	// DeleteSwitch removes a switch and reports whether there was one.
	DeleteSwitch(ctx context.Context, kind killswitch.Kind, name string) (bool, error)
	// ListSwitches returns every stored switch.
	ListSwitches(ctx context.Context) ([]killswitch.Switch, error)
}

// Store is everything the server needs of persistence.
type Store interface {
	Threads
	Runs
	Workloads
	Audit
	Keys
	ModelUsage
	Switches
	// ActiveRuns lists every queued or running run of every user, oldest first. It is for the
	// scheduler's recovery at start-up, never for answering a user.
	ActiveRuns(ctx context.Context) ([]netra.Run, error)
	// LastSeq returns the highest event seq of a run (0 when it has none), for recovery.
	LastSeq(ctx context.Context, runID string) (int64, error)
	// RunStates returns the runs of refs, each with its owner, and the highest event seq of
	// each, in one read; runs not found are left out. It is for recovery at start-up and for a
	// cluster node taking over a dead node's queued runs, many at a time (at most
	// MaxRunStates).
	RunStates(ctx context.Context, refs []RunRef) ([]RunState, error)
	Ping(ctx context.Context) error
	Close() error
}

// RunRef names a run and its owner.
type RunRef struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
}

// RunState is a stored run and the highest seq of its events (0 when it has none).
type RunState struct {
	Run     netra.Run
	LastSeq int64
}

// MaxRunStates bounds the refs of one RunStates call.
const MaxRunStates = 1000

// MaxTitle is the longest thread title kept; longer titles are cut.
const MaxTitle = 200

// TitleFromInput makes a thread title from a run's input: its first line, cut to MaxTitle.
func TitleFromInput(input string) string {
	for i, c := range input {
		if c == '\n' || c == '\r' {
			input = input[:i]
			break
		}
	}
	return CutTitle(input)
}

// CutTitle cuts a title to MaxTitle bytes on a character boundary.
func CutTitle(t string) string {
	if len(t) <= MaxTitle {
		return t
	}
	cut := MaxTitle
	for cut > 0 && t[cut]&0xC0 == 0x80 {
		cut--
	}
	return t[:cut]
}

// Workloads keeps each user's workload records. Records are stored in chunks of up to
// workload.ChunkSize; an upload is staged batch by batch (each its own short transaction, so
// an upload never holds the store for long) and becomes visible all at once on Commit.
type Workloads interface {
	// BeginUpload starts an upload of records for owner. limit bounds the records the owner
	// may have stored once the upload commits.
	BeginUpload(ctx context.Context, owner string, limit int64) (Upload, error)
	// ScanRecords calls fn for each of the owner's committed records whose time lies in w, in
	// no particular order, until fn returns false. The record passed is reused between calls.
	ScanRecords(ctx context.Context, owner string, w workload.Window, fn func(*workload.Record) bool) error
	// ScanChunks calls fn with each of the owner's committed chunks that holds a record in w,
	// as workload.EncodeChunk wrote it, until fn returns false: for a caller that decodes
	// chunks on several cores. The chunk may hold records outside w; it is fn's to keep.
	ScanChunks(ctx context.Context, owner string, w workload.Window, fn func(chunk []byte) bool) error
	// ScanRollups is ScanRecords for tallies (workload.Tally): a chunk that lies wholly in w is
	// passed as its rollups to groups, any other chunk as its records in w to records, as is a
	// chunk stored without rollups. Both callbacks reuse their argument; either stops the scan
	// by returning false.
	ScanRollups(ctx context.Context, owner string, w workload.Window, groups func(*workload.Rollup) bool, records func(*workload.Record) bool) error
	// RecordSummary counts the owner's committed records and their time span.
	RecordSummary(ctx context.Context, owner string) (RecordSummary, error)
	// DeleteRecords removes all the owner's records and returns how many there were.
	DeleteRecords(ctx context.Context, owner string) (int64, error)
}

// Upload is one staged upload. Exactly one of Commit or Abort must end it.
type Upload interface {
	// Add stages a batch (at most workload.ChunkSize records). Records whose id the owner
	// already has, or that repeat an id earlier in this upload, are skipped and counted as
	// duplicates. It answers payload_too_large as soon as the limit would be passed.
	Add(ctx context.Context, recs []workload.Record) (accepted, duplicates int64, err error)
	// Commit makes every staged record visible at once.
	Commit(ctx context.Context) error
	// Abort removes every staged record.
	Abort(ctx context.Context) error
}

// RecordSummary describes a user's stored records.
type RecordSummary struct {
	Records int64      `json:"records"`
	First   *time.Time `json:"first,omitempty"`
	Last    *time.Time `json:"last,omitempty"`
}

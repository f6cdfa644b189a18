package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/workload"
)

// The helpers every implementation shares, so that both stores page, refuse and word their
// errors alike.

// EncodeCursor makes the opaque cursor of a newest-first page that ended at the row created
// at createdAt (Unix nanoseconds) with id.
func EncodeCursor(createdAt int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt, 10) + "|" + id))
}

// DecodeCursor reads a cursor of EncodeCursor; anything else is invalid_request.
func DecodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "|"); ok {
			if n, err := strconv.ParseInt(at, 10, 64); err == nil {
				return n, id, nil
			}
		}
	}
	return 0, "", netra.Errorf(netra.CodeInvalidRequest, "invalid cursor")
}

// NotFound is the error of a missing (or another user's) thread, run or key.
func NotFound(what string) error { return netra.Errorf(netra.CodeNotFound, "%s not found", what) }

// TooManyRecords refuses an upload that would pass the owner's limit of stored records.
func TooManyRecords(limit int64) error {
	return netra.Errorf(netra.CodePayloadTooLarge, "this upload would pass your limit of %d stored records; delete old records or upload fewer", limit)
}

// TooManyKeys refuses a key beyond the owner's limit.
func TooManyKeys(n int) error {
	return netra.Errorf(netra.CodeConflict, "you have %d ingestion keys, the most your tier allows: delete one first", n)
}

// UploadEnded refuses a batch or a commit of an upload that has ended.
func UploadEnded() error { return netra.Errorf(netra.CodeConflict, "upload already ended") }

// CheckBatch refuses a batch larger than a chunk.
func CheckBatch(n int) error {
	if n > workload.ChunkSize {
		return netra.Errorf(netra.CodeInvalidRequest, "a batch holds at most %d records", workload.ChunkSize)
	}
	return nil
}

// QueryAuditHeads selects each user's newest audit entry (user_id, seq, hash), in both stores.
// It walks the (user_id, seq) index from one user to the next, three lookups a user: its cost
// grows with the users, not with the entries, which a server reads at every start and every
// checkpoint (3 million entries of 10,000 users: start-up to /readyz 1.43 s with a GROUP BY,
// 0.69 s with this; docs/benchmarks.md).
const QueryAuditHeads = `WITH RECURSIVE u(id) AS (
		SELECT (SELECT user_id FROM audit ORDER BY user_id LIMIT 1)
		UNION ALL
		SELECT (SELECT user_id FROM audit WHERE user_id > u.id ORDER BY user_id LIMIT 1) FROM u WHERE u.id IS NOT NULL
	)
	SELECT a.user_id, a.seq, a.hash FROM u
	JOIN audit a ON a.user_id = u.id AND a.seq = (SELECT max(seq) FROM audit WHERE user_id = u.id)`

// RunColumns are the columns of a run in both stores, in the order RunRow.Dest scans them.
const RunColumns = `id, owner, thread_id, agent, tier, role, status, input, params, created_at, started_at, ended_at, output, error_code, error_message`

// Prefixed qualifies each of a list of columns ("a, b") with a table's alias ("r.").
func Prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i := range cols {
		cols[i] = alias + cols[i]
	}
	return strings.Join(cols, ", ")
}

// Rows is what ScanRunStates reads: *sql.Rows and pgx.Rows both are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanRunStates reads rows of RunColumns followed by the run's last seq (RunStates).
func ScanRunStates(rows Rows) ([]RunState, error) {
	out := []RunState{}
	for rows.Next() {
		var row RunRow
		var last int64
		if err := rows.Scan(append(row.Dest(), &last)...); err != nil {
			return nil, err
		}
		out = append(out, RunState{Run: row.Run(), LastSeq: last})
	}
	return out, rows.Err()
}

// RunRow is a run as both stores keep it: times in Unix nanoseconds, NULL as nil. Scan a row
// of RunColumns into Dest, then Run makes the run.
type RunRow struct {
	run                 netra.Run
	tier, role, status  string
	params, output      []byte
	created             int64
	started, ended      *int64
	errCode, errMessage *string
}

// Dest is what to scan a row of RunColumns into.
func (r *RunRow) Dest() []any {
	return []any{&r.run.ID, &r.run.Owner, &r.run.ThreadID, &r.run.Agent, &r.tier, &r.role, &r.status, &r.run.Input, &r.params, &r.created,
		&r.started, &r.ended, &r.output, &r.errCode, &r.errMessage}
}

// Run is the run the row holds.
func (r *RunRow) Run() netra.Run {
	run := r.run
	run.Tier, run.Role, run.Status = netra.Tier(r.tier), netra.Role(r.role), netra.RunStatus(r.status)
	run.CreatedAt = time.Unix(0, r.created).UTC()
	if len(r.params) > 0 {
		run.Params = r.params
	}
	if len(r.output) > 0 {
		run.Output = r.output
	}
	if r.started != nil {
		t := time.Unix(0, *r.started).UTC()
		run.StartedAt = &t
	}
	if r.ended != nil {
		t := time.Unix(0, *r.ended).UTC()
		run.EndedAt = &t
	}
	if r.errCode != nil {
		run.Error = &netra.RunError{Code: netra.Code(*r.errCode)}
		if r.errMessage != nil {
			run.Error.Message = *r.errMessage
		}
	}
	return run
}

// AuditColumns are the columns of an audit entry in both stores, in the order AuditRow.Dest
// scans them.
const AuditColumns = `user_id, seq, at, action, outcome, request_id, run_id, remote, detail, prev_hash, hash`

// AuditRow is an audit entry as both stores keep it.
type AuditRow struct {
	e  netra.AuditEntry
	at int64
}

// Dest is what to scan a row of AuditColumns into.
func (r *AuditRow) Dest() []any {
	e := &r.e
	return []any{&e.UserID, &e.Seq, &r.at, &e.Action, &e.Outcome, &e.RequestID, &e.RunID, &e.Remote, &e.Detail, &e.Prev, &e.Hash}
}

// Entry is the entry the row holds.
func (r *AuditRow) Entry() netra.AuditEntry {
	e := r.e
	e.At = time.Unix(0, r.at).UTC()
	return e
}

// Page cuts the rows of a newest-first query, fetched one more than limit, to a page, and
// makes the cursor of the next page ("" on the last).
func Page[T any](rows []T, limit int, key func(T) (createdAt int64, id string)) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	at, id := key(rows[limit-1])
	return rows[:limit], EncodeCursor(at, id)
}

// RunKey is a run's place in a newest-first page.
func RunKey(r netra.Run) (int64, string) { return r.CreatedAt.UnixNano(), r.ID }

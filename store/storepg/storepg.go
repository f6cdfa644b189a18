// Package storepg is the store on PostgreSQL, through github.com/jackc/pgx/v5: what carries
// Netra past one machine (NETRA_DATABASE_URL). It keeps the embedded store's tables and
// meanings (it passes the same suite, store/storetest); a group commit is one transaction
// sent as one batch, so a commit of many events costs one round trip.
//
// Several nodes may share one database: migrations run under an advisory lock, and every
// write is a transaction of its own, so nothing here assumes a single writer.
package storepg

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// takenSeq reads the user from the detail of a unique violation on audit (user_id, seq):
// "Key (user_id, seq)=(alice, 7) already exists." User ids hold no commas or parentheses.
var takenSeq = regexp.MustCompile(`\(user_id, seq\)=\((.*), \d+\) already exists`)

// migrationLock is the advisory lock nodes take to migrate one at a time ("netra" in ASCII).
const migrationLock = 0x6e65747261

// Store is the PostgreSQL store.
type Store struct {
	db    *pgxpool.Pool
	url   string
	claim *pgx.Conn // holds the node lock; nil unless Claim
	fence string    // the node whose row every Append needs (Fence); "" off a cluster
}

var _ store.Store = (*Store)(nil)
var _ store.AuditAdmin = (*Store)(nil)

// Open connects to the database url names (postgres://user@host:port/db?options; a
// search_path option selects a schema) and applies the migrations it has not yet.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("NETRA_DATABASE_URL: %w", err)
	}
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{db: db, url: url}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres %s: %w", cfg.ConnConfig.Host, err)
	}
	if err := s.cleanStaleUploads(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: removing unfinished uploads: %w", err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) }()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(path.Base(name), ".sql")
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Claim makes this store the only one serving from its database (shared false): a lone
// node's scheduler recovers every queued and running run it finds at start-up, so a second
// node on the same database would take the first one's runs. Cluster nodes claim it shared:
// they exclude a lone node, not each other. The claim is a session advisory lock (per schema)
// on a connection of its own, released by Close or when the process dies.
func (s *Store) Claim(ctx context.Context, shared bool) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	fn := "pg_try_advisory_lock"
	if shared {
		fn = "pg_try_advisory_lock_shared"
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT `+fn+`(hashtext('netra-node:' || current_schema()))`).Scan(&ok); err != nil || !ok {
		_ = conn.Close(ctx)
		if err == nil && shared {
			err = errors.New("a Netra node without NETRA_NATS_URL serves from this database: a cluster's nodes need NATS, all of them (docs/operations.md)")
		} else if err == nil {
			err = errors.New("another Netra node is serving from this database: nodes share one only as a cluster, with NETRA_NATS_URL set on each (docs/operations.md)")
		}
		return err
	}
	s.claim = conn
	return nil
}

// Close closes the connections, and gives up the claim.
func (s *Store) Close() error {
	if s.claim != nil {
		_ = s.claim.Close(context.Background())
	}
	s.db.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

// wrap maps a database error to the domain's: a full disk or a read-only database is
// insufficient_storage (nothing was stored), the rest internal.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ne *netra.Error
	if errors.As(err, &ne) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "53100", "53200": // disk_full, out_of_memory
			return &netra.Error{Code: netra.CodeInsufficientStorage, Message: "the database is out of space: nothing was stored; try again later", Err: fmt.Errorf("postgres %s: %w", op, err)}
		case "23505": // unique_violation
			if pe.ConstraintName == "audit_user_id_seq_key" {
				// Another node of the cluster continued the user's chain first.
				var moved error = store.ErrChainMoved
				if m := takenSeq.FindStringSubmatch(pe.Detail); m != nil {
					moved = &store.ChainMoved{User: m[1]}
				}
				return &netra.Error{Code: netra.CodeConflict, Message: "the audit chain moved on: nothing was stored", Err: fmt.Errorf("postgres %s: %w: %w", op, moved, err)}
			}
		case "NX002": // netra_touch_thread
			return store.NotFound("thread")
		case "NX001": // netra_fence
			return &netra.Error{Code: netra.CodeUnavailable, Message: "this node has lost its leases: nothing was stored", Err: fmt.Errorf("postgres %s: %w: %w", op, ErrFenced, err)}
		case "25006": // read_only_sql_transaction: a standby, or a database made read-only
			return &netra.Error{Code: netra.CodeInsufficientStorage, Message: "the database does not accept writes: nothing was stored", Err: fmt.Errorf("postgres %s: %w", op, err)}
		}
	}
	return netra.Internal(fmt.Errorf("postgres %s: %w", op, err))
}

// CreateThread creates an empty thread.
func (s *Store) CreateThread(ctx context.Context, owner, title string) (netra.Thread, error) {
	now := time.Now().UTC()
	t := netra.Thread{ID: netra.NewID("thr_"), Owner: owner, Title: store.CutTitle(title), CreatedAt: now, UpdatedAt: now}
	_, err := s.db.Exec(ctx, qInsThread, t.ID, owner, t.Title, nanos(now), nanos(now))
	return t, wrap("create thread", err)
}

// GetThread returns the owner's thread.
func (s *Store) GetThread(ctx context.Context, owner, id string) (netra.Thread, error) {
	t, err := scanThread(s.db.QueryRow(ctx, `SELECT id, owner, title, created_at, updated_at FROM threads WHERE id = $1 AND owner = $2`, id, owner))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, store.NotFound("thread")
	}
	return t, wrap("get thread", err)
}

func scanThread(row pgx.Row) (netra.Thread, error) {
	var t netra.Thread
	var c, u int64
	err := row.Scan(&t.ID, &t.Owner, &t.Title, &c, &u)
	t.CreatedAt, t.UpdatedAt = fromNanos(c), fromNanos(u)
	return t, err
}

// newestFirst pages query q (a SELECT ... WHERE with its args) newest created first, after
// cursor, fetching one row more than limit to tell whether another page follows.
func newestFirst(q string, args []any, cursor string, limit int) (string, []any, error) {
	if cursor != "" {
		at, id, err := store.DecodeCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		n := len(args)
		q += fmt.Sprintf(` AND (created_at < $%d OR (created_at = $%d AND id < $%d))`, n+1, n+1, n+2)
		args = append(args, at, id)
	}
	return q + fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)+1), append(args, limit+1), nil
}

// ListThreads pages through the owner's threads, newest first.
func (s *Store) ListThreads(ctx context.Context, owner string, limit int, cursor string) ([]netra.Thread, string, error) {
	q, args, err := newestFirst(`SELECT id, owner, title, created_at, updated_at FROM threads WHERE owner = $1`, []any{owner}, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", wrap("list threads", err)
	}
	threads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (netra.Thread, error) { return scanThread(r) })
	if err != nil {
		return nil, "", wrap("list threads", err)
	}
	threads, next := store.Page(threads, limit, func(t netra.Thread) (int64, string) { return nanos(t.CreatedAt), t.ID })
	return threads, next, nil
}

// RenameThread sets the owner's thread's title.
func (s *Store) RenameThread(ctx context.Context, owner, id, title string) (netra.Thread, error) {
	tag, err := s.db.Exec(ctx, `UPDATE threads SET title = $1, updated_at = $2 WHERE id = $3 AND owner = $4`,
		store.CutTitle(title), nanos(time.Now().UTC()), id, owner)
	if err != nil {
		return netra.Thread{}, wrap("rename thread", err)
	}
	if tag.RowsAffected() == 0 {
		return netra.Thread{}, store.NotFound("thread")
	}
	return s.GetThread(ctx, owner, id)
}

// DeleteThread deletes the owner's thread with its messages, runs and events.
func (s *Store) DeleteThread(ctx context.Context, owner, id string) error {
	return wrap("delete thread", pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM events WHERE owner = $1 AND run_id IN (SELECT id FROM runs WHERE thread_id = $2 AND owner = $1)`, owner, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM threads WHERE id = $1 AND owner = $2`, id, owner)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.NotFound("thread")
		}
		return err
	}))
}

// ListMessages returns a thread's messages, oldest first.
func (s *Store) ListMessages(ctx context.Context, owner, threadID string) ([]netra.Message, error) {
	if _, err := s.GetThread(ctx, owner, threadID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, owner, thread_id, run_id, role, content, created_at FROM messages
		WHERE owner = $1 AND thread_id = $2 ORDER BY created_at, n`, owner, threadID)
	if err != nil {
		return nil, wrap("list messages", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (netra.Message, error) {
		var m netra.Message
		var c int64
		err := r.Scan(&m.ID, &m.Owner, &m.ThreadID, &m.RunID, &m.Role, &m.Content, &c)
		m.CreatedAt = fromNanos(c)
		return m, err
	})
	if out == nil {
		out = []netra.Message{}
	}
	return out, wrap("list messages", err)
}

// The statements of accepting and running a run. pgx prepares and caches each on every
// connection the first time it runs there.
const (
	qInsThread   = `INSERT INTO threads (id, owner, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`
	qTouchThread = `SELECT netra_touch_thread($1, $2, $3)`
	qInsRun      = `INSERT INTO runs (id, owner, thread_id, agent, tier, role, status, input, params, created_at, started_at, ended_at, output, error_code, error_message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	qInsMessage  = `INSERT INTO messages (id, owner, thread_id, run_id, role, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	qSetRunning  = `UPDATE runs SET status = $1, started_at = $2 WHERE id = $3 AND owner = $4`
	qSetEnded    = `UPDATE runs SET status = $1, ended_at = $2, output = $3, error_code = $4, error_message = $5 WHERE id = $6 AND owner = $7`
	qInsAudits   = `INSERT INTO audit (` + auditColumns + `) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[],
		$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])`
	qInsEvents = `INSERT INTO events (run_id, seq, owner, type, frame)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bytea[])`
	qInsAssistant = `INSERT INTO messages (id, owner, thread_id, run_id, role, content, created_at)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint WHERE EXISTS (SELECT 1 FROM threads WHERE id = $3 AND owner = $2)`
)

// CreateRun writes the thread (when new), the user message and the queued run in one transaction.
func (s *Store) CreateRun(ctx context.Context, nr store.NewRun) (netra.Run, error) {
	var run netra.Run
	b := &pgx.Batch{}
	s.queueCreate(b, nr, nil, &run)
	return run, wrap("create run", sendBatch(ctx, s.db, b))
}

// queueCreate queues the statements that accept nr and fills run. Accepting it in a thread
// that is not the owner's fails the batch (netra_touch_thread: not_found).
func (s *Store) queueCreate(b *pgx.Batch, nr store.NewRun, state *store.RunRowState, run *netra.Run) {
	at := nanos(nr.CreatedAt)
	owner := nr.Identity.UserID
	threadID := nr.ThreadID
	if threadID == "" {
		threadID = nr.NewThreadID
		if threadID == "" {
			threadID = netra.NewID("thr_")
		}
		b.Queue(qInsThread, threadID, owner, store.TitleFromInput(nr.Input), at, at)
	} else {
		b.Queue(qTouchThread, threadID, owner, at)
	}
	// A state folded from later records of the batch (store.FoldRuns) is bound as their
	// UPDATEs would bind it.
	status, started, ended, output, code, msg := state.Columns()
	b.Queue(qInsRun, nr.ID, owner, threadID, nr.Agent, string(nr.Identity.Tier), string(nr.Identity.Role),
		status, nr.Input, []byte(nr.Params), at, started, ended, output, code, msg)
	b.Queue(qInsMessage, netra.NewID("msg_"), owner, threadID, nr.ID, netra.MessageUser, nr.Input, at)
	*run = netra.Run{ID: nr.ID, Owner: owner, ThreadID: threadID, Agent: nr.Agent, Status: netra.RunQueued,
		Tier: nr.Identity.Tier, Role: nr.Identity.Role, Input: nr.Input, Params: nr.Params, CreatedAt: fromNanos(at)}
}

// batchSender is a pool or a transaction.
type batchSender interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}

// sendBatch sends b to the server at once and reads every result in order. Sent on a pool,
// the batch is one implicit transaction; in a transaction, part of it.
func sendBatch(ctx context.Context, to batchSender, b *pgx.Batch) error {
	br := to.SendBatch(ctx, b)
	for range b.Len() {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
}

const runColumns = store.RunColumns

func scanRun(row pgx.Row) (netra.Run, error) {
	var r store.RunRow
	err := row.Scan(r.Dest()...)
	return r.Run(), err
}

// GetRun returns the owner's run.
func (s *Store) GetRun(ctx context.Context, owner, id string) (netra.Run, error) {
	r, err := scanRun(s.db.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1 AND owner = $2`, id, owner))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.NotFound("run")
	}
	return r, wrap("get run", err)
}

func (s *Store) queryRuns(ctx context.Context, op, q string, args ...any) ([]netra.Run, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (netra.Run, error) { return scanRun(r) })
	if out == nil {
		out = []netra.Run{}
	}
	return out, wrap(op, err)
}

// ListRuns returns a thread's runs, oldest first.
func (s *Store) ListRuns(ctx context.Context, owner, threadID string) ([]netra.Run, error) {
	if _, err := s.GetThread(ctx, owner, threadID); err != nil {
		return nil, err
	}
	return s.queryRuns(ctx, "list runs", `SELECT `+runColumns+` FROM runs WHERE owner = $1 AND thread_id = $2 ORDER BY created_at, n`, owner, threadID)
}

// ListUserRuns pages through the owner's runs, newest first, optionally of one status.
func (s *Store) ListUserRuns(ctx context.Context, owner string, status netra.RunStatus, limit int, cursor string) ([]netra.Run, string, error) {
	args := []any{owner}
	q := `SELECT ` + runColumns + ` FROM runs WHERE owner = $1`
	if status != "" {
		q += ` AND status = $2`
		args = append(args, string(status))
	}
	q, args, err := newestFirst(q, args, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	runs, err := s.queryRuns(ctx, "list user runs", q, args...)
	if err != nil {
		return nil, "", err
	}
	runs, next := store.Page(runs, limit, store.RunKey)
	return runs, next, nil
}

// ActiveRuns lists all queued and running runs, oldest first (recovery only).
func (s *Store) ActiveRuns(ctx context.Context) ([]netra.Run, error) {
	return s.queryRuns(ctx, "active runs", `SELECT `+runColumns+` FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, n`)
}

// LastSeq returns the highest stored seq of a run.
func (s *Store) LastSeq(ctx context.Context, runID string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM events WHERE run_id = $1`, runID).Scan(&n)
	return n, wrap("last seq", err)
}

// RunStates returns the runs of refs that exist, with their last seqs.
func (s *Store) RunStates(ctx context.Context, refs []store.RunRef) ([]store.RunState, error) {
	if len(refs) > store.MaxRunStates {
		return nil, fmt.Errorf("run states: %d runs, at most %d", len(refs), store.MaxRunStates)
	}
	if len(refs) == 0 {
		return []store.RunState{}, nil
	}
	ids, owners := make([]string, len(refs)), make([]string, len(refs))
	for i, ref := range refs {
		ids[i], owners[i] = ref.ID, ref.Owner
	}
	rows, err := s.db.Query(ctx, `SELECT `+store.Prefixed("r.", runColumns)+`, (SELECT coalesce(max(seq), 0) FROM events e WHERE e.run_id = r.id)
		FROM unnest($1::text[], $2::text[]) AS refs(id, owner) JOIN runs r ON r.id = refs.id AND r.owner = refs.owner`, ids, owners)
	if err != nil {
		return nil, wrap("run states", err)
	}
	defer rows.Close()
	out, err := store.ScanRunStates(rows)
	return out, wrap("run states", err)
}

// ListEvents returns the owner's run events after afterSeq.
func (s *Store) ListEvents(ctx context.Context, owner, runID string, afterSeq int64, limit int) ([]netra.Event, error) {
	q := `SELECT seq, type, frame FROM events WHERE run_id = $1 AND owner = $2 AND seq > $3 ORDER BY seq`
	args := []any{runID, owner, afterSeq}
	if limit > 0 {
		q += ` LIMIT $4`
		args = append(args, limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap("list events", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (netra.Event, error) {
		e := netra.Event{Owner: owner, RunID: runID}
		var typ string
		err := r.Scan(&e.Seq, &typ, &e.Frame)
		e.Type = netra.EventType(typ)
		return e, err
	})
	if out == nil {
		out = []netra.Event{}
	}
	return out, wrap("list events", err)
}

// Append commits the batch in one transaction, sent to the server as one batch: PostgreSQL runs
// a pipeline's statements up to its Sync as one implicit transaction, so the batch needs no
// BEGIN and COMMIT of its own, each a round trip (a third of a small commit's time at 10
// users). Any statement that fails (a foreign thread, a moved audit chain, a lost lease) fails
// them all.
func (s *Store) Append(ctx context.Context, batch []store.Record) error {
	b := &pgx.Batch{}
	if s.fence != "" {
		b.Queue(`SELECT netra_fence($1)`, s.fence)
	}
	// A batch's events and audit entries go in one statement each (arrays unnested):
	// PostgreSQL's cost is mostly per statement, and a run writes several events.
	var evs events
	var entries []*netra.AuditEntry
	states, folded := store.FoldRuns(batch)
	for i, rec := range batch {
		if e := rec.Audit; e != nil {
			entries = append(entries, e)
		}
		if rec.Create != nil {
			var run netra.Run
			s.queueCreate(b, *rec.Create, states[rec.Create.ID], &run)
		}
		e := rec.Event
		if e == nil {
			continue
		}
		evs.add(e)
		if t := rec.Transition; t != nil {
			queueTransition(b, e, t, folded != nil && folded[i])
		}
	}
	evs.queue(b)
	// In the same order on every node (by user, then seq): two nodes' batches that continue
	// the same users' chains then wait for each other in one direction only. In batch order,
	// each could hold a key the other inserts next, and PostgreSQL aborted one as a deadlock
	// after its deadlock_timeout (1 s), a stall of every run's events on that node.
	slices.SortStableFunc(entries, func(a, b *netra.AuditEntry) int {
		return cmp.Or(strings.Compare(a.UserID, b.UserID), cmp.Compare(a.Seq, b.Seq))
	})
	var audits auditRows
	for _, e := range entries {
		audits.add(e)
	}
	audits.queue(b)
	return wrap("append", sendBatch(ctx, s.db, b))
}

// events are a batch's events, column by column, for one INSERT of unnested arrays. Nothing
// in the batch reads them, so they go after the runs they belong to.
type events struct {
	runs, owners, types []string
	seqs                []int64
	frames              [][]byte
}

func (v *events) add(e *netra.Event) {
	v.runs, v.seqs, v.owners = append(v.runs, e.RunID), append(v.seqs, e.Seq), append(v.owners, e.Owner)
	v.types, v.frames = append(v.types, string(e.Type)), append(v.frames, e.Frame)
}

func (v *events) queue(b *pgx.Batch) {
	if len(v.runs) > 0 {
		b.Queue(qInsEvents, v.runs, v.seqs, v.owners, v.types, v.frames)
	}
}

// auditRows are a batch's audit entries, column by column, in order (so are their ids).
type auditRows struct {
	users, actions, outcomes, requests, runs, remotes, details, prevs, hashes []string
	seqs, ats                                                                 []int64
}

func (v *auditRows) add(e *netra.AuditEntry) {
	v.users, v.seqs, v.ats = append(v.users, e.UserID), append(v.seqs, e.Seq), append(v.ats, nanos(e.At))
	v.actions, v.outcomes = append(v.actions, e.Action), append(v.outcomes, e.Outcome)
	v.requests, v.runs, v.remotes = append(v.requests, e.RequestID), append(v.runs, e.RunID), append(v.remotes, e.Remote)
	v.details, v.prevs, v.hashes = append(v.details, e.Detail), append(v.prevs, e.Prev), append(v.hashes, e.Hash)
}

func (v *auditRows) queue(b *pgx.Batch) {
	if len(v.users) > 0 {
		b.Queue(qInsAudits, v.users, v.seqs, v.ats, v.actions, v.outcomes, v.requests, v.runs, v.remotes,
			v.details, v.prevs, v.hashes)
	}
}

// queueTransition queues the UPDATE of the run's row (unless its creation in the same batch
// already holds the transition: folded) and the assistant message.
func queueTransition(b *pgx.Batch, e *netra.Event, t *netra.Transition, folded bool) {
	at := nanos(t.At)
	switch {
	case folded:
	case t.Status == netra.RunRunning:
		b.Queue(qSetRunning, string(t.Status), at, e.RunID, e.Owner)
	default:
		var code, msg *string
		if t.Error != nil {
			c := string(t.Error.Code)
			code, msg = &c, &t.Error.Message
		}
		b.Queue(qSetEnded, string(t.Status), at, []byte(t.Output), code, msg, e.RunID, e.Owner)
	}
	if m := t.Assistant; m != nil {
		// The thread may have been deleted while the run ended; then there is nothing to add to.
		b.Queue(qInsAssistant, m.ID, e.Owner, e.ThreadID, e.RunID, netra.MessageAssistant, m.Content, at)
	}
}

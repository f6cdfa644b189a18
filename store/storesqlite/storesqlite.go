// Package storesqlite is the embedded store: SQLite through modernc.org/sqlite (no cgo), in
// WAL mode with synchronous=NORMAL, so a commit does not wait for fsync; the WAL is synced at
// checkpoints. One connection writes (SQLite allows one writer) and a small pool reads.
//
// Checkpoints run mostly off the writer: a background goroutine runs a passive checkpoint at
// most every checkpointEvery after writes, so the copy and its fsync happen beside the writer,
// not inside a commit. A passive checkpoint alone never lets the WAL restart under constant
// writes, so the writer keeps SQLite's automatic checkpoint at a larger threshold
// (writerCheckpointPages): it finds most frames already copied, and it bounds the WAL. See
// docs/benchmarks.md for the measurements behind both numbers.
package storesqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

const (
	checkpointEvery       = 100 * time.Millisecond
	writerCheckpointPages = 16000 // ~64 MB of WAL with 4 KiB pages
)

// Store is the SQLite store.
type Store struct {
	w *sql.DB // exactly one connection: the writer
	r *sql.DB // readers

	hot writerStmts

	kick chan struct{} // a write happened; buffered 1
	stop chan struct{}
	done chan struct{} // the checkpointer has returned
	once sync.Once

	full atomic.Bool // a write was refused for lack of space, and no room was seen since
	path string

	// Immutable reports that OpenReadOnly opened the file in SQLite's immutable mode (read-only
	// media): what the file holds, without a WAL a server may not have checkpointed.
	Immutable bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when needed) the database file at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(ON)",
		"wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + abs + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, path: abs}
	if err := s.migrate(ctx); err != nil {
		_ = w.Close()
		return nil, describeOpen(abs, fmt.Errorf("sqlite migrate: %w", err))
	}
	if err := s.cleanStaleUploads(ctx); err != nil {
		_ = w.Close()
		return nil, describeOpen(abs, fmt.Errorf("sqlite: removing unfinished uploads: %w", err))
	}
	if err := s.hot.prepare(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Readers map the file: a scan of a user's records then reads chunks from the page cache
	// without a read(2) and a copy per page.
	r, err := sql.Open("sqlite", dsn+"&_pragma=mmap_size(1073741824)")
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	s.kick, s.stop, s.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	return s, nil
}

// OpenReadOnly opens an existing database for reading only, beside a server that may be
// using it: no migration, no clean-up of the server's unfinished uploads, no checkpoints;
// every write fails. It is for tools such as `netra audit verify`. On read-only media (a
// mounted backup, a snapshot), where SQLite cannot make the files a reader of a WAL database
// needs beside it, it opens the file in SQLite's immutable mode: no locks, no WAL, the file
// as it is.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	s, err := openReadOnly(ctx, abs, false)
	if err != nil {
		if s2, err2 := openReadOnly(ctx, abs, true); err2 == nil {
			s2.Immutable = true
			return s2, nil
		}
	}
	return s, err
}

func openReadOnly(ctx context.Context, abs string, immutable bool) (*Store, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", abs, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite %s is not a Netra database, or cannot be read here: %w", abs, err)
	}
	s := &Store{w: db, r: db, stop: make(chan struct{}), done: make(chan struct{})}
	close(s.done)                                  // no checkpointer
	if err := s.hot.prepare(ctx, db); err != nil { // writes then fail with "readonly database"
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, nil
}

// wrote tells the checkpointer that the WAL grew.
func (s *Store) wrote() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Store) checkpointer() {
	defer close(s.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		// Passive: never waits for the writer or readers, copies what it can. Errors are
		// harmless here (the writer's own checkpoint still bounds the WAL).
		var busy, log, done int
		_ = s.r.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
		t.Reset(checkpointEvery)
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(filepath.Base(name), ".sql")
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return err
	}
	if !s.full.Load() {
		return nil
	}
	// A write was refused for lack of space: ready again once there is room to write, on the
	// disk and under the database's cap. (A small write that fits a page already there may
	// succeed meanwhile; it says nothing about room.)
	room, err := s.room(ctx)
	if err != nil {
		return err
	}
	if room < minRoom {
		return fmt.Errorf("storage full: %d bytes to write to, need %d", room, minRoom)
	}
	s.full.Store(false)
	return nil
}

// minRoom is the room to write a full store must have again before it is ready.
const minRoom = 4 << 20

// room is how many bytes the store may still grow by: the least of the free space of the
// database's file system and what its cap (SetMaxSize) leaves, free pages included.
func (s *Store) room(ctx context.Context) (int64, error) {
	var pageSize, pages, maxPages, free int64
	for _, q := range []struct {
		pragma string
		v      *int64
	}{{"page_size", &pageSize}, {"page_count", &pages}, {"max_page_count", &maxPages}, {"freelist_count", &free}} {
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(q.v); err != nil {
			return 0, err
		}
	}
	return min((maxPages-pages+free)*pageSize, diskFree(s.path)), nil
}

// SetMaxSize caps the database file at about bytes (SQLite's max_page_count); 0 lifts the cap.
// Past it every write fails as on a full disk (507 insufficient_storage), which is how the
// full-disk tests make one.
func (s *Store) SetMaxSize(ctx context.Context, bytes int64) error {
	var pageSize int64
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return err
	}
	pages := max(1, bytes/pageSize) // 0 would only ask; under the current size SQLite keeps that
	if bytes <= 0 {
		pages = 4294967294 // SQLite's largest
	}
	_, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages))
	return err
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ne *netra.Error
	if errors.As(err, &ne) {
		return err
	}
	switch sqliteCode(err) {
	case sqliteFull:
		return &netra.Error{Code: netra.CodeInsufficientStorage, Message: "the server's disk is full: nothing was stored; try again later", Err: fmt.Errorf("sqlite %s: %w", op, err)}
	case sqliteReadOnly:
		return &netra.Error{Code: netra.CodeInsufficientStorage, Message: "the server cannot write to its storage: nothing was stored", Err: fmt.Errorf("sqlite %s: %w", op, err)}
	}
	return netra.Internal(fmt.Errorf("sqlite %s: %w", op, err))
}

// SQLite's primary result codes that mean "cannot write".
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// sqliteCode is the primary result code of a driver error, or 0.
func sqliteCode(err error) int {
	var ce interface{ Code() int }
	if errors.As(err, &ce) {
		return ce.Code() & 0xff
	}
	return 0
}

// describeOpen words an error of opening or migrating the database for the person starting
// the server: a full disk and read-only storage are said so, with the path.
func describeOpen(path string, err error) error {
	if sqliteCode(err) == sqliteCantOpen || sqliteCode(err) == sqliteIOErr {
		// SQLite says only that it could not open or write a file: ask the directory.
		if f, terr := os.CreateTemp(filepath.Dir(path), ".netra-probe-*"); terr != nil {
			err = errors.Join(err, terr)
		} else {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}
	ioErr := sqliteCode(err) == sqliteIOErr || sqliteCode(err) == sqliteCantOpen
	switch {
	case sqliteCode(err) == sqliteFull || errors.Is(err, syscall.ENOSPC) || (ioErr && diskFree(path) < minRoom):
		return fmt.Errorf("the disk holding %s is full: free some space and start again (%w)", path, err)
	case sqliteCode(err) == sqliteReadOnly || errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s is read-only or not writable: the server needs a writable data directory (--data-dir) (%w)", path, err)
	}
	return err
}

// track notes a write refused for lack of space: the store is then not ready (Ping fails)
// until it has room to write again.
func (s *Store) track(err error) error {
	if netra.ErrorCode(err) == netra.CodeInsufficientStorage {
		s.full.Store(true)
	}
	return err
}

// CreateThread creates an empty thread.
func (s *Store) CreateThread(ctx context.Context, owner, title string) (netra.Thread, error) {
	now := time.Now().UTC()
	t := netra.Thread{ID: netra.NewID("thr_"), Owner: owner, Title: store.CutTitle(title), CreatedAt: now, UpdatedAt: now}
	_, err := s.hot.insThread.ExecContext(ctx, t.ID, owner, t.Title, nanos(now), nanos(now))
	return t, s.track(wrap("create thread", err))
}

// GetThread returns the owner's thread.
func (s *Store) GetThread(ctx context.Context, owner, id string) (netra.Thread, error) {
	var t netra.Thread
	var c, u int64
	err := s.r.QueryRowContext(ctx, `SELECT id, owner, title, created_at, updated_at FROM threads WHERE id = ? AND owner = ?`, id, owner).
		Scan(&t.ID, &t.Owner, &t.Title, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return t, store.NotFound("thread")
	}
	t.CreatedAt, t.UpdatedAt = fromNanos(c), fromNanos(u)
	return t, wrap("get thread", err)
}

// newestFirst pages query q (a SELECT ... WHERE with its args) newest created first, after
// cursor, fetching one row more than limit to tell whether another page follows.
func newestFirst(q string, args []any, cursor string, limit int) (string, []any, error) {
	if cursor != "" {
		at, id, err := store.DecodeCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, id)
	}
	return q + ` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1), nil
}

// ListThreads pages through the owner's threads, newest first.
func (s *Store) ListThreads(ctx context.Context, owner string, limit int, cursor string) ([]netra.Thread, string, error) {
	q, args, err := newestFirst(`SELECT id, owner, title, created_at, updated_at FROM threads WHERE owner = ?`, []any{owner}, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", wrap("list threads", err)
	}
	defer rows.Close()
	out := make([]netra.Thread, 0, limit)
	var lastAt int64
	for rows.Next() {
		var t netra.Thread
		var c, u int64
		if err := rows.Scan(&t.ID, &t.Owner, &t.Title, &c, &u); err != nil {
			return nil, "", wrap("list threads", err)
		}
		if len(out) == limit {
			return out, store.EncodeCursor(lastAt, out[len(out)-1].ID), nil
		}
		t.CreatedAt, t.UpdatedAt = fromNanos(c), fromNanos(u)
		lastAt = c
		out = append(out, t)
	}
	return out, "", wrap("list threads", rows.Err())
}

// RenameThread sets the owner's thread's title.
func (s *Store) RenameThread(ctx context.Context, owner, id, title string) (netra.Thread, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE threads SET title = ?, updated_at = ? WHERE id = ? AND owner = ?`,
		store.CutTitle(title), nanos(time.Now().UTC()), id, owner)
	if err != nil {
		return netra.Thread{}, s.track(wrap("rename thread", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return netra.Thread{}, store.NotFound("thread")
	}
	return s.GetThread(ctx, owner, id)
}

// DeleteThread deletes the owner's thread with its messages, runs and events.
func (s *Store) DeleteThread(ctx context.Context, owner, id string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("delete thread", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE owner = ? AND run_id IN (SELECT id FROM runs WHERE thread_id = ? AND owner = ?)`, owner, id, owner); err != nil {
		return wrap("delete thread", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE id = ? AND owner = ?`, id, owner)
	if err != nil {
		return wrap("delete thread", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFound("thread")
	}
	return wrap("delete thread", tx.Commit())
}

// ListMessages returns a thread's messages, oldest first.
func (s *Store) ListMessages(ctx context.Context, owner, threadID string) ([]netra.Message, error) {
	if _, err := s.GetThread(ctx, owner, threadID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, owner, thread_id, run_id, role, content, created_at FROM messages
		WHERE owner = ? AND thread_id = ? ORDER BY created_at, rowid`, owner, threadID)
	if err != nil {
		return nil, wrap("list messages", err)
	}
	defer rows.Close()
	out := []netra.Message{}
	for rows.Next() {
		var m netra.Message
		var c int64
		if err := rows.Scan(&m.ID, &m.Owner, &m.ThreadID, &m.RunID, &m.Role, &m.Content, &c); err != nil {
			return nil, wrap("list messages", err)
		}
		m.CreatedAt = fromNanos(c)
		out = append(out, m)
	}
	return out, wrap("list messages", rows.Err())
}

// CreateRun writes the thread (when new), the user message and the queued run in one transaction.
func (s *Store) CreateRun(ctx context.Context, nr store.NewRun) (netra.Run, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return netra.Run{}, wrap("create run", err)
	}
	defer func() { _ = tx.Rollback() }()
	run, err := s.createRunTx(ctx, tx, nr, nil)
	if err != nil {
		return netra.Run{}, s.track(wrap("create run", err))
	}
	if err := tx.Commit(); err != nil {
		return netra.Run{}, s.track(wrap("create run", err))
	}
	return run, s.track(nil)
}

// createRunTx writes an accepted run inside tx, queued, or in state when its batch folded
// later transitions into it (store.FoldRuns).
func (s *Store) createRunTx(ctx context.Context, tx *sql.Tx, nr store.NewRun, state *store.RunRowState) (netra.Run, error) {
	at := nanos(nr.CreatedAt)
	owner := nr.Identity.UserID
	threadID := nr.ThreadID
	if threadID == "" {
		threadID = nr.NewThreadID
		if threadID == "" {
			threadID = netra.NewID("thr_")
		}
		if _, err := exec(ctx, tx, s.hot.insThread,
			threadID, owner, store.TitleFromInput(nr.Input), at, at); err != nil {
			return netra.Run{}, err
		}
	} else {
		res, err := exec(ctx, tx, s.hot.touchThread, at, threadID, owner)
		if err != nil {
			return netra.Run{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return netra.Run{}, store.NotFound("thread")
		}
	}
	status, started, ended, output, code, msg := state.Columns() // bound as the UPDATEs bind them
	if _, err := exec(ctx, tx, s.hot.insRun, nr.ID, owner, threadID, nr.Agent, string(nr.Identity.Tier), string(nr.Identity.Role),
		status, nr.Input, []byte(nr.Params), at, started, ended, output, code, msg); err != nil {
		return netra.Run{}, err
	}
	if _, err := exec(ctx, tx, s.hot.insMessage,
		netra.NewID("msg_"), owner, threadID, nr.ID, netra.MessageUser, nr.Input, at); err != nil {
		return netra.Run{}, err
	}
	return netra.Run{ID: nr.ID, Owner: owner, ThreadID: threadID, Agent: nr.Agent, Status: netra.RunQueued,
		Tier: nr.Identity.Tier, Role: nr.Identity.Role, Input: nr.Input, Params: nr.Params, CreatedAt: fromNanos(at)}, nil
}

// The statements of accepting and running a run, prepared once on the writer connection:
// preparing them per transaction cost a tenth of the writer's CPU (docs/benchmarks.md).
const (
	qInsThread    = `INSERT INTO threads (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`
	qTouchThread  = `UPDATE threads SET updated_at = ? WHERE id = ? AND owner = ?`
	qInsRun       = `INSERT INTO runs (id, owner, thread_id, agent, tier, role, status, input, params, created_at, started_at, ended_at, output, error_code, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsMessage   = `INSERT INTO messages (id, owner, thread_id, run_id, role, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qInsEvent     = `INSERT INTO events (run_id, seq, owner, type, frame) VALUES (?, ?, ?, ?, ?)`
	qSetRunning   = `UPDATE runs SET status = ?, started_at = ? WHERE id = ? AND owner = ?`
	qSetEnded     = `UPDATE runs SET status = ?, ended_at = ?, output = ?, error_code = ?, error_message = ? WHERE id = ? AND owner = ?`
	qInsAudit     = `INSERT INTO audit (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsAssistant = `INSERT INTO messages (id, owner, thread_id, run_id, role, content, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM threads WHERE id = ? AND owner = ?)`
)

type writerStmts struct {
	insThread, touchThread, insRun, insMessage, insEvent, setRunning, setEnded, insAssistant, insAudit *sql.Stmt
}

// prepare must run before any transaction: the writer has one connection, which an open
// transaction holds.
func (h *writerStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{{&h.insThread, qInsThread}, {&h.touchThread, qTouchThread}, {&h.insRun, qInsRun}, {&h.insMessage, qInsMessage},
		{&h.insEvent, qInsEvent}, {&h.setRunning, qSetRunning}, {&h.setEnded, qSetEnded}, {&h.insAssistant, qInsAssistant},
		{&h.insAudit, qInsAudit}} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.st = st
	}
	return nil
}

// exec runs a prepared statement inside tx, on the connection it was prepared on.
func exec(ctx context.Context, tx *sql.Tx, st *sql.Stmt, args ...any) (sql.Result, error) {
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

const runColumns = store.RunColumns

type scanner interface{ Scan(...any) error }

func scanRun(sc scanner) (netra.Run, error) {
	var row store.RunRow
	err := sc.Scan(row.Dest()...)
	return row.Run(), err
}

// GetRun returns the owner's run.
func (s *Store) GetRun(ctx context.Context, owner, id string) (netra.Run, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ? AND owner = ?`, id, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.NotFound("run")
	}
	return r, wrap("get run", err)
}

func (s *Store) queryRuns(ctx context.Context, op, q string, args ...any) ([]netra.Run, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []netra.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err())
}

// ListRuns returns a thread's runs, oldest first.
func (s *Store) ListRuns(ctx context.Context, owner, threadID string) ([]netra.Run, error) {
	if _, err := s.GetThread(ctx, owner, threadID); err != nil {
		return nil, err
	}
	return s.queryRuns(ctx, "list runs", `SELECT `+runColumns+` FROM runs WHERE owner = ? AND thread_id = ? ORDER BY created_at, rowid`, owner, threadID)
}

// ListUserRuns pages through the owner's runs, newest first, optionally of one status.
func (s *Store) ListUserRuns(ctx context.Context, owner string, status netra.RunStatus, limit int, cursor string) ([]netra.Run, string, error) {
	args := []any{owner}
	q := `SELECT ` + runColumns + ` FROM runs WHERE owner = ?`
	if status != "" {
		q += ` AND status = ?`
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
	return s.queryRuns(ctx, "active runs", `SELECT `+runColumns+` FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid`)
}

// LastSeq returns the highest stored seq of a run.
func (s *Store) LastSeq(ctx context.Context, runID string) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events WHERE run_id = ?`, runID).Scan(&n)
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
	// A VALUES list of (id, owner) joined to runs: one statement, each run by its key.
	q := `WITH refs(id, owner) AS (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?),", len(refs)), ",") + `)
		SELECT ` + store.Prefixed("r.", runColumns) + `, (SELECT coalesce(max(seq), 0) FROM events e WHERE e.run_id = r.id)
		FROM refs JOIN runs r ON r.id = refs.id AND r.owner = refs.owner`
	args := make([]any, 0, 2*len(refs))
	for _, ref := range refs {
		args = append(args, ref.ID, ref.Owner)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("run states", err)
	}
	defer rows.Close()
	out, err := store.ScanRunStates(rows)
	return out, wrap("run states", err)
}

// ListEvents returns the owner's run events after afterSeq.
func (s *Store) ListEvents(ctx context.Context, owner, runID string, afterSeq int64, limit int) ([]netra.Event, error) {
	q := `SELECT seq, type, frame FROM events WHERE run_id = ? AND owner = ? AND seq > ? ORDER BY seq`
	args := []any{runID, owner, afterSeq}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("list events", err)
	}
	defer rows.Close()
	out := []netra.Event{}
	for rows.Next() {
		e := netra.Event{Owner: owner, RunID: runID}
		var typ string
		if err := rows.Scan(&e.Seq, &typ, &e.Frame); err != nil {
			return nil, wrap("list events", err)
		}
		e.Type = netra.EventType(typ)
		out = append(out, e)
	}
	return out, wrap("list events", rows.Err())
}

// Append commits the batch in one transaction.
func (s *Store) Append(ctx context.Context, batch []store.Record) error {
	return s.track(s.append(ctx, batch))
}

func (s *Store) append(ctx context.Context, batch []store.Record) error {
	// Given a context that can end, the driver starts a goroutine per statement to interrupt
	// it: a third more writer time a group commit (BenchmarkAcceptance). The writer's
	// statements are short and local, and a lock they wait on is bounded by busy_timeout.
	ctx = context.WithoutCancel(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("append", err)
	}
	defer func() { _ = tx.Rollback() }()
	ins := tx.StmtContext(ctx, s.hot.insEvent)
	states, folded := store.FoldRuns(batch)
	for i, rec := range batch {
		if rec.Audit != nil {
			if err := s.insertAudit(ctx, tx, rec.Audit); err != nil {
				return wrap("append", err)
			}
		}
		if rec.Create != nil {
			if _, err := s.createRunTx(ctx, tx, *rec.Create, states[rec.Create.ID]); err != nil {
				return wrap("append", err)
			}
		}
		e := rec.Event
		if e == nil {
			continue
		}
		if _, err := ins.ExecContext(ctx, e.RunID, e.Seq, e.Owner, string(e.Type), e.Frame); err != nil {
			return wrap("append", err)
		}
		if rec.Transition != nil {
			if err := s.applyTransition(ctx, tx, e, rec.Transition, folded != nil && folded[i]); err != nil {
				return wrap("append", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("append", err)
	}
	s.wrote()
	return nil
}

// applyTransition updates the run's row (unless its creation in the same batch already holds
// the transition: folded) and adds the assistant message.
func (s *Store) applyTransition(ctx context.Context, tx *sql.Tx, e *netra.Event, t *netra.Transition, folded bool) error {
	at := nanos(t.At)
	var err error
	switch {
	case folded:
	case t.Status == netra.RunRunning:
		_, err = exec(ctx, tx, s.hot.setRunning, string(t.Status), at, e.RunID, e.Owner)
	default:
		var code, msg any
		if t.Error != nil {
			code, msg = string(t.Error.Code), t.Error.Message
		}
		_, err = exec(ctx, tx, s.hot.setEnded,
			string(t.Status), at, t.Output, code, msg, e.RunID, e.Owner)
	}
	if err != nil || t.Assistant == nil {
		return err
	}
	m := t.Assistant
	// The thread may have been deleted while the run ended; then there is nothing to add to.
	_, err = exec(ctx, tx, s.hot.insAssistant,
		m.ID, e.Owner, e.ThreadID, e.RunID, netra.MessageAssistant, m.Content, at, e.ThreadID, e.Owner)
	return err
}

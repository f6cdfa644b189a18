package storesqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/workload"
)

// cleanStaleUploads removes uploads a previous process left uncommitted, with their ids.
func (s *Store) cleanStaleUploads(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := unregisterIDs(ctx, tx, `SELECT owner, data FROM workload_chunks WHERE committed = 0`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workload_chunks WHERE committed = 0`); err != nil {
		return err
	}
	return tx.Commit()
}

// unregisterIDs deletes the ids of the records in the chunks the query selects (owner, data):
// staged chunks hold exactly the ids their upload registered.
func unregisterIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	type chunk struct {
		owner string
		data  []byte
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	var chunks []chunk
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.owner, &c.data); err != nil {
			rows.Close()
			return err
		}
		chunks = append(chunks, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM workload_ids WHERE owner = ? AND rid = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, c := range chunks {
		var derr error
		err := workload.DecodeChunk(c.data, func(r *workload.Record) bool {
			if r.ID != "" {
				_, derr = del.ExecContext(ctx, c.owner, r.ID)
			}
			return derr == nil
		})
		if err != nil {
			return err
		}
		if derr != nil {
			return derr
		}
	}
	return nil
}

type upload struct {
	s        *Store
	owner    string
	id       string
	limit    int64
	existing int64
	mu       sync.Mutex
	staged   int64
	done     bool
}

// BeginUpload starts a staged upload.
func (s *Store) BeginUpload(ctx context.Context, owner string, limit int64) (store.Upload, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = ? AND committed = 1`, owner).Scan(&n); err != nil {
		return nil, wrap("begin upload", err)
	}
	return &upload{s: s, owner: owner, id: netra.NewID("upl_"), limit: limit, existing: n}, nil
}

func (u *upload) Add(ctx context.Context, recs []workload.Record) (int64, int64, error) {
	acc, dup, err := u.add(ctx, recs)
	return acc, dup, u.s.track(err)
}

func (u *upload) add(ctx context.Context, recs []workload.Record) (int64, int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, 0, store.UploadEnded()
	}
	if len(recs) == 0 {
		return 0, 0, nil
	}
	if err := store.CheckBatch(len(recs)); err != nil {
		return 0, 0, err
	}
	tx, err := u.s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, wrap("upload", err)
	}
	defer func() { _ = tx.Rollback() }()
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO workload_ids (owner, rid) VALUES (?, ?)`)
	if err != nil {
		return 0, 0, wrap("upload", err)
	}
	defer ins.Close()
	keep := recs[:0:0]
	var dups int64
	for i := range recs {
		if id := recs[i].ID; id != "" {
			res, err := ins.ExecContext(ctx, u.owner, id)
			if err != nil {
				return 0, 0, wrap("upload", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				dups++
				continue
			}
		}
		keep = append(keep, recs[i])
	}
	if u.existing+u.staged+int64(len(keep)) > u.limit {
		return 0, 0, store.TooManyRecords(u.limit)
	}
	if len(keep) > 0 {
		minTS, maxTS := workload.TimeSpan(keep)
		if _, err := tx.ExecContext(ctx, `INSERT INTO workload_chunks (owner, upload, committed, n, min_ts, max_ts, data, rollup) VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
			u.owner, u.id, len(keep), minTS.UnixMicro(), maxTS.UnixMicro(), workload.EncodeChunk(keep), workload.RollUp(keep)); err != nil {
			return 0, 0, wrap("upload", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, wrap("upload", err)
	}
	u.s.wrote()
	u.staged += int64(len(keep))
	return int64(len(keep)), dups, nil
}

func (u *upload) Commit(ctx context.Context) error {
	return u.s.track(u.commit(ctx))
}

func (u *upload) commit(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return store.UploadEnded()
	}
	u.done = true
	tx, err := u.s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("commit upload", err)
	}
	defer func() { _ = tx.Rollback() }()
	// The limit again, against what other uploads committed meanwhile.
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = ? AND committed = 1`, u.owner).Scan(&n); err != nil {
		return wrap("commit upload", err)
	}
	if n+u.staged > u.limit {
		_ = tx.Rollback()
		u.abort(context.WithoutCancel(ctx))
		return store.TooManyRecords(u.limit)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workload_chunks SET committed = 1 WHERE upload = ? AND owner = ?`, u.id, u.owner); err != nil {
		return wrap("commit upload", err)
	}
	return wrap("commit upload", tx.Commit())
}

func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	return u.abort(ctx)
}

func (u *upload) abort(ctx context.Context) error {
	tx, err := u.s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("abort upload", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := unregisterIDs(ctx, tx, `SELECT owner, data FROM workload_chunks WHERE upload = ? AND owner = ? AND committed = 0`, u.id, u.owner); err != nil {
		return wrap("abort upload", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workload_chunks WHERE upload = ? AND owner = ? AND committed = 0`, u.id, u.owner); err != nil {
		return wrap("abort upload", err)
	}
	return wrap("abort upload", tx.Commit())
}

// ScanRecords decodes the owner's committed chunks that overlap w.
func (s *Store) ScanRecords(ctx context.Context, owner string, w workload.Window, fn func(*workload.Record) bool) error {
	rows, err := s.r.QueryContext(ctx, `SELECT data FROM workload_chunks WHERE owner = ? AND committed = 1 AND max_ts >= ? AND min_ts <= ?`,
		owner, w.From.UnixMicro(), w.To.UnixMicro())
	if err != nil {
		return wrap("scan records", err)
	}
	defer rows.Close()
	var data sql.RawBytes
	stop := false
	for rows.Next() && !stop {
		if err := rows.Scan(&data); err != nil {
			return wrap("scan records", err)
		}
		err := workload.DecodeChunk(data, func(r *workload.Record) bool {
			if w.Contains(r.TS) && !fn(r) {
				stop = true
				return false
			}
			return true
		})
		if err != nil {
			return wrap("scan records", err)
		}
	}
	return wrap("scan records", rows.Err())
}

// ScanChunks passes the owner's committed chunks that overlap w, each a copy of its own.
func (s *Store) ScanChunks(ctx context.Context, owner string, w workload.Window, fn func([]byte) bool) error {
	rows, err := s.r.QueryContext(ctx, `SELECT data FROM workload_chunks WHERE owner = ? AND committed = 1 AND max_ts >= ? AND min_ts <= ?`,
		owner, w.From.UnixMicro(), w.To.UnixMicro())
	if err != nil {
		return wrap("scan chunks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return wrap("scan chunks", err)
		}
		if !fn(data) {
			break
		}
	}
	return wrap("scan chunks", rows.Err())
}

// ScanRollups passes each committed chunk of the owner's that overlaps w as its rollups when
// it lies wholly in w and has them, and as its records in w otherwise.
func (s *Store) ScanRollups(ctx context.Context, owner string, w workload.Window, groups func(*workload.Rollup) bool, records func(*workload.Record) bool) error {
	from, to := w.From.UnixMicro(), w.To.UnixMicro()
	// A chunk wholly in w sends its rollups only; the others send their records only.
	rows, err := s.r.QueryContext(ctx, `SELECT CASE WHEN rollup IS NOT NULL AND min_ts >= ?1 AND max_ts <= ?2 THEN rollup END,
		CASE WHEN rollup IS NULL OR min_ts < ?1 OR max_ts > ?2 THEN data END
		FROM workload_chunks WHERE owner = ?3 AND committed = 1 AND max_ts >= ?1 AND min_ts <= ?2`, from, to, owner)
	if err != nil {
		return wrap("scan rollups", err)
	}
	defer rows.Close()
	var rollup, data sql.RawBytes
	stop := false
	for rows.Next() && !stop {
		if err := rows.Scan(&rollup, &data); err != nil {
			return wrap("scan rollups", err)
		}
		if rollup != nil {
			err = workload.DecodeRollups(rollup, func(g *workload.Rollup) bool {
				stop = !groups(g)
				return !stop
			})
		} else {
			err = workload.DecodeChunk(data, func(r *workload.Record) bool {
				stop = w.Contains(r.TS) && !records(r)
				return !stop
			})
		}
		if err != nil {
			return wrap("scan rollups", err)
		}
	}
	return wrap("scan rollups", rows.Err())
}

// RecordSummary counts the owner's records.
func (s *Store) RecordSummary(ctx context.Context, owner string) (store.RecordSummary, error) {
	var sum store.RecordSummary
	var first, last sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0), min(min_ts), max(max_ts) FROM workload_chunks WHERE owner = ? AND committed = 1`, owner).
		Scan(&sum.Records, &first, &last)
	if err != nil {
		return sum, wrap("record summary", err)
	}
	if first.Valid {
		f, l := fromMicros(first.Int64), fromMicros(last.Int64)
		sum.First, sum.Last = &f, &l
	}
	return sum, nil
}

// DeleteRecords removes the owner's records.
func (s *Store) DeleteRecords(ctx context.Context, owner string) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("delete records", err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = ? AND committed = 1`, owner).Scan(&n); err != nil {
		return 0, wrap("delete records", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workload_chunks WHERE owner = ?`, owner); err != nil {
		return 0, wrap("delete records", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workload_ids WHERE owner = ?`, owner); err != nil {
		return 0, wrap("delete records", err)
	}
	return n, wrap("delete records", tx.Commit())
}

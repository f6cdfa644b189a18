package storepg

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/workload"
)

// Uploads are staged as in the embedded store: each batch one short transaction (its ids
// registered, its chunk written unseen), the upload made visible in one update. A batch's ids
// go in one statement (unnest, ON CONFLICT DO NOTHING, RETURNING what was new) rather than
// COPY: COPY cannot skip the ids the owner already has, which is what makes uploads
// idempotent; one statement a batch is already one round trip.

// cleanStaleUploads removes uploads left uncommitted by a node that stopped mid-upload. With
// several nodes sharing the database it removes only uploads older than staleUpload, which
// no running node still writes.
func (s *Store) cleanStaleUploads(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		return dropStaged(ctx, tx, `upload IN (SELECT upload FROM workload_staged WHERE started_at < $1)`, nanos(time.Now().Add(-staleUpload)))
	})
}

// dropStaged deletes the staged (uncommitted) chunks that cond selects, with the ids they
// registered, and their uploads' bookkeeping.
func dropStaged(ctx context.Context, tx pgx.Tx, cond string, args ...any) error {
	rows, err := tx.Query(ctx, `DELETE FROM workload_chunks WHERE NOT committed AND `+cond+` RETURNING owner, data`, args...)
	if err != nil {
		return err
	}
	type chunk struct {
		owner string
		data  []byte
	}
	chunks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chunk, error) {
		var c chunk
		return c, r.Scan(&c.owner, &c.data)
	})
	if err != nil {
		return err
	}
	for _, c := range chunks {
		var ids []string
		if err := workload.DecodeChunk(c.data, func(r *workload.Record) bool {
			if r.ID != "" {
				ids = append(ids, r.ID)
			}
			return true
		}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM workload_ids WHERE owner = $1 AND rid = ANY($2)`, c.owner, ids); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `DELETE FROM workload_staged WHERE `+cond, args...)
	return err
}

// staleUpload is the age past which a staged upload is taken for one a stopped node left: an
// upload of a million records stages in seconds.
const staleUpload = time.Hour

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
	u := &upload{s: s, owner: owner, id: netra.NewID("upl_"), limit: limit}
	if err := s.db.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = $1 AND committed`, owner).Scan(&u.existing); err != nil {
		return nil, wrap("begin upload", err)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO workload_staged (upload, owner, started_at) VALUES ($1, $2, $3)`, u.id, owner, nanos(time.Now())); err != nil {
		return nil, wrap("begin upload", err)
	}
	return u, nil
}

func (u *upload) Add(ctx context.Context, recs []workload.Record) (int64, int64, error) {
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
	var keep []workload.Record
	var dups int64
	err := pgx.BeginFunc(ctx, u.s.db, func(tx pgx.Tx) error {
		var ids []string
		for i := range recs {
			if recs[i].ID != "" {
				ids = append(ids, recs[i].ID)
			}
		}
		fresh := map[string]bool{}
		if len(ids) > 0 {
			rows, err := tx.Query(ctx, `INSERT INTO workload_ids (owner, rid) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING rid`, u.owner, ids)
			if err != nil {
				return err
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, id := range got {
				fresh[id] = true
			}
		}
		keep, dups = recs[:0:0], 0
		for i := range recs {
			id := recs[i].ID
			if id != "" && !fresh[id] { // the owner's already, or earlier in this upload
				dups++
				continue
			}
			delete(fresh, id)
			keep = append(keep, recs[i])
		}
		if u.existing+u.staged+int64(len(keep)) > u.limit {
			return store.TooManyRecords(u.limit)
		}
		if len(keep) == 0 {
			return nil
		}
		first, last := workload.TimeSpan(keep)
		_, err := tx.Exec(ctx, `INSERT INTO workload_chunks (owner, upload, committed, n, min_ts, max_ts, data, rollup) VALUES ($1, $2, false, $3, $4, $5, $6, $7)`,
			u.owner, u.id, len(keep), first.UnixMicro(), last.UnixMicro(), workload.EncodeChunk(keep), workload.RollUp(keep))
		return err
	})
	if err != nil {
		return 0, 0, wrap("upload", err)
	}
	u.staged += int64(len(keep))
	return int64(len(keep)), dups, nil
}

func (u *upload) Commit(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return store.UploadEnded()
	}
	u.done = true
	err := pgx.BeginFunc(ctx, u.s.db, func(tx pgx.Tx) error {
		// The limit again, against what other uploads (on any node) committed meanwhile: the
		// owner's commits take turns.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('workload:' || $1))`, u.owner); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = $1 AND committed`, u.owner).Scan(&n); err != nil {
			return err
		}
		if n+u.staged > u.limit {
			return store.TooManyRecords(u.limit)
		}
		if _, err := tx.Exec(ctx, `UPDATE workload_chunks SET committed = true WHERE upload = $1 AND owner = $2`, u.id, u.owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM workload_staged WHERE upload = $1`, u.id)
		return err
	})
	if netra.ErrorCode(err) == netra.CodePayloadTooLarge {
		_ = u.abort(context.WithoutCancel(ctx))
	}
	return wrap("commit upload", err)
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
	return wrap("abort upload", pgx.BeginFunc(ctx, u.s.db, func(tx pgx.Tx) error {
		return dropStaged(ctx, tx, `upload = $1`, u.id)
	}))
}

// chunksIn selects the owner's committed chunks that overlap [$2, $3] (Unix microseconds).
const chunksIn = `FROM workload_chunks WHERE owner = $1 AND committed AND max_ts >= $2 AND min_ts <= $3`

// ScanRecords decodes the owner's committed chunks that overlap w.
func (s *Store) ScanRecords(ctx context.Context, owner string, w workload.Window, fn func(*workload.Record) bool) error {
	stop := false
	return wrap("scan records", s.scanChunks(ctx, owner, w, func(data []byte) (bool, error) {
		err := workload.DecodeChunk(data, func(r *workload.Record) bool {
			stop = w.Contains(r.TS) && !fn(r)
			return !stop
		})
		return !stop, err
	}))
}

// ScanChunks passes the owner's committed chunks that overlap w, each a copy of its own.
func (s *Store) ScanChunks(ctx context.Context, owner string, w workload.Window, fn func([]byte) bool) error {
	return wrap("scan chunks", s.scanChunks(ctx, owner, w, func(data []byte) (bool, error) {
		return fn(append([]byte(nil), data...)), nil
	}))
}

// scanChunks calls fn with each chunk's bytes, valid until fn returns, until it returns false.
func (s *Store) scanChunks(ctx context.Context, owner string, w workload.Window, fn func([]byte) (bool, error)) error {
	rows, err := s.db.Query(ctx, `SELECT data `+chunksIn, owner, w.From.UnixMicro(), w.To.UnixMicro())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		more, err := fn(rows.RawValues()[0])
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return rows.Err()
}

// ScanRollups passes each committed chunk of the owner's that overlaps w as its rollups when
// it lies wholly in w and has them, and as its records in w otherwise.
func (s *Store) ScanRollups(ctx context.Context, owner string, w workload.Window, groups func(*workload.Rollup) bool, records func(*workload.Record) bool) error {
	rows, err := s.db.Query(ctx, `SELECT CASE WHEN rollup IS NOT NULL AND min_ts >= $2 AND max_ts <= $3 THEN rollup END,
		CASE WHEN rollup IS NULL OR min_ts < $2 OR max_ts > $3 THEN data END `+chunksIn, owner, w.From.UnixMicro(), w.To.UnixMicro())
	if err != nil {
		return wrap("scan rollups", err)
	}
	defer rows.Close()
	stop := false
	for rows.Next() && !stop {
		raw := rows.RawValues()
		if raw[0] != nil {
			err = workload.DecodeRollups(raw[0], func(g *workload.Rollup) bool {
				stop = !groups(g)
				return !stop
			})
		} else {
			err = workload.DecodeChunk(raw[1], func(r *workload.Record) bool {
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
	var first, last *int64
	err := s.db.QueryRow(ctx, `SELECT coalesce(sum(n), 0), min(min_ts), max(max_ts) FROM workload_chunks WHERE owner = $1 AND committed`, owner).
		Scan(&sum.Records, &first, &last)
	if err != nil {
		return sum, wrap("record summary", err)
	}
	if first != nil && last != nil {
		f, l := fromMicros(*first), fromMicros(*last)
		sum.First, sum.Last = &f, &l
	}
	return sum, nil
}

// DeleteRecords removes the owner's records.
func (s *Store) DeleteRecords(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM workload_chunks WHERE owner = $1 AND committed`, owner).Scan(&n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM workload_chunks WHERE owner = $1`, owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM workload_ids WHERE owner = $1`, owner)
		return err
	})
	return n, wrap("delete records", err)
}

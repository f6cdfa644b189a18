package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

// CreateKey stores an ingestion key, unless the owner already has limit keys.
func (s *Store) CreateKey(ctx context.Context, k store.Key, limit int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.track(wrap("create key", err))
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ingest_keys WHERE owner = ?`, k.Owner).Scan(&n); err != nil {
		return wrap("create key", err)
	}
	if n >= limit {
		return store.TooManyKeys(n)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ingest_keys (id, owner, tier, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Owner, string(k.Tier), k.Name, k.SecretHash, nanos(k.CreatedAt)); err != nil {
		return s.track(wrap("create key", err))
	}
	return s.track(wrap("create key", tx.Commit()))
}

// ListKeys returns the owner's keys, oldest first.
func (s *Store) ListKeys(ctx context.Context, owner string) ([]store.Key, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, owner, tier, name, secret_hash, created_at, last_used_at FROM ingest_keys WHERE owner = ? ORDER BY created_at, id`, owner)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	defer rows.Close()
	out := []store.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap("list keys", err)
		}
		out = append(out, k)
	}
	return out, wrap("list keys", rows.Err())
}

// Key returns a key by id, whoever owns it: for authenticating the key itself.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.r.QueryRowContext(ctx, `SELECT id, owner, tier, name, secret_hash, created_at, last_used_at FROM ingest_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.NotFound("key")
	}
	return k, wrap("key", err)
}

// DeleteKey removes the owner's key.
func (s *Store) DeleteKey(ctx context.Context, owner, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM ingest_keys WHERE id = ? AND owner = ?`, id, owner)
	if err != nil {
		return s.track(wrap("delete key", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFound("key")
	}
	return nil
}

// TouchKey records a key's use (at most once a minute, to spare the writer).
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE ingest_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		nanos(at), id, nanos(at.Add(-time.Minute)))
	return s.track(wrap("touch key", err))
}

func scanKey(sc scanner) (store.Key, error) {
	var k store.Key
	var tier string
	var created int64
	var used sql.NullInt64
	err := sc.Scan(&k.ID, &k.Owner, &tier, &k.Name, &k.SecretHash, &created, &used)
	k.Tier, k.CreatedAt = netra.Tier(tier), fromNanos(created)
	if used.Valid {
		t := fromNanos(used.Int64)
		k.LastUsedAt = &t
	}
	return k, err
}

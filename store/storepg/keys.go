package storepg

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/store"
)

// CreateKey stores an ingestion key, unless the owner already has limit keys. The owner's
// keys are counted under a lock on the owner's name, so that two nodes creating keys at once
// cannot both pass the limit.
func (s *Store) CreateKey(ctx context.Context, k store.Key, limit int) error {
	return wrap("create key", pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ingest_keys:' || $1))`, k.Owner); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ingest_keys WHERE owner = $1`, k.Owner).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return store.TooManyKeys(n)
		}
		_, err := tx.Exec(ctx, `INSERT INTO ingest_keys (id, owner, tier, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			k.ID, k.Owner, string(k.Tier), k.Name, k.SecretHash, nanos(k.CreatedAt))
		return err
	}))
}

const keyColumns = `id, owner, tier, name, secret_hash, created_at, last_used_at`

func scanKey(row pgx.Row) (store.Key, error) {
	var k store.Key
	var tier string
	var created int64
	var used *int64
	err := row.Scan(&k.ID, &k.Owner, &tier, &k.Name, &k.SecretHash, &created, &used)
	k.Tier, k.CreatedAt = netra.Tier(tier), fromNanos(created)
	if used != nil {
		t := fromNanos(*used)
		k.LastUsedAt = &t
	}
	return k, err
}

// ListKeys returns the owner's keys, oldest first.
func (s *Store) ListKeys(ctx context.Context, owner string) ([]store.Key, error) {
	rows, err := s.db.Query(ctx, `SELECT `+keyColumns+` FROM ingest_keys WHERE owner = $1 ORDER BY created_at, id`, owner)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Key, error) { return scanKey(r) })
	if out == nil {
		out = []store.Key{}
	}
	return out, wrap("list keys", err)
}

// Key returns a key by id, whoever owns it: for authenticating the key itself.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.db.QueryRow(ctx, `SELECT `+keyColumns+` FROM ingest_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return k, store.NotFound("key")
	}
	return k, wrap("key", err)
}

// DeleteKey removes the owner's key.
func (s *Store) DeleteKey(ctx context.Context, owner, id string) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM ingest_keys WHERE id = $1 AND owner = $2`, id, owner)
	if err != nil {
		return wrap("delete key", err)
	}
	if tag.RowsAffected() == 0 {
		return store.NotFound("key")
	}
	return nil
}

// TouchKey records a key's use (at most once a minute, to spare the database).
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE ingest_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
		nanos(at), id, nanos(at.Add(-time.Minute)))
	return wrap("touch key", err)
}

// AddModelUsage adds to the owner's usage of month, by model, in one transaction.
func (s *Store) AddModelUsage(ctx context.Context, owner, month string, byModel map[string]model.Usage) error {
	return wrap("add model usage", pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for m, u := range byModel {
			b.Queue(`INSERT INTO model_usage (owner, month, model, calls, input_tokens, output_tokens, cost_usd) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (owner, month, model) DO UPDATE SET calls = model_usage.calls + excluded.calls,
				input_tokens = model_usage.input_tokens + excluded.input_tokens, output_tokens = model_usage.output_tokens + excluded.output_tokens,
				cost_usd = model_usage.cost_usd + excluded.cost_usd`,
				owner, month, m, u.ModelCalls, u.InputTokens, u.OutputTokens, u.CostUSD)
		}
		return sendBatch(ctx, tx, b)
	}))
}

// ModelUsage returns the owner's usage of month, by model.
func (s *Store) ModelUsage(ctx context.Context, owner, month string) (map[string]model.Usage, error) {
	rows, err := s.db.Query(ctx, `SELECT model, calls, input_tokens, output_tokens, cost_usd FROM model_usage WHERE owner = $1 AND month = $2`, owner, month)
	if err != nil {
		return nil, wrap("model usage", err)
	}
	defer rows.Close()
	out := map[string]model.Usage{}
	for rows.Next() {
		var m string
		var u model.Usage
		if err := rows.Scan(&m, &u.ModelCalls, &u.InputTokens, &u.OutputTokens, &u.CostUSD); err != nil {
			return nil, wrap("model usage", err)
		}
		out[m] = u
	}
	return out, wrap("model usage", rows.Err())
}

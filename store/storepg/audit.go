package storepg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

const auditColumns = store.AuditColumns

func scanAudit(row pgx.Row) (netra.AuditEntry, error) {
	var r store.AuditRow
	err := row.Scan(r.Dest()...)
	return r.Entry(), err
}

// ListAudit returns the owner's entries after afterSeq.
func (s *Store) ListAudit(ctx context.Context, owner string, afterSeq int64, limit int) ([]netra.AuditEntry, error) {
	out := []netra.AuditEntry{}
	err := s.ScanAudit(ctx, owner, afterSeq, limit, func(e netra.AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// LastAudit returns the owner's newest entry, or the anchor left by pruning.
func (s *Store) LastAudit(ctx context.Context, owner string) (netra.AuditEntry, bool, error) {
	e, err := scanAudit(s.db.QueryRow(ctx, `SELECT `+auditColumns+` FROM audit WHERE user_id = $1 ORDER BY seq DESC LIMIT 1`, owner))
	if err == nil {
		return e, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return netra.AuditEntry{}, false, wrap("last audit", err)
	}
	a := netra.AuditEntry{UserID: owner}
	err = s.db.QueryRow(ctx, `SELECT seq, hash FROM audit_anchors WHERE user_id = $1`, owner).Scan(&a.Seq, &a.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return netra.AuditEntry{}, false, nil
	}
	if err != nil {
		return netra.AuditEntry{}, false, wrap("last audit", err)
	}
	return a, true, nil
}

// ScanAudit walks entries in (user, seq) order.
func (s *Store) ScanAudit(ctx context.Context, user string, afterSeq int64, limit int, fn func(netra.AuditEntry) error) error {
	q, args := `SELECT `+auditColumns+` FROM audit ORDER BY user_id, seq`, []any{}
	if user != "" {
		q, args = `SELECT `+auditColumns+` FROM audit WHERE user_id = $1 AND seq > $2 ORDER BY seq`, []any{user, afterSeq}
	}
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return wrap("scan audit", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return wrap("scan audit", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return wrap("scan audit", rows.Err())
}

// anchors reads (user, seq, hash) rows into out.
func (s *Store) anchors(ctx context.Context, op, q string, out map[string]store.AuditAnchor, args ...any) error {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var a store.AuditAnchor
		if err := rows.Scan(&u, &a.Seq, &a.Hash); err != nil {
			return wrap(op, err)
		}
		out[u] = a
	}
	return wrap(op, rows.Err())
}

// LastAudits returns the heads of the owners' chains that have one.
func (s *Store) LastAudits(ctx context.Context, owners []string) (map[string]store.AuditAnchor, error) {
	out := make(map[string]store.AuditAnchor, len(owners))
	return out, s.anchors(ctx, "last audits", `SELECT u.id, COALESCE(a.seq, an.seq), COALESCE(a.hash, an.hash)
		FROM unnest($1::text[]) AS u(id)
		LEFT JOIN LATERAL (SELECT seq, hash FROM audit WHERE user_id = u.id ORDER BY seq DESC LIMIT 1) a ON true
		LEFT JOIN audit_anchors an ON an.user_id = u.id
		WHERE a.seq IS NOT NULL OR an.seq IS NOT NULL`, out, owners)
}

// AuditAnchors returns the anchors left by pruning.
func (s *Store) AuditAnchors(ctx context.Context) (map[string]store.AuditAnchor, error) {
	out := map[string]store.AuditAnchor{}
	return out, s.anchors(ctx, "audit anchors", `SELECT user_id, seq, hash FROM audit_anchors`, out)
}

// AuditHeads returns each user's newest entry, or anchor when none is left.
func (s *Store) AuditHeads(ctx context.Context) (map[string]store.AuditAnchor, error) {
	out, err := s.AuditAnchors(ctx)
	if err != nil {
		return nil, err
	}
	return out, s.anchors(ctx, "audit heads", store.QueryAuditHeads, out)
}

// PruneAudit removes entries older than before and moves each user's anchor to the last
// entry removed.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		cut := nanos(before)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_anchors (user_id, seq, hash)
			SELECT DISTINCT ON (user_id) user_id, seq, hash FROM audit WHERE at < $1 ORDER BY user_id, seq DESC
			ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, cut); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM audit WHERE at < $1`, cut)
		n = tag.RowsAffected()
		return err
	})
	return n, wrap("prune audit", err)
}

// AppendCheckpoint stores a signed checkpoint.
func (s *Store) AppendCheckpoint(ctx context.Context, c store.StoredCheckpoint) error {
	_, err := s.db.Exec(ctx, `INSERT INTO audit_checkpoints (seq, body, sig) VALUES ($1, $2, $3)`, c.Seq, c.Body, c.Sig)
	return wrap("append checkpoint", err)
}

// LastCheckpoint returns the newest stored checkpoint.
func (s *Store) LastCheckpoint(ctx context.Context) (store.StoredCheckpoint, bool, error) {
	var c store.StoredCheckpoint
	err := s.db.QueryRow(ctx, `SELECT seq, body, sig FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&c.Seq, &c.Body, &c.Sig)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, wrap("last checkpoint", err)
}

// Checkpoints returns the stored checkpoints after afterSeq.
func (s *Store) Checkpoints(ctx context.Context, afterSeq int64) ([]store.StoredCheckpoint, error) {
	rows, err := s.db.Query(ctx, `SELECT seq, body, sig FROM audit_checkpoints WHERE seq > $1 ORDER BY seq`, afterSeq)
	if err != nil {
		return nil, wrap("checkpoints", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.StoredCheckpoint, error) {
		var c store.StoredCheckpoint
		return c, r.Scan(&c.Seq, &c.Body, &c.Sig)
	})
	return out, wrap("checkpoints", err)
}

package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

var _ store.AuditAdmin = (*Store)(nil)

const auditColumns = store.AuditColumns

func scanAudit(sc scanner) (netra.AuditEntry, error) {
	var row store.AuditRow
	err := sc.Scan(row.Dest()...)
	return row.Entry(), err
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
	e, err := scanAudit(s.r.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE user_id = ? ORDER BY seq DESC LIMIT 1`, owner))
	if err == nil {
		return e, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return netra.AuditEntry{}, false, wrap("last audit", err)
	}
	a := netra.AuditEntry{UserID: owner}
	err = s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_anchors WHERE user_id = ?`, owner).Scan(&a.Seq, &a.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return netra.AuditEntry{}, false, nil
	}
	if err != nil {
		return netra.AuditEntry{}, false, wrap("last audit", err)
	}
	return a, true, nil
}

// LastAudits returns the heads of the owners' chains that have one. Reads are local here, so
// one LastAudit each costs no more than a query of them all.
func (s *Store) LastAudits(ctx context.Context, owners []string) (map[string]store.AuditAnchor, error) {
	out := make(map[string]store.AuditAnchor, len(owners))
	for _, u := range owners {
		e, ok, err := s.LastAudit(ctx, u)
		if err != nil {
			return nil, err
		}
		if ok {
			out[u] = store.AuditAnchor{Seq: e.Seq, Hash: e.Hash}
		}
	}
	return out, nil
}

// ScanAudit walks entries in (user, seq) order.
func (s *Store) ScanAudit(ctx context.Context, user string, afterSeq int64, limit int, fn func(netra.AuditEntry) error) error {
	q, args := `SELECT `+auditColumns+` FROM audit ORDER BY user_id, seq`, []any{}
	if user != "" {
		q, args = `SELECT `+auditColumns+` FROM audit WHERE user_id = ? AND seq > ? ORDER BY seq`, []any{user, afterSeq}
	}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
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

// AuditAnchors returns the anchors left by pruning.
func (s *Store) AuditAnchors(ctx context.Context) (map[string]store.AuditAnchor, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, seq, hash FROM audit_anchors`)
	if err != nil {
		return nil, wrap("audit anchors", err)
	}
	defer rows.Close()
	out := map[string]store.AuditAnchor{}
	for rows.Next() {
		var u string
		var a store.AuditAnchor
		if err := rows.Scan(&u, &a.Seq, &a.Hash); err != nil {
			return nil, wrap("audit anchors", err)
		}
		out[u] = a
	}
	return out, wrap("audit anchors", rows.Err())
}

// PruneAudit removes entries older than before and moves each user's anchor to the last
// entry removed.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("prune audit", err)
	}
	defer func() { _ = tx.Rollback() }()
	cut := nanos(before)
	// The newest removed entry of each user becomes its anchor.
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_anchors (user_id, seq, hash)
		SELECT a.user_id, a.seq, a.hash FROM audit a
		JOIN (SELECT user_id, max(seq) AS seq FROM audit WHERE at < ? GROUP BY user_id) m ON a.user_id = m.user_id AND a.seq = m.seq
		WHERE true
		ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, cut); err != nil {
		return 0, wrap("prune audit", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE at < ?`, cut)
	if err != nil {
		return 0, wrap("prune audit", err)
	}
	n, _ := res.RowsAffected()
	return n, wrap("prune audit", tx.Commit())
}

func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, e *netra.AuditEntry) error {
	_, err := exec(ctx, tx, s.hot.insAudit, e.UserID, e.Seq, nanos(e.At), e.Action, e.Outcome, e.RequestID, e.RunID, e.Remote, e.Detail, e.Prev, e.Hash)
	return err
}

// AuditHeads returns each user's newest entry, or anchor when none is left.
func (s *Store) AuditHeads(ctx context.Context) (map[string]store.AuditAnchor, error) {
	out, err := s.AuditAnchors(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, store.QueryAuditHeads)
	if err != nil {
		return nil, wrap("audit heads", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var a store.AuditAnchor
		if err := rows.Scan(&u, &a.Seq, &a.Hash); err != nil {
			return nil, wrap("audit heads", err)
		}
		out[u] = a
	}
	return out, wrap("audit heads", rows.Err())
}

// AppendCheckpoint stores a signed checkpoint.
func (s *Store) AppendCheckpoint(ctx context.Context, c store.StoredCheckpoint) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, body, sig) VALUES (?, ?, ?)`, c.Seq, c.Body, c.Sig)
	return s.track(wrap("append checkpoint", err))
}

// LastCheckpoint returns the newest stored checkpoint.
func (s *Store) LastCheckpoint(ctx context.Context) (store.StoredCheckpoint, bool, error) {
	var c store.StoredCheckpoint
	err := s.r.QueryRowContext(ctx, `SELECT seq, body, sig FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&c.Seq, &c.Body, &c.Sig)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, wrap("last checkpoint", err)
}

// Checkpoints returns the stored checkpoints after afterSeq.
func (s *Store) Checkpoints(ctx context.Context, afterSeq int64) ([]store.StoredCheckpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, body, sig FROM audit_checkpoints WHERE seq > ? ORDER BY seq`, afterSeq)
	if err != nil {
		return nil, wrap("checkpoints", err)
	}
	defer rows.Close()
	var out []store.StoredCheckpoint
	for rows.Next() {
		var c store.StoredCheckpoint
		if err := rows.Scan(&c.Seq, &c.Body, &c.Sig); err != nil {
			return nil, wrap("checkpoints", err)
		}
		out = append(out, c)
	}
	return out, wrap("checkpoints", rows.Err())
}

package storesqlite

import (
	"context"

	"github.com/netra-ai/netra/killswitch"
)

// PutSwitch stores a kill switch, replacing one of the same kind and name.
func (s *Store) PutSwitch(ctx context.Context, sw killswitch.Switch) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO kill_switches (kind, name, mode, at, by_user, reason) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, name) DO UPDATE SET mode = excluded.mode, at = excluded.at, by_user = excluded.by_user, reason = excluded.reason`,
		string(sw.Kind), sw.Name, string(sw.Mode), nanos(sw.At), sw.By, sw.Reason)
	return s.track(wrap("put switch", err))
}

// DeleteSwitch removes a kill switch.
func (s *Store) DeleteSwitch(ctx context.Context, kind killswitch.Kind, name string) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM kill_switches WHERE kind = ? AND name = ?`, string(kind), name)
	if err != nil {
		return false, s.track(wrap("delete switch", err))
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ListSwitches returns every stored kill switch.
func (s *Store) ListSwitches(ctx context.Context) ([]killswitch.Switch, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, name, mode, at, by_user, reason FROM kill_switches ORDER BY kind, name`)
	if err != nil {
		return nil, wrap("list switches", err)
	}
	defer rows.Close()
	out := []killswitch.Switch{}
	for rows.Next() {
		var sw killswitch.Switch
		var at int64
		if err := rows.Scan(&sw.Kind, &sw.Name, &sw.Mode, &at, &sw.By, &sw.Reason); err != nil {
			return nil, wrap("list switches", err)
		}
		sw.At = fromNanos(at)
		out = append(out, sw)
	}
	return out, wrap("list switches", rows.Err())
}

package storepg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra/killswitch"
)

// PutSwitch stores a kill switch, replacing one of the same kind and name.
func (s *Store) PutSwitch(ctx context.Context, sw killswitch.Switch) error {
	_, err := s.db.Exec(ctx, `INSERT INTO kill_switches (kind, name, mode, at, by_user, reason) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (kind, name) DO UPDATE SET mode = excluded.mode, at = excluded.at, by_user = excluded.by_user, reason = excluded.reason`,
		string(sw.Kind), sw.Name, string(sw.Mode), nanos(sw.At), sw.By, sw.Reason)
	return wrap("put switch", err)
}

// DeleteSwitch removes a kill switch.
func (s *Store) DeleteSwitch(ctx context.Context, kind killswitch.Kind, name string) (bool, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM kill_switches WHERE kind = $1 AND name = $2`, string(kind), name)
	return tag.RowsAffected() > 0, wrap("delete switch", err)
}

// ListSwitches returns every stored kill switch.
func (s *Store) ListSwitches(ctx context.Context) ([]killswitch.Switch, error) {
	rows, err := s.db.Query(ctx, `SELECT kind, name, mode, at, by_user, reason FROM kill_switches ORDER BY kind, name`)
	if err != nil {
		return nil, wrap("list switches", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (killswitch.Switch, error) {
		var sw killswitch.Switch
		var at int64
		err := r.Scan(&sw.Kind, &sw.Name, &sw.Mode, &at, &sw.By, &sw.Reason)
		sw.At = fromNanos(at)
		return sw, err
	})
	if out == nil {
		out = []killswitch.Switch{}
	}
	return out, wrap("list switches", err)
}

package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// ErrFenced is wrapped by the error of a commit refused because this node lost its leases
// (Fence): the leader found its heartbeat stale and took its runs over.
var ErrFenced = errors.New("this node has lost its leases")

// Member is a node of the cluster as its last heartbeat described it.
type Member struct {
	ID     string
	Info   json.RawMessage
	Joined time.Time
	Age    time.Duration // since its last beat, by the database's clock
}

// Join adds (or renews) this node's row.
func (s *Store) Join(ctx context.Context, id string, info []byte) error {
	_, err := s.db.Exec(ctx, `INSERT INTO nodes (id, info) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET info = EXCLUDED.info, beat_at = now()`, id, info)
	return wrap("join", err)
}

// Beat renews this node's row; alive is false when the row is gone: the leader expired it.
func (s *Store) Beat(ctx context.Context, id string, info []byte) (alive bool, err error) {
	tag, err := s.db.Exec(ctx, `UPDATE nodes SET beat_at = now(), info = $2 WHERE id = $1`, id, info)
	if err != nil {
		return false, wrap("beat", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Members lists the nodes whose rows exist, by id.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.db.Query(ctx, `SELECT id, info, joined, extract(epoch FROM now() - beat_at) FROM nodes ORDER BY id`)
	if err != nil {
		return nil, wrap("members", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		var age float64
		err := r.Scan(&m.ID, &m.Info, &m.Joined, &age)
		m.Age = time.Duration(age * float64(time.Second))
		return m, err
	})
}

// Expire deletes a node's row when its last beat is older than after, and reports whether it
// did. The delete waits for the node's commits under way; every later one is refused.
func (s *Store) Expire(ctx context.Context, id string, after time.Duration) (bool, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM nodes WHERE id = $1 AND beat_at < now() - make_interval(secs => $2)`, id, after.Seconds())
	if err != nil {
		return false, wrap("expire", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Leave deletes this node's row.
func (s *Store) Leave(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
	return wrap("leave", err)
}

// Fence makes every later Append of this store commit only while node's row exists. A cluster
// node sets it once, before it writes anything.
func (s *Store) Fence(node string) { s.fence = node }

// Lease is the cluster's leadership: a session advisory lock on a connection of its own,
// per schema. It ends when the connection does, also when the process dies.
type Lease struct{ conn *pgx.Conn }

// TryLead takes the leadership if no one holds it.
func (s *Store) TryLead(ctx context.Context) (*Lease, bool, error) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('netra-leader:' || current_schema()))`).Scan(&ok); err != nil || !ok {
		_ = conn.Close(ctx)
		return nil, false, err
	}
	return &Lease{conn: conn}, true, nil
}

// Check reports whether the lease is still held: its connection answers.
func (l *Lease) Check(ctx context.Context) error { return l.conn.Ping(ctx) }

// Release gives the leadership up.
func (l *Lease) Release() { _ = l.conn.Close(context.Background()) }

// Mark implements auth.Marks: it records id under kind until exp, once.
func (s *Store) Mark(ctx context.Context, kind, id string, exp time.Time) (bool, error) {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM auth_marks WHERE expires < $1`, time.Now().UnixNano())
	b.Queue(`INSERT INTO auth_marks (kind, id, expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, kind, id, exp.UnixNano())
	br := s.db.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return false, wrap("mark", err)
	}
	tag, err := br.Exec()
	if err != nil {
		return false, wrap("mark", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Marked implements auth.Marks.
func (s *Store) Marked(ctx context.Context, kind string) (map[string]time.Time, error) {
	rows, err := s.db.Query(ctx, `SELECT id, expires FROM auth_marks WHERE kind = $1 AND expires >= $2`, kind, time.Now().UnixNano())
	if err != nil {
		return nil, wrap("marks", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var exp int64
		if err := rows.Scan(&id, &exp); err != nil {
			return nil, wrap("marks", err)
		}
		out[id] = time.Unix(0, exp)
	}
	return out, wrap("marks", rows.Err())
}

// Tickets is the WebSocket ticket book of a cluster: a ticket issued on one node is redeemed
// on any, once.
type Tickets struct{ s *Store }

// Tickets returns the store's ticket book.
func (s *Store) Tickets() *Tickets { return &Tickets{s: s} }

// Issue stores a new ticket for what g grants and returns it with its expiry.
func (t *Tickets) Issue(ctx context.Context, g auth.Grant) (string, time.Time, error) {
	now := time.Now()
	raw, err := json.Marshal(g)
	if err != nil {
		return "", time.Time{}, netra.Internal(err)
	}
	k := netra.NewID("tkt_")
	exp := now.Add(auth.TicketTTL)
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM tickets WHERE expires < $1`, now.UnixNano())
	b.Queue(`INSERT INTO tickets (id, grant_js, expires) VALUES ($1, $2, $3)`, k, raw, exp.UnixNano())
	if err := t.s.db.SendBatch(ctx, b).Close(); err != nil {
		return "", time.Time{}, wrap("ticket", err)
	}
	return k, exp, nil
}

// Redeem consumes a ticket: a used, expired or unknown one answers unauthorized.
func (t *Tickets) Redeem(ctx context.Context, k string) (auth.Grant, error) {
	var raw []byte
	var exp int64
	err := t.s.db.QueryRow(ctx, `DELETE FROM tickets WHERE id = $1 RETURNING grant_js, expires`, k).Scan(&raw, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "invalid or expired ticket")
	}
	if err != nil {
		return auth.Grant{}, wrap("ticket", err)
	}
	var g auth.Grant
	if err := json.Unmarshal(raw, &g); err != nil {
		return auth.Grant{}, netra.Internal(err)
	}
	if now := time.Now(); now.UnixNano() > exp || now.After(g.Expires) {
		return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "invalid or expired ticket")
	}
	return g, nil
}

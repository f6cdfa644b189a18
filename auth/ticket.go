package auth

import (
	"context"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// TicketTTL is how long a WebSocket ticket is valid.
const TicketTTL = 60 * time.Second

// MaxTickets bounds the tickets outstanding at once on a node.
const MaxTickets = 100_000

type ticket struct {
	grant   Grant
	expires time.Time
}

// Tickets issues single-use WebSocket tickets, for browsers that cannot set headers on an
// upgrade. They live in this node's memory: a ticket is redeemed on the node that issued it.
// A cluster keeps them in its database instead (storepg.Tickets).
type Tickets struct {
	mu sync.Mutex
	m  map[string]ticket
}

// NewTickets returns an empty ticket book.
func NewTickets() *Tickets { return &Tickets{m: make(map[string]ticket)} }

// Issue returns a new ticket for what g grants, and the ticket's expiry.
func (t *Tickets) Issue(_ context.Context, g Grant) (string, time.Time, error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= MaxTickets/2 {
		for k, v := range t.m {
			if now.After(v.expires) {
				delete(t.m, k)
			}
		}
	}
	if len(t.m) >= MaxTickets {
		return "", time.Time{}, netra.Errorf(netra.CodeUnavailable, "too many outstanding tickets; try again shortly")
	}
	k := netra.NewID("tkt_")
	exp := now.Add(TicketTTL)
	t.m[k] = ticket{grant: g, expires: exp}
	return k, exp, nil
}

// Redeem consumes a ticket. A used, expired or unknown ticket answers unauthorized.
func (t *Tickets) Redeem(_ context.Context, k string) (Grant, error) {
	t.mu.Lock()
	v, ok := t.m[k]
	delete(t.m, k)
	t.mu.Unlock()
	if !ok || time.Now().After(v.expires) || time.Now().After(v.grant.Expires) {
		return Grant{}, unauthorized("invalid or expired ticket")
	}
	return v.grant, nil
}

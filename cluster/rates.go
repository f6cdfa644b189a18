package cluster

import (
	"encoding/json"
	"slices"

	"github.com/nats-io/nats.go"

	"github.com/netra-ai/netra/ratelimit"
)

// Rates is the part of the rate limiter the nodes share (ratelimit.Limiter). A user's
// requests and frames are admitted by whichever node they reach, from its own buckets; once a
// beat each node publishes what every user drew from it, and the others take as much from
// theirs. So a user spread over several nodes gets about one tier's rate in all, and may go
// over it by what the nodes admit in a beat before they hear of each other's draws. Asking
// the leader on every request would cost a NATS round trip a request instead.
type Rates interface {
	Drain() []ratelimit.Draw
	Debit(ratelimit.Draw)
}

// draws is one node's message on the rates subject.
type draws struct {
	Node  string           `json:"node"`
	Draws []ratelimit.Draw `json:"draws"`
}

func (m *Member) ratesSubject() string { return m.cfg.Prefix + ".rates" }

// shareRates publishes this node's draws since the last beat, when there are any.
func (m *Member) shareRates() {
	if m.cfg.Rates == nil {
		return
	}
	d := m.cfg.Rates.Drain()
	if len(d) == 0 {
		return
	}
	// In messages well under NATS's default payload bound (1 MiB) however many users draw.
	for chunk := range slices.Chunk(d, drawsPerMessage) {
		b, _ := json.Marshal(draws{Node: m.cfg.NodeID, Draws: chunk})
		if err := m.nc.Publish(m.ratesSubject(), b); err != nil {
			m.log.Warn("sharing rate draws", "draws", len(chunk), "err", err)
		}
	}
}

// drawsPerMessage is at most ~200 KB of JSON: a draw is under 200 bytes with a 128-byte id.
const drawsPerMessage = 1000

// onRates takes another node's draws from this node's buckets.
func (m *Member) onRates(nm *nats.Msg) {
	var in draws
	if err := json.Unmarshal(nm.Data, &in); err != nil {
		m.log.Warn("rate draws not understood", "err", err)
		return
	}
	if in.Node == m.cfg.NodeID {
		return
	}
	for _, d := range in.Draws {
		m.cfg.Rates.Debit(d)
	}
}

package node

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"sync"
	"time"

	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/metrics"
)

// auditKeeper looks after the audit trail in the background: it checks the chains against the
// newest signed checkpoint when the node starts, prunes by the retention, and signs a
// checkpoint every interval, after each prune, and when the node stops.
type auditKeeper struct {
	store     fullStore
	key       ed25519.PrivateKey
	chain     *audit.Chain
	every     time.Duration
	retention time.Duration
	log       *slog.Logger
	metrics   *metrics.Metrics
	// signs reports whether this node signs checkpoints now: in a cluster, only the leader
	// does (every node has the same key). Nil: always.
	signs func() bool

	mu     sync.Mutex
	status AuditStatus
}

// AuditStatus is what GET /v1/admin/audit/status answers.
type AuditStatus struct {
	Key        string            `json:"key"` // the checkpoints' public key, base64
	Checkpoint *audit.Checkpoint `json:"checkpoint"`
	// Breaks are the chains that disagree with the signed checkpoint, found at start; their
	// users' new entries are refused until an operator has looked (audit.Chain.Hold).
	Breaks []audit.Break `json:"breaks"`
}

// check compares the stored heads with the newest checkpoint and holds the chains that
// disagree.
func (k *auditKeeper) check(ctx context.Context) error {
	c, breaks, err := audit.CheckHeads(ctx, k.store, k.key.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	for _, b := range breaks {
		k.log.Error("audit chain disagrees with the signed checkpoint; its new entries are refused", "user_id", b.UserID, "seq", b.Seq, "reason", b.Reason)
		k.chain.Hold(b.UserID, b.Reason)
	}
	k.metrics.AuditBreaks.Set(float64(len(breaks)))
	k.mu.Lock()
	k.status = AuditStatus{Key: audit.PublicKey(k.key), Checkpoint: c, Breaks: append([]audit.Break{}, breaks...)}
	k.mu.Unlock()
	return nil
}

// checkpoint signs the heads now, unless nothing changed.
func (k *auditKeeper) checkpoint(ctx context.Context) {
	if k.signs != nil && !k.signs() {
		return
	}
	k.mu.Lock()
	var held []string
	for _, b := range k.status.Breaks {
		held = append(held, b.UserID)
	}
	k.mu.Unlock()
	c, made, err := audit.MakeCheckpoint(ctx, k.store, k.key, held...)
	if err != nil {
		k.log.Error("signing an audit checkpoint", "err", err)
		return
	}
	if made {
		k.mu.Lock()
		k.status.Checkpoint = &c
		k.mu.Unlock()
	}
}

// run prunes and signs until ctx ends.
func (k *auditKeeper) run(ctx context.Context) {
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	sign := time.NewTicker(k.every)
	defer sign.Stop()
	for {
		if k.retention > 0 {
			pruned, err := k.store.PruneAudit(ctx, time.Now().Add(-k.retention))
			if err != nil && ctx.Err() == nil {
				k.log.Error("pruning the audit trail", "err", err)
			} else if pruned > 0 {
				k.log.Info("pruned the audit trail", "entries", pruned, "retention", k.retention.String())
				k.checkpoint(ctx) // the new anchors are signed at once
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
		case <-sign.C:
			k.checkpoint(ctx)
		}
	}
}

// Status reports the checkpoint key, the newest checkpoint and the held chains.
func (k *auditKeeper) Status() AuditStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.status
	s.Breaks = append([]audit.Break{}, s.Breaks...)
	return s
}

// Package event turns what agents and tools do into run events: the per-run Emitter stamps
// owner, run, thread, seq and time; the Pipeline appends events to the store in group commits
// and then publishes them on the Bus; the Hub hands each published event to the live
// subscribers (connections, SSE streams) of its owner and of nobody else.
package event

import (
	"context"

	"github.com/netra-ai/netra"
)

// Bus carries committed events from the node that emitted them to the nodes where their
// owner is connected, and nowhere else: a node subscribes for a user while the user has a
// connection there (the Hub does it).
//
// Contract, checked by the suite in event/eventtest:
//   - Publish is called from one goroutine per node (the pipeline) and the bus keeps publish
//     order for the events of any one run as seen by each subscriber.
//   - Subscribe returns once the subscription is in effect: every event of user published
//     after it returns reaches handler exactly once, with Owner, RunID, ThreadID, Seq, Type,
//     TS and Frame intact; no event of another user ever does.
//   - Handlers must not block; a bus may call them from its own goroutine.
//   - After stop returns, the handler is not called again; stop may be called twice.
type Bus interface {
	Publish(ctx context.Context, ev *netra.Event) error
	Subscribe(ctx context.Context, user string, handler func(*netra.Event)) (stop func(), err error)
}

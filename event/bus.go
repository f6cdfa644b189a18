// Package event turns what agents and tools do into run events: the per-run Emitter stamps
// owner, run, thread, seq and time; the Pipeline appends events to the store in group commits
// and then publishes them on the Bus; the Hub hands each published event to the live
// subscribers (connections, SSE streams) of its owner and of nobody else.
package event

import (
	"context"

	"github.com/netra-ai/netra"
)

// Bus carries committed events from the node that emitted them to every node's hub.
//
// Contract, checked by the suite in event/eventtest:
//   - Publish is called from one goroutine per node (the pipeline) and the bus keeps publish
//     order for the events of any one run as seen by each subscriber.
//   - Every subscriber registered before Publish is called receives the event exactly once,
//     with Owner, RunID, Seq, Type and Frame intact.
//   - Handlers must not block; a bus may call them from its own goroutine.
//   - After stop returns, the handler is not called again.
type Bus interface {
	Publish(ctx context.Context, ev *netra.Event) error
	Subscribe(handler func(*netra.Event)) (stop func(), err error)
}

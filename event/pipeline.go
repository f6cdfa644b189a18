package event

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
)

// Appender is the part of the store the pipeline writes to.
type Appender interface {
	Append(ctx context.Context, batch []store.Record) error
}

// AuditChain links audit entries into their chains as they are committed (audit.Chain): Link
// before the transaction, Settle after it, with its outcome.
type AuditChain interface {
	// Warm reads a user's chain head from the store when it is not known yet; Audit calls
	// it in the caller's goroutine, so that the committer does not read the store.
	Warm(ctx context.Context, user string) error
	Link(ctx context.Context, e *netra.AuditEntry) error
	Settle(committed bool)
	// Refresh reads the stored heads of users' chains, which other nodes may have continued.
	Refresh(ctx context.Context, users ...string) error
}

// PipelineConfig tunes the pipeline. Zero values mean the documented defaults.
type PipelineConfig struct {
	// Chain links the audit entries of each transaction. Nil stores entries as handed over.
	Chain AuditChain
	// MaxBatch is the most events committed in one transaction. Default 2048.
	MaxBatch int
	// Buffer is how many events may wait for the committer before emitters block. Default 8192.
	Buffer int
	// Retries is how often a failed batch is tried again before its events are tried one by
	// one. Default 3.
	Retries int
}

func (c PipelineConfig) withDefaults() PipelineConfig {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 2048
	}
	if c.Buffer <= 0 {
		c.Buffer = 8192
	}
	if c.Retries <= 0 {
		c.Retries = 3
	}
	return c
}

type pending struct {
	rec  store.Record
	done chan error // nil unless the emitter waits for the commit
	// created is the acceptance of a run that executes before its acceptance commits
	// (Emitter.Accept): when storing it fails, the run's records fail with it.
	created *creation
}

// creation is the outcome of a run's acceptance, for the records that follow it.
type creation struct{ failed atomic.Bool }

// refused reports whether pd belongs to a run whose acceptance failed to store.
func (pd *pending) refused() bool {
	return pd.created != nil && pd.rec.Create == nil && pd.created.failed.Load()
}

// notAccepted answers the records of a run whose acceptance was not stored.
func notAccepted() error {
	return netra.Errorf(netra.CodeUnavailable, "the run's acceptance was not stored")
}

// Pipeline appends events to the store in group commits (many events, one transaction) and
// publishes each committed event on the bus, in order. Publishing after the commit is what
// makes resume gap-free: an event a reader did not find in the store reaches it live later.
type Pipeline struct {
	cfg   PipelineConfig
	store Appender
	bus   Bus
	log   *slog.Logger
	in    chan pending // events, transitions and audit entries, committed in this order
	// accepts holds new queued runs (thread, user message, run). Their lane is separate so
	// that a burst of acceptances does not delay the events of running runs; nothing in the
	// other lane depends on a run whose acceptance has not been answered yet, except the
	// events of a run that started at once, which follow its acceptance in the other lane
	// (Emitter.Accept).
	accepts chan pending
	quit    chan struct{}
	done    chan struct{}
	start   sync.Once
	stop    sync.Once

	// mu orders Stop after every submit under way: submits hold it shared, Stop exclusively,
	// so that nothing enters the buffer after the final drain.
	mu      sync.RWMutex
	stopped bool
}

// NewPipeline returns a pipeline; call Start before emitting.
func NewPipeline(cfg PipelineConfig, s Appender, bus Bus, log *slog.Logger) *Pipeline {
	cfg = cfg.withDefaults()
	return &Pipeline{cfg: cfg, store: s, bus: bus, log: log, in: make(chan pending, cfg.Buffer),
		accepts: make(chan pending, cfg.Buffer), quit: make(chan struct{}), done: make(chan struct{})}
}

// Start runs the committer until Stop.
func (p *Pipeline) Start() {
	p.start.Do(func() { go p.loop() })
}

// Stop commits what is buffered, then stops. Emitters must be done before Stop is called;
// later emits fail with unavailable.
func (p *Pipeline) Stop() {
	p.stop.Do(func() {
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
		close(p.quit)
		<-p.done
	})
}

func (p *Pipeline) submit(ctx context.Context, pd pending) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.stopped {
		return netra.Errorf(netra.CodeUnavailable, "server is shutting down")
	}
	lane := p.in
	if pd.rec.Create != nil && pd.created == nil { // a queued run's acceptance
		lane = p.accepts
	}
	select {
	case lane <- pd:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pipeline) loop() {
	defer close(p.done)
	batch := make([]pending, 0, p.cfg.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case pd := <-p.in:
			batch = append(batch, pd)
		case pd := <-p.accepts:
			batch = append(batch, pd)
		case <-p.quit:
			// Drain what emitters handed over before the stop.
			for {
				batch = p.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				p.commit(batch)
			}
		}
		// Yield once before topping the batch up: the engine whose event woke us is usually
		// about to emit more (a run started at once sends its acceptance, then run_started
		// and its first steps), and on two cores it needs this P to do so. Letting it run
		// first puts those records in this commit instead of the next one: fewer, fuller
		// commits (PostgreSQL at 10 users +10 – 19 %; see docs/benchmarks.md).
		runtime.Gosched()
		p.commit(p.fill(batch))
	}
}

// fill tops the batch up with what waits: run events first, up to three quarters of a batch,
// then acceptances, then events again. Under a burst of acceptances, the runs that execute
// keep their commit latency (their events do not queue behind thousands of new runs), and
// acceptances still get at least a quarter of every batch.
func (p *Pipeline) fill(batch []pending) []pending {
	take := func(ch chan pending, limit int) {
		for len(batch) < limit {
			select {
			case pd := <-ch:
				batch = append(batch, pd)
			default:
				return
			}
		}
	}
	take(p.in, p.cfg.MaxBatch*3/4)
	take(p.accepts, p.cfg.MaxBatch)
	take(p.in, p.cfg.MaxBatch)
	return batch
}

// commit writes the batch, publishes what was written, and answers the waiters.
func (p *Pipeline) commit(batch []pending) {
	// The commit must not be cut short by a request's cancellation: the events are accepted.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs := make([]store.Record, 0, len(batch))
	kept := batch[:0]
	for i := range batch {
		pd := batch[i]
		if pd.refused() {
			p.publish(ctx, &pd, notAccepted())
			continue
		}
		if err := p.link(ctx, pd.rec.Audit); err != nil {
			continue
		}
		recs = append(recs, pd.rec)
		kept = append(kept, pd)
	}
	batch = kept
	err := p.append(ctx, recs)
	for try := 1; err != nil && try <= p.cfg.Retries; try++ {
		p.log.Warn("event batch commit failed, retrying", "events", len(batch), "try", try, "err", err)
		time.Sleep(time.Duration(try*try) * 10 * time.Millisecond)
		err = p.store.Append(ctx, recs)
	}
	p.settle(err == nil)
	if err == nil {
		for i := range batch {
			p.publish(ctx, &batch[i], nil)
		}
		return
	}
	// One bad event must not take the others with it: try them one at a time. Audit entries
	// are linked again, after what the store holds now.
	for i := range batch {
		var e error
		if batch[i].refused() {
			e = notAccepted()
		}
		if a := batch[i].rec.Audit; a != nil && e == nil {
			e = p.link(ctx, a)
		}
		if e == nil {
			e = p.append(ctx, recs[i:i+1])
			p.settle(e == nil)
		}
		if c := batch[i].created; e != nil && c != nil && batch[i].rec.Create != nil {
			c.failed.Store(true)
		}
		if ev := batch[i].rec.Event; e != nil && ev != nil {
			p.log.Error("event lost: store refused it", "run_id", ev.RunID, "user_id", ev.Owner, "seq", ev.Seq, "type", ev.Type, "err", e)
		}
		if a := batch[i].rec.Audit; e != nil && a != nil {
			p.log.Error("audit entry lost: store refused it", "user_id", a.UserID, "action", a.Action, "err", e)
		}
		p.publish(ctx, &batch[i], e)
	}
}

// append commits recs. When other nodes of the cluster continued some of their audit chains
// first, it links them again after the stored heads of all the batch's users, read at once,
// and commits again: one read and one more commit for each time other nodes got in between,
// not one for each chain that moved.
func (p *Pipeline) append(ctx context.Context, recs []store.Record) error {
	err := p.store.Append(ctx, recs)
	for moves := 0; err != nil && moves < maxChainMoves && errors.Is(err, store.ErrChainMoved); moves++ {
		p.log.Debug("audit chain moved on another node; linking again", "moves", moves, "err", err)
		p.relink(ctx, recs)
		err = p.store.Append(ctx, recs)
	}
	return err
}

// maxChainMoves bounds how often a batch is linked again because other nodes continued its
// users' chains first; past it, the batch takes the path of any failed commit.
const maxChainMoves = 50

// relink links a batch's audit entries again after the stored heads of their users' chains.
func (p *Pipeline) relink(ctx context.Context, recs []store.Record) {
	if p.cfg.Chain == nil {
		return
	}
	p.settle(false)
	seen := map[string]bool{}
	var users []string
	for _, r := range recs {
		if a := r.Audit; a != nil && !seen[a.UserID] {
			seen[a.UserID] = true
			users = append(users, a.UserID)
		}
	}
	if err := p.cfg.Chain.Refresh(ctx, users...); err != nil {
		p.log.Warn("reading audit chain heads", "users", len(users), "err", err) // Link reads each one
	}
	for _, r := range recs {
		_ = p.link(ctx, r.Audit) // a failure here fails the next Append, which says so
	}
}

// link chains an audit entry (nil: none) into the transaction under way.
func (p *Pipeline) link(ctx context.Context, a *netra.AuditEntry) error {
	if a == nil || p.cfg.Chain == nil {
		return nil
	}
	err := p.cfg.Chain.Link(ctx, a)
	if err != nil {
		p.log.Error("audit entry lost", "user_id", a.UserID, "action", a.Action, "err", err)
	}
	return err
}

func (p *Pipeline) settle(committed bool) {
	if p.cfg.Chain != nil {
		p.cfg.Chain.Settle(committed)
	}
}

// Accept hands an accepted run (thread, user message, run) to the next group commit and
// returns at once; wait reports the commit's outcome. Acceptance shares the transaction of
// other runs' events instead of taking the store's one writer for a transaction of its own,
// and runs handed over one after another are committed in that order.
func (p *Pipeline) Accept(ctx context.Context, nr store.NewRun) (wait func() error, err error) {
	pd := pending{rec: store.Record{Create: &nr}, done: make(chan error, 1)}
	if err := p.submit(ctx, pd); err != nil {
		return nil, err
	}
	return func() error { return <-pd.done }, nil
}

// Audit writes an audit entry in the next group commit without waiting for it. Entries are
// committed in the order they are handed over, which keeps each user's hash chain in order.
func (p *Pipeline) Audit(ctx context.Context, e *netra.AuditEntry) error {
	if p.cfg.Chain != nil {
		if err := p.cfg.Chain.Warm(ctx, e.UserID); err != nil {
			return err
		}
	}
	return p.submit(ctx, pending{rec: store.Record{Audit: e}})
}

func (p *Pipeline) publish(ctx context.Context, pd *pending, commitErr error) {
	if commitErr == nil && pd.rec.Event != nil {
		if err := p.bus.Publish(ctx, pd.rec.Event); err != nil {
			// The event is stored; a client that missed it live gets it with resume.
			ev := pd.rec.Event
			p.log.Warn("event publish failed", "run_id", ev.RunID, "user_id", ev.Owner, "seq", ev.Seq, "err", err)
		}
	}
	if pd.done != nil {
		if commitErr != nil && pd.rec.Create == nil {
			commitErr = errors.Join(netra.Errorf(netra.CodeInternal, "event not stored"), commitErr)
		}
		pd.done <- commitErr
	}
}

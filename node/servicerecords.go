package node

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/workload"
)

// serviceRecords writes Netra's own model calls as workload records of the service account,
// so that an operator can analyse them with Netra itself. A model call only hands its record
// over; a goroutine uploads them in batches, once a second or every workload.ChunkSize records.
// Records that find the buffer full are dropped and counted, never waited for: a model call
// must not wait on the store. A crash loses at most the last second's records.
type serviceRecords struct {
	st      store.Workloads
	owner   string
	log     *slog.Logger
	in      chan workload.Record
	quit    chan struct{} // closed by stop; in is never closed, so a late call cannot panic
	done    chan struct{}
	dropped atomic.Int64
	started atomic.Bool
}

// serviceRecordsLimit bounds the service account's stored records.
const serviceRecordsLimit = 20_000_000

func newServiceRecords(st store.Workloads, owner string, log *slog.Logger) *serviceRecords {
	return &serviceRecords{st: st, owner: owner, log: log, in: make(chan workload.Record, 4*workload.ChunkSize), quit: make(chan struct{}), done: make(chan struct{})}
}

// record is model.Recorded's callback.
func (s *serviceRecords) record(c model.Call) {
	provider, name, _ := strings.Cut(c.Provider, ":")
	r := workload.Record{ID: netra.NewID("mc"), TS: c.Start.UTC(), Provider: provider, Model: name, Route: "netra/" + c.Task,
		InputTokens: c.Usage.InputTokens, OutputTokens: c.Usage.OutputTokens, CostUSD: c.Usage.CostUSD,
		LatencyMS: float64(c.Duration.Microseconds()) / 1000, OK: c.Err == nil, Interactive: true}
	if c.Err != nil {
		r.ErrorType = string(netra.ErrorCode(c.Err))
	}
	select {
	case s.in <- r:
	default:
		s.dropped.Add(1)
	}
}

// start runs the uploader until stop.
func (s *serviceRecords) start() {
	if !s.started.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var batch []workload.Record
		for {
			select {
			case r := <-s.in:
				if batch = append(batch, r); len(batch) == workload.ChunkSize {
					batch = s.flush(batch)
				}
			case <-s.quit:
				for {
					select {
					case r := <-s.in:
						if batch = append(batch, r); len(batch) == workload.ChunkSize {
							batch = s.flush(batch)
						}
					default:
						s.flush(batch)
						return
					}
				}
			case <-tick.C:
				batch = s.flush(batch)
			}
		}
	}()
}

// stop uploads what is left; no model call may come after it.
func (s *serviceRecords) stop() {
	if !s.started.Load() {
		return
	}
	close(s.quit)
	<-s.done
	if n := s.dropped.Load(); n > 0 {
		s.log.Warn("model-call records dropped: the buffer was full", "records", n)
	}
}

func (s *serviceRecords) flush(batch []workload.Record) []workload.Record {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	up, err := s.st.BeginUpload(ctx, s.owner, serviceRecordsLimit)
	if err == nil {
		if _, _, err = up.Add(ctx, batch); err != nil {
			_ = up.Abort(ctx)
		} else {
			err = up.Commit(ctx)
		}
	}
	if err != nil {
		s.log.Warn("storing model-call records", "account", s.owner, "records", len(batch), "err", err)
	}
	return batch[:0]
}

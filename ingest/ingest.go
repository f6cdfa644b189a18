// Package ingest is the workload-data service that the HTTP API and the agents' tools share:
// streaming uploads with per-tier limits, synthetic datasets, and analysis of a user's records.
// It holds no per-user state; every method takes the owner from the caller's identity.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/workload"
)

// Config configures the service. Zero values mean the defaults.
type Config struct {
	// Limits bound the records a user may keep, by tier. Defaults: free 200,000, early
	// 1,000,000, mid 5,000,000, enterprise 20,000,000.
	Limits map[netra.Tier]int64
	// Prices prices records without cost_usd. Default: the embedded price table.
	Prices *workload.Prices
}

// DefaultLimits are the per-tier record limits.
func DefaultLimits() map[netra.Tier]int64 {
	return map[netra.Tier]int64{netra.TierFree: 200_000, netra.TierEarly: 1_000_000, netra.TierMid: 5_000_000, netra.TierEnterprise: 20_000_000}
}

// MaxErrors is how many line errors an answer lists.
const MaxErrors = 100

// Service is the workload-data service.
type Service struct {
	store  store.Workloads
	limits map[netra.Tier]int64
	prices *workload.Prices
}

// New returns a service over st.
func New(cfg Config, st store.Workloads) *Service {
	limits := DefaultLimits()
	for t, l := range cfg.Limits {
		limits[t] = l
	}
	if cfg.Prices == nil {
		cfg.Prices = workload.DefaultPrices()
	}
	return &Service{store: st, limits: limits, prices: cfg.Prices}
}

// Prices returns the price table.
func (s *Service) Prices() *workload.Prices { return s.prices }

// Limit returns a tier's record limit.
func (s *Service) Limit(t netra.Tier) int64 { return s.limits[t] }

// Result is the outcome of an upload.
type Result struct {
	Accepted   int64                `json:"accepted"`
	Duplicates int64                `json:"duplicates"`
	Rejected   int64                `json:"rejected"`
	Errors     []workload.LineError `json:"errors"`
}

// BadLines is the error of an all-or-nothing upload with bad lines; nothing was stored.
type BadLines struct {
	Rejected int64
	Errors   []workload.LineError
}

func (e *BadLines) Error() string {
	return fmt.Sprintf("%d bad line(s); first at line %d: %s", e.Rejected, e.Errors[0].Line, e.Errors[0].Message)
}

// Upload reads records from dec and stores them for id. Unless partial, one bad line stores
// nothing and answers *BadLines; with partial, good lines are stored and bad ones counted.
// Memory stays bounded: records are staged a chunk at a time.
func (s *Service) Upload(ctx context.Context, id netra.Identity, dec workload.Decoder, partial bool) (Result, error) {
	res := Result{Errors: []workload.LineError{}}
	up, err := s.store.BeginUpload(ctx, id.UserID, s.limits[id.Tier])
	if err != nil {
		return res, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = up.Abort(context.WithoutCancel(ctx))
		}
	}()
	// Parsing and storing overlap: a second goroutine stores each full batch while this one
	// parses the next, so an upload keeps two cores busy.
	batches := make(chan []workload.Record, 2)
	stored := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err != nil {
				continue // drain after a failure
			}
			var acc, dup int64
			acc, dup, err = up.Add(ctx, b)
			res.Accepted += acc
			res.Duplicates += dup
		}
		stored <- err
	}()
	finish := func() error {
		close(batches)
		return <-stored
	}
	batch := make([]workload.Record, 0, workload.ChunkSize)
	for {
		p, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = finish()
			var mbe interface{ Timeout() bool }
			if errors.As(err, &mbe) {
				return res, netra.Errorf(netra.CodeUnavailable, "reading the upload timed out")
			}
			return res, &netra.Error{Code: netra.CodeInvalidRequest, Message: "upload: " + err.Error(), Err: err}
		}
		if p.Err == nil {
			p.Err = p.Record.Validate(s.prices, p.CostGiven)
		}
		if p.Err != nil {
			res.Rejected += int64(max(1, p.Lines))
			if len(res.Errors) < MaxErrors {
				res.Errors = append(res.Errors, workload.LineError{Line: p.Line, Message: p.Err.Error()})
			}
			continue
		}
		if res.Rejected > 0 && !partial {
			continue // the upload will be refused; keep reading only to report the bad lines
		}
		batch = append(batch, p.Record)
		if len(batch) == workload.ChunkSize {
			select {
			case batches <- batch:
			case err := <-stored: // the store failed; stop reading
				stored <- err
				err = finish()
				return res, err
			}
			batch = make([]workload.Record, 0, workload.ChunkSize)
		}
	}
	if res.Rejected > 0 && !partial {
		_ = finish()
		return Result{Rejected: res.Rejected, Errors: res.Errors}, &BadLines{Rejected: res.Rejected, Errors: res.Errors}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	if err := finish(); err != nil {
		return res, err
	}
	if err := up.Commit(ctx); err != nil {
		return res, err
	}
	committed = true
	return res, nil
}

// SyntheticResult is the outcome of generating a demo dataset.
type SyntheticResult struct {
	Spec       workload.SyntheticSpec `json:"spec"`
	Window     workload.Window        `json:"window"`
	Accepted   int64                  `json:"accepted"`
	Duplicates int64                  `json:"duplicates"`
}

// Synthetic generates a demo dataset for id and stores it like an upload. Generating the same
// spec again stores nothing new: the records' ids repeat.
func (s *Service) Synthetic(ctx context.Context, id netra.Identity, spec workload.SyntheticSpec) (SyntheticResult, error) {
	if err := spec.Normalize(time.Now()); err != nil {
		return SyntheticResult{}, netra.Errorf(netra.CodeInvalidRequest, "%v", err)
	}
	recs, err := workload.Generate(spec, s.prices)
	if err != nil {
		return SyntheticResult{}, netra.Errorf(netra.CodeInvalidRequest, "%v", err)
	}
	res := SyntheticResult{Spec: spec, Window: workload.Window{From: spec.End.Add(-time.Duration(spec.Days) * 24 * time.Hour), To: spec.End}}
	up, err := s.store.BeginUpload(ctx, id.UserID, s.limits[id.Tier])
	if err != nil {
		return res, err
	}
	for i := 0; i < len(recs); i += workload.ChunkSize {
		acc, dup, err := up.Add(ctx, recs[i:min(i+workload.ChunkSize, len(recs))])
		if err != nil {
			_ = up.Abort(context.WithoutCancel(ctx))
			return res, err
		}
		res.Accepted += acc
		res.Duplicates += dup
	}
	return res, up.Commit(ctx)
}

// Scope narrows an analysis to some models (by the price table's names, so a dated snapshot
// counts as its model), routes and providers (as records name them, in any case), days of the
// week and bounds on single requests; an empty list means all.
type Scope struct {
	Models    []string `json:"models,omitempty"`
	Routes    []string `json:"routes,omitempty"`
	Providers []string `json:"providers,omitempty"`
	// Days keeps the days of the week a question names: DaysWeekends (Saturdays and Sundays)
	// or DaysWeekdays (Monday to Friday), UTC days both; "" keeps every day.
	Days string `json:"days,omitempty"`
	// Bounds keep the requests within every one of them ("took longer than 10 s"). A scope
	// with bounds is read from the records: rollups sum requests of every size.
	Bounds []workload.Bound `json:"bounds,omitempty"`
}

// keepsRecord reports whether r lies within every bound of the scope.
func (sc Scope) keepsRecord(r *workload.Record) bool {
	for _, b := range sc.Bounds {
		if !b.Keeps(r) {
			return false
		}
	}
	return true
}

// The days of the week a scope can keep.
const (
	DaysWeekends = "weekends"
	DaysWeekdays = "weekdays"
)

// keepsDay reports whether the scope keeps a UTC day, counted from 1970-01-01 (a Thursday),
// and widens sp (nil: none) to it. The whole day is a weekend day or a weekday, so daily
// rollups are kept or left whole. A scope that keeps every day does nothing else: this is on
// every record's path.
func (sc Scope) keepsDay(day int64, sp *span) bool {
	if sc.Days == "" {
		return true
	}
	if sp != nil {
		sp.add(day)
	}
	wd := time.Weekday(((day+4)%7 + 7) % 7)
	return (wd == time.Saturday || wd == time.Sunday) == (sc.Days == DaysWeekends)
}

// keepsTime is keepsDay for the UTC day of t.
func (sc Scope) keepsTime(t time.Time, sp *span) bool {
	if sc.Days == "" {
		return true
	}
	secs := t.Unix()
	day := secs / 86400
	if secs%86400 < 0 { // before 1970: division truncates toward zero
		day--
	}
	return sc.keepsDay(day, sp)
}

// Analyze computes the statistics of the owner's records in w, within scope.
func (s *Service) Analyze(ctx context.Context, owner string, w workload.Window, scope Scope) (workload.Stats, error) {
	a := workload.NewAnalyzer(w, s.prices)
	sp, err := s.scan(ctx, owner, w, scope, func(r *workload.Record) { a.Add(r) })
	st := a.Stats()
	sp.cover(&st, w, scope)
	return st, err
}

// Latency computes the tally and the latencies of the owner's records in w, within scope: the
// tally from rollups, the latencies from the records (workload.NewLatencyAnalyzer).
func (s *Service) Latency(ctx context.Context, owner string, w workload.Window, scope Scope) (workload.Stats, error) {
	st, err := s.Tally(ctx, owner, w, scope)
	if err != nil {
		return st, err
	}
	parts, err := scanParallel(ctx, s, owner, w, scope, func(n int) *workload.Analyzer {
		a := workload.NewLatencyAnalyzer(w, s.prices)
		// The tally says how many records each route and model has; each part sees about
		// its share of them.
		a.Reserve(st, min(1, 1.2/float64(n)))
		return a
	}, func(a *workload.Analyzer, r *workload.Record) { a.Add(r) })
	if err != nil {
		return st, err
	}
	for _, p := range parts[1:] {
		parts[0].MergeLatencies(p)
	}
	l := parts[0].Stats()
	st.LatencyMS, st.TTFTMS, st.OutputSpeed, st.LatencyByRoute, st.LatencyByModel = l.LatencyMS, l.TTFTMS, l.OutputSpeed, l.LatencyByRoute, l.LatencyByModel
	return st, err
}

// Tally computes the additive statistics of the owner's records in w, within scope (totals,
// spend by model, route, provider and day, errors), from rollups where it can: the answer to a
// question about spend, volume, tokens or errors, at a fraction of Analyze's cost.
func (s *Service) Tally(ctx context.Context, owner string, w workload.Window, scope Scope) (workload.Stats, error) {
	t := workload.NewTally(w, s.prices)
	var sp span
	if len(scope.Bounds) > 0 {
		// Each core rolls up the records it keeps; rollups are the tally's additive unit.
		parts, err := scanParallel(ctx, s, owner, w, scope, func(int) *workload.Rollups { return new(workload.Rollups) }, (*workload.Rollups).Add)
		for _, p := range parts {
			for _, g := range p.All() {
				if scope.keepsDay(g.Day, &sp) {
					t.AddRollup(g)
				}
			}
		}
		st := t.Stats()
		sp.cover(&st, w, scope)
		return st, err
	}
	in := s.scope(scope)
	err := s.store.ScanRollups(ctx, owner, w, func(g *workload.Rollup) bool {
		if in(g.Model, g.Route, g.Provider) {
			if scope.keepsDay(g.Day, &sp) {
				t.AddRollup(g)
			}
		}
		return ctx.Err() == nil
	}, func(r *workload.Record) bool {
		if in(r.Model, r.Route, r.Provider) {
			if scope.keepsTime(r.TS, &sp) {
				t.Add(r)
			}
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	st := t.Stats()
	sp.cover(&st, w, scope)
	return st, err
}

// span is the first and last UTC day a scan met in its scope, whichever days of the week the
// scope keeps: a run-rate ("a month at this rate") divides by the days the records cover,
// and the weekends of a month of records cover that month, not the three weeks from its
// first Saturday to its last Sunday.
type span struct {
	first, last int64
	seen        bool
}

// add widens the span to day.
func (s *span) add(day int64) {
	if !s.seen || day < s.first {
		s.first = day
	}
	if !s.seen || day > s.last {
		s.last = day
	}
	s.seen = true
}

// cover sets the statistics' covered days from the span when the scope keeps some days of the
// week only (then keepsDay filled it; otherwise the days the statistics hold are the span
// already).
func (s span) cover(st *workload.Stats, w workload.Window, scope Scope) {
	if scope.Days != "" && s.seen {
		st.CoveredDays = math.Min(float64(s.last-s.first+1), w.Days())
	}
}

// Query groups the owner's records in w, within scope, by groupBy (workload.GroupBys), with
// each group's volume, errors, cost, tokens and latency percentiles.
func (s *Service) Query(ctx context.Context, owner string, w workload.Window, scope Scope, groupBy string) (workload.QueryResult, error) {
	q, err := workload.NewQuery(w, groupBy, s.prices)
	if err != nil {
		return workload.QueryResult{}, netra.Errorf(netra.CodeInvalidRequest, "%v", err)
	}
	_, err = s.scan(ctx, owner, w, scope, q.Add)
	return q.Result(), err
}

// WhatIf prices the owner's records in w, within scope, on the target model.
func (s *Service) WhatIf(ctx context.Context, owner string, w workload.Window, scope Scope, target string) (workload.WhatIf, error) {
	a, err := workload.NewWhatIf(w, target, s.prices)
	if err != nil {
		return workload.WhatIf{}, netra.Errorf(netra.CodeInvalidRequest, "%v", err)
	}
	_, err = s.scan(ctx, owner, w, scope, a.Add)
	return a.Result(), err
}

// scan calls fn with each of the owner's records in w that lies within scope, and returns the
// span of days of the scope's records, whichever days of the week it keeps.
func (s *Service) scan(ctx context.Context, owner string, w workload.Window, scope Scope, fn func(*workload.Record)) (span, error) {
	in := s.scope(scope)
	var sp span
	err := s.store.ScanRecords(ctx, owner, w, func(r *workload.Record) bool {
		if in(r.Model, r.Route, r.Provider) && scope.keepsRecord(r) {
			if scope.keepsTime(r.TS, &sp) {
				fn(r)
			}
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	return sp, err
}

// maxScanWorkers bounds the cores one scan decodes on.
const maxScanWorkers = 4

// scanParallel decodes the owner's chunks in w on up to maxScanWorkers cores, each worker
// adding the records within scope to a part of its own (newPart's, told how many parts there
// are), and returns the parts for
// the caller to merge: one question over a million records is then decoded on every core, not
// one. The calling goroutine reads the chunks from the store.
func scanParallel[P any](ctx context.Context, s *Service, owner string, w workload.Window, scope Scope, newPart func(parts int) P, add func(P, *workload.Record)) ([]P, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := min(runtime.GOMAXPROCS(0), maxScanWorkers)
	parts, errs := make([]P, n), make([]error, n)
	chunks := make(chan []byte, n)
	var wg sync.WaitGroup
	for i := range parts {
		parts[i] = newPart(n)
		in := s.scope(scope) // its name cache is the worker's own
		wg.Go(func() {
			for c := range chunks {
				if errs[i] != nil {
					continue // the reader stops soon; let it not block
				}
				errs[i] = workload.DecodeChunk(c, func(r *workload.Record) bool {
					if w.Contains(r.TS) && in(r.Model, r.Route, r.Provider) && scope.keepsRecord(r) && scope.keepsTime(r.TS, nil) {
						add(parts[i], r)
					}
					return true
				})
				if errs[i] != nil {
					cancel()
				}
			}
		})
	}
	err := s.store.ScanChunks(ctx, owner, w, func(c []byte) bool {
		select {
		case chunks <- c:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(chunks)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, netra.Internal(fmt.Errorf("decode records: %w", e))
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return parts, err
}

// scope returns whether a (model, route, provider) lies in the scope: models by the price
// table's names, each name looked up once.
func (s *Service) scope(scope Scope) func(model, route, provider string) bool {
	models := map[string]bool{}
	for _, m := range scope.Models {
		models[s.prices.Canonical(m)] = true
	}
	names := s.prices.NewNames()
	return func(model, route, provider string) bool {
		if len(scope.Routes) > 0 && !slices.Contains(scope.Routes, route) {
			return false
		}
		if len(scope.Providers) > 0 && !slices.ContainsFunc(scope.Providers, func(p string) bool { return strings.EqualFold(p, provider) }) {
			return false
		}
		if len(models) > 0 {
			if c, _ := names.Canonical(model); !models[c] {
				return false
			}
		}
		return true
	}
}

// Coverage says how much of a window the owner's data covers.
type Coverage struct {
	Window      workload.Window `json:"window"`
	Records     int64           `json:"records"`
	DaysCovered int             `json:"days_covered"`
	WindowDays  float64         `json:"window_days"`
	Models      []string        `json:"models"`
	Routes      []string        `json:"routes"`
	WithTTFT    int64           `json:"with_ttft"`
	WithPrefix  int64           `json:"with_prefix"`
	StoredTotal int64           `json:"stored_total"`
	// StoredFirst and StoredLast are the times of the owner's first and last records, in or
	// out of the window: where to ask instead when the window holds none.
	StoredFirst *time.Time `json:"stored_first,omitempty"`
	StoredLast  *time.Time `json:"stored_last,omitempty"`
}

// Coverage describes the owner's data in w. It reads rollups where it can, so its cost grows
// with the chunks in w more than with the records.
func (s *Service) Coverage(ctx context.Context, owner string, w workload.Window) (Coverage, error) {
	c := Coverage{Window: w, WindowDays: w.Days(), Models: []string{}, Routes: []string{}}
	days, models, routes := map[int64]bool{}, map[string]bool{}, map[string]bool{}
	lastDay := int64(math.MinInt64)
	count := func(day int64, model, route string, n, ttft, prefix int64) bool {
		c.Records += n
		if day != lastDay { // records come mostly in time order
			days[day], lastDay = true, day
		}
		if len(models) < 100 && !models[model] {
			models[strings.Clone(model)] = true
		}
		if len(routes) < 100 && !routes[route] {
			routes[strings.Clone(route)] = true
		}
		c.WithTTFT += ttft
		c.WithPrefix += prefix
		return ctx.Err() == nil
	}
	err := s.store.ScanRollups(ctx, owner, w, func(g *workload.Rollup) bool {
		return count(g.Day, g.Model, g.Route, g.Requests, g.WithTTFT, g.WithPrefix)
	}, func(r *workload.Record) bool {
		return count(r.TS.Unix()/86400, r.Model, r.Route, 1, b2i(r.TTFTMS > 0), b2i(r.PrefixHash != ""))
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return c, err
	}
	c.DaysCovered = len(days)
	for m := range models {
		c.Models = append(c.Models, m)
	}
	for r := range routes {
		c.Routes = append(c.Routes, r)
	}
	slices.Sort(c.Models)
	slices.Sort(c.Routes)
	sum, err := s.store.RecordSummary(ctx, owner)
	c.StoredTotal, c.StoredFirst, c.StoredLast = sum.Records, sum.First, sum.Last
	return c, err
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Delete removes all of the owner's records.
func (s *Service) Delete(ctx context.Context, owner string) (int64, error) {
	return s.store.DeleteRecords(ctx, owner)
}

// RecordSummary returns the owner's record count and span.
func (s *Service) RecordSummary(ctx context.Context, owner string) (store.RecordSummary, error) {
	return s.store.RecordSummary(ctx, owner)
}

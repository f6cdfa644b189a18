package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
)

func connect(ctx context.Context, c *client.Client) (*client.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return c.Connect(cctx, client.ConnOptions{Buffer: connBuffer})
}

// connBuffer is each connection's event buffer. Small: every scenario reads its events as
// they come, and a buffer is allocated whole, with pointers the collector scans in every
// cycle. At 16,384 events (2.4 MB) a connection, the client's CPU per run grew with its users
// and the benchmark measured itself.
const connBuffer = 256

// ---- isolation

// IsolationConfig sizes the isolation scenario.
type IsolationConfig struct {
	Users, Conns, Runs int // users, connections per user, runs per user
}

// IsolationReport counts what each connection received that it should not have, or missed.
type IsolationReport struct {
	Users, Connections, Runs int
	ForeignEvents            int     `json:"foreign_events"`
	MissingEvents            int     `json:"missing_events"`
	DuplicateEvents          int     `json:"duplicate_events"`
	Events                   int     `json:"events"`
	DurationS                float64 `json:"duration_s"`
}

// Isolation: every user's connections receive every event of that user's runs, once, and
// nothing of anybody else's. Runs alternate between WebSocket and HTTP starts.
func Isolation(ctx context.Context, t Target, cfg IsolationConfig) (IsolationReport, error) {
	rep := IsolationReport{Users: cfg.Users, Connections: cfg.Users * cfg.Conns, Runs: cfg.Users * cfg.Runs}
	type user struct {
		c     *client.Client
		conns []*client.Conn
		runs  map[string]bool
	}
	users := make([]*user, cfg.Users)
	defer func() {
		for _, u := range users {
			for _, c := range u.conns {
				_ = c.Close()
			}
		}
	}()
	for i := range users {
		c, err := t.Client(fmt.Sprintf("iso-%d", i), netra.TierEnterprise)
		if err != nil {
			return rep, err
		}
		users[i] = &user{c: c, runs: map[string]bool{}}
		for k := 0; k < cfg.Conns; k++ {
			conn, err := connect(ctx, c)
			if err != nil {
				return rep, err
			}
			users[i].conns = append(users[i].conns, conn)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(users))
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < cfg.Runs; r++ {
				req := client.StartRun{Input: fmt.Sprint("iso ", r), Agent: "echo", Params: map[string]any{"delay_ms": 10 * (r % 3)}}
				var id string
				if r%2 == 0 {
					acc, err := u.conns[0].Start(ctx, req)
					if err != nil {
						errs <- err
						return
					}
					id = acc.RunID
				} else {
					run, err := u.c.StartRun(ctx, req)
					if err != nil {
						errs <- err
						return
					}
					id = run.ID
				}
				u.runs[id] = true
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return rep, err
	}
	var mu sync.Mutex
	for _, u := range users {
		for _, conn := range u.conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen := map[string]map[int64]bool{}
				last := map[string]int64{}
				foreign, dup, n := 0, 0, 0
				err := follow(ctx, conn, u.runs, func(ev client.Event) {
					n++
					if !u.runs[ev.RunID] {
						foreign++
						return
					}
					if seen[ev.RunID] == nil {
						seen[ev.RunID] = map[int64]bool{}
					}
					if seen[ev.RunID][ev.Seq] {
						dup++
					}
					seen[ev.RunID][ev.Seq] = true
					if ev.Terminal() {
						last[ev.RunID] = ev.Seq
					}
				})
				missing := 0
				for r := range u.runs {
					missing += int(last[r]) - len(seen[r])
				}
				mu.Lock()
				rep.ForeignEvents += foreign
				rep.DuplicateEvents += dup
				rep.MissingEvents += missing
				rep.Events += n
				if err != nil {
					rep.MissingEvents++ // a connection that did not see its runs end
				}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	rep.DurationS = time.Since(start).Seconds()
	return rep, nil
}

// ---- throughput

// ThroughputConfig sizes the throughput scenario.
type ThroughputConfig struct {
	Concurrency, Runs int
}

// ThroughputReport is runs per second and the platform's own time per run.
type ThroughputReport struct {
	Runs      int         `json:"runs"`
	DurationS float64     `json:"duration_s"`
	RunsPerS  float64     `json:"runs_per_s"`
	Client    Percentiles `json:"client"`   // send start_run → receive run_completed
	Overhead  Percentiles `json:"overhead"` // run_queued.ts → run_completed.ts (delay_ms is 0)
}

// Throughput runs echo runs with delay 0 from Concurrency users at once.
func Throughput(ctx context.Context, t Target, cfg ThroughputConfig) (ThroughputReport, error) {
	rep := ThroughputReport{Runs: cfg.Runs}
	conns := make([]*client.Conn, cfg.Concurrency)
	for i := range conns {
		c, err := t.Client(fmt.Sprintf("tput-%d", i), netra.TierEnterprise)
		if err != nil {
			return rep, err
		}
		if conns[i], err = connect(ctx, c); err != nil {
			return rep, err
		}
		defer conns[i].Close()
	}
	var next atomic.Int64
	var mu sync.Mutex
	var cl, ov []time.Duration
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cfg.Runs) {
				t0 := time.Now()
				acc, err := conn.Start(ctx, client.StartRun{Input: "tput", Agent: "echo"})
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				var queued, done time.Time
				err = follow(ctx, conn, map[string]bool{acc.RunID: true}, func(ev client.Event) {
					if ev.RunID != acc.RunID {
						return
					}
					if ev.Type == "run_queued" && queued.IsZero() {
						queued = ev.TS
					}
					if ev.Terminal() {
						done = ev.TS
					}
				})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				cl = append(cl, time.Since(t0))
				ov = append(ov, done.Sub(queued))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	rep.DurationS, rep.RunsPerS = d.Seconds(), float64(len(cl))/d.Seconds()
	rep.Client, rep.Overhead = Summarize(cl), Summarize(ov)
	return rep, firstErr
}

// ---- latency

// LatencyConfig sizes the latency scenario.
type LatencyConfig struct {
	Users, Active int           // connected users, of which Active keep runs going
	Duration      time.Duration // how long the active users run
	DelayMS       int           // each run's echo delay
}

// LatencyReport is the time from an event's ts (server clock, same machine) to its receipt.
type LatencyReport struct {
	Users, Active int
	Runs          int         `json:"runs"`
	Latency       Percentiles `json:"event_latency"`
}

// Latency measures event delivery latency while Active of Users connected users run echo
// runs back to back. The active users' first runs are spread evenly over one run length, as
// independent users' would be; started together they would stay in lockstep and measure a
// burst of Active simultaneous runs every DelayMS instead of delivery.
func Latency(ctx context.Context, t Target, cfg LatencyConfig) (LatencyReport, error) {
	rep := LatencyReport{Users: cfg.Users, Active: cfg.Active}
	conns := make([]*client.Conn, cfg.Users)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := t.Client(fmt.Sprintf("lat-%d", i), netra.TierFree)
		if err != nil {
			return rep, err
		}
		if conns[i], err = connect(ctx, c); err != nil {
			return rep, err
		}
	}
	deadline := time.Now().Add(cfg.Duration)
	var mu sync.Mutex
	var lat []time.Duration
	var runs int
	var firstErr error
	var wg sync.WaitGroup
	active := min(cfg.Active, len(conns))
	for i, conn := range conns[:active] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * time.Duration(cfg.DelayMS) * time.Millisecond / time.Duration(active)):
			}
			for time.Now().Before(deadline) {
				acc, err := conn.Start(ctx, client.StartRun{Input: "lat", Agent: "echo", Params: map[string]any{"delay_ms": cfg.DelayMS}})
				if err == nil {
					var mine []time.Duration
					err = follow(ctx, conn, map[string]bool{acc.RunID: true}, func(ev client.Event) {
						mine = append(mine, time.Since(ev.TS))
					})
					mu.Lock()
					lat = append(lat, mine...)
					runs++
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	rep.Runs, rep.Latency = runs, Summarize(lat)
	return rep, firstErr
}

// ---- fairness

// FairnessConfig sizes the fairness scenario. The server should have few slots
// (--max-running), so that users contend for them.
type FairnessConfig struct {
	LightUsers int           // free-tier users, one run at a time each
	HeavyRuns  int           // runs the enterprise user queues at once
	DelayMS    int           // every run's echo delay: the run duration
	Duration   time.Duration // how long light users keep asking
}

// FairnessReport is how long light users waited while a heavy user flooded.
type FairnessReport struct {
	LightUsers int         `json:"light_users"`
	RunMS      int         `json:"run_ms"`
	LightWait  Percentiles `json:"light_queue_wait"` // run_queued → run_started
	// RunTime is the heavy runs' run_started → terminal: one run's duration as the server
	// sees it (the echo delay plus the platform's time), the bound for LightWait.
	RunTime   Percentiles `json:"run_time"`
	LightRuns int         `json:"light_runs"`
	HeavyRuns int         `json:"heavy_runs_started"`
	// Jain is Jain's fairness index, (Σx)²/(n·Σx²), over the light users' completed runs
	// (equal demand, equal weight: 1 means perfectly even).
	Jain float64 `json:"jain_index"`
}

// Fairness floods the server with one heavy user's runs while light users ask one at a time.
func Fairness(ctx context.Context, t Target, cfg FairnessConfig) (FairnessReport, error) {
	rep := FairnessReport{LightUsers: cfg.LightUsers, RunMS: cfg.DelayMS}
	heavy, err := t.Client("fair-heavy", netra.TierEnterprise)
	if err != nil {
		return rep, err
	}
	hconn, err := connect(ctx, heavy)
	if err != nil {
		return rep, err
	}
	defer hconn.Close()
	heavyRuns := map[string]bool{}
	for i := 0; i < cfg.HeavyRuns; i++ {
		acc, err := hconn.Start(ctx, client.StartRun{Input: "flood", Agent: "echo", Params: map[string]any{"delay_ms": cfg.DelayMS}})
		if err != nil {
			return rep, fmt.Errorf("heavy user: %w", err)
		}
		heavyRuns[acc.RunID] = true
	}
	var heavyStarted atomic.Int64
	var runTimes []time.Duration // guarded by heavyDone
	heavyDone := make(chan struct{})
	hctx, hcancel := context.WithCancel(ctx)
	defer hcancel()
	go func() {
		defer close(heavyDone)
		started := map[string]time.Time{}
		_ = follow(hctx, hconn, heavyRuns, func(ev client.Event) {
			switch {
			case ev.Type == "run_started":
				heavyStarted.Add(1)
				started[ev.RunID] = ev.TS
			case ev.Type == "run_completed" && !started[ev.RunID].IsZero():
				runTimes = append(runTimes, ev.TS.Sub(started[ev.RunID]))
			}
		})
	}()
	deadline := time.Now().Add(cfg.Duration)
	var mu sync.Mutex
	var waits []time.Duration
	counts := make([]float64, cfg.LightUsers)
	var firstErr error
	var wg sync.WaitGroup
	for i := 0; i < cfg.LightUsers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := t.Client(fmt.Sprintf("fair-light-%d", i), netra.TierFree)
			var conn *client.Conn
			if err == nil {
				conn, err = connect(ctx, c)
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			defer conn.Close()
			for time.Now().Before(deadline) {
				acc, err := conn.Start(ctx, client.StartRun{Input: "light", Agent: "echo", Params: map[string]any{"delay_ms": cfg.DelayMS}})
				if err != nil {
					return
				}
				var queued, started time.Time
				_ = follow(ctx, conn, map[string]bool{acc.RunID: true}, func(ev client.Event) {
					switch {
					case ev.RunID != acc.RunID:
					case ev.Type == "run_queued" && queued.IsZero():
						queued = ev.TS
					case ev.Type == "run_started":
						started = ev.TS
					}
				})
				mu.Lock()
				waits = append(waits, started.Sub(queued))
				counts[i]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	hcancel()
	<-heavyDone
	rep.LightWait, rep.LightRuns, rep.HeavyRuns = Summarize(waits), len(waits), int(heavyStarted.Load())
	rep.RunTime = Summarize(runTimes)
	var sum, sq float64
	for _, x := range counts {
		sum += x
		sq += x * x
	}
	if sq > 0 {
		rep.Jain = sum * sum / (float64(len(counts)) * sq)
	}
	// Leave nothing queued behind.
	for id := range heavyRuns {
		_, _ = heavy.CancelRun(context.WithoutCancel(ctx), id)
	}
	return rep, firstErr
}

// ---- soak

// SoakConfig sizes the soak scenario.
type SoakConfig struct {
	Runs, Concurrency int
	// LocalGC, when the server runs in this process, collects garbage before each reading.
	LocalGC bool
}

// SoakReport compares the server's goroutines and heap before and after many runs.
type SoakReport struct {
	Runs             int     `json:"runs"`
	RunsPerS         float64 `json:"runs_per_s"`
	GoroutinesBefore float64 `json:"goroutines_before"`
	GoroutinesAfter  float64 `json:"goroutines_after"`
	HeapBefore       float64 `json:"heap_inuse_bytes_before"`
	HeapAfter        float64 `json:"heap_inuse_bytes_after"`
	LiveEngines      float64 `json:"engines_live_after"`
}

// Soak runs many echo runs and compares the server's state before and after.
func Soak(ctx context.Context, t Target, cfg SoakConfig) (SoakReport, error) {
	rep := SoakReport{Runs: cfg.Runs}
	read := func() (map[string]float64, error) {
		if cfg.LocalGC {
			runtime.GC()
			runtime.GC()
		}
		return t.Metrics(ctx, "go_goroutines", "go_memstats_heap_inuse_bytes", "netra_engines_live")
	}
	// Warm up, so that pools and caches exist before the baseline.
	if _, err := Throughput(ctx, t, ThroughputConfig{Concurrency: cfg.Concurrency, Runs: min(cfg.Runs, 1000)}); err != nil {
		return rep, err
	}
	time.Sleep(500 * time.Millisecond)
	before, err := read()
	if err != nil {
		return rep, err
	}
	tp, err := Throughput(ctx, t, ThroughputConfig{Concurrency: cfg.Concurrency, Runs: cfg.Runs})
	if err != nil {
		return rep, err
	}
	time.Sleep(2 * time.Second) // let connections and runs wind down
	after, err := read()
	if err != nil {
		return rep, err
	}
	rep.RunsPerS = tp.RunsPerS
	rep.GoroutinesBefore, rep.GoroutinesAfter = before["go_goroutines"], after["go_goroutines"]
	rep.HeapBefore, rep.HeapAfter = before["go_memstats_heap_inuse_bytes"], after["go_memstats_heap_inuse_bytes"]
	rep.LiveEngines = after["netra_engines_live"]
	return rep, nil
}

// ---- connections

// ConnectionsConfig sizes the connections scenario.
type ConnectionsConfig struct {
	Conns int
	// LocalGC, when the server runs in this process, collects garbage before each reading.
	LocalGC bool
}

// ConnectionsReport is what idle connections cost the server. Run it against a server in
// another process: in one process, the client's side is counted too.
type ConnectionsReport struct {
	Conns         int     `json:"connections"`
	Open          float64 `json:"server_connections"`
	RSSPerConn    float64 `json:"rss_bytes_per_connection"`
	HeapPerConn   float64 `json:"heap_bytes_per_connection"`
	GoroutinesPer float64 `json:"goroutines_per_connection"`
	SameProcess   bool    `json:"same_process"`
	OpenDurationS float64 `json:"open_duration_s"`
}

// Connections opens Conns idle WebSocket connections, one user each, and measures the server.
func Connections(ctx context.Context, t Target, cfg ConnectionsConfig) (ConnectionsReport, error) {
	rep := ConnectionsReport{Conns: cfg.Conns, SameProcess: cfg.LocalGC}
	names := []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_goroutines", "netra_ws_connections"}
	read := func() (map[string]float64, error) {
		if cfg.LocalGC {
			runtime.GC()
		}
		return t.Metrics(ctx, names...)
	}
	before, err := read()
	if err != nil {
		return rep, err
	}
	conns := make([]*client.Conn, 0, cfg.Conns)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	start := time.Now()
	for i := 0; i < cfg.Conns; i++ {
		c, err := t.Client(fmt.Sprintf("conn-%d", i), netra.TierFree)
		if err != nil {
			return rep, err
		}
		conn, err := c.Connect(ctx, client.ConnOptions{Buffer: 4})
		if err != nil {
			return rep, fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, conn)
	}
	rep.OpenDurationS = time.Since(start).Seconds()
	time.Sleep(time.Second)
	after, err := read()
	if err != nil {
		return rep, err
	}
	n := float64(cfg.Conns)
	rep.Open = after["netra_ws_connections"]
	rep.RSSPerConn = (after["process_resident_memory_bytes"] - before["process_resident_memory_bytes"]) / n
	rep.HeapPerConn = (after["go_memstats_heap_inuse_bytes"] - before["go_memstats_heap_inuse_bytes"]) / n
	rep.GoroutinesPer = (after["go_goroutines"] - before["go_goroutines"]) / n
	return rep, nil
}

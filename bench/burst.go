package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
)

// BurstConfig sizes the burst scenario.
type BurstConfig struct {
	Users, RunsPerUser int
	// ClosedLoop is how long the same users first run one echo run at a time each, for the
	// server's closed-loop throughput. Default 5 s.
	ClosedLoop time.Duration
	// DrainLimit is how long the burst may take to complete; the report then shows what
	// completed until then. Default 10 min.
	DrainLimit time.Duration
	// Stop, when set, stops the server: after the burst, the users queue a second burst and
	// the scenario measures how long Stop takes with that queue, and whether any queued run
	// started after it began. Only for a server in this process.
	Stop func() error
}

// BurstReport is what a burst of queued runs does to the server.
type BurstReport struct {
	Users       int `json:"users"`
	RunsPerUser int `json:"runs_per_user"`
	Accepted    int `json:"accepted"`
	// Refused counts refused start_runs by code.
	Refused      map[string]int `json:"refused,omitempty"`
	ClosedLoopPS float64        `json:"closed_loop_runs_per_s"`
	// AcceptPS is acceptances a second, from the first start_run sent to the last reply.
	AcceptPS float64     `json:"accept_per_s"`
	Reply    Percentiles `json:"start_run_reply"`
	// RepliesOver1s counts start_run replies that took longer than a second.
	RepliesOver1s int `json:"replies_over_1s"`
	// CompletedPS is completions a second in each whole second from the first completion to
	// the last; MinRatio is the smallest of them over ClosedLoopPS.
	CompletedPS []int `json:"completed_per_s"`
	// ServerCompletedPS counts the same completions by the terminal event's ts (when the
	// server emitted it), so that delivery to this client is left out.
	ServerCompletedPS []int   `json:"server_completed_per_s"`
	DrainS            float64 `json:"drain_s"`
	MeanPS            float64 `json:"mean_completed_per_s"`
	MinRatio          float64 `json:"min_ratio_to_closed_loop"`
	// RunQueuedPerRun is the run_queued events of a run (stored and sent), mean and most.
	RunQueuedPerRun    float64 `json:"run_queued_per_run"`
	RunQueuedPerRunMax int     `json:"run_queued_per_run_max"`
	Foreign            int     `json:"foreign_events"`
	Missing            int     `json:"runs_without_terminal"`
	// ShutdownS is how long Stop took with a second burst queued; StartedAfterStop counts
	// run_started events stamped after Stop began (must be 0).
	ShutdownS        float64 `json:"shutdown_s,omitempty"`
	QueuedAtStop     int     `json:"queued_at_stop,omitempty"`
	StartedAfterStop int     `json:"started_after_stop"`
}

// burstUser is one user's connection and what it saw.
type burstUser struct {
	conn    *client.Conn
	mu      sync.Mutex
	runs    map[string]*burstRun // every run this connection saw events of
	mine    map[string]bool      // the runs this user started (their run_accepted replies)
	started []time.Time          // run_started times
	done    chan string          // run ids as their terminal events arrive
}

type burstRun struct {
	queued   int
	terminal bool
}

// Burst starts RunsPerUser echo runs for each of Users enterprise users at once, over their
// WebSockets, and follows them to the end, reading every frame as a real client does.
func Burst(ctx context.Context, t Target, cfg BurstConfig) (BurstReport, error) {
	if cfg.ClosedLoop <= 0 {
		cfg.ClosedLoop = 5 * time.Second
	}
	if cfg.DrainLimit <= 0 {
		cfg.DrainLimit = 10 * time.Minute
	}
	rep := BurstReport{Users: cfg.Users, RunsPerUser: cfg.RunsPerUser, Refused: map[string]int{}}
	users := make([]*burstUser, cfg.Users)
	var completions, emitted []time.Time
	var cmu sync.Mutex
	for i := range users {
		c, err := t.Client(fmt.Sprintf("burst-%d", i), netra.TierEnterprise)
		if err != nil {
			return rep, err
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		conn, err := c.Connect(cctx, client.ConnOptions{Buffer: connBuffer})
		cancel()
		if err != nil {
			return rep, err
		}
		defer conn.Close()
		u := &burstUser{conn: conn, runs: map[string]*burstRun{}, mine: map[string]bool{}, done: make(chan string, cfg.RunsPerUser*2+16)}
		users[i] = u
		go func() { // reads every event
			for ev := range conn.Events() {
				now := time.Now()
				u.mu.Lock()
				r := u.runs[ev.RunID]
				if r == nil {
					// Events may come before the run_accepted reply reaches the starter.
					r = &burstRun{}
					u.runs[ev.RunID] = r
				}
				switch {
				case ev.Type == "run_queued":
					r.queued++
				case ev.Type == "run_started":
					// When the server started it (data.started_at), not when the event was
					// emitted: a run started just before the stop may emit it just after.
					at := ev.TS
					var d struct {
						StartedAt time.Time `json:"started_at"`
					}
					if json.Unmarshal(ev.Data, &d) == nil && !d.StartedAt.IsZero() {
						at = d.StartedAt
					}
					u.started = append(u.started, at)
				case ev.Terminal():
					r.terminal = true
				}
				u.mu.Unlock()
				if ev.Terminal() {
					cmu.Lock()
					completions = append(completions, now)
					emitted = append(emitted, ev.TS)
					cmu.Unlock()
					u.done <- ev.RunID
				}
			}
		}()
	}

	// Closed loop: one run at a time per user.
	var closed int
	var clmu sync.Mutex
	deadline := time.Now().Add(cfg.ClosedLoop)
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				acc, err := u.conn.Start(ctx, client.StartRun{Input: "loop", Agent: "echo"})
				if err != nil {
					return
				}
				for id := range u.done {
					if id == acc.RunID {
						break
					}
				}
				clmu.Lock()
				closed++
				clmu.Unlock()
			}
		}()
	}
	wg.Wait()
	rep.ClosedLoopPS = float64(closed) / cfg.ClosedLoop.Seconds()
	cmu.Lock()
	completions, emitted = completions[:0], emitted[:0]
	cmu.Unlock()
	for _, u := range users {
		u.mu.Lock()
		u.runs, u.mine, u.started = map[string]*burstRun{}, map[string]bool{}, nil
		u.mu.Unlock()
	drain:
		for {
			select {
			case <-u.done:
			default:
				break drain
			}
		}
	}

	// The burst: every user sends all its start_runs at once, pipelined on its connection.
	accepted, replies, refused, first, last := burstOnce(ctx, users, cfg.RunsPerUser)
	rep.Accepted, rep.Refused = accepted, refused
	rep.Reply = Summarize(replies)
	for _, d := range replies {
		if d > time.Second {
			rep.RepliesOver1s++
		}
	}
	rep.AcceptPS = float64(accepted) / last.Sub(first).Seconds()
	// Follow every accepted run to its end; on a time-out, report what happened until then.
	wait := time.NewTimer(cfg.DrainLimit)
	defer wait.Stop()
	var drainErr error
follow:
	for _, u := range users {
		for {
			u.mu.Lock()
			n := 0
			for _, r := range u.runs {
				if !r.terminal {
					n++
				}
			}
			u.mu.Unlock()
			if n == 0 {
				break
			}
			select {
			case <-u.done:
			case <-wait.C:
				drainErr = fmt.Errorf("the burst did not drain within %v", cfg.DrainLimit)
				break follow
			case <-ctx.Done():
				drainErr = ctx.Err()
				break follow
			}
		}
	}
	cmu.Lock()
	if len(completions) > 0 {
		start := completions[0]
		end := completions[len(completions)-1]
		rep.DrainS = end.Sub(first).Seconds()
		rep.MeanPS = float64(len(completions)) / end.Sub(start).Seconds()
		secs := int(end.Sub(start) / time.Second)
		rep.CompletedPS = make([]int, secs+1)
		for _, c := range completions {
			rep.CompletedPS[int(c.Sub(start)/time.Second)]++
		}
		rep.ServerCompletedPS = make([]int, secs+1)
		for _, c := range emitted {
			if i := int(c.Sub(start) / time.Second); i >= 0 && i <= secs {
				rep.ServerCompletedPS[i]++
			}
		}
		full := rep.CompletedPS
		if len(full) > 1 {
			full = full[:len(full)-1] // the last second is partial
		}
		lowest := full[0]
		for _, n := range full {
			lowest = min(lowest, n)
		}
		if rep.ClosedLoopPS > 0 {
			rep.MinRatio = float64(lowest) / rep.ClosedLoopPS
		}
	}
	cmu.Unlock()
	runs, queued := 0, 0
	for _, u := range users {
		u.mu.Lock()
		for id, r := range u.runs {
			if !u.mine[id] {
				rep.Foreign++ // an event of a run this user did not start
				continue
			}
			runs++
			queued += r.queued
			rep.RunQueuedPerRunMax = max(rep.RunQueuedPerRunMax, r.queued)
			if !r.terminal {
				rep.Missing++
			}
		}
		u.mu.Unlock()
	}
	if runs > 0 {
		rep.RunQueuedPerRun = float64(queued) / float64(runs)
	}

	if drainErr != nil {
		return rep, drainErr
	}
	if cfg.Stop != nil {
		n, _, _, _, _ := burstOnce(ctx, users, cfg.RunsPerUser)
		rep.QueuedAtStop = n
		signal := time.Now()
		err := cfg.Stop()
		rep.ShutdownS = time.Since(signal).Seconds()
		for _, u := range users {
			u.mu.Lock()
			for _, s := range u.started {
				if s.After(signal) {
					rep.StartedAfterStop++
				}
			}
			u.mu.Unlock()
		}
		if err != nil {
			return rep, fmt.Errorf("stop: %w", err)
		}
	}
	return rep, nil
}

// burstOnce sends n start_runs for every user at once and waits for every reply.
func burstOnce(ctx context.Context, users []*burstUser, n int) (accepted int, replies []time.Duration, refused map[string]int, first, last time.Time) {
	refused = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	first = time.Now()
	for _, u := range users {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				acc, err := u.conn.Start(ctx, client.StartRun{Input: "burst", Agent: "echo"})
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				replies = append(replies, d)
				if err != nil {
					code := "transport"
					var ae *client.APIError
					if errors.As(err, &ae) {
						code = ae.Code
					}
					refused[code]++
					return
				}
				accepted++
				u.mu.Lock()
				u.mine[acc.RunID] = true
				if u.runs[acc.RunID] == nil {
					u.runs[acc.RunID] = &burstRun{}
				}
				u.mu.Unlock()
			}()
		}
	}
	wg.Wait()
	last = time.Now()
	return accepted, replies, refused, first, last
}

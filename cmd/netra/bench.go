package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/bench"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/sched"
)

const benchUsage = `netra bench SCENARIO [flags]

Scenarios:
  isolation     N users × K connections, runs over WebSocket and HTTP: foreign, missing, duplicate events
  throughput    echo runs with delay 0 at a concurrency: runs/s, platform overhead p50/p99
  latency       event ts → client receipt with U connected users, A of them active
  fairness      a heavy user floods, light users ask one at a time: light queue wait, Jain's index
  soak          many runs: server goroutines and heap before and after
  connections   idle connections: server memory and goroutines per connection
  burst         U users start R echo runs each at once: acceptance rate, start_run reply
                latency, completions a second against the closed-loop rate, run_queued
                events per run, and (in process) the shutdown time with a second burst queued

Without --url, bench starts a server in this process (embedded store in a temporary
directory). With --url, tokens are signed with NETRA_JWT_SECRET or the secret in --data-dir.
The report is JSON on stdout.
`

type benchReport struct {
	Scenario string    `json:"scenario"`
	Target   string    `json:"target"`
	InProc   bool      `json:"in_process"`
	Started  time.Time `json:"started"`
	Go       string    `json:"go"`
	CPUs     int       `json:"cpus"`
	Flags    any       `json:"flags"`
	Result   any       `json:"result"`
	CPU      *benchCPU `json:"cpu,omitempty"`
}

// benchCPU is the CPU a scenario cost, so that a benchmark shows whether it measured the
// server or itself.
type benchCPU struct {
	// ProcessS is this process's CPU during the scenario: the client's alone with --url, the
	// client's and the server's together in process.
	ProcessS float64 `json:"process_s"`
	// ServerS is the server's, from process_cpu_seconds_total on its /metrics, with --url
	// when the server answers (it needs an admin token the secret can sign).
	ServerS *float64 `json:"server_s,omitempty"`
	// Runs is how many runs the scenario made, when it makes a known number; the per-run
	// figures divide by it.
	Runs            int      `json:"runs,omitempty"`
	ProcessMSPerRun float64  `json:"process_ms_per_run,omitempty"`
	ServerMSPerRun  *float64 `json:"server_ms_per_run,omitempty"`
}

// cpuMeter measures a scenario's CPU: this process's, and the server's when it is another.
type cpuMeter struct {
	t          bench.Target
	remote     bool
	proc0      time.Duration
	server0    float64
	haveServer bool
}

func startCPU(ctx context.Context, t bench.Target, remote bool) *cpuMeter {
	m := &cpuMeter{t: t, remote: remote}
	m.proc0, _ = processCPU()
	if remote {
		if v, err := t.Metrics(ctx, "process_cpu_seconds_total"); err == nil {
			m.server0, m.haveServer = v["process_cpu_seconds_total"]
		}
	}
	return m
}

func (m *cpuMeter) stop(ctx context.Context, runs int) *benchCPU {
	proc, ok := processCPU()
	if !ok {
		return nil
	}
	c := &benchCPU{ProcessS: (proc - m.proc0).Seconds(), Runs: runs}
	if m.haveServer {
		if v, err := m.t.Metrics(ctx, "process_cpu_seconds_total"); err == nil {
			if s, ok := v["process_cpu_seconds_total"]; ok {
				d := s - m.server0
				c.ServerS = &d
			}
		}
	}
	if runs > 0 {
		c.ProcessMSPerRun = c.ProcessS * 1000 / float64(runs)
		if c.ServerS != nil {
			per := *c.ServerS * 1000 / float64(runs)
			c.ServerMSPerRun = &per
		}
	}
	return c
}

func benchCmd(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, benchUsage)
		return exitCode(2)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(benchUsage)
		return nil
	}
	scenario := args[0]
	fs := flag.NewFlagSet("bench "+scenario, flag.ContinueOnError)
	f := struct {
		URLs        []string      `json:"urls,omitempty"`
		DataDir     string        `json:"-"`
		MaxRunning  int           `json:"max_running"`
		Users       int           `json:"users"`
		Conns       int           `json:"conns"`
		Runs        int           `json:"runs"`
		Concurrency int           `json:"concurrency"`
		Active      int           `json:"active"`
		Duration    time.Duration `json:"duration"`
		DelayMS     int           `json:"delay_ms"`
		HeavyRuns   int           `json:"heavy_runs"`
		RunsPerUser int           `json:"runs_per_user"`
		CPUProfile  string        `json:"-"`
	}{}
	fs.Func("url", "server to test (default: start one in this process); several --url (or one comma-separated) are the nodes of one cluster, and users are spread over them", func(v string) error {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				f.URLs = append(f.URLs, strings.TrimRight(u, "/"))
			}
		}
		return nil
	})
	fs.StringVar(&f.DataDir, "data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "the server's data dir, for its secret (with --url)")
	fs.IntVar(&f.MaxRunning, "max-running", 64, "slots of the in-process server")
	fs.IntVar(&f.Users, "users", 100, "users (isolation, latency; light users for fairness)")
	fs.IntVar(&f.Conns, "conns", 2, "connections per user (isolation); connections (connections)")
	fs.IntVar(&f.Runs, "runs", 5, "runs per user (isolation); runs in all (throughput, soak)")
	fs.IntVar(&f.Concurrency, "concurrency", 32, "users running at once (throughput, soak)")
	fs.IntVar(&f.Active, "active", 20, "active users (latency)")
	fs.DurationVar(&f.Duration, "duration", 10*time.Second, "how long (latency, fairness); longest drain (burst)")
	fs.IntVar(&f.DelayMS, "delay-ms", 20, "echo delay of each run (latency, fairness)")
	fs.IntVar(&f.HeavyRuns, "heavy-runs", 200, "runs the heavy user queues (fairness)")
	fs.StringVar(&f.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (server and client, in process) to this file")
	fs.IntVar(&f.RunsPerUser, "runs-per-user", 20, "runs each user starts at once (burst); the in-process server's enterprise queue holds them")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// burst waits up to --duration for its runs to complete when it is given, else 10 minutes.
	drainLimit := 10 * time.Minute
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "duration" {
			drainLimit = f.Duration
		}
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	t := bench.Target{Prefix: fmt.Sprintf("b%d-", time.Now().Unix()%100000)}
	inProc := len(f.URLs) == 0
	if !inProc {
		t.URL = f.URLs[0]
		if len(f.URLs) > 1 {
			t.Nodes = f.URLs
		}
	}
	var stopNode func() error
	if inProc {
		// The scenarios measure the platform, not the per-user limits: a few users generate
		// the load of many, so the in-process server lifts the rate limits. A server given with
		// --url keeps its own.
		open := ratelimit.Limit{RequestsPerSec: 1e9, RequestBurst: 1e9, FramesPerSec: 1e9, FrameBurst: 1e9, Connections: 1e9}
		n, secret, cleanup, err := startLocal(ctx, node.Config{MaxRunning: f.MaxRunning,
			RateLimits:     map[netra.Tier]ratelimit.Limit{netra.TierFree: open, netra.TierEarly: open, netra.TierMid: open, netra.TierEnterprise: open},
			Limits:         map[netra.Tier]sched.Limit{netra.TierEnterprise: {Running: 5, Queued: max(200, f.RunsPerUser)}},
			MaxConnections: 1e9})
		if err != nil {
			return err
		}
		defer cleanup()
		t.URL, t.Secret = n.URL(), secret
		stopNode = func() error { return n.Stop(context.Background()) }
	} else {
		s, err := secretFor(f.DataDir)
		if err != nil {
			return err
		}
		t.Secret, t.Issuer = s, envOr("NETRA_JWT_ISSUER", "")
		if _, err := auth.NewVerifier(auth.Config{Secret: t.Secret}); err != nil {
			return err
		}
	}
	if f.CPUProfile != "" {
		pf, err := os.Create(f.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); _ = pf.Close() }()
	}
	rep := benchReport{Scenario: scenario, Target: t.URL, InProc: inProc, Started: time.Now().UTC(), Go: runtime.Version(), CPUs: runtime.NumCPU(), Flags: f}
	cpu := startCPU(ctx, t, !inProc)
	runs := map[string]int{"isolation": f.Users * f.Runs, "throughput": f.Runs, "soak": f.Runs, "burst": f.Users * f.RunsPerUser}[scenario]
	var err error
	switch scenario {
	case "isolation":
		rep.Result, err = bench.Isolation(ctx, t, bench.IsolationConfig{Users: f.Users, Conns: f.Conns, Runs: f.Runs})
	case "throughput":
		rep.Result, err = bench.Throughput(ctx, t, bench.ThroughputConfig{Concurrency: f.Concurrency, Runs: f.Runs})
	case "latency":
		rep.Result, err = bench.Latency(ctx, t, bench.LatencyConfig{Users: f.Users, Active: f.Active, Duration: f.Duration, DelayMS: f.DelayMS})
	case "fairness":
		rep.Result, err = bench.Fairness(ctx, t, bench.FairnessConfig{LightUsers: f.Users, HeavyRuns: f.HeavyRuns, DelayMS: f.DelayMS, Duration: f.Duration})
	case "soak":
		rep.Result, err = bench.Soak(ctx, t, bench.SoakConfig{Runs: f.Runs, Concurrency: f.Concurrency, LocalGC: inProc})
	case "burst":
		rep.Result, err = bench.Burst(ctx, t, bench.BurstConfig{Users: f.Users, RunsPerUser: f.RunsPerUser, DrainLimit: drainLimit, Stop: stopNode})
	case "connections":
		rep.Result, err = bench.Connections(ctx, t, bench.ConnectionsConfig{Conns: f.Conns, LocalGC: inProc})
	default:
		fmt.Fprintf(os.Stderr, "netra bench: unknown scenario %q\n\n%s", scenario, benchUsage)
		return exitCode(2)
	}
	rep.CPU = cpu.stop(ctx, runs)
	if encErr := writeIndented(os.Stdout, rep); encErr != nil {
		return encErr
	}
	if err != nil {
		return fmt.Errorf("bench %s: %w", scenario, err)
	}
	return nil
}

// startLocal starts a node in this process for bench and eval: a temporary data directory, a
// random secret, a free loopback port and no logs, on top of cfg. cleanup stops the node (Stop
// is idempotent) and removes the directory.
func startLocal(ctx context.Context, cfg node.Config) (n *node.Node, secret []byte, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "netra-local-")
	if err != nil {
		return nil, nil, nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret = []byte(hex.EncodeToString(raw))
	cfg.Addr, cfg.DataDir, cfg.JWTSecret = "127.0.0.1:0", dir, string(secret)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if n, err = node.New(ctx, cfg); err == nil {
		if err = n.Start(ctx); err == nil {
			return n, secret, func() { _ = n.Stop(context.Background()); _ = os.RemoveAll(dir) }, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, nil, nil, err
}

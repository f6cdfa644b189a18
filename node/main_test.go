package node_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMain fails the package when any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	code := m.Run()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const secret = "test-secret-test-secret-test-secret-0123"

type harness struct {
	t   *testing.T
	n   *node.Node
	url string
	dir string
}

// start runs a node on a loopback port with its own data directory; it stops with the test
// and then checks that no isolation violation was counted, up to the last event written
// while it stopped, and that every audit chain verifies.
func start(t *testing.T, mutate func(*node.Config)) *harness {
	t.Helper()
	// Tests poll and flood on purpose; the limits have tests of their own (TestRateLimits).
	unlimited := ratelimit.Limit{RequestsPerSec: 1e6, RequestBurst: 1e6, FramesPerSec: 1e6, FrameBurst: 1e6, Connections: 1e6}
	cfg := node.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JWTSecret: secret,
		Logger: testLogger(t), ShutdownGrace: 2 * time.Second,
		RateLimits: map[netra.Tier]ratelimit.Limit{netra.TierFree: unlimited, netra.TierEarly: unlimited, netra.TierMid: unlimited, netra.TierEnterprise: unlimited}}
	if mutate != nil {
		mutate(&cfg)
	}
	ctx := context.Background()
	n, err := node.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, n: n, url: n.URL(), dir: cfg.DataDir}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := n.Stop(stopCtx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		// Read after Stop, so that the events written while the node stops are counted too.
		if v := testutil.ToFloat64(n.Metrics().IsolationViolations); v != 0 {
			t.Errorf("netra_isolation_violations_total = %v", v)
		}
		verifyAudit(t, cfg)
	})
	return h
}

func (h *harness) token(user string, tier netra.Tier) string {
	h.t.Helper()
	tok, err := auth.Sign([]byte(secret), netra.Identity{UserID: user, Tier: tier, Role: netra.RoleUser}, time.Hour, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *harness) client(user string) *client.Client {
	return client.New(h.url, h.token(user, netra.TierFree))
}

func (h *harness) connect(c *client.Client, opts client.ConnOptions) *client.Conn {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := c.Connect(ctx, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// demoData gives the user of tok a demo dataset of days days (the mixed preset) to ask about.
func (h *harness) demoData(tok string, days, seed int) {
	h.t.Helper()
	body := fmt.Sprintf(`{"preset":"mixed","days":%d,"seed":%d}`, days, seed)
	if status, resp, _ := rawHTTP(h.t, "POST", h.url+"/v1/workloads/synthetic", tok, body, map[string]string{"Content-Type": "application/json"}); status != 201 {
		h.t.Fatalf("synthetic: %d %v", status, resp)
	}
}

// waitIdle waits until no run executes and every per-run object has been released.
func (h *harness) waitIdle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := h.n.Gauges()
		if h.n.Running() == 0 && g.Engines == 0 && g.Dispatchers == 0 && g.Emitters == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("not idle: running %d, gauges %+v", h.n.Running(), g)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// collect reads events from conn until want terminal events of the given runs have arrived.
func collect(t *testing.T, conn *client.Conn, timeout time.Duration, done func([]client.Event) bool) []client.Event {
	t.Helper()
	var got []client.Event
	deadline := time.After(timeout)
	for !done(got) {
		select {
		case ev, ok := <-conn.Events():
			if !ok {
				t.Fatalf("connection ended: %v (after %d events)", conn.Err(), len(got))
			}
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("timed out after %d events", len(got))
		}
	}
	return got
}

func terminalsFor(runs map[string]bool) func([]client.Event) bool {
	return func(evs []client.Event) bool {
		n := 0
		for _, e := range evs {
			if e.Terminal() && runs[e.RunID] {
				n++
			}
		}
		return n >= len(runs)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger sends a node's warnings and errors to the test's log, which go test shows only
// when the test fails.
// testLogger logs warnings and errors to the test's log; NETRA_TEST_LOG=info (or debug) says
// more, for a test being debugged.
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	_ = level.UnmarshalText([]byte(os.Getenv("NETRA_TEST_LOG")))
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

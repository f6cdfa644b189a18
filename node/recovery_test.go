package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/engine"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite"
)

// TestRecoveryAfterCrash writes what a crashed process leaves behind (one run running, two
// queued) and starts a node on it: the running run fails with interrupted, the queued ones
// run in their original order. Nothing is lost, nothing stays stuck.
func TestRecoveryAfterCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, dir+"/netra.db")
	if err != nil {
		t.Fatal(err)
	}
	id := netra.Identity{UserID: "rita", Tier: netra.TierFree, Role: netra.RoleUser}
	frame := func(r netra.Run, seq int64, typ netra.EventType) *netra.Event {
		return &netra.Event{Owner: r.Owner, RunID: r.ID, ThreadID: r.ThreadID, Seq: seq, Type: typ,
			Frame: []byte(fmt.Sprintf(`{"type":%q,"run_id":%q,"thread_id":%q,"seq":%d,"ts":"2026-11-22T08:00:00Z","data":{}}`, typ, r.ID, r.ThreadID, seq))}
	}
	var runs []netra.Run
	for i := 0; i < 3; i++ {
		r, err := st.CreateRun(ctx, store.NewRun{ID: netra.NewID("run_"), Identity: id, Agent: "echo", Input: fmt.Sprint("in", i),
			CreatedAt: time.Now().UTC().Add(time.Duration(i) * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		recs := []store.Record{{Event: frame(r, 1, netra.EventRunQueued)}}
		if i == 0 {
			recs = append(recs, store.Record{Event: frame(r, 2, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: time.Now().UTC()}})
		}
		if err := st.Append(ctx, recs); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	_ = st.Close()

	h := start(t, func(c *node.Config) { c.DataDir = dir })
	c := h.client("rita")
	crashed := waitRun(t, c, runs[0].ID)
	if crashed.Status != "failed" || crashed.Error == nil || crashed.Error.Code != "interrupted" {
		t.Fatalf("crashed run: %+v", crashed)
	}
	evs, _ := c.Events(ctxT(t), runs[0].ID, 0)
	if len(evs) != 3 || evs[2].Type != "run_failed" || evs[2].Seq != 3 {
		t.Fatalf("crashed run events: %+v", evs)
	}
	var startedAt []time.Time
	for _, r := range runs[1:] {
		got := waitRun(t, c, r.ID)
		if got.Status != "completed" {
			t.Fatalf("queued run %s ended %s", r.ID, got.Status)
		}
		startedAt = append(startedAt, *got.StartedAt)
		evs, _ := c.Events(ctxT(t), r.ID, 0)
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("recovered run events not contiguous: %+v", evs)
			}
		}
	}
	if !startedAt[0].Before(startedAt[1]) {
		t.Fatalf("recovered runs started out of order: %v", startedAt)
	}
	h.waitIdle()
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	// Timeouts must nest: tool < agent < run, or the node does not start.
	_, err := node.New(context.Background(), node.Config{DataDir: t.TempDir(), JWTSecret: secret,
		Timeouts: map[netra.Tier]engine.Timeouts{netra.TierFree: {Run: time.Minute, Agent: time.Second, Tool: 2 * time.Second}}})
	if err == nil || !strings.Contains(err.Error(), "nest") {
		t.Fatalf("non-nesting timeouts: %v", err)
	}
	h := start(t, func(c *node.Config) {
		c.Timeouts = map[netra.Tier]engine.Timeouts{netra.TierFree: {Run: 2 * time.Second, Agent: time.Second, Tool: 150 * time.Millisecond}}
	})
	c := h.client("sam")
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "x", Agent: "echo", Params: map[string]any{"delay_ms": 5000}})
	if err != nil {
		t.Fatal(err)
	}
	got := waitRun(t, c, run.ID)
	if got.Status != "failed" || got.Error == nil || got.Error.Code != "timeout" {
		t.Fatalf("run = %+v", got)
	}
	if d := got.EndedAt.Sub(*got.StartedAt); d > time.Second {
		t.Fatalf("the tier's 150 ms tool timeout took %v", d)
	}
	// Another tier keeps the defaults.
	mid := client.New(h.url, h.token("sam", netra.TierMid))
	run, _ = mid.StartRun(ctxT(t), client.StartRun{Input: "x", Agent: "echo", Params: map[string]any{"delay_ms": 300}})
	if got := waitRun(t, mid, run.ID); got.Status != "completed" {
		t.Fatalf("mid tier run %s", got.Status)
	}
	h.waitIdle()
}

func TestOutputIsRedacted(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := h.client("tess")
	key := "sk-ant-" + strings.Repeat("a", 30)
	run := finishedRun(t, c, "my key is "+key+" and Bearer abcdefghijklmnop")
	if strings.Contains(string(run.Output), key) || strings.Contains(string(run.Output), "abcdefghijklmnop") {
		t.Fatalf("output not redacted: %s", run.Output)
	}
	evs, _ := c.Events(ctxT(t), run.ID, 0)
	for _, e := range evs {
		if strings.Contains(string(e.Data), key) {
			t.Fatalf("%s leaked the key: %s", e.Type, e.Data)
		}
	}
	msgs, _ := c.Messages(ctxT(t), run.ThreadID)
	if len(msgs) != 2 || strings.Contains(msgs[1].Content, key) || !strings.Contains(msgs[1].Content, "[REDACTED]") {
		t.Fatalf("assistant message %+v", msgs)
	}
}

// chatty emits many large thinking events quickly, to overrun a connection that does not read.
type chatty struct{}

func (chatty) Run(ctx context.Context, rt *agent.Runtime, in agent.Input) (agent.Result, error) {
	text := strings.Repeat("z", 16<<10)
	for i := 0; i < 600; i++ {
		if err := rt.Think(ctx, text); err != nil {
			return agent.Result{}, err
		}
	}
	return agent.Result{Output: "done"}, nil
}

// TestSlowConsumerIsClosedWith1013AndResumes: a connection that does not read is closed with
// 1013 without slowing the run, and a new connection resumes the rest; on the wire it receives
// no (run, seq) twice, also when it resumes once more from the same point.
// Shown to catch: the server's per-connection (run, seq) de-duplication removed.
func TestSlowConsumerIsClosedWith1013AndResumes(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) {
		c.SendQueue = 16
		c.Agents = append(c.Agents, agent.Spec{Name: "chatty", Entry: true, New: func() agent.Agent { return chatty{} }})
	})
	tok := h.token("uma", netra.TierFree)
	slow := dialRaw(t, h, tok)
	c := client.New(h.url, tok)
	// Started over HTTP: a start_run on the slow connection itself could be dropped before its
	// run_accepted reply (the flood can fill a 16-frame queue first), leaving no run id.
	started, err := c.StartRun(ctxT(t), client.StartRun{Input: "talk", Agent: "chatty"})
	if err != nil {
		t.Fatal(err)
	}
	runID := started.ID
	// Do not read until the server has given up on this connection.
	deadline := time.Now().Add(20 * time.Second)
	for readMetric(h) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow connection was never closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var lastSeq int64
	st := closeStatusAfter(t, slow.ws, &lastSeq)
	if st != websocket.StatusTryAgainLater {
		t.Fatalf("closed with %d, want 1013", st)
	}
	// The run itself was not slowed down or harmed; resume gets the rest.
	if r := waitRun(t, c, runID); r.Status != "completed" {
		t.Fatalf("run ended %s", r.Status)
	}
	// The run's last events may still be being published when we connect; with a 16-frame
	// queue the new connection can itself be dropped as too slow (1013). A client then
	// reconnects and resumes, and so does this test.
	var conn *client.Conn
	wire := newWireCounter(t)
	for attempt := 0; ; attempt++ {
		conn = h.connect(c, client.ConnOptions{OnFrame: wire.observe})
		err := conn.Resume(ctxT(t), runID, lastSeq)
		if err == nil {
			break
		}
		var ae *client.APIError
		if errors.As(err, &ae) || attempt == 5 {
			t.Fatalf("resume: %v", err) // an error answer, not a dropped connection, is a bug
		}
		_ = conn.Close()
		time.Sleep(100 * time.Millisecond)
	}
	evs := collect(t, conn, 20*time.Second, terminalsFor(map[string]bool{runID: true}))
	if evs[0].Seq != lastSeq+1 || evs[len(evs)-1].Seq != 605 {
		t.Fatalf("resumed %d..%d after %d", evs[0].Seq, evs[len(evs)-1].Seq, lastSeq)
	}
	// Once more from the same point: the server has sent all of it on this connection already.
	if err := conn.Resume(ctxT(t), runID, lastSeq); err != nil {
		t.Fatal(err)
	}
}

// TestNeverReadingClientIsCutWithinASecond: a client that never reads fills its socket's
// buffers, then its queue; from the overflow the server takes under a second to close the
// connection and let go of it (the connection gauge drops), instead of waiting out the 10 s
// write timeout on a frame the client will never take.
// Shown to catch: a blocked frame write that only the write timeout ends.
func TestNeverReadingClientIsCutWithinASecond(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) {
		c.SendQueue = 16
		c.Agents = append(c.Agents, agent.Spec{Name: "chatty", Entry: true, New: func() agent.Agent { return chatty{} }})
	})
	tok := h.token("nora", netra.TierFree)
	deaf := dialRaw(t, h, tok) // never read
	if _, err := client.New(h.url, tok).StartRun(ctxT(t), client.StartRun{Input: "talk", Agent: "chatty"}); err != nil {
		t.Fatal(err)
	}
	gauge := func() float64 { return testutil.ToFloat64(h.n.Metrics().Connections) }
	deadline := time.Now().Add(20 * time.Second)
	for readMetric(h) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the queue never overflowed")
		}
		time.Sleep(time.Millisecond)
	}
	overflow := time.Now()
	for gauge() != 0 {
		if time.Since(overflow) > 5*time.Second {
			t.Fatalf("the connection is still held %v after its queue overflowed", time.Since(overflow))
		}
		time.Sleep(time.Millisecond)
	}
	if d := time.Since(overflow); d > time.Second {
		t.Fatalf("the connection was let go %v after its queue overflowed, want under 1 s", d)
	} else {
		t.Logf("let go %v after the overflow", d)
	}
	_ = deaf.ws.CloseNow()
}

func readMetric(h *harness) float64 {
	var v float64
	mfs, _ := h.n.Metrics().Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "netra_ws_slow_disconnects_total" {
			v = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return v
}

// closeStatusAfter reads until the close, noting the highest contiguous seq received.
func closeStatusAfter(t *testing.T, ws *websocket.Conn, last *int64) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
		var ev struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(data, &ev) == nil && ev.Seq == *last+1 {
			*last = ev.Seq
		}
	}
}

// stubborn ignores cancellation for a long time.
type stubborn struct{}

func (stubborn) Run(ctx context.Context, rt *agent.Runtime, _ agent.Input) (agent.Result, error) {
	time.Sleep(3 * time.Second)
	_ = rt.Think(ctx, "too late") // refused: the run has ended
	return agent.Result{Output: "late"}, nil
}

func TestStuckAgentDoesNotKeepItsRun(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) {
		c.Agents = append(c.Agents, agent.Spec{Name: "stubborn", Entry: true, New: func() agent.Agent { return stubborn{} }})
	})
	c := h.client("vera")
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "x", Agent: "stubborn"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if _, err := c.CancelRun(ctxT(t), run.ID); err != nil {
		t.Fatal(err)
	}
	if r := waitRun(t, c, run.ID); r.Status != "cancelled" {
		t.Fatalf("run ended %s", r.Status)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("terminal event took %v after cancel", d)
	}
	// The slot is free again: the user's next run starts and completes.
	if r := finishedRun(t, c, "next"); r.Status != "completed" {
		t.Fatalf("next run %s", r.Status)
	}
	evs, _ := c.Events(ctxT(t), run.ID, 0)
	if last := evs[len(evs)-1]; last.Type != "run_cancelled" {
		t.Fatalf("last event %s", last.Type)
	}
	time.Sleep(3 * time.Second) // let the abandoned agent wake up: its late event must be refused
	evs2, _ := c.Events(ctxT(t), run.ID, 0)
	if len(evs2) != len(evs) {
		t.Fatalf("events after the terminal one: %d then %d", len(evs), len(evs2))
	}
}

// TestRestartKeepsQueuedRunsAndSlotsExact stops a node while runs wait in its queue and starts
// a new one on the same data: no queued run starts between the stop and the restart; after it,
// each starts there, in its order, one at a time, with the user's usage exact throughout and
// back to zero at the end.
//
// Shown to catch: recovery that does not queue the stored queued runs again (they never run),
// and a stop that keeps starting queued runs while it waits for the running ones (they would
// all finish before the second node exists, and this test would prove nothing).
func TestRestartKeepsQueuedRunsAndSlotsExact(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := func(c *node.Config) { c.DataDir = dir; c.MaxRunning = 1; c.ShutdownGrace = 3 * time.Second }
	first := start(t, cfg)
	c := client.New(first.url, first.token("yuri", netra.TierEnterprise))
	var ids []string
	for i := 0; i < 5; i++ {
		r, err := c.StartRun(ctxT(t), client.StartRun{Input: fmt.Sprint("job ", i), Agent: "echo", Params: map[string]any{"delay_ms": jobDelay(i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	waitStatus(t, c, ids[0], "running")
	// Stop while one runs (it finishes within the grace) and four wait: they must stay queued.
	if err := first.n.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now().UTC()
	second := start(t, cfg)
	c = client.New(second.url, second.token("yuri", netra.TierEnterprise))
	if r := waitRun(t, c, ids[0]); r.Status != "completed" || r.EndedAt.After(stopped) {
		t.Fatalf("the running run: %+v (stopped at %v)", r, stopped)
	}
	var me struct {
		Usage struct{ Running, Queued int } `json:"usage"`
	}
	if err := c.Do(ctxT(t), "GET", "/v1/me", nil, &me); err != nil || me.Usage.Running+me.Usage.Queued != 4 || me.Usage.Running > 1 {
		t.Fatalf("usage right after the restart: %+v %v (want the 4 queued runs, at most 1 running)", me.Usage, err)
	}
	// One slot: never more than one run at once while they drain.
	done := make(chan struct{})
	maxRunning := make(chan int, 1)
	go func() {
		most := 0
		for {
			select {
			case <-done:
				maxRunning <- most
				return
			default:
			}
			most = max(most, second.n.Running())
			time.Sleep(time.Millisecond)
		}
	}()
	var starts []time.Time
	for _, id := range ids[1:] {
		r := waitRun(t, c, id)
		if r.Status != "completed" || r.StartedAt == nil {
			t.Fatalf("run %s ended %s after the restart", id, r.Status)
		}
		if !r.StartedAt.After(stopped) {
			t.Fatalf("queued run %s started at %v, before the restart (stopped at %v)", id, r.StartedAt, stopped)
		}
		starts = append(starts, *r.StartedAt)
		evs, err := c.Events(ctxT(t), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		started := 0
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("run %s: events not contiguous across the restart: %+v", id, evs)
			}
			if e.Type == "run_started" {
				started++
			}
		}
		if started != 1 || evs[len(evs)-1].Type != "run_completed" {
			t.Fatalf("run %s: %d run_started, last %s", id, started, evs[len(evs)-1].Type)
		}
	}
	close(done)
	if most := <-maxRunning; most > 1 {
		t.Fatalf("%d runs executed at once with one slot", most)
	}
	for i := 1; i < len(starts); i++ {
		if starts[i].Before(starts[i-1]) {
			t.Fatalf("runs started out of order across the restart: %v", starts)
		}
		if starts[i].Sub(starts[i-1]) < 250*time.Millisecond {
			t.Fatalf("runs overlapped with one slot: %v", starts)
		}
	}
	second.waitIdle()
	if err := c.Do(ctxT(t), "GET", "/v1/me", nil, &me); err != nil || me.Usage.Running != 0 || me.Usage.Queued != 0 {
		t.Fatalf("usage after all runs: %+v %v", me.Usage, err)
	}
}

// jobDelay is the echo delay of the i-th job of the restart tests: the first runs long
// enough to be seen running on a loaded machine, and still ends within the stop's grace.
func jobDelay(i int) int {
	if i == 0 {
		return 1500
	}
	return 300
}

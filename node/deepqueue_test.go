package node_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite"
)

// seedQueued writes what a node leaves behind for queued runs: n echo runs of the given users
// (round robin, oldest first), each with its run_queued event, as a crashed or stopped node
// leaves them. It returns the runs' ids in their order of acceptance.
func seedQueued(t *testing.T, dir string, users []string, n int) []string {
	t.Helper()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(dir, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	at := time.Now().UTC().Add(-time.Hour)
	var batch []store.Record
	flush := func() {
		if err := st.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := 0; i < n; i++ {
		owner := users[i%len(users)]
		nr := store.NewRun{ID: netra.NewID("run_"), NewThreadID: netra.NewID("thr_"), Agent: "echo", Input: "deep",
			Identity:  netra.Identity{UserID: owner, Tier: netra.TierEnterprise, Role: netra.RoleUser},
			CreatedAt: at.Add(time.Duration(i) * time.Microsecond)}
		ev := &netra.Event{Owner: owner, RunID: nr.ID, ThreadID: nr.NewThreadID, Seq: 1, Type: netra.EventRunQueued,
			Frame: []byte(fmt.Sprintf(`{"type":"run_queued","run_id":%q,"thread_id":%q,"seq":1,"ts":"2026-11-30T08:00:00Z","data":{"position":%d}}`, nr.ID, nr.NewThreadID, i+1))}
		batch = append(batch, store.Record{Create: &nr}, store.Record{Event: ev})
		ids = append(ids, nr.ID)
		if len(batch) >= 4096 {
			flush()
		}
	}
	flush()
	return ids
}

// runTimes reads every run's status and start from the database file.
func runTimes(t *testing.T, dir string) map[string]struct {
	status  string
	started int64
	starts  int // run_started events
} {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "netra.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT r.id, r.status, coalesce(r.started_at, 0), (SELECT count(*) FROM events e WHERE e.run_id = r.id AND e.type = 'run_started') FROM runs r`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]struct {
		status  string
		started int64
		starts  int
	}{}
	for rows.Next() {
		var id, status string
		var started int64
		var starts int
		if err := rows.Scan(&id, &status, &started, &starts); err != nil {
			t.Fatal(err)
		}
		out[id] = struct {
			status  string
			started int64
			starts  int
		}{status, started, starts}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeepQueueShutdownAndRestart: a node holding thousands of queued runs stops within its
// grace plus 2 s and starts none of them after the signal; the next node is ready within
// 5 s, then runs every one of them, each once (one run_started) and each user's in order.
// NETRA_DEEP_QUEUE sets the number of queued runs (default 3,000, 1,000 under -race; docs/benchmarks.md has the
// 100,000 run). Not parallel: it measures time.
//
// Shown to catch: a stop that keeps starting queued runs (stop-keeps-starting), and recovery
// that does not queue them again (no-requeue).
func TestDeepQueueShutdownAndRestart(t *testing.T) {
	n := 3000
	if raceDetector {
		n = 1000 // the race detector makes every run 5-10 times dearer
	}
	if v, err := strconv.Atoi(os.Getenv("NETRA_DEEP_QUEUE")); err == nil && v > 0 {
		n = v
	}
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("deep-%02d", i)
	}
	dir := t.TempDir()
	ids := seedQueued(t, dir, users, n)
	grace := 2 * time.Second
	cfg := func(c *node.Config) { c.DataDir = dir; c.MaxRunning = 8; c.ShutdownGrace = grace }

	// A node recovers the queue and starts working through it; it is stopped soon after.
	first := start(t, cfg)
	time.Sleep(300 * time.Millisecond)
	signal := time.Now()
	if err := first.n.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(signal)
	if took > grace+2*time.Second {
		t.Fatalf("stop with %d queued runs took %v (grace %v)", n, took, grace)
	}
	before := runTimes(t, dir)
	startedAfter, done := 0, 0
	// A run picked a moment before the stop stamps its start on its own goroutine, which may
	// come a little after: 100 ms of slack (a stop that keeps starting runs starts hundreds).
	for _, r := range before {
		if r.started > signal.Add(100*time.Millisecond).UnixNano() {
			startedAfter++
		}
		if r.status == "completed" || r.status == "failed" {
			done++
		}
	}
	if startedAfter > 0 {
		t.Fatalf("%d queued runs started more than 100 ms after the stop began", startedAfter)
	}
	t.Logf("stopped in %v with %d of %d runs done", took.Round(time.Millisecond), done, n)

	// The next node is ready quickly, then runs all the rest.
	t0 := time.Now()
	second := start(t, cfg)
	for {
		resp, err := http.Get(second.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 5*time.Second {
			t.Fatalf("not ready 5 s after the start with %d queued runs", n-done)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ready := time.Since(t0)
	deadline := time.Now().Add(5 * time.Minute)
	for second.n.Running() > 0 || second.n.Queued() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs still queued", second.n.Queued())
		}
		time.Sleep(50 * time.Millisecond)
	}
	second.waitIdle()
	after := runTimes(t, dir)
	// Nothing lost, nothing run twice: every run completed, with one run_started.
	order := map[string][]int64{}
	for i, id := range ids {
		r, ok := after[id]
		if !ok || r.status != "completed" || r.starts != 1 {
			t.Fatalf("run %d (%s): %+v", i, id, r)
		}
		owner := users[i%len(users)]
		order[owner] = append(order[owner], r.started)
	}
	// Each user's runs started in their order of acceptance. Runs that get slots in the same
	// moment stamp their start on goroutines of their own, so a few milliseconds of disorder
	// among them are not a different order.
	const slack = int64(50 * time.Millisecond)
	for u, starts := range order {
		latest := starts[0]
		for k := 1; k < len(starts); k++ {
			if starts[k] < latest-slack {
				t.Fatalf("%s's run %d started %v before an earlier run of theirs", u, k, time.Duration(latest-starts[k]))
			}
			latest = max(latest, starts[k])
		}
	}
	t.Logf("ready %v after the start with %d queued runs; all %d completed", ready.Round(time.Millisecond), n-done, n)
}

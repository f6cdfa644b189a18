package node_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/bench"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/event/eventnats/natstest"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/store/storepg/pgtest"
)

// startCluster starts n nodes on one fresh PostgreSQL schema and one NATS server, sharing a
// data directory (the audit key every node of a cluster shares), and waits for a leader.
func startCluster(t *testing.T, n int, mutate func(i int, c *node.Config)) []*harness {
	t.Helper()
	c := newCluster(t, mutate)
	hs := make([]*harness, n)
	for i := range n {
		hs[i] = c.join(i)
	}
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(hs) >= 0 })
	return hs
}

// testCluster is a cluster's database and bus, for starting its nodes.
type testCluster struct {
	t            *testing.T
	db, bus, dir string
	mutate       func(i int, c *node.Config)
}

func newCluster(t *testing.T, mutate func(i int, c *node.Config)) *testCluster {
	return &testCluster{t: t, db: pgtest.URL(t), bus: natstest.URL(t), dir: t.TempDir(), mutate: mutate}
}

// join starts node i ("n<i>") of the cluster.
func (tc *testCluster) join(i int) *harness {
	return start(tc.t, func(c *node.Config) {
		c.DatabaseURL, c.NATSURL, c.DataDir, c.NodeID = tc.db, tc.bus, tc.dir, fmt.Sprintf("n%d", i)
		if tc.mutate != nil {
			tc.mutate(i, c)
		}
	})
}

// leaderOf is the index of the node that leads, or -1.
func leaderOf(hs []*harness) int {
	for i, h := range hs {
		if h.n.Leader() {
			return i
		}
	}
	return -1
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) clientAs(user string, tier netra.Tier) *client.Client {
	return client.New(h.url, h.token(user, tier))
}

// checkRunEvents checks that evs hold, for each run of runs, seqs 1..k once each, ending in
// one terminal event, and no event of any other run.
func checkRunEvents(t *testing.T, user string, evs []client.Event, runs []string) {
	t.Helper()
	seqs := map[string][]int64{}
	for _, ev := range evs {
		if !slices.Contains(runs, ev.RunID) {
			t.Fatalf("%s received an event of run %s, not theirs", user, ev.RunID)
		}
		seqs[ev.RunID] = append(seqs[ev.RunID], ev.Seq)
	}
	for _, r := range runs {
		s := seqs[r]
		slices.Sort(s)
		for i, q := range s {
			if q != int64(i+1) {
				t.Fatalf("%s's run %s: seqs %v, want 1..%d once each", user, r, s, len(s))
			}
		}
	}
}

// TestClusterAcrossNodes: 300 users, each connected to one node while their runs execute on
// another, get every event of their runs once and in full, and no one else's.
func TestClusterAcrossNodes(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 3, nil)
	const users, runsEach = 300, 2
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%03d", u)
			watch, exec := hs[u%3], hs[(u+1)%3]
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, err := watch.clientAs(name, netra.TierMid).Connect(ctx, client.ConnOptions{})
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			var runs []string
			for i := range runsEach {
				r, err := exec.clientAs(name, netra.TierMid).StartRun(ctx, client.StartRun{Input: fmt.Sprintf("%s run %d", name, i), Agent: "echo"})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
				runs = append(runs, r.ID)
			}
			var evs []client.Event
			ended := 0
			for ended < runsEach {
				select {
				case ev, ok := <-conn.Events():
					if !ok {
						errs <- fmt.Errorf("%s: connection closed", name)
						return
					}
					evs = append(evs, ev)
					if ev.Terminal() {
						ended++
					}
				case <-ctx.Done():
					errs <- fmt.Errorf("%s: %d of %d runs ended in time", name, ended, runsEach)
					return
				}
			}
			// Whatever else arrives in a moment must be nothing: no duplicate, no stranger.
			quiet := time.After(200 * time.Millisecond)
		drain:
			for {
				select {
				case ev := <-conn.Events():
					evs = append(evs, ev)
				case <-quiet:
					break drain
				}
			}
			checkRunEvents(t, name, evs, runs)
			for _, r := range runs {
				stored, err := exec.clientAs(name, netra.TierMid).Events(ctx, r, 0)
				if err != nil {
					errs <- err
					return
				}
				var live int
				for _, ev := range evs {
					if ev.RunID == r {
						live++
					}
				}
				if live != len(stored) {
					errs <- fmt.Errorf("%s's run %s: %d events live, %d stored", name, r, live, len(stored))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each user's audit trail, written by two nodes, holds every action of theirs: the chain
	// is continued from the database's head, not from what one node remembers of it.
	for u := range users {
		name := fmt.Sprintf("user%03d", u)
		waitAudit(t, hs[2], hs[2].token(name, netra.TierMid), func(es []netra.AuditEntry) bool {
			starts := 0
			for _, e := range es {
				if e.Action == netra.AuditRunStart {
					starts++
				}
			}
			return starts == runsEach && find(es, netra.AuditConnect, "") != nil && find(es, netra.AuditDisconnect, "") != nil
		})
	}
}

// TestClusterLimits: a user's limits are the service's. A free user (one run at a time)
// starting runs on three nodes never has two running; its queue bound counts every node's,
// and so does its cap on connections.
func TestClusterLimits(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 3, func(i int, c *node.Config) {
		free := c.RateLimits[netra.TierFree]
		free.Connections = 3
		c.RateLimits = map[netra.Tier]ratelimit.Limit{netra.TierFree: free, netra.TierEnterprise: c.RateLimits[netra.TierEnterprise], netra.TierMid: c.RateLimits[netra.TierMid]}
	})
	var open []*client.Conn
	for i := range 3 {
		c, err := hs[i].clientAs("cora", netra.TierFree).Connect(ctxT(t), client.ConnOptions{})
		if err != nil {
			t.Fatalf("connection %d of 3: %v", i+1, err)
		}
		open = append(open, c)
	}
	if c, err := hs[0].clientAs("cora", netra.TierFree).Connect(ctxT(t), client.ConnOptions{}); err == nil {
		_ = c.Close()
		t.Fatal("a free user opened a 4th connection across the nodes (cap 3)")
	}
	_ = open[2].Close()
	waitFor(t, 5*time.Second, "room for a connection after one closed", func() bool {
		c, err := hs[1].clientAs("cora", netra.TierFree).Connect(ctxT(t), client.ConnOptions{})
		if err == nil {
			open[2] = c
		}
		return err == nil
	})
	for _, c := range open {
		_ = c.Close()
	}

	// The first run holds the free user's one running place while ten more fill its queue
	// (10 waiting at most), from all three nodes; the one after is refused.
	var ids []string
	for i := range 11 {
		delay := 100
		if i == 0 {
			delay = 3000
		}
		r, err := hs[i%3].clientAs("frida", netra.TierFree).StartRun(ctxT(t), client.StartRun{Input: fmt.Sprintf("limit %d", i), Agent: "echo",
			Params: map[string]any{"delay_ms": delay}})
		if err != nil {
			t.Fatalf("run %d of 1 running and 10 waiting: %v", i+1, err)
		}
		ids = append(ids, r.ID)
	}
	_, err := hs[2].clientAs("frida", netra.TierFree).StartRun(ctxT(t), client.StartRun{Input: "over", Agent: "echo"})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != string(netra.CodeQueueFull) {
		t.Fatalf("the 11th waiting run: %v, want queue_full across the service", err)
	}
	type span struct{ from, to time.Time }
	var spans []span
	for _, id := range ids {
		var r client.Run
		waitFor(t, 20*time.Second, "run "+id+" to end", func() bool {
			r, err = hs[0].clientAs("frida", netra.TierFree).GetRun(ctxT(t), id)
			return err == nil && r.EndedAt != nil
		})
		if r.Status != "completed" || r.StartedAt == nil {
			t.Fatalf("run %s: %s", id, r.Status)
		}
		spans = append(spans, span{*r.StartedAt, *r.EndedAt})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Fatalf("two runs of a free user ran at once: %v and %v", spans[i-1], spans[i])
		}
	}
}

// TestClusterTicketsAndSwitches: a ticket issued by one node opens a connection on another,
// once; so does a sign-in link; a sign-out on one node holds on all of them within a second;
// a kill switch thrown on one node stops new runs on all of them.
func TestClusterTicketsAndSwitches(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 3, nil)
	tok := hs[0].token("tess", netra.TierFree)
	var tk struct {
		Ticket string `json:"ticket"`
	}
	if err := client.New(hs[0].url, tok).Do(ctxT(t), "POST", "/v1/ws-tickets", nil, &tk); err != nil {
		t.Fatal(err)
	}
	ws := func(h *harness) error {
		conn, _, err := websocket.Dial(ctxT(t), "ws"+strings.TrimPrefix(h.url, "http")+"/v1/ws?ticket="+tk.Ticket, nil)
		if err == nil {
			_ = conn.CloseNow()
		}
		return err
	}
	if err := ws(hs[1]); err != nil {
		t.Fatalf("node 1 refused node 0's ticket: %v", err)
	}
	if err := ws(hs[2]); err == nil {
		t.Fatal("node 2 accepted a ticket node 1 had redeemed")
	}

	// A sign-in link works once, on whichever node; a sign-out holds on every node.
	link, err := hs[0].n.LoginLink(netra.Identity{UserID: "tess", Tier: netra.TierFree, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	code := link[strings.Index(link, "#code=")+len("#code="):]
	var sess struct {
		Token string `json:"token"`
	}
	if err := client.New(hs[1].url, "").Do(ctxT(t), "POST", "/v1/auth/login", map[string]string{"code": code}, &sess); err != nil {
		t.Fatalf("node 1 refused node 0's sign-in link: %v", err)
	}
	if err := client.New(hs[2].url, "").Do(ctxT(t), "POST", "/v1/auth/login", map[string]string{"code": code}, nil); err == nil {
		t.Fatal("node 2 accepted a sign-in link node 1 had redeemed")
	}
	if err := client.New(hs[2].url, sess.Token).Do(ctxT(t), "GET", "/v1/me", nil, nil); err != nil {
		t.Fatalf("the session does not work on node 2: %v", err)
	}
	if err := client.New(hs[1].url, sess.Token).Do(ctxT(t), "POST", "/v1/auth/logout", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "node 2 to refuse the signed-out session", func() bool {
		return client.New(hs[2].url, sess.Token).Do(ctxT(t), "GET", "/v1/me", nil, nil) != nil
	})

	admin := client.New(hs[0].url, adminToken(t))
	// Any node lists every node of the service, and one leader.
	var nodes struct {
		Nodes []struct {
			ID     string `json:"id"`
			Leader bool   `json:"leader"`
			Slots  int    `json:"slots"`
		} `json:"nodes"`
	}
	if err := client.New(hs[2].url, adminToken(t)).Do(ctxT(t), "GET", "/v1/admin/nodes", nil, &nodes); err != nil {
		t.Fatal(err)
	}
	leaders := 0
	for _, n := range nodes.Nodes {
		if n.Leader {
			leaders++
		}
	}
	if len(nodes.Nodes) != 3 || leaders != 1 || nodes.Nodes[0].Slots != 64 {
		t.Fatalf("nodes %+v: want 3, one of them leading", nodes.Nodes)
	}
	if err := admin.Do(ctxT(t), "POST", "/v1/admin/switches", map[string]any{"kind": "agent", "name": "echo", "mode": "cancel", "reason": "test"}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // every node reads the switches each second
	for i, h := range hs {
		r, err := h.clientAs("tess", netra.TierFree).StartRun(ctxT(t), client.StartRun{Input: "switched off", Agent: "echo"})
		if err != nil {
			continue // refused at once: stopped as well
		}
		waitFor(t, 10*time.Second, "the run to end", func() bool {
			r, err = h.clientAs("tess", netra.TierFree).GetRun(ctxT(t), r.ID)
			return err == nil && r.EndedAt != nil
		})
		if r.Status == "completed" {
			t.Fatalf("node %d ran echo after node 0 switched it off", i)
		}
	}
}

// TestClusterFailover: a node killed mid-run (as by kill -9) has each of its running runs
// ended by another within 15 s, with exactly one terminal event (run_failed, interrupted)
// continuing the run's seq, and its queued runs complete on the others. Then the leader is
// killed, and the service goes on under a new one.
func TestClusterFailover(t *testing.T) {
	t.Parallel()
	tc := newCluster(t, func(i int, c *node.Config) { c.MaxRunning = 2 })
	hs := []*harness{tc.join(0), tc.join(1), tc.join(2)}
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(hs) >= 0 })
	victim := (leaderOf(hs) + 1) % 3
	watch := hs[(victim+1)%3]
	var ended sync.Map // run → its terminal events, seen live on a node that stays
	type user struct {
		name string
		conn *client.Conn
		runs []string
	}
	var us []*user
	for u := range 4 {
		name := fmt.Sprintf("vic%d", u)
		conn := watch.connect(watch.clientAs(name, netra.TierEnterprise), client.ConnOptions{})
		us = append(us, &user{name: name, conn: conn})
	}
	// 2 slots on the victim: 2 long runs execute there, then 6 short ones wait there.
	for i := range 8 {
		if i == 2 {
			waitFor(t, 10*time.Second, "two runs executing on the victim", func() bool { return hs[victim].n.Running() == 2 })
		}
		u := us[i%4]
		delay := 100
		if i < 2 {
			delay = 30000
		}
		r, err := hs[victim].clientAs(u.name, netra.TierEnterprise).StartRun(ctxT(t), client.StartRun{Input: fmt.Sprintf("failover %d", i), Agent: "echo",
			Params: map[string]any{"delay_ms": delay}})
		if err != nil {
			t.Fatal(err)
		}
		u.runs = append(u.runs, r.ID)
	}
	running := []string{us[0].runs[0], us[1].runs[0]}
	for i, id := range running {
		r, err := watch.clientAs(us[i].name, netra.TierEnterprise).GetRun(ctxT(t), id)
		if err != nil || r.Status != "running" {
			t.Fatalf("run %s: %v %v, want running on the victim", id, r.Status, err)
		}
	}
	crashed := time.Now()
	hs[victim].n.Crash()
	// Restarted at once under its name, as a supervisor would: a new member, while the old
	// one's runs are still the old one's to lose.
	hs[victim] = tc.join(victim)

	var wg sync.WaitGroup
	for _, u := range us {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout := time.After(70 * time.Second)
			n := 0
			for n < len(u.runs) {
				select {
				case ev := <-u.conn.Events():
					if ev.Terminal() {
						v, _ := ended.LoadOrStore(ev.RunID, &[]client.Event{})
						*v.(*[]client.Event) = append(*v.(*[]client.Event), ev)
						n++
					}
				case <-timeout:
					return
				}
			}
		}()
	}
	// The running ones end within 15 s.
	for _, id := range running {
		waitFor(t, 15*time.Second-time.Since(crashed), "terminal event of "+id, func() bool { _, ok := ended.Load(id); return ok })
	}
	t.Logf("the dead node's running runs ended %s after the crash", time.Since(crashed).Round(time.Millisecond))
	wg.Wait()
	for _, u := range us {
		for _, id := range u.runs {
			v, ok := ended.Load(id)
			if !ok {
				t.Fatalf("run %s never ended", id)
			}
			evs := *v.(*[]client.Event)
			if len(evs) != 1 {
				t.Fatalf("run %s: %d terminal events", id, len(evs))
			}
			stored, err := watch.clientAs(u.name, netra.TierEnterprise).Events(ctxT(t), id, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i, ev := range stored {
				if ev.Seq != int64(i+1) || (ev.Terminal() != (i == len(stored)-1)) {
					t.Fatalf("run %s stored events %v", id, stored)
				}
			}
			want := "run_completed"
			if slices.Contains(running, id) {
				want = "run_failed"
			}
			if evs[0].Type != want || want == "run_failed" && !jsonHas(evs[0].Data, `"code":"interrupted"`) {
				t.Fatalf("run %s ended %s %s, want %s", id, evs[0].Type, evs[0].Data, want)
			}
		}
	}

	// Now the leader dies with a run of its own executing. A survivor leads, ends that run,
	// and the service takes new ones.
	lead := leaderOf(hs)
	u := us[0]
	r, err := hs[lead].clientAs(u.name, netra.TierEnterprise).StartRun(ctxT(t), client.StartRun{Input: "on the leader", Agent: "echo",
		Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute on the leader", func() bool { return hs[lead].n.Running() == 1 })
	crashed = time.Now()
	hs[lead].n.Crash()
	var last client.Event
	for last.RunID != r.ID || !last.Terminal() {
		select {
		case last = <-u.conn.Events():
		case <-time.After(15*time.Second - time.Since(crashed)):
			t.Fatal("the dead leader's run did not end within 15 s")
		}
	}
	if last.Type != "run_failed" || !jsonHas(last.Data, `"code":"interrupted"`) {
		t.Fatalf("the dead leader's run ended %s %s", last.Type, last.Data)
	}
	t.Logf("the dead leader's running run ended %s after the crash", time.Since(crashed).Round(time.Millisecond))
	alive := slices.Delete(slices.Clone(hs), lead, lead+1)
	waitFor(t, 5*time.Second, "a survivor to lead", func() bool { return leaderOf(alive) >= 0 })
	after, err := watch.clientAs(u.name, netra.TierEnterprise).StartRun(ctxT(t), client.StartRun{Input: "after", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a run under the new leader", func() bool {
		got, err := watch.clientAs(u.name, netra.TierEnterprise).GetRun(ctxT(t), after.ID)
		return err == nil && got.Status == "completed"
	})
}

func jsonHas(raw []byte, s string) bool { return strings.Contains(string(raw), s) }

// TestClusterFencing: a node that stalls past its lease loses its runs to the leader, which
// ends them; when it comes back, it writes and sends nothing more for them.
func TestClusterFencing(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	stalled, other := hs[1-leaderOf(hs)], hs[leaderOf(hs)]
	conn := other.connect(other.clientAs("fenn", netra.TierMid), client.ConnOptions{})
	// The run's tool returns 9 s in: after the leader has ended the run (the beat is stale
	// at 5 s, found so within a second), before the node beats again and finds out (12 s).
	// What it sends then is refused by the database: the node's row is gone.
	r, err := stalled.clientAs("fenn", netra.TierMid).StartRun(ctxT(t), client.StartRun{Input: "stall", Agent: "echo", Params: map[string]any{"delay_ms": 9000}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute", func() bool { return stalled.n.Running() == 1 })
	stalled.n.PauseHeartbeat(12 * time.Second)
	var evs []client.Event
	deadline := time.After(14 * time.Second) // past the tool's return and the node's next beat
collect:
	for {
		select {
		case ev := <-conn.Events():
			evs = append(evs, ev)
		case <-deadline:
			break collect
		}
	}
	checkRunEvents(t, "fenn", evs, []string{r.ID})
	if len(evs) == 0 || evs[len(evs)-1].Type != "run_failed" || !jsonHas(evs[len(evs)-1].Data, `"code":"interrupted"`) {
		t.Fatalf("events %v, want them to end with run_failed interrupted and nothing after", evs)
	}
	stored, err := other.clientAs("fenn", netra.TierMid).Events(ctxT(t), r.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(evs) || !stored[len(stored)-1].Terminal() {
		t.Fatalf("stored %d events, ending %s; %d live", len(stored), stored[len(stored)-1].Type, len(evs))
	}
	if stalled.n.Running() != 0 {
		t.Fatalf("the fenced node still executes %d runs", stalled.n.Running())
	}
}

// TestClusterNewcomerBound: the service's fair order holds across nodes, with the one-round
// bound for newcomers. A heavy user floods one node with a deep queue while the other nodes'
// slots are free; a newcomer whose runs execute on the flooded node, connected to another,
// starts within one round of the heavy user's (its weight, 5 starts, on 2 slots), not after
// its queue (40 runs: 6 s).
func TestClusterNewcomerBound(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	hs := startCluster(t, 3, func(i int, c *node.Config) { c.MaxRunning = 2 })
	flooded := hs[(leaderOf(hs)+1)%3]
	heavy := flooded.clientAs("hugo", netra.TierEnterprise)
	for i := range 40 {
		if _, err := heavy.StartRun(ctxT(t), client.StartRun{Input: fmt.Sprintf("flood %d", i), Agent: "echo",
			Params: map[string]any{"delay_ms": delay.Milliseconds()}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "the flood to fill the node", func() bool { return flooded.n.Running() == 2 })
	// The newcomer's runs are accepted by the flooded node (so they execute there); its
	// events reach it on another node.
	watch := hs[(leaderOf(hs)+2)%3]
	conn := watch.connect(watch.clientAs("nina", netra.TierFree), client.ConnOptions{})
	for i := range 3 {
		r, err := flooded.clientAs("nina", netra.TierFree).StartRun(ctxT(t), client.StartRun{Input: fmt.Sprintf("newcomer %d", i), Agent: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		var queued, started time.Time
		for started.IsZero() {
			select {
			case ev := <-conn.Events():
				if ev.RunID != r.ID {
					t.Fatalf("nina received an event of run %s", ev.RunID)
				}
				switch ev.Type {
				case "run_queued":
					if queued.IsZero() {
						queued = ev.TS
					}
				case "run_started":
					started = ev.TS
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the newcomer's run did not start")
			}
		}
		collect(t, conn, 10*time.Second, terminalsFor(map[string]bool{r.ID: true}))
		// One round: 5 heavy starts on 2 slots, 3 runs' time, a run under way, and room for a
		// loaded machine; behind the whole flood it would be 6 s.
		if bound := 6 * delay; started.Sub(queued) > bound {
			t.Fatalf("newcomer run %d waited %s behind the flood (bound: one round, %s)", i, started.Sub(queued), bound)
		}
	}
}

// TestClusterBurst: the burst of issue "Deep queues at full speed", scaled to a test: users
// spread over three nodes each start 10 runs at once. Every run is accepted and ends, nobody
// receives another's event, and queue positions stay few (contract §3). The full 1,000 × 20
// burst is a benchmark (docs/benchmarks.md, scripts/bench-cluster).
func TestClusterBurst(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 3, func(i int, c *node.Config) { c.MaxRunning = 8 })
	target := bench.Target{URL: hs[0].url, Nodes: []string{hs[0].url, hs[1].url, hs[2].url}, Secret: []byte(secret), Prefix: "burst-"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := bench.Burst(ctx, target, bench.BurstConfig{Users: 150, RunsPerUser: 10, ClosedLoop: time.Second, DrainLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accepted != 1500 || r.Missing != 0 || r.Foreign != 0 {
		t.Fatalf("accepted %d of 1,500, %d without a terminal event, %d foreign events (refused: %v)", r.Accepted, r.Missing, r.Foreign, r.Refused)
	}
	if r.RunQueuedPerRun > 30 {
		t.Fatalf("%.1f run_queued events a run, want at most 30", r.RunQueuedPerRun)
	}
	t.Logf("accepted %.0f/s, completed %.0f/s (closed loop %.0f/s), %.2f run_queued a run", r.AcceptPS, r.MeanPS, r.ClosedLoopPS, r.RunQueuedPerRun)
}

// TestClusterStopWithoutLeader: a node stops within its grace even when no leader is left to
// hear that its runs ended (the leader died and the stopping node does not stand).
func TestClusterStopWithoutLeader(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	lead := leaderOf(hs)
	follower := hs[1-lead]
	r, err := follower.clientAs("sten", netra.TierMid).StartRun(ctxT(t), client.StartRun{Input: "long", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute", func() bool { return follower.n.Running() == 1 })
	hs[lead].n.Crash()
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := follower.n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(t0); took > 2*time.Second+5*time.Second { // the grace (2 s) and the last steps
		t.Fatalf("the node took %s to stop without a leader", took)
	}
	_ = r
}

// TestClusterStopWhileTakingTheLead: a node that took the lead from a dead leader, and is
// still rebuilding (waiting for the dead leader's row to go stale), stops within its grace:
// it steps down rather than finish the rebuild and ask itself.
func TestClusterStopWhileTakingTheLead(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	lead := leaderOf(hs)
	follower := hs[1-lead]
	if _, err := follower.clientAs("stu", netra.TierMid).StartRun(ctxT(t), client.StartRun{Input: "long", Agent: "echo", Params: map[string]any{"delay_ms": 30000}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute", func() bool { return follower.n.Running() == 1 })
	hs[lead].n.Crash()
	// It leads within a beat; its rebuild waits up to 5 s for the dead leader's row.
	waitFor(t, 3*time.Second, "the follower to take the lead", func() bool { return follower.n.Leader() })
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := follower.n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	t.Logf("stopped in %s", took)
	if took > 3500*time.Millisecond { // the grace (2 s) and the last steps; finishing the rebuild took 4 s
		t.Fatalf("the node took %s to stop while it was taking the lead", took)
	}
}

// TestClusterRefusesABadNodeID: a node id that cannot be a NATS subject token is refused at
// start-up with what to do, and the refused node leaves nothing running.
func TestClusterRefusesABadNodeID(t *testing.T) {
	t.Parallel()
	tc := newCluster(t, nil)
	_, err := node.New(context.Background(), node.Config{Addr: "127.0.0.1:0", DataDir: tc.dir, JWTSecret: secret, Logger: testLogger(t),
		DatabaseURL: tc.db, NATSURL: tc.bus, NodeID: "rack.1"})
	if err == nil || !strings.Contains(err.Error(), "letters, digits") {
		t.Fatalf("node id rack.1: %v, want a refusal that says what ids may hold", err)
	}
}

// TestClusterLeaderStalls: a leader whose own heartbeat goes stale steps down rather than
// take itself over; another node leads, ends the stalled node's run, and the stalled node,
// back, holds nothing.
func TestClusterLeaderStalls(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	lead := leaderOf(hs)
	stalled, other := hs[lead], hs[1-lead]
	conn := other.connect(other.clientAs("lena", netra.TierMid), client.ConnOptions{})
	r, err := stalled.clientAs("lena", netra.TierMid).StartRun(ctxT(t), client.StartRun{Input: "stall", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute", func() bool { return stalled.n.Running() == 1 })
	paused := time.Now()
	stalled.n.PauseHeartbeat(9 * time.Second)
	var last client.Event
	for !last.Terminal() {
		select {
		case last = <-conn.Events():
			if last.RunID != r.ID {
				t.Fatalf("lena received an event of run %s", last.RunID)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the stalled leader's run did not end")
		}
	}
	if last.Type != "run_failed" || !jsonHas(last.Data, `"code":"interrupted"`) {
		t.Fatalf("the stalled leader's run ended %s %s", last.Type, last.Data)
	}
	// Ended by the new leader while the old one still stalled, not after it came back.
	if took := time.Since(paused); took >= 9*time.Second {
		t.Fatalf("the stalled leader's run ended %s after the stall began, once it was back", took)
	}
	t.Logf("the stalled leader's run ended %s after the stall began", time.Since(paused).Round(time.Millisecond))
	if !other.n.Leader() || stalled.n.Leader() {
		t.Fatalf("leaders: the other %v, the stalled %v; want the other only", other.n.Leader(), stalled.n.Leader())
	}
	waitFor(t, 10*time.Second, "the stalled node to drop its run", func() bool { return stalled.n.Running() == 0 })
}

// TestClusterCancelAcrossNodes: a run is cancelled from any node, running or queued, wherever
// it executes, with one terminal event.
func TestClusterCancelAcrossNodes(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	exec, other := hs[0], hs[1]
	c := exec.clientAs("cass", netra.TierFree) // one running at a time: the second waits
	running, err := c.StartRun(ctxT(t), client.StartRun{Input: "long", Agent: "echo", Params: map[string]any{"delay_ms": 30000}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to execute", func() bool { return exec.n.Running() == 1 })
	queued, err := c.StartRun(ctxT(t), client.StartRun{Input: "waits", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	far := other.clientAs("cass", netra.TierFree)
	for _, id := range []string{queued.ID, running.ID} {
		if _, err := far.CancelRun(ctxT(t), id); err != nil {
			t.Fatalf("cancelling %s from the other node: %v", id, err)
		}
		waitFor(t, 10*time.Second, "run "+id+" to end", func() bool {
			r, err := far.GetRun(ctxT(t), id)
			return err == nil && r.Status == "cancelled"
		})
		evs, err := far.Events(ctxT(t), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		terminals := 0
		for _, ev := range evs {
			if ev.Terminal() {
				terminals++
			}
		}
		if terminals != 1 || evs[len(evs)-1].Type != "run_cancelled" {
			t.Fatalf("run %s: %d terminal events, the last %s", id, terminals, evs[len(evs)-1].Type)
		}
	}
	// Cancelled where it executes, not only marked so: the node runs nothing now.
	waitFor(t, 5*time.Second, "the executing node to stop the run", func() bool { return exec.n.Running() == 0 })
}

// TestClusterLostStartIsToldAgain: a start notice that never reaches its node (NATS drops
// notices while a connection is down) is told again by the leader's reconcile, so the run
// does not wait for ever holding its slot.
func TestClusterLostStartIsToldAgain(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	f := hs[1-leaderOf(hs)] // a follower: its starts come over NATS
	c := f.clientAs("lou", netra.TierFree)
	// A run that finds a slot free starts at once, without a notice (opReserve with Begin); so the run
	// under test waits behind another of its free user's, and its start comes as a notice.
	if _, err := c.StartRun(ctxT(t), client.StartRun{Input: "first", Agent: "echo", Params: map[string]any{"delay_ms": 300}}); err != nil {
		t.Fatal(err)
	}
	f.n.DropStarts(1)
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "once", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if run.QueuePosition == nil {
		t.Fatal("the run did not wait behind its user's first")
	}
	waitFor(t, 15*time.Second, "the run to complete", func() bool {
		r, err := c.GetRun(ctxT(t), run.ID)
		return err == nil && r.Status == "completed"
	})
	evs, err := c.Events(ctxT(t), run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkRunEvents(t, "lou", evs, []string{run.ID})
	var queued, started time.Time
	for _, ev := range evs {
		switch ev.Type {
		case "run_queued":
			if queued.IsZero() {
				queued = ev.TS
			}
		case "run_started":
			started = ev.TS
		}
	}
	// The first notice was dropped: the run started when the leader told it again, more
	// than the 2 s it waits for a start to be heard.
	if d := started.Sub(queued); d < 2*time.Second {
		t.Fatalf("run started %s after it was queued: the start notice was not dropped", d)
	}
}

// TestClusterRunStartsAtOnce: a run that finds a slot free on the node that accepted it starts
// there in the leader's answer (opReserve with Begin), without waiting for its acceptance's
// commit or a start notice; with the notices dropped, it still completes at once. Its events
// still follow its acceptance in the store.
func TestClusterRunStartsAtOnce(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	f := hs[1-leaderOf(hs)] // a follower: a start notice would come over NATS
	f.n.DropStarts(1)
	c := f.clientAs("ada", netra.TierFree)
	t0 := time.Now()
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "now", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if run.QueuePosition != nil || run.Status != "running" {
		t.Fatalf("accepted as %s at position %v, want running", run.Status, run.QueuePosition)
	}
	waitFor(t, 15*time.Second, "the run to complete", func() bool {
		r, err := c.GetRun(ctxT(t), run.ID)
		return err == nil && r.Status == "completed"
	})
	// A start notice dropped is told again after 2 s (TestClusterLostStartIsToldAgain).
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Fatalf("the run took %s: it waited for a start notice", d)
	}
	evs, err := c.Events(ctxT(t), run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkRunEvents(t, "ada", evs, []string{run.ID})
}

// TestClusterLostBeginAnswerFreesTheSlot: when the leader started a run at once and its answer
// was lost, the node refuses the run and never holds it; the leader's check of unheard starts
// frees what the run took, so the free user's next run is not blocked for good by a run that
// does not exist.
func TestClusterLostBeginAnswerFreesTheSlot(t *testing.T) {
	t.Parallel()
	hs := startCluster(t, 2, nil)
	f := hs[1-leaderOf(hs)]
	c := f.clientAs("lea", netra.TierFree)
	f.n.LoseBeginAnswers(1)
	var lost *client.APIError
	if _, err := c.StartRun(ctxT(t), client.StartRun{Input: "lost", Agent: "echo"}); !errors.As(err, &lost) || lost.Code != "unavailable" {
		t.Fatalf("start with its answer lost: %v, want unavailable", err)
	}
	run, err := c.StartRun(ctxT(t), client.StartRun{Input: "next", Agent: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the next run to complete", func() bool {
		r, err := c.GetRun(ctxT(t), run.ID)
		return err == nil && r.Status == "completed"
	})
	var list struct {
		Runs []client.Run `json:"runs"`
	}
	if err := c.Do(ctxT(t), "GET", "/v1/runs", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Runs) != 1 {
		t.Fatalf("lea has %d runs stored, want the one that was answered", len(list.Runs))
	}
}

// TestClusterRatesAreShared: a user whose requests a balancer spreads over three nodes gets
// about one tier's rate in all, not one on each node: the nodes tell each other their users'
// draws every beat (cluster.Rates).
func TestClusterRatesAreShared(t *testing.T) {
	t.Parallel()
	const rate, burst = 4, 4
	hs := startCluster(t, 3, func(i int, c *node.Config) {
		free := c.RateLimits[netra.TierFree]
		free.RequestsPerSec, free.RequestBurst = rate, burst
		c.RateLimits = map[netra.Tier]ratelimit.Limit{netra.TierFree: free, netra.TierEnterprise: c.RateLimits[netra.TierEnterprise], netra.TierMid: c.RateLimits[netra.TierMid]}
	})
	tok := hs[0].token("rita", netra.TierFree)
	const d = 6 * time.Second
	admitted, refused := 0, 0
	for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
		switch status, _, _ := rawHTTP(t, "GET", hs[i%3].url+"/v1/me", tok, "", nil); status {
		case 200:
			admitted++
		case 429:
			refused++
		default:
			t.Fatalf("request %d: %d", i, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Alone, each node would admit its burst and 4 a second: 3 × 28 = 84 in 6 s. Shared, the
	// service admits one rate (28), and may go over by what the nodes admit in a beat before
	// they hear of each other's draws (their bursts and a second's refill: ~24).
	perNode := burst + rate*int(d/time.Second)
	t.Logf("admitted %d, refused %d in %s over 3 nodes; one node alone admits %d", admitted, refused, d, perNode)
	if admitted > perNode+3*burst+3*rate || admitted < perNode {
		t.Fatalf("admitted %d requests in %s over 3 nodes; want about one node's %d (at most %d), not three nodes' %d",
			admitted, d, perNode, perNode+3*burst+3*rate, 3*perNode)
	}
}

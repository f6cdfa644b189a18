package node_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra/client"
)

// userWords finds the user index that every input of TestManyUsersIsolation carries.
var userWords = regexp.MustCompile(`from user (\d+)`)

// TestManyUsersIsolation is the isolation acceptance test: 200 users with two WebSocket
// connections each start echo runs at once, some over WebSocket and some over HTTP. Every
// connection must receive every event of its own user's runs in seq order, exactly one
// terminal event per run, and not one event of anybody else's run; and no event's data may
// carry another user's words: every input names its user, and the output is the run's own.
// Shown to catch: an echo agent whose output is another run's input (a value shared across
// runs): ids and seqs were all right, only the data was not.
func TestManyUsersIsolation(t *testing.T) {
	t.Parallel()
	users := 200
	if testing.Short() {
		users = 50
	}
	h := start(t, nil)
	type userState struct {
		c      *client.Client
		conns  [2]*client.Conn
		mu     sync.Mutex
		runs   map[string]bool
		inputs map[string]string // run → its input
	}
	us := make([]*userState, users)
	for i := range us {
		c := h.client(fmt.Sprintf("user-%03d", i))
		u := &userState{c: c, runs: map[string]bool{}, inputs: map[string]string{}}
		for k := range u.conns {
			u.conns[k] = h.connect(c, client.ConnOptions{})
		}
		us[i] = u
	}
	// Everybody starts at once: one run over WebSocket, and every other user one more over HTTP.
	var wg sync.WaitGroup
	errs := make(chan error, users*2)
	startGate := make(chan struct{})
	for i, u := range us {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			ctx := ctxT(t)
			in := fmt.Sprintf("hello from user %d", i)
			acc, err := u.conns[0].Start(ctx, client.StartRun{Input: in, Agent: "echo"})
			if err != nil {
				errs <- err
				return
			}
			u.mu.Lock()
			u.runs[acc.RunID], u.inputs[acc.RunID] = true, in
			u.mu.Unlock()
			if i%2 == 0 {
				in := fmt.Sprintf("http from user %d", i)
				run, err := u.c.StartRun(ctx, client.StartRun{Input: in, Agent: "echo"})
				if err != nil {
					errs <- err
					return
				}
				u.mu.Lock()
				u.runs[run.ID], u.inputs[run.ID] = true, in
				u.mu.Unlock()
			}
		}()
	}
	close(startGate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := map[string]string{} // run → user index, to name a foreign event's owner
	for i, u := range us {
		for r := range u.runs {
			all[r] = fmt.Sprint(i)
		}
	}
	var check sync.WaitGroup
	for i, u := range us {
		for k, conn := range u.conns {
			check.Add(1)
			go func() {
				defer check.Done()
				evs := collect(t, conn, 60*time.Second, terminalsFor(u.runs))
				next := map[string]int64{}
				terminals := map[string]int{}
				for _, e := range evs {
					if !u.runs[e.RunID] {
						t.Errorf("user %d conn %d got an event of run %s (user %s)", i, k, e.RunID, all[e.RunID])
						continue
					}
					if e.Seq != next[e.RunID]+1 {
						t.Errorf("user %d conn %d run %s: seq %d after %d", i, k, e.RunID, e.Seq, next[e.RunID])
					}
					next[e.RunID] = e.Seq
					if e.Terminal() {
						terminals[e.RunID]++
					}
					var data any
					if err := json.Unmarshal(e.Data, &data); err != nil {
						t.Errorf("user %d conn %d: %s data %s: %v", i, k, e.Type, e.Data, err)
						continue
					}
					for _, s := range flatten(data) {
						for _, m := range userWords.FindAllStringSubmatch(s, -1) {
							if m[1] != fmt.Sprint(i) {
								t.Errorf("user %d conn %d: %s of run %s carries user %s's words: %q", i, k, e.Type, e.RunID, m[1], s)
							}
						}
					}
					if e.Type == "run_completed" {
						var out struct {
							Output string `json:"output"`
						}
						if json.Unmarshal(e.Data, &out) != nil || out.Output != u.inputs[e.RunID] {
							t.Errorf("user %d conn %d run %s: output %s, want its input %q", i, k, e.RunID, e.Data, u.inputs[e.RunID])
						}
					}
				}
				for r := range u.runs {
					if terminals[r] != 1 {
						t.Errorf("user %d conn %d run %s: %d terminal events", i, k, r, terminals[r])
					}
					stored, err := u.c.Events(ctxT(t), r, 0)
					if err != nil {
						t.Error(err)
					} else if int64(len(stored)) != next[r] {
						t.Errorf("user %d conn %d run %s: received %d events, %d stored", i, k, r, next[r], len(stored))
					}
				}
			}()
		}
	}
	check.Wait()
	// Nothing else may arrive: give stray events a moment to show up.
	time.Sleep(100 * time.Millisecond)
	for i, u := range us {
		for k, conn := range u.conns {
			select {
			case ev := <-conn.Events():
				t.Errorf("user %d conn %d: unexpected late event %+v", i, k, ev)
			default:
			}
		}
	}
	h.waitIdle()
}

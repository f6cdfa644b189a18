package node_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// wireCounter counts the run events a client.Conn receives, frame by frame as they come off
// the wire (client.ConnOptions.OnFrame), before the client library's own de-duplication: a
// (run, seq) seen twice on one connection fails the test when it ends.
type wireCounter struct {
	mu   sync.Mutex
	seen map[string]int // "connection/run/seq" → times received
}

func newWireCounter(t *testing.T) *wireCounter {
	w := &wireCounter{seen: map[string]int{}}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for k, n := range w.seen {
			if n > 1 {
				t.Errorf("event %s received %d times on one connection", k, n)
			}
		}
	})
	return w
}

func (w *wireCounter) observe(connID string, data []byte) {
	var f struct {
		RunID string `json:"run_id"`
		Seq   *int64 `json:"seq"`
	}
	if json.Unmarshal(data, &f) != nil || f.Seq == nil {
		return
	}
	w.mu.Lock()
	w.seen[fmt.Sprintf("%s/%s/%d", connID, f.RunID, *f.Seq)]++
	w.mu.Unlock()
}

// events reports how many distinct events were received on the wire, over all connections.
func (w *wireCounter) events() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

package server

import (
	"github.com/netra-ai/netra/workload"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// uploadGate bounds the uploads in flight: per user, on the whole server, and by a memory
// budget. Each upload holds at most one chunk of records, one line (64 KiB), one CSV record
// (64 KiB) or one OTLP/JSON token (which a single attribute value can make as long as the
// document) at a time; each reserves what its kind can hold (uploadCost) from the budget, so
// the uploads in flight, whatever their bodies, stay within it.
type uploadGate struct {
	perUser, total int
	budget         int64

	mu     sync.Mutex
	n      int
	used   int64
	byUser map[string]int
}

func newUploadGate(perUser, total int, budget int64) *uploadGate {
	return &uploadGate{perUser: perUser, total: total, budget: budget, byUser: map[string]int{}}
}

// What an upload of each kind may hold in memory at once, reserved from the budget.
const (
	costRecords   = 8 << 20              // JSONL or CSV: a chunk being parsed, one being stored
	costOTLPJSON  = 2 * workload.MaxOTLP // a token as long as the document, and its string
	costTraces    = 3 * MaxTraces        // the body, decompressed, and the decoded export
	costSynthetic = 32 << 20             // a generated dataset (90 days at most)
)

// uploadRetry is what a refused upload is told to wait.
const uploadRetry = 5 * time.Second

// enter admits an upload of user's that may hold cost bytes, or refuses it with 429 and
// Retry-After; leave must follow an admission.
func (g *uploadGate) enter(user string, cost int64) (leave func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.byUser[user] >= g.perUser:
		return nil, RetryAfter(netra.Errorf(netra.CodeRateLimited, "at most %d uploads of yours at once: wait for one to end", g.perUser), uploadRetry)
	case g.n >= g.total || g.used+cost > g.budget:
		return nil, RetryAfter(netra.Errorf(netra.CodeRateLimited, "the server is taking as many uploads as it can hold: try again shortly"), uploadRetry)
	}
	g.n++
	g.used += cost
	g.byUser[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.n--
			g.used -= cost
			if g.byUser[user]--; g.byUser[user] == 0 {
				delete(g.byUser, user)
			}
		})
	}, nil
}

// yielding wraps an upload's body: before each read it lets other goroutines run. Parsing is
// CPU work in long stretches (a 31 MB OTLP span is one call of the decoder), and Go's
// scheduler preempts a busy goroutine only every 10 ms: a quiet user's request, woken several
// times on its way, would wait that long at each step behind every upload. Yielding at each
// read of the body (every few KiB) cuts that wait to microseconds, for a cost of well under 1%.
type yielding struct{ r io.Reader }

func (y yielding) Read(p []byte) (int, error) {
	runtime.Gosched()
	return y.r.Read(p)
}

package server

import (
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/netra-ai/netra"
)

// uploadGate bounds the uploads in flight, per user and on the whole server. Each upload holds
// at most one chunk of records, one line (1 MiB), one CSV record (64 KiB) or one OTLP attribute
// at a time, so these counts are the server's memory budget for uploads: about the total times
// a few megabytes, whatever the bodies hold.
type uploadGate struct {
	perUser, total int

	mu     sync.Mutex
	n      int
	byUser map[string]int
}

func newUploadGate(perUser, total int) *uploadGate {
	return &uploadGate{perUser: perUser, total: total, byUser: map[string]int{}}
}

// uploadRetry is what a refused upload is told to wait.
const uploadRetry = 5 * time.Second

// enter admits an upload of user's or refuses it with 429 and Retry-After; leave must follow
// an admission.
func (g *uploadGate) enter(user string) (leave func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.byUser[user] >= g.perUser:
		return nil, RetryAfter(netra.Errorf(netra.CodeRateLimited, "at most %d uploads of yours at once: wait for one to end", g.perUser), uploadRetry)
	case g.n >= g.total:
		return nil, RetryAfter(netra.Errorf(netra.CodeRateLimited, "the server takes %d uploads at once and is busy: try again shortly", g.total), uploadRetry)
	}
	g.n++
	g.byUser[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.n--
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

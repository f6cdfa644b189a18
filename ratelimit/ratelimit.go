// Package ratelimit keeps per-user token buckets (golang.org/x/time/rate) and per-user
// connection counts, with limits by tier. Buckets of users who have been idle long enough to
// have refilled are dropped, so memory follows the active users, not every user ever seen.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/netra-ai/netra"
)

// Limit is one tier's limits. Zero fields take the tier's default.
type Limit struct {
	RequestsPerSec float64 `json:"requests_per_sec"` // HTTP requests
	RequestBurst   int     `json:"request_burst"`
	FramesPerSec   float64 `json:"frames_per_sec"` // WebSocket frames from the client
	FrameBurst     int     `json:"frame_burst"`
	Connections    int     `json:"connections"` // WebSocket connections open at once
}

// Defaults are the tier limits when nothing is configured: generous for a person or a
// program, tight enough that one user cannot take the node's CPU from others.
func Defaults() map[netra.Tier]Limit {
	return map[netra.Tier]Limit{
		netra.TierFree:       {RequestsPerSec: 10, RequestBurst: 40, FramesPerSec: 20, FrameBurst: 60, Connections: 8},
		netra.TierEarly:      {RequestsPerSec: 20, RequestBurst: 80, FramesPerSec: 40, FrameBurst: 120, Connections: 16},
		netra.TierMid:        {RequestsPerSec: 50, RequestBurst: 200, FramesPerSec: 100, FrameBurst: 300, Connections: 32},
		netra.TierEnterprise: {RequestsPerSec: 200, RequestBurst: 800, FramesPerSec: 400, FrameBurst: 1200, Connections: 128},
	}
}

// Kind says which bucket a call draws from.
type Kind uint8

// The buckets of a user.
const (
	Requests Kind = iota
	Frames
)

// Limiter holds the buckets and connection counts of every active user. It is safe for
// concurrent use.
type Limiter struct {
	limits map[netra.Tier]Limit
	now    func() time.Time // time.Now; tests move it

	mu        sync.Mutex
	users     map[string]*user
	lastSweep time.Time
	shared    bool    // draws are counted for Drain (Share)
	drawers   []*user // users with draws not yet drained
}

type user struct {
	id      netra.Identity
	buckets [2]*rate.Limiter
	conns   int
	seen    time.Time
	drawn   [2]int // tokens taken here since the last Drain, for the other nodes of a cluster
	// refusals not yet reported, and when they were last reported, per kind
	refused  [2]int
	reported [2]time.Time
}

// ReportEvery is how often Allow hands back the count of refusals to record: a flood is
// audited as one entry a second, not one per refused request.
const ReportEvery = time.Second

// New returns a limiter; limits override Defaults per tier, field by field.
func New(limits map[netra.Tier]Limit) *Limiter {
	l := Defaults()
	for tier, o := range limits {
		d := l[tier]
		if o.RequestsPerSec > 0 {
			d.RequestsPerSec = o.RequestsPerSec
		}
		if o.RequestBurst > 0 {
			d.RequestBurst = o.RequestBurst
		}
		if o.FramesPerSec > 0 {
			d.FramesPerSec = o.FramesPerSec
		}
		if o.FrameBurst > 0 {
			d.FrameBurst = o.FrameBurst
		}
		if o.Connections > 0 {
			d.Connections = o.Connections
		}
		l[tier] = d
	}
	return &Limiter{limits: l, now: time.Now, users: map[string]*user{}}
}

// Limits returns the limits of a tier.
func (l *Limiter) Limits(t netra.Tier) Limit { return l.limits[t] }

// userLocked returns the user's entry, made with the tier's limits when new.
func (l *Limiter) userLocked(id netra.Identity, now time.Time) *user {
	l.sweepLocked(now)
	u := l.users[id.UserID]
	if u == nil {
		lim := l.limits[id.Tier]
		u = &user{id: netra.Identity{UserID: id.UserID, Tier: id.Tier}, buckets: [2]*rate.Limiter{
			rate.NewLimiter(rate.Limit(lim.RequestsPerSec), lim.RequestBurst),
			rate.NewLimiter(rate.Limit(lim.FramesPerSec), lim.FrameBurst),
		}}
		l.users[id.UserID] = u
	}
	u.seen = now
	return u
}

// Allow takes one token from the user's bucket of kind. When the bucket is empty it answers
// false and how long until a token is there.
func (l *Limiter) Allow(id netra.Identity, kind Kind) (bool, time.Duration) {
	ok, wait, _ := l.AllowReport(id, kind)
	return ok, wait
}

// AllowReport is Allow that also counts refusals: report is the number of refusals (this one
// included, when refused) to record now, at most once per ReportEvery per user and kind; 0
// otherwise. Allowed calls can carry a report too.
func (l *Limiter) AllowReport(id netra.Identity, kind Kind) (ok bool, wait time.Duration, report int) {
	now := l.now()
	l.mu.Lock()
	u := l.userLocked(id, now)
	l.mu.Unlock()
	r := u.buckets[kind].ReserveN(now, 1)
	d := r.DelayFrom(now)
	ok = d <= 0
	if !ok {
		r.CancelAt(now)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		u.refused[kind]++
	} else if l.shared {
		if u.drawn == [2]int{} {
			l.drawers = append(l.drawers, u)
		}
		u.drawn[kind]++
	}
	// Refusals still to report go out with the next call a second on, refused or not, so that
	// the end of a flood is recorded too.
	if u.refused[kind] > 0 && now.Sub(u.reported[kind]) >= ReportEvery {
		report, u.refused[kind], u.reported[kind] = u.refused[kind], 0, now
	}
	if ok {
		return true, 0, report
	}
	return false, d, report
}

// Draw is what one user took from one of their buckets on a node since the node's last
// Drain. The nodes of a cluster tell each other their draws, and each takes the others' from
// its own buckets (Debit), so that a user's rate holds across the service, not per node.
type Draw struct {
	User string     `json:"u"`
	Tier netra.Tier `json:"t"`
	Kind Kind       `json:"k"`
	N    int        `json:"n"`
}

// Share makes the limiter count draws for Drain; a cluster node calls it, and then must Drain
// regularly.
func (l *Limiter) Share() {
	l.mu.Lock()
	l.shared = true
	l.mu.Unlock()
}

// Drain returns the draws since the last Drain and starts counting anew.
func (l *Limiter) Drain() []Draw {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Draw
	for _, u := range l.drawers {
		for k, n := range u.drawn {
			if n > 0 {
				out = append(out, Draw{User: u.id.UserID, Tier: u.id.Tier, Kind: Kind(k), N: n})
			}
		}
		u.drawn = [2]int{}
	}
	clear(l.drawers)
	l.drawers = l.drawers[:0]
	return out
}

// Debit takes what a user drew on another node from the user's bucket here, into debt if
// need be (at most a whole burst): later calls here wait for the bucket to refill. It is not
// counted as a draw of this node.
func (l *Limiter) Debit(d Draw) {
	lim, known := l.limits[d.Tier]
	if !known || d.N <= 0 || d.Kind > Frames || d.User == "" {
		return
	}
	now := l.now()
	l.mu.Lock()
	u := l.userLocked(netra.Identity{UserID: d.User, Tier: d.Tier}, now)
	l.mu.Unlock()
	burst := lim.RequestBurst
	if d.Kind == Frames {
		burst = lim.FrameBurst
	}
	u.buckets[d.Kind].ReserveN(now, min(d.N, burst))
}

// Connect counts a new connection of the user; it answers false when the tier's cap is
// reached. Every true answer must be paired with a Disconnect.
func (l *Limiter) Connect(id netra.Identity) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.userLocked(id, l.now())
	if u.conns >= l.limits[id.Tier].Connections {
		return false
	}
	u.conns++
	return true
}

// Disconnect counts a connection's end.
func (l *Limiter) Disconnect(userID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u := l.users[userID]; u != nil && u.conns > 0 {
		u.conns--
		u.seen = l.now()
	}
}

// sweepLocked drops, at most once a minute, users without connections whose buckets have
// refilled: forgetting them changes nothing they could observe.
func (l *Limiter) sweepLocked(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for id, u := range l.users {
		if u.conns == 0 && now.Sub(u.seen) > refill(u) {
			delete(l.users, id)
		}
	}
}

// refill is how long the user's slowest bucket takes to fill from empty.
func refill(u *user) time.Duration {
	var d time.Duration
	for _, b := range u.buckets {
		if b.Limit() <= 0 {
			return time.Duration(math.MaxInt64)
		}
		d = max(d, time.Duration(float64(b.Burst())/float64(b.Limit())*float64(time.Second)))
	}
	return d
}

// Users returns how many users the limiter tracks now (for tests and metrics).
func (l *Limiter) Users() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}

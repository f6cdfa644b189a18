// Package resilience retries transient failures with exponential backoff and full jitter, and
// stops calling a failing dependency for a while with a circuit breaker. Tool and model calls
// use it; each tool configures its own.
package resilience

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Retry is a retry policy. Zero values mean the defaults.
type Retry struct {
	// Attempts is how many times a call is tried in all. Default 1 (no retry).
	Attempts int
	// Base is the first backoff. Default 100 ms.
	Base time.Duration
	// Max bounds one backoff. Default 2 s.
	Max time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 1
	}
	if r.Base <= 0 {
		r.Base = 100 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 2 * time.Second
	}
	return r
}

// Backoff returns the wait before retry number n (1 for the first retry): a uniformly random
// duration up to min(Max, Base·2^(n-1)) ("full jitter"), so that callers that failed together
// do not retry together.
func (r Retry) Backoff(n int) time.Duration {
	r = r.withDefaults()
	ceiling := r.Base << min(n-1, 30)
	if ceiling > r.Max || ceiling <= 0 {
		ceiling = r.Max
	}
	return rand.N(ceiling + 1)
}

// Do calls fn until it succeeds, fails with an error retryable does not accept, the attempts
// are used up, or ctx ends. It returns the number of attempts made and fn's last error.
func (r Retry) Do(ctx context.Context, retryable func(error) bool, fn func(context.Context) error) (int, error) {
	r = r.withDefaults()
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(ctx); err == nil || attempt == r.Attempts || !retryable(err) || ctx.Err() != nil {
			return attempt, err
		}
		t := time.NewTimer(max(r.Backoff(attempt), retryAfter(err)))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, err
		case <-t.C:
		}
	}
}

// MaxRetryAfter bounds how long an error's own Retry-After may hold a retry back.
const MaxRetryAfter = 30 * time.Second

// retryAfter is the wait an error asks for (an error with a RetryAfter method, such as a
// provider's 429), at most MaxRetryAfter; 0 when it asks for none.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return min(ra.RetryAfter(), MaxRetryAfter)
	}
	return 0
}

// ErrOpen is returned while a breaker is open.
var ErrOpen = errors.New("circuit open")

// Breaker opens after Threshold consecutive failures and fails calls fast for Cooldown; then
// it lets one trial call through (half open): success closes it, failure opens it again.
type Breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool // a half-open trial call is under way
}

// NewBreaker returns a breaker; a threshold ≤ 0 returns nil, which never opens.
func NewBreaker(threshold int, cooldown time.Duration) *Breaker {
	if threshold <= 0 {
		return nil
	}
	if cooldown <= 0 {
		cooldown = 30 * time.Second
	}
	return &Breaker{threshold: threshold, cooldown: cooldown}
}

// Allow reports whether a call may go ahead, ErrOpen if not.
func (b *Breaker) Allow() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return nil
	}
	if time.Now().Before(b.openUntil) || b.trial {
		return ErrOpen
	}
	b.trial = true // half open: this call is the trial
	return nil
}

// Record notes a call's outcome. Only failures of the dependency should be recorded as
// failures; a caller's own mistakes (bad arguments) are not the dependency's.
func (b *Breaker) Record(ok bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = time.Now().Add(b.cooldown)
	}
}

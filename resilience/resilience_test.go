package resilience_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netra-ai/netra/resilience"
)

var errFlaky = errors.New("flaky")

func TestRetry(t *testing.T) {
	t.Parallel()
	r := resilience.Retry{Attempts: 4, Base: time.Millisecond, Max: 4 * time.Millisecond}
	calls := 0
	n, err := r.Do(context.Background(), func(error) bool { return true }, func(context.Context) error {
		calls++
		if calls < 3 {
			return errFlaky
		}
		return nil
	})
	if err != nil || n != 3 || calls != 3 {
		t.Fatalf("n=%d calls=%d err=%v", n, calls, err)
	}
	calls = 0
	n, err = r.Do(context.Background(), func(error) bool { return false }, func(context.Context) error { calls++; return errFlaky })
	if !errors.Is(err, errFlaky) || n != 1 {
		t.Fatalf("not retryable: n=%d err=%v", n, err)
	}
	n, err = r.Do(context.Background(), func(error) bool { return true }, func(context.Context) error { return errFlaky })
	if n != 4 || !errors.Is(err, errFlaky) {
		t.Fatalf("exhausted: n=%d err=%v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, _ := r.Do(ctx, func(error) bool { return true }, func(context.Context) error { return errFlaky }); n != 1 {
		t.Fatalf("cancelled context retried: %d", n)
	}
	for i := 1; i < 10; i++ {
		if b := r.Backoff(i); b < 0 || b > r.Max {
			t.Fatalf("backoff %d = %v", i, b)
		}
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	b := resilience.NewBreaker(3, 30*time.Millisecond)
	for i := 0; i < 3; i++ {
		if err := b.Allow(); err != nil {
			t.Fatalf("closed breaker refused call %d", i)
		}
		b.Record(false)
	}
	if err := b.Allow(); !errors.Is(err, resilience.ErrOpen) {
		t.Fatal("breaker did not open")
	}
	time.Sleep(40 * time.Millisecond)
	if err := b.Allow(); err != nil {
		t.Fatal("no trial after the cooldown")
	}
	if err := b.Allow(); !errors.Is(err, resilience.ErrOpen) {
		t.Fatal("two trials at once")
	}
	b.Record(false) // the trial failed: open again
	if err := b.Allow(); !errors.Is(err, resilience.ErrOpen) {
		t.Fatal("failed trial did not reopen")
	}
	time.Sleep(40 * time.Millisecond)
	_ = b.Allow()
	b.Record(true)
	if err := b.Allow(); err != nil {
		t.Fatal("successful trial did not close")
	}
	var none *resilience.Breaker = resilience.NewBreaker(0, 0)
	none.Record(false)
	if none.Allow() != nil {
		t.Fatal("nil breaker refused")
	}
}

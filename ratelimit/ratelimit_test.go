package ratelimit

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/netra-ai/netra"
)

func TestBucketsArePerUserAndKind(t *testing.T) {
	t.Parallel()
	l := New(map[netra.Tier]Limit{netra.TierFree: {RequestsPerSec: 2, RequestBurst: 3}})
	clock := time.Unix(1_800_000_000, 0)
	l.now = func() time.Time { return clock }
	ann := netra.Identity{UserID: "ann", Tier: netra.TierFree}
	for i := range 3 {
		if ok, _ := l.Allow(ann, Requests); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow(ann, Requests)
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: ok %v, retry after %v; want refused, ≤ 500 ms", ok, wait)
	}
	// Another user, and the same user's frames, have their own buckets.
	if ok, _ := l.Allow(netra.Identity{UserID: "ben", Tier: netra.TierFree}, Requests); !ok {
		t.Fatal("ben refused because of ann")
	}
	if ok, _ := l.Allow(ann, Frames); !ok {
		t.Fatal("ann's frames refused because of her requests")
	}
	clock = clock.Add(wait)
	if ok, _ := l.Allow(ann, Requests); !ok {
		t.Fatal("refused after waiting the retry-after")
	}
}

func TestConnectionCapAndSweep(t *testing.T) {
	t.Parallel()
	l := New(map[netra.Tier]Limit{netra.TierFree: {Connections: 2}})
	clock := time.Unix(1_800_000_000, 0)
	l.now = func() time.Time { return clock }
	cy := netra.Identity{UserID: "cy", Tier: netra.TierFree}
	//lint:ignore SA4000 each Connect takes a connection: the same call three times is the point
	if !l.Connect(cy) || !l.Connect(cy) || l.Connect(cy) {
		t.Fatal("cap of 2 not enforced")
	}
	if ent := (netra.Identity{UserID: "cy-ent", Tier: netra.TierEnterprise}); !l.Connect(ent) {
		t.Fatal("enterprise refused")
	}
	l.Disconnect("cy")
	if !l.Connect(cy) {
		t.Fatal("a freed connection slot was not given back")
	}
	// Users with open connections are kept; idle, refilled ones are forgotten.
	l.Allow(netra.Identity{UserID: "dee", Tier: netra.TierFree}, Requests)
	clock = clock.Add(time.Hour)
	l.Allow(netra.Identity{UserID: "eve", Tier: netra.TierFree}, Requests)
	if n := l.Users(); n != 3 { // cy (connected), cy-ent (connected), eve (new)
		t.Fatalf("tracking %d users after the sweep, want 3", n)
	}
}

// TestRefusalsAreReportedOnceASecond: a flood is summed up, not recorded refusal by refusal.
func TestRefusalsAreReportedOnceASecond(t *testing.T) {
	t.Parallel()
	l := New(map[netra.Tier]Limit{netra.TierFree: {RequestsPerSec: 1, RequestBurst: 1}})
	clock := time.Unix(1_800_000_000, 0)
	l.now = func() time.Time { return clock }
	fay := netra.Identity{UserID: "fay", Tier: netra.TierFree}
	if ok, _, r := l.AllowReport(fay, Requests); !ok || r != 0 {
		t.Fatal("first request refused or reported")
	}
	if _, _, r := l.AllowReport(fay, Requests); r != 1 {
		t.Fatalf("first refusal reported %d, want 1 (at once)", r)
	}
	reports := 0
	for range 50 {
		clock = clock.Add(10 * time.Millisecond)
		if _, _, r := l.AllowReport(fay, Requests); r > 0 {
			reports++
		}
	}
	clock = clock.Add(600 * time.Millisecond)
	_, _, r := l.AllowReport(fay, Requests)
	if reports != 0 || r == 0 {
		t.Fatalf("within a second: %d reports; after it: %d refusals reported", reports, r)
	}
}

// TestSharedDrawsHoldOneRate: two limiters (two nodes) that hand each other their draws
// admit a user about one rate between them, not one each; without sharing, twice as much.
func TestSharedDrawsHoldOneRate(t *testing.T) {
	t.Parallel()
	run := func(share bool) int {
		clock := time.Unix(1_800_000_000, 0)
		nodes := []*Limiter{
			New(map[netra.Tier]Limit{netra.TierFree: {RequestsPerSec: 10, RequestBurst: 10}}),
			New(map[netra.Tier]Limit{netra.TierFree: {RequestsPerSec: 10, RequestBurst: 10}}),
		}
		for _, l := range nodes {
			l.now = func() time.Time { return clock }
			if share {
				l.Share()
			}
		}
		ann := netra.Identity{UserID: "ann", Tier: netra.TierFree}
		allowed := 0
		// 10 s of a request every 10 ms to each node, the draws told once a second.
		for ms := 0; ms < 10_000; ms += 10 {
			for _, l := range nodes {
				if ok, _ := l.Allow(ann, Requests); ok {
					allowed++
				}
			}
			if ms%1000 == 990 {
				d0, d1 := nodes[0].Drain(), nodes[1].Drain()
				for _, d := range d0 {
					nodes[1].Debit(d)
				}
				for _, d := range d1 {
					nodes[0].Debit(d)
				}
			}
			clock = clock.Add(10 * time.Millisecond)
		}
		return allowed
	}
	// One node alone would admit its burst and 10 a second: 110. Two sharing may go over by
	// what each admits before it hears of the other's draws (a second's worth and a burst).
	got := run(true)
	t.Logf("sharing: %d admitted in 10 s; not sharing: %d", got, run(false))
	if got < 100 || got > 150 {
		t.Fatalf("sharing: %d admitted in 10 s; want about one rate's 110", got)
	}
	if got := run(false); got < 210 {
		t.Fatalf("not sharing: %d admitted; want each node's own 110", got)
	}
	// A lone node counts nothing for Drain.
	l := New(nil)
	l.Allow(netra.Identity{UserID: "ben", Tier: netra.TierFree}, Requests)
	if d := l.Drain(); len(d) != 0 {
		t.Fatalf("a limiter that does not share drained %v", d)
	}
}

// BenchmarkDraws is what a node spends on another node's draws: decoding them and taking them
// from its buckets, per draw, over 10,000 users (docs/scaling.md).
//
//	go test -run XXX -bench Draws ./ratelimit/
func BenchmarkDraws(b *testing.B) {
	l := New(nil)
	in := make([]Draw, 10_000)
	for i := range in {
		in[i] = Draw{User: "user-" + strconv.Itoa(i), Tier: netra.TierMid, Kind: Requests, N: 3}
	}
	msg, _ := json.Marshal(in)
	for b.Loop() {
		var ds []Draw
		if err := json.Unmarshal(msg, &ds); err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			l.Debit(d)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/draw")
}

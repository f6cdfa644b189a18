package server

import (
	"testing"

	"github.com/netra-ai/netra"
)

// The gate admits uploads within the per-user count, the server's count and the memory
// budget, refuses the rest with rate_limited, and gives back what a leaving upload held.
func TestUploadGate(t *testing.T) {
	g := newUploadGate(2, 8, 100)
	in := func(user string, cost int64) func() {
		t.Helper()
		leave, err := g.enter(user, cost)
		if err != nil {
			t.Fatalf("%s %d refused: %v", user, cost, err)
		}
		return leave
	}
	refused := func(user string, cost int64) {
		t.Helper()
		if _, err := g.enter(user, cost); netra.ErrorCode(err) != netra.CodeRateLimited {
			t.Fatalf("%s %d: %v, want rate_limited", user, cost, err)
		}
	}
	a1, a2 := in("ann", 30), in("ann", 30)
	refused("ann", 1) // a third of ann's
	b := in("bob", 40)
	refused("cat", 1) // the budget: 100 used
	a1()
	a1() // leaving twice gives back once
	c := in("cat", 30)
	refused("dan", 1)
	a2()
	b()
	c()
	for i := range 8 {
		in(string(rune('a'+i)), 1)
	}
	refused("zed", 1) // the server's count
}

package killswitch

import (
	"context"
	"testing"
	"time"

	"github.com/netra-ai/netra"
)

func TestModes(t *testing.T) {
	t.Parallel()
	b := New()
	ctx := context.Background()
	at := time.Now()
	before, after := at.Add(-time.Second), at.Add(time.Second)
	if err := b.Disable(ctx, Switch{Kind: Agent, Name: "data", At: at, Reason: "bad release"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Disable(ctx, Switch{Kind: Tool, Name: "query", Mode: ModeCancel, At: at}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind    Kind
		name    string
		started time.Time
		off     bool
	}{
		{Agent, "data", time.Time{}, true}, // a new run
		{Agent, "data", after, true},       // started after the switch
		{Agent, "data", before, false},     // finish: runs already running go on
		{Tool, "query", before, true},      // cancel: even runs already running
		{Agent, "echo", time.Time{}, false},
		{Tool, "data", time.Time{}, false}, // kinds are apart
	}
	for _, c := range cases {
		err := b.Check(c.kind, c.name, c.started)
		if (err != nil) != c.off || (err != nil && netra.ErrorCode(err) != netra.CodeUnavailable) {
			t.Errorf("Check(%s %s, %v) = %v, want off %v", c.kind, c.name, c.started, err, c.off)
		}
	}
	if err := b.Check(Agent, "data", after); netra.ErrorMessage(err) != "agent data is disabled by an administrator: bad release" {
		t.Errorf("message %q", netra.ErrorMessage(err))
	}
	if l := b.List(); len(l) != 2 || l[0].Kind != Agent || l[1].Mode != ModeCancel {
		t.Errorf("List = %+v", l)
	}
	if ok, _ := b.Enable(ctx, Agent, "data"); !ok {
		t.Fatal("enabling a thrown switch")
	}
	if ok, _ := b.Enable(ctx, Agent, "data"); ok || b.Check(Agent, "data", after) != nil {
		t.Error("Enable did not turn the agent back on exactly once")
	}
	if b.Disable(ctx, Switch{Kind: "model", Name: "x"}) == nil || b.Disable(ctx, Switch{Kind: Tool, Name: "x", Mode: "later"}) == nil {
		t.Error("bad kind or mode accepted")
	}
}

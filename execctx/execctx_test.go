package execctx_test

import (
	"strings"
	"testing"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
)

func valid() execctx.Params {
	return execctx.Params{
		Identity:  netra.Identity{UserID: "alice@example.org", Tier: netra.TierMid, Role: netra.RoleUser},
		ThreadID:  "thr_abc",
		RunID:     "run_abc",
		RequestID: "req_abc",
		TraceID:   "trc_abc",
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*execctx.Params)
		ok     bool
	}{
		{"valid", func(*execctx.Params) {}, true},
		{"with connection", func(p *execctx.Params) { p.ConnectionID = "conn_1" }, true},
		{"empty user", func(p *execctx.Params) { p.Identity.UserID = "" }, false},
		{"placeholder user", func(p *execctx.Params) { p.Identity.UserID = "default" }, false},
		{"placeholder upper", func(p *execctx.Params) { p.Identity.UserID = "NULL" }, false},
		{"zero run", func(p *execctx.Params) { p.RunID = "0" }, false},
		{"mock thread", func(p *execctx.Params) { p.ThreadID = "mock" }, false},
		{"registry request", func(p *execctx.Params) { p.RequestID = "registry" }, false},
		{"bad chars", func(p *execctx.Params) { p.Identity.UserID = "a b" }, false},
		{"too long", func(p *execctx.Params) { p.RunID = strings.Repeat("r", 129) }, false},
		{"bad tier", func(p *execctx.Params) { p.Identity.Tier = "gold" }, false},
		{"bad role", func(p *execctx.Params) { p.Identity.Role = "root" }, false},
		{"bad connection", func(p *execctx.Params) { p.ConnectionID = "undefined" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tc.mutate(&p)
			c, err := execctx.New(p)
			if tc.ok != (err == nil) {
				t.Fatalf("New: err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && netra.ErrorCode(err) != netra.CodeInvalidRequest {
				t.Fatalf("code = %s", netra.ErrorCode(err))
			}
			if tc.ok && c.UserID() != p.Identity.UserID {
				t.Fatalf("user = %q", c.UserID())
			}
		})
	}
}

func TestChildKeepsOwnerAndStopsAtMaxDepth(t *testing.T) {
	t.Parallel()
	root, err := execctx.New(valid())
	if err != nil {
		t.Fatal(err)
	}
	c := root
	for i := 1; i <= execctx.MaxDepth; i++ {
		child, err := c.Child()
		if err != nil {
			t.Fatalf("depth %d: %v", i, err)
		}
		if child.Depth() != i || child.UserID() != root.UserID() || child.RunID() != root.RunID() ||
			child.ThreadID() != root.ThreadID() || child.TraceID() != root.TraceID() {
			t.Fatalf("child %d lost its lineage: %+v", i, child)
		}
		if child.ParentRequestID() != c.RequestID() || child.RequestID() == c.RequestID() {
			t.Fatalf("child %d request ids: parent %q own %q", i, child.ParentRequestID(), child.RequestID())
		}
		c = child
	}
	if _, err := c.Child(); err == nil {
		t.Fatal("child beyond MaxDepth was allowed")
	}
	if root.Depth() != 0 || root.ParentRequestID() != "" {
		t.Fatal("making children changed the root")
	}
}

func TestKeyIsScoped(t *testing.T) {
	t.Parallel()
	c, _ := execctx.New(valid())
	if got, want := c.Key("cache", "x"), "alice@example.org/run_abc/cache/x"; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
}

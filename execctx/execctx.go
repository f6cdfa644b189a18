// Package execctx defines UserExecutionContext: the one immutable value that says who a run
// executes for. The engine factory builds it from the authenticated identity and the stored
// run; agents and tools get child contexts. Fields are unexported and only read through getters,
// so nothing downstream can change whom a run acts for.
package execctx

import (
	"regexp"
	"strings"
	"time"

	"github.com/netra-ai/netra"
)

// MaxDepth is the deepest a chain of child contexts may go.
const MaxDepth = 10

// MaxIDLen bounds every id in a context.
const MaxIDLen = 128

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._@:-]+$`)

// Placeholder values are refused: they are what code that forgot to pass a real id sends.
func isPlaceholder(id string) bool {
	switch strings.ToLower(id) {
	case "default", "test", "null", "nil", "none", "undefined", "0", "placeholder", "example",
		"mock", "fake", "dummy", "registry", "anonymous", "unknown", "user", "system", "temp", "tmp",
		"todo", "xxx", "id", "-", ".":
		return true
	}
	return false
}

// ValidID reports whether id is acceptable as a user, thread, run or request id.
func ValidID(id string) bool {
	return id != "" && len(id) <= MaxIDLen && idPattern.MatchString(id) && !isPlaceholder(id)
}

// Context is the UserExecutionContext. The zero value is invalid; make one with New.
type Context struct {
	userID, threadID, runID, requestID, traceID, connectionID, parentRequestID string
	tier                                                                       netra.Tier
	role                                                                       netra.Role
	depth                                                                      int
	createdAt                                                                  time.Time
}

// Params are the inputs of New. ConnectionID may be empty (HTTP-started runs).
type Params struct {
	Identity     netra.Identity
	ThreadID     string
	RunID        string
	RequestID    string
	TraceID      string
	ConnectionID string
}

// New validates p and returns a root context (depth 0).
func New(p Params) (*Context, error) {
	c := &Context{
		userID:       p.Identity.UserID,
		tier:         p.Identity.Tier,
		role:         p.Identity.Role,
		threadID:     p.ThreadID,
		runID:        p.RunID,
		requestID:    p.RequestID,
		traceID:      p.TraceID,
		connectionID: p.ConnectionID,
		createdAt:    time.Now().UTC(),
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Context) validate() error {
	for _, f := range []struct{ name, v string }{
		{"user id", c.userID}, {"thread id", c.threadID}, {"run id", c.runID},
		{"request id", c.requestID}, {"trace id", c.traceID},
	} {
		if !ValidID(f.v) {
			return netra.Errorf(netra.CodeInvalidRequest, "execution context: invalid %s %q", f.name, truncate(f.v))
		}
	}
	if c.connectionID != "" && !ValidID(c.connectionID) {
		return netra.Errorf(netra.CodeInvalidRequest, "execution context: invalid connection id")
	}
	if !c.tier.Valid() {
		return netra.Errorf(netra.CodeInvalidRequest, "execution context: invalid tier %q", truncate(string(c.tier)))
	}
	if !c.role.Valid() {
		return netra.Errorf(netra.CodeInvalidRequest, "execution context: invalid role %q", truncate(string(c.role)))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Child returns a context for a sub-agent or tool call: same user, thread and run, a new
// request id, this request as parent, and depth + 1. It fails beyond MaxDepth.
func (c *Context) Child() (*Context, error) {
	if c.depth >= MaxDepth {
		return nil, netra.Errorf(netra.CodeInvalidRequest, "execution context: nesting deeper than %d", MaxDepth)
	}
	child := *c
	child.parentRequestID = c.requestID
	child.requestID = netra.NewID("req_")
	child.depth = c.depth + 1
	child.createdAt = time.Now().UTC()
	return &child, nil
}

// UserID is the owner of the run.
func (c *Context) UserID() string { return c.userID }

// Tier is the owner's tier when the run was accepted.
func (c *Context) Tier() netra.Tier { return c.tier }

// Role is the owner's role when the run was accepted.
func (c *Context) Role() netra.Role { return c.role }

// Identity returns the identity the context acts for.
func (c *Context) Identity() netra.Identity {
	return netra.Identity{UserID: c.userID, Tier: c.tier, Role: c.role}
}

// ThreadID is the run's thread.
func (c *Context) ThreadID() string { return c.threadID }

// RunID is the run.
func (c *Context) RunID() string { return c.runID }

// RequestID identifies this context (root or child).
func (c *Context) RequestID() string { return c.requestID }

// TraceID is shared by a root context and all its children.
func (c *Context) TraceID() string { return c.traceID }

// ConnectionID is the WebSocket connection that started the run, or "".
func (c *Context) ConnectionID() string { return c.connectionID }

// ParentRequestID is the parent's request id, "" for a root context.
func (c *Context) ParentRequestID() string { return c.parentRequestID }

// Depth is 0 for a root context and grows by one per child.
func (c *Context) Depth() int { return c.depth }

// CreatedAt is when the context was made.
func (c *Context) CreatedAt() time.Time { return c.createdAt }

// Key returns a storage or cache key scoped to this context's user and run, so that keys built
// by agents and tools can never name another user's data.
func (c *Context) Key(parts ...string) string {
	var b strings.Builder
	b.WriteString(c.userID)
	b.WriteByte('/')
	b.WriteString(c.runID)
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(p)
	}
	return b.String()
}

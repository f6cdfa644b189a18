package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/sched"
)

// adminHandler is an admin endpoint: it returns a line for the audit trail with its error.
type adminHandler func(w http.ResponseWriter, r *http.Request, id netra.Identity) (detail string, err error)

// admin serves h to admins only (role from the token; everybody else gets forbidden) and
// audits every call, refused ones included, in the caller's chain.
func (s *Server) admin(h adminHandler) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
		detail := r.Method + " " + r.URL.Path
		var err error
		if id.Role != netra.RoleAdmin {
			err = netra.Errorf(netra.CodeForbidden, "this endpoint needs an admin token")
		} else {
			var d string
			if d, err = h(w, r, id); d != "" {
				detail += ": " + d
			}
		}
		s.audit(r.Context(), id.UserID, netra.AuditAdmin, "", detail, err)
		return err
	})
}

type adminUser struct {
	UserID  string          `json:"user_id"`
	Tier    netra.Tier      `json:"tier"`
	Running int             `json:"running"`
	Queued  int             `json:"queued"`
	Limits  sched.Limit     `json:"limits"`
	Rates   ratelimit.Limit `json:"rate_limits"`
}

// adminUsers lists the users with runs on this node, with their usage and limits.
func (s *Server) adminUsers(w http.ResponseWriter, _ *http.Request, _ netra.Identity) (string, error) {
	users := []adminUser{}
	for _, u := range s.cfg.Scheduler.Users() {
		users = append(users, adminUser{UserID: u.UserID, Tier: u.Tier, Running: u.Running, Queued: u.Queued, Limits: u.Limit,
			Rates: s.cfg.Limits.Limits(u.Tier)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return "", nil
}

// adminNodes lists the service's nodes with their load.
func (s *Server) adminNodes(w http.ResponseWriter, r *http.Request, _ netra.Identity) (string, error) {
	if s.cfg.Nodes == nil {
		return "", netra.Errorf(netra.CodeUnavailable, "this server does not list its nodes")
	}
	nodes, err := s.cfg.Nodes(r.Context())
	if err != nil {
		return "", err
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": nodes})
	return "", nil
}

type adminRun struct {
	ID            string          `json:"id"`
	UserID        string          `json:"user_id"`
	ThreadID      string          `json:"thread_id"`
	Agent         string          `json:"agent,omitempty"`
	Node          string          `json:"node,omitempty"` // where it executes, in a cluster
	Tier          netra.Tier      `json:"tier"`
	Status        netra.RunStatus `json:"status"`
	QueuePosition *int            `json:"queue_position"`
	StartedAt     *time.Time      `json:"started_at,omitempty"`
}

// adminRuns lists the runs running and queued on this node.
func (s *Server) adminRuns(w http.ResponseWriter, _ *http.Request, _ netra.Identity) (string, error) {
	runs := []adminRun{}
	for _, l := range s.cfg.Scheduler.Live() {
		ar := adminRun{ID: l.RunID, UserID: l.Owner, ThreadID: l.ThreadID, Tier: l.Tier, Agent: l.Agent, Node: l.Node, Status: netra.RunQueued}
		if l.Running {
			ar.Status = netra.RunRunning
			started := l.Started.UTC()
			ar.StartedAt = &started
		} else {
			pos := l.Position
			ar.QueuePosition = &pos
		}
		runs = append(runs, ar)
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
	return "", nil
}

// adminCancel cancels any user's live run.
func (s *Server) adminCancel(w http.ResponseWriter, r *http.Request, _ netra.Identity) (string, error) {
	runID, err := pathID(r, "run")
	if err != nil {
		return "", err
	}
	owner, ok := s.cfg.Scheduler.Owner(runID)
	if !ok {
		return "run " + runID, netra.Errorf(netra.CodeNotFound, "no queued or running run %s on this node", runID)
	}
	run, err := s.cancelRun(r.Context(), netra.Identity{UserID: owner}, runID)
	if err != nil {
		return "run " + runID + " of " + owner, err
	}
	writeJSON(w, http.StatusAccepted, s.withPosition(run))
	return "cancelled run " + runID + " of " + owner, nil
}

func (s *Server) listSwitches(w http.ResponseWriter, _ *http.Request, _ netra.Identity) (string, error) {
	writeJSON(w, http.StatusOK, map[string]any{"switches": s.cfg.Switches.List()})
	return "", nil
}

// throwSwitch disables an agent or a tool. With mode cancel, the running runs of a disabled
// entry agent are cancelled too; with finish (the default) they go on.
func (s *Server) throwSwitch(w http.ResponseWriter, r *http.Request, id netra.Identity) (string, error) {
	var req struct {
		Kind   killswitch.Kind `json:"kind"`
		Name   string          `json:"name"`
		Mode   killswitch.Mode `json:"mode"`
		Reason string          `json:"reason"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return "", err
	}
	if !s.known(req.Kind, req.Name) {
		return "", netra.Errorf(netra.CodeNotFound, "no %s named %q", req.Kind, req.Name)
	}
	if len(req.Reason) > 200 {
		return "", netra.Errorf(netra.CodeInvalidRequest, "reason longer than 200 bytes")
	}
	if req.Mode == "" {
		req.Mode = killswitch.ModeFinish
	}
	sw := killswitch.Switch{Kind: req.Kind, Name: req.Name, Mode: req.Mode, By: id.UserID, Reason: req.Reason}
	if err := s.cfg.Switches.Disable(r.Context(), sw); err != nil {
		return "", err
	}
	cancelled := 0
	if req.Kind == killswitch.Agent && req.Mode == killswitch.ModeCancel {
		for _, l := range s.cfg.Scheduler.Live() {
			if l.Agent == req.Name && s.cfg.Scheduler.Cancel(l.RunID) {
				cancelled++
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"switches": s.cfg.Switches.List(), "cancelled_runs": cancelled})
	return fmt.Sprintf("disabled %s %s (%s, %d runs cancelled)", req.Kind, req.Name, req.Mode, cancelled), nil
}

func (s *Server) clearSwitch(w http.ResponseWriter, r *http.Request, _ netra.Identity) (string, error) {
	kind, name := killswitch.Kind(r.PathValue("kind")), r.PathValue("name")
	ok, err := s.cfg.Switches.Enable(r.Context(), kind, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", netra.Errorf(netra.CodeNotFound, "%s %s is not disabled", kind, name)
	}
	w.WriteHeader(http.StatusNoContent)
	return "enabled " + string(kind) + " " + name, nil
}

// known reports whether an agent or tool of that name exists.
func (s *Server) known(kind killswitch.Kind, name string) bool {
	if !execctx.ValidID(name) {
		return false
	}
	var names []string
	switch kind {
	case killswitch.Agent:
		names = s.cfg.Factory.Agents().Names()
	case killswitch.Tool:
		names = s.cfg.Factory.Tools().Names()
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// LiveEvery is how often the operations dashboard's stream sends a snapshot.
const LiveEvery = time.Second

// adminLive answers GET /v1/admin/live: server-sent events, a metrics.Snapshot a second
// ("event: snapshot"), until the client goes or the server stops. The dashboard draws from
// it instead of polling /metrics; both read the same registry.
func (s *Server) adminLive(w http.ResponseWriter, r *http.Request, _ netra.Identity) (string, error) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return "", netra.Errorf(netra.CodeInternal, "streaming not supported")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func() bool {
		snap, err := s.cfg.Metrics.Snapshot()
		if err != nil {
			return false
		}
		b, _ := json.Marshal(snap)
		if _, err := fmt.Fprintf(w, "event: snapshot\ndata: %s\n\n", b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	tick := time.NewTicker(LiveEvery)
	defer tick.Stop()
	for ok := send(); ok; {
		select {
		case <-r.Context().Done():
			return "live stream", nil
		case <-tick.C:
			ok = send()
		}
	}
	return "live stream", nil
}

package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// SessionTTL is how long a session of a sign-in link lasts.
const SessionTTL = 12 * time.Hour

// login exchanges a sign-in link's single-use code for a session token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r = withRequest(w, r)
	if err := s.exchange(w, r); err != nil {
		s.cfg.Metrics.AuthFailures.Inc()
		s.writeError(w, r, err, err)
	}
}

func (s *Server) exchange(w http.ResponseWriter, r *http.Request) error {
	if len(s.cfg.SessionSecret) == 0 {
		return netra.Errorf(netra.CodeNotFound, "sign-in links need the server's HS256 secret; this server takes public-key tokens only")
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	g, err := s.cfg.Verifier.RedeemLoginCode(r.Context(), req.Code)
	s.auditAuth(r, g.Identity, err)
	if err != nil {
		return err
	}
	tok, err := auth.SignSession(s.cfg.SessionSecret, g.Identity, SessionTTL, s.cfg.SessionIssuer)
	if err != nil {
		return netra.Internal(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expires_at": time.Now().Add(SessionTTL).UTC(),
		"user_id": g.UserID, "tier": g.Tier, "role": g.Role})
	return nil
}

// EndSessions closes the open connections of sessions signed out on another node of the
// cluster (auth.Verifier.Refresh), as a sign-out here does.
func (s *Server) EndSessions(ids []string) {
	for _, id := range ids {
		s.sessions.end(id)
	}
}

// logout ends the session of the token it is called with, on every node.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ netra.Identity) error {
	tok, _ := auth.BearerToken(r.Header.Get("Authorization"))
	g, err := s.cfg.Verifier.Check(tok)
	if err != nil {
		return err
	}
	if err := s.cfg.Verifier.Revoke(r.Context(), g); err != nil {
		return err
	}
	s.sessions.end(g.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// liveSessions holds the open WebSocket connections of each session (by its token's id), so
// that signing out closes them at once with 4401, in every tab that shares the session: each
// then finds its session refused and shows the sign-in page.
type liveSessions struct {
	mu sync.Mutex
	m  map[string]map[*wsConn]struct{}
}

// add registers c under session id (none when the token has no id) until remove is called.
func (l *liveSessions) add(id string, c *wsConn) (remove func()) {
	if id == "" {
		return func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[*wsConn]struct{}{}
	}
	if l.m[id] == nil {
		l.m[id] = map[*wsConn]struct{}{}
	}
	l.m[id][c] = struct{}{}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.m[id], c)
		if len(l.m[id]) == 0 {
			delete(l.m, id)
		}
	}
}

// end closes every connection of session id.
func (l *liveSessions) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.m[id] {
		c.cancel(errSignedOut)
	}
}

package server

import (
	"net/http"
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
	g, err := s.cfg.Verifier.RedeemLoginCode(req.Code)
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

// logout ends the session of the token it is called with, on this server.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ netra.Identity) error {
	tok, _ := auth.BearerToken(r.Header.Get("Authorization"))
	g, err := s.cfg.Verifier.Check(tok)
	if err != nil {
		return err
	}
	if err := s.cfg.Verifier.Revoke(g); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

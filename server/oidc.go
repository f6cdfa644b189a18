package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// OIDCConfig signs users in through an organisation's OpenID provider: the authorization
// code flow with PKCE, the ID token checked by go-oidc. The zero value turns it off.
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret string
	// The ID token's claims that give the user id, tier and role. Defaults: sub, netra_tier,
	// netra_role. A missing tier or role is free or user; one outside the contract's values
	// refuses the sign-in.
	UserClaim, TierClaim, RoleClaim string
	// RedirectURL is where the provider sends the browser back. Default: this server's
	// /v1/auth/oidc/callback on the Host the browser used.
	RedirectURL string
}

// oidcFlowTTL bounds the time between leaving for the provider and coming back.
const oidcFlowTTL = 10 * time.Minute

// maxOIDCFlows bounds the sign-ins under way at once.
const maxOIDCFlows = 10_000

type oidcFlow struct {
	verifier, nonce, redirect string
	expires                   time.Time
}

// oidcLogin holds the provider, found on first use (a provider down when the server starts
// must not stop it), and the sign-ins under way.
type oidcLogin struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
	flows    map[string]oidcFlow
}

func (o *oidcLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, &netra.Error{Code: netra.CodeUnavailable, Message: "the identity provider could not be reached", Err: err}
	}
	o.provider = p
	return p, nil
}

func (o *oidcLogin) oauth(p *oidc.Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcConfig answers GET /v1/auth/config: what the sign-in page may offer.
func (s *Server) oidcConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"oidc": s.oidc != nil, "links": len(s.cfg.SessionSecret) > 0})
}

// oidcStart answers GET /v1/auth/oidc/start: off to the provider, with state, nonce and a
// PKCE challenge.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	r = withRequest(w, r)
	if err := s.startOIDC(w, r); err != nil {
		s.writeError(w, r, err, err)
	}
}

func (s *Server) startOIDC(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil || len(s.cfg.SessionSecret) == 0 {
		return netra.Errorf(netra.CodeNotFound, "this server has no organisation sign-in (NETRA_OIDC_ISSUER)")
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		return err
	}
	redirect := s.oidc.cfg.RedirectURL
	if redirect == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		redirect = scheme + "://" + r.Host + "/v1/auth/oidc/callback"
	}
	f := oidcFlow{verifier: oauth2.GenerateVerifier(), nonce: random(), redirect: redirect, expires: time.Now().Add(oidcFlowTTL)}
	state := random()
	s.oidc.mu.Lock()
	if len(s.oidc.flows) >= maxOIDCFlows {
		for k, v := range s.oidc.flows {
			if time.Now().After(v.expires) {
				delete(s.oidc.flows, k)
			}
		}
	}
	full := len(s.oidc.flows) >= maxOIDCFlows
	if !full {
		s.oidc.flows[state] = f
	}
	s.oidc.mu.Unlock()
	if full {
		return netra.Errorf(netra.CodeUnavailable, "too many sign-ins under way; try again shortly")
	}
	http.Redirect(w, r, s.oidc.oauth(p, redirect).AuthCodeURL(state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce)), http.StatusFound)
	return nil
}

// oidcCallback answers GET /v1/auth/oidc/callback: the code exchanged with its verifier, the
// ID token checked (signature, issuer, audience, expiry, nonce), its claims mapped to an
// identity, and the browser sent to the app with a single-use sign-in code, as a link would.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	r = withRequest(w, r)
	id, err := s.finishOIDC(r)
	s.auditAuth(r, id, err)
	if err != nil {
		s.cfg.Metrics.AuthFailures.Inc()
		s.writeError(w, r, err, err)
		return
	}
	code, err := auth.SignLoginCode(s.cfg.SessionSecret, id, 2*time.Minute, s.cfg.SessionIssuer)
	if err != nil {
		s.writeError(w, r, netra.Internal(err), err)
		return
	}
	http.Redirect(w, r, "/#code="+code, http.StatusSeeOther)
}

func (s *Server) finishOIDC(r *http.Request) (netra.Identity, error) {
	refused := func(msg string, err error) (netra.Identity, error) {
		return netra.Identity{}, &netra.Error{Code: netra.CodeUnauthorized, Message: "organisation sign-in refused: " + msg, Err: err}
	}
	if s.oidc == nil {
		return netra.Identity{}, netra.Errorf(netra.CodeNotFound, "this server has no organisation sign-in")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return refused("the provider answered "+e, nil)
	}
	s.oidc.mu.Lock()
	f, ok := s.oidc.flows[q.Get("state")]
	delete(s.oidc.flows, q.Get("state"))
	s.oidc.mu.Unlock()
	if !ok || time.Now().After(f.expires) {
		return refused("unknown or expired state; start again", nil)
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		return netra.Identity{}, err
	}
	tok, err := s.oidc.oauth(p, f.redirect).Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		return refused("the code could not be exchanged", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID}).Verify(r.Context(), raw)
	if err != nil {
		return refused("the ID token is not valid", err)
	}
	if idt.Nonce != f.nonce {
		return refused("the ID token's nonce is not this sign-in's", nil)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return refused("the ID token's claims could not be read", err)
	}
	c := s.oidc.cfg
	str := func(name, def string) string {
		if v, ok := claims[name].(string); ok && v != "" {
			return v
		}
		return def
	}
	id := netra.Identity{UserID: str(c.UserClaim, ""), Tier: netra.Tier(str(c.TierClaim, string(netra.TierFree))), Role: netra.Role(str(c.RoleClaim, string(netra.RoleUser)))}
	switch {
	case !auth.ValidSubject(id.UserID):
		return refused(fmt.Sprintf("claim %s is not a valid user id (1–128 characters of A-Z a-z 0-9 . _ @ -)", c.UserClaim), nil)
	case !id.Tier.Valid():
		return refused(fmt.Sprintf("claim %s is not a tier (free, early, mid, enterprise)", c.TierClaim), nil)
	case !id.Role.Valid():
		return refused(fmt.Sprintf("claim %s is not a role (user, admin)", c.RoleClaim), nil)
	}
	return id, nil
}

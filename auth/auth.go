// Package auth verifies and signs the JWTs of the wire contract (protocol-v1 §1) and issues
// single-use WebSocket tickets. Verification fails closed: anything not explicitly valid is
// refused with unauthorized.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netra-ai/netra"
)

// Audience is the audience every token must contain.
const Audience = "netra"

// MinSecretLen is the shortest HS256 secret accepted.
const MinSecretLen = 32

var subPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)

// Config configures verification.
type Config struct {
	// Secret is the HS256 key, at least MinSecretLen bytes; required when HS256 is allowed.
	Secret []byte
	// Keys verify RS256 and EdDSA tokens (LoadKeys). With several keys of one algorithm a
	// token must name its key with kid.
	Keys []PublicKey
	// Algorithms is the allowlist. Default: the algorithms of Keys when there are keys, else
	// HS256. HS256 with keys must be listed explicitly.
	Algorithms []string
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Leeway tolerates clock skew on exp, nbf and iat. Default 5 s.
	Leeway time.Duration
}

// Claims are the token claims Netra reads.
type Claims struct {
	jwt.RegisteredClaims
	Tier string `json:"tier,omitempty"`
	Role string `json:"role,omitempty"`
}

// Grant is what a verified token grants: an identity, until Expires. ID is the token's jti,
// when it has one (sessions do): what signing out revokes.
type Grant struct {
	netra.Identity
	Expires time.Time
	ID      string
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	secret  []byte
	allowed map[string]bool
	byKid   map[string]PublicKey
	byAlg   map[string][]PublicKey
	parser  *jwt.Parser
	login   *jwt.Parser // sign-in codes: audience LoginAudience
	once    *onceSet    // sign-in codes redeemed, until they expire
	revoked *onceSet    // sessions signed out, until they expire
	marks   Marks       // the cluster's record of both (Share); nil on a lone node
}

// Marks records ids that must count once across a cluster's nodes: redeemed sign-in codes
// (kind "login") and revoked sessions ("revoked"). storepg.Store keeps them in a table.
type Marks interface {
	// Mark records id under kind until exp; it reports false when id was there already.
	Mark(ctx context.Context, kind, id string, exp time.Time) (bool, error)
	// Marked returns the unexpired ids of kind with their expiry.
	Marked(ctx context.Context, kind string) (map[string]time.Time, error)
}

// Share makes sign-in codes and sign-outs the cluster's: a code redeemed on one node is
// refused on the others at once, and a session signed out on one is refused on the others
// from their next Refresh. Call it before the verifier is used.
func (v *Verifier) Share(m Marks) { v.marks = m }

// Refresh reads the sessions signed out on other nodes, and returns the ids new to this one
// (for their open connections to be closed).
func (v *Verifier) Refresh(ctx context.Context) ([]string, error) {
	if v.marks == nil {
		return nil, nil
	}
	ids, err := v.marks.Marked(ctx, "revoked")
	if err != nil {
		return nil, err
	}
	var fresh []string
	for id, exp := range ids {
		if v.revoked.add(id, exp) {
			fresh = append(fresh, id)
		}
	}
	return fresh, nil
}

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Leeway <= 0 {
		cfg.Leeway = 5 * time.Second
	}
	v := &Verifier{secret: cfg.Secret, allowed: map[string]bool{}, byKid: map[string]PublicKey{}, byAlg: map[string][]PublicKey{}}
	for _, k := range cfg.Keys {
		if k.ID != "" {
			v.byKid[k.ID] = k
		}
		v.byAlg[k.Alg] = append(v.byAlg[k.Alg], k)
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{jwt.SigningMethodHS256.Alg()}
		if len(cfg.Keys) > 0 {
			algs = algs[:0]
			for alg := range v.byAlg {
				algs = append(algs, alg)
			}
		}
	}
	for _, alg := range algs {
		switch alg {
		case "HS256":
			if len(cfg.Secret) < MinSecretLen {
				return nil, fmt.Errorf("JWT secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
			}
		case "RS256", "EdDSA":
			if len(v.byAlg[alg]) == 0 {
				return nil, fmt.Errorf("algorithm %s is allowed but no %s public key is configured", alg, alg)
			}
		default:
			return nil, fmt.Errorf("algorithm %q is not supported (HS256, RS256, EdDSA)", alg)
		}
		v.allowed[alg] = true
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	v.parser = jwt.NewParser(append(opts, jwt.WithAudience(Audience))...)
	v.login = jwt.NewParser(append(opts, jwt.WithAudience(LoginAudience))...)
	v.once, v.revoked = newOnceSet(), newOnceSet()
	return v, nil
}

func unauthorized(msg string) *netra.Error {
	return &netra.Error{Code: netra.CodeUnauthorized, Message: msg}
}

// key picks the verification key for t, by its algorithm and kid. Each key serves the one
// algorithm it was configured for, so a token cannot make an RSA public key an HMAC secret.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if !v.allowed[alg] {
		return nil, errors.New("algorithm not allowed")
	}
	if typ, ok := t.Header["typ"]; ok {
		s, _ := typ.(string)
		switch strings.ToLower(strings.TrimPrefix(strings.ToLower(s), "application/")) {
		case "jwt", "at+jwt":
		default:
			return nil, errors.New("token type not accepted")
		}
	}
	switch alg {
	case "HS256":
		if t.Method != jwt.SigningMethodHS256 {
			return nil, errors.New("unexpected signing method")
		}
		return v.secret, nil
	case "RS256", "EdDSA":
		if kid, ok := t.Header["kid"]; ok {
			s, _ := kid.(string)
			k, found := v.byKid[s]
			if !found || k.Alg != alg {
				return nil, errors.New("unknown key id")
			}
			return k.Key, nil
		}
		if keys := v.byAlg[alg]; len(keys) == 1 {
			return keys[0].Key, nil
		}
		return nil, errors.New("token must name its key with kid")
	}
	return nil, errors.New("algorithm not allowed")
}

// Allows reports whether tokens signed with alg are accepted.
func (v *Verifier) Allows(alg string) bool { return v.allowed[alg] }

// ValidSubject reports whether s is an acceptable user id (a token's sub).
func ValidSubject(s string) bool { return subPattern.MatchString(s) }

// Verify checks a token and returns the identity it carries.
func (v *Verifier) Verify(token string) (netra.Identity, error) {
	g, err := v.Check(token)
	return g.Identity, err
}

// Check checks a token and returns what it grants, with its expiry.
func (v *Verifier) Check(token string) (Grant, error) {
	if token == "" {
		return Grant{}, unauthorized("missing token")
	}
	if len(token) > 8192 {
		return Grant{}, unauthorized("invalid token")
	}
	g, err := v.check(v.parser, token)
	if err == nil && v.Revoked(g) {
		return Grant{}, unauthorized("signed out")
	}
	return g, err
}

func (v *Verifier) check(parser *jwt.Parser, token string) (Grant, error) {
	if token == "" {
		return Grant{}, unauthorized("missing token")
	}
	if len(token) > 8192 {
		return Grant{}, unauthorized("invalid token")
	}
	var c Claims
	_, err := parser.ParseWithClaims(token, &c, v.key)
	if err != nil {
		e := unauthorized("invalid token")
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			e.Message = "token expired"
		case errors.Is(err, jwt.ErrTokenNotValidYet):
			e.Message = "token not valid yet"
		case errors.Is(err, jwt.ErrTokenInvalidAudience):
			e.Message = "token audience must contain netra"
		case errors.Is(err, jwt.ErrTokenInvalidIssuer):
			e.Message = "token issuer not accepted"
		case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
			e.Message = "token lacks a required claim"
		}
		e.Err = err
		return Grant{}, e
	}
	if !subPattern.MatchString(c.Subject) {
		return Grant{}, unauthorized("token subject missing or invalid")
	}
	id := netra.Identity{UserID: c.Subject, Tier: netra.Tier(c.Tier), Role: netra.Role(c.Role)}
	if id.Tier == "" {
		id.Tier = netra.TierFree
	}
	if id.Role == "" {
		id.Role = netra.RoleUser
	}
	if !id.Tier.Valid() {
		return Grant{}, unauthorized("token tier unknown")
	}
	if !id.Role.Valid() {
		return Grant{}, unauthorized("token role unknown")
	}
	return Grant{Identity: id, Expires: c.ExpiresAt.Time, ID: c.ID}, nil
}

// RedeemLoginCode checks a sign-in code (SignLoginCode) and consumes it: a code signs in once.
func (v *Verifier) RedeemLoginCode(ctx context.Context, code string) (Grant, error) {
	g, err := v.check(v.login, code)
	if err != nil {
		return Grant{}, unauthorized("invalid or expired sign-in link")
	}
	if g.ID == "" || !v.once.add(g.ID, g.Expires) {
		return Grant{}, unauthorized("this sign-in link was used already")
	}
	if v.marks != nil {
		fresh, err := v.marks.Mark(ctx, "login", g.ID, g.Expires)
		if err != nil {
			return Grant{}, err
		}
		if !fresh {
			return Grant{}, unauthorized("this sign-in link was used already")
		}
	}
	return g, nil
}

// Revoke ends a session: its token is refused from now until it would have expired.
func (v *Verifier) Revoke(ctx context.Context, g Grant) error {
	if g.ID == "" {
		return netra.Errorf(netra.CodeInvalidRequest, "this token is not a session: it cannot be signed out, only left to expire")
	}
	if v.marks != nil {
		if _, err := v.marks.Mark(ctx, "revoked", g.ID, g.Expires); err != nil {
			return err
		}
	}
	if !v.revoked.add(g.ID, g.Expires) && !v.revoked.has(g.ID) {
		return netra.Errorf(netra.CodeUnavailable, "too many sessions signed out at once on this server; try again later")
	}
	return nil
}

// Revoked reports whether a grant's session was signed out (a ticket outlives the check of
// the token it was issued for).
func (v *Verifier) Revoked(g Grant) bool { return g.ID != "" && v.revoked.has(g.ID) }

// Sign returns an HS256 token for id, valid for ttl.
func Sign(secret []byte, id netra.Identity, ttl time.Duration, issuer string) (string, error) {
	return sign(secret, id, ttl, issuer, Audience, "")
}

// LoginAudience is the audience of sign-in codes: they are not API tokens, and API tokens
// are not sign-in codes.
const LoginAudience = "netra-login"

// SignLoginCode returns a single-use sign-in code for id, valid for ttl: the code of a
// sign-in link, exchanged for a session by RedeemLoginCode.
func SignLoginCode(secret []byte, id netra.Identity, ttl time.Duration, issuer string) (string, error) {
	return sign(secret, id, ttl, issuer, LoginAudience, netra.NewID("lc_"))
}

// SignSession returns a session token for id, valid for ttl, with an id that Revoke can end.
func SignSession(secret []byte, id netra.Identity, ttl time.Duration, issuer string) (string, error) {
	return sign(secret, id, ttl, issuer, Audience, netra.NewID("ses_"))
}

func sign(secret []byte, id netra.Identity, ttl time.Duration, issuer, audience, jti string) (string, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("JWT secret must be at least %d bytes", MinSecretLen)
	}
	if !subPattern.MatchString(id.UserID) {
		return "", fmt.Errorf("user id must be 1–128 characters of [A-Za-z0-9._@-]")
	}
	if id.Tier != "" && !id.Tier.Valid() {
		return "", fmt.Errorf("unknown tier %q", id.Tier)
	}
	if id.Role != "" && !id.Role.Valid() {
		return "", fmt.Errorf("unknown role %q", id.Role)
	}
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        jti,
			Subject:   id.UserID,
			Audience:  jwt.ClaimStrings{audience},
			Issuer:    issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Tier: string(id.Tier),
		Role: string(id.Role),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// BearerToken extracts the token of an "Authorization: Bearer <token>" header value.
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// SecretFile is the name of the generated secret in the data directory.
const SecretFile = "jwt-secret"

// LoadSecret reads the secret a server keeps in dataDir, without making one: a tool that signs
// tokens for a server must use that server's secret, and a new one would match no server. An
// absent file is an error that wraps os.ErrNotExist.
func LoadSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if len(s) < MinSecretLen {
		return nil, fmt.Errorf("%s holds fewer than %d bytes; delete it to have a new one made", path, MinSecretLen)
	}
	return []byte(s), nil
}

// LoadOrCreateSecret returns the secret kept in dataDir, creating a random one (0600) when
// there is none, so that a fresh machine works without configuration.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretFile)
	if s, err := LoadSecret(dataDir); !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return LoadOrCreateSecret(dataDir)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		_ = f.Close()
		return nil, err
	}
	return []byte(secret), f.Close()
}

// ReadSecret returns the secret kept in dataDir without creating one.
func ReadSecret(dataDir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, SecretFile))
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/store"
)

// Ingestion keys (contract §9) let an exporter send its owner's telemetry without a JWT that
// expires in an hour: "nk_<id>_<secret>", shown once, stored as the SHA-256 of the secret,
// good only on the ingestion endpoints and only for its owner, revoked at once by DELETE.

// KeyLimits is how many ingestion keys a user of each tier may hold.
func KeyLimits() map[netra.Tier]int {
	return map[netra.Tier]int{netra.TierFree: 2, netra.TierEarly: 5, netra.TierMid: 10, netra.TierEnterprise: 50}
}

const keyPrefix = "nk_"

// randomText is n random bytes in lower-case base32, without padding.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// keyView is a key as the API shows it: never its secret, except once at creation.
type keyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // "nk_<id>_", to recognise it
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Key        string     `json:"key,omitempty"` // the whole key, in the creation's answer only
}

func viewOf(k store.Key) keyView {
	return keyView{ID: k.ID, Name: k.Name, Prefix: keyPrefix + k.ID + "_", CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt}
}

// createKey answers POST /v1/keys {name?}: 201 with the key, shown this once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if len(req.Name) > 100 {
		return netra.Errorf(netra.CodeInvalidRequest, "name is at most 100 bytes")
	}
	k := store.Key{ID: randomText(10), Owner: id.UserID, Tier: id.Tier, Name: req.Name, CreatedAt: time.Now().UTC()}
	secret := randomText(32)
	k.SecretHash = secretHash(secret)
	defer func() { s.audit(r.Context(), id.UserID, netra.AuditKeyCreate, "", "key "+k.ID+" "+req.Name, err) }()
	if err := s.cfg.Store.CreateKey(r.Context(), k, KeyLimits()[id.Tier]); err != nil {
		return err
	}
	v := viewOf(k)
	v.Key = keyPrefix + k.ID + "_" + secret
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// listKeys answers GET /v1/keys.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	keys, err := s.cfg.Store.ListKeys(r.Context(), id.UserID)
	if err != nil {
		return err
	}
	out := make([]keyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, viewOf(k))
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out, "limit": KeyLimits()[id.Tier]})
	return nil
}

// deleteKey answers DELETE /v1/keys/{id}: the key stops working at once.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	kid := r.PathValue("id")
	defer func() { s.audit(r.Context(), id.UserID, netra.AuditKeyRevoke, "", "key "+kid, err) }()
	if err := s.cfg.Store.DeleteKey(r.Context(), id.UserID, kid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// keyGrant authenticates an ingestion key: its owner, with the tier it was made under.
func (s *Server) keyGrant(ctx context.Context, tok string) (auth.Grant, error) {
	refused := netra.Errorf(netra.CodeUnauthorized, "unknown or revoked ingestion key")
	kid, secret, ok := parseKey(tok)
	if !ok {
		return auth.Grant{}, refused
	}
	k, err := s.cfg.Store.Key(ctx, kid)
	if err != nil {
		if netra.ErrorCode(err) == netra.CodeNotFound {
			return auth.Grant{}, refused
		}
		return auth.Grant{}, err
	}
	if subtle.ConstantTimeCompare([]byte(secretHash(secret)), []byte(k.SecretHash)) != 1 {
		return auth.Grant{}, refused
	}
	s.keysUsed.touch(ctx, s.cfg.Store, k.ID)
	return auth.Grant{Identity: netra.Identity{UserID: k.Owner, Tier: k.Tier, Role: netra.RoleUser}, Expires: time.Now().Add(time.Hour)}, nil
}

// parseKey splits "nk_<id>_<secret>". Both parts are lower-case base32 of the lengths the
// server makes (16 and 52 characters): anything else is not a key, and is refused before the
// store is asked.
func parseKey(tok string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(tok, keyPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 52 || !base32Lower(id) || !base32Lower(secret) {
		return "", "", false
	}
	return id, secret, true
}

func base32Lower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// keyUse notes keys' last use at most once a minute each, sparing the one writer.
type keyUse struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (u *keyUse) touch(ctx context.Context, st store.Keys, id string) {
	now := time.Now().UTC()
	u.mu.Lock()
	if u.last == nil || len(u.last) > 100_000 {
		u.last = map[string]time.Time{}
	}
	due := now.Sub(u.last[id]) >= time.Minute
	if due {
		u.last[id] = now
	}
	u.mu.Unlock()
	if due {
		_ = st.TouchKey(context.WithoutCancel(ctx), id, now)
	}
}

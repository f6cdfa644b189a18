package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemOf(t *testing.T, pub any, kid string) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	b := &pem.Block{Type: "PUBLIC KEY", Bytes: der}
	if kid != "" {
		b.Headers = map[string]string{"Kid": kid}
	}
	return pem.EncodeToMemory(b)
}

func signKid(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jwksRSA(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// TestAsymmetricTokens: RS256 and EdDSA keys from JWKS and PEM, rotation by kid, and the
// refusals of RFC 8725: algorithms outside the allowlist, key confusion, unknown or missing
// kid, unexpected typ.
func TestAsymmetricTokens(t *testing.T) {
	t.Parallel()
	old, _ := rsa.GenerateKey(rand.Reader, 2048)
	cur, _ := rsa.GenerateKey(rand.Reader, 2048)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	jwks, _ := json.Marshal(map[string]any{"keys": []any{jwksRSA("2026-10", &old.PublicKey), jwksRSA("2026-11", &cur.PublicKey)}})
	rsaKeys, err := auth.LoadKeys(writeFile(t, "jwks.json", jwks))
	if err != nil || len(rsaKeys) != 2 {
		t.Fatalf("LoadKeys(jwks) = %v, %v", rsaKeys, err)
	}
	edKeys, err := auth.LoadKeys(writeFile(t, "keys.pem", pemOf(t, edPub, "ed-1")))
	if err != nil || len(edKeys) != 1 || edKeys[0].Alg != "EdDSA" || edKeys[0].ID != "ed-1" {
		t.Fatalf("LoadKeys(pem) = %v, %v", edKeys, err)
	}
	v, err := auth.NewVerifier(auth.Config{Keys: append(rsaKeys, edKeys...)})
	if err != nil {
		t.Fatal(err)
	}
	// HS256 is allowed beside keys only when listed.
	mixed, err := auth.NewVerifier(auth.Config{Secret: secret, Keys: edKeys, Algorithms: []string{"HS256", "EdDSA"}})
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pemOf(t, &cur.PublicKey, "")
	alice := &netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser}
	cases := []struct {
		name  string
		v     *auth.Verifier
		token string
		want  *netra.Identity
	}{
		{"RS256 current key", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), nil), alice},
		{"RS256 previous key (rotation)", v, signKid(t, jwt.SigningMethodRS256, old, "2026-10", base(), nil), alice},
		{"EdDSA", v, signKid(t, jwt.SigningMethodEdDSA, edPriv, "ed-1", base(), nil), alice},
		{"EdDSA without kid, one key", v, signKid(t, jwt.SigningMethodEdDSA, edPriv, "", base(), nil), alice},
		{"typ JWT", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), map[string]any{"typ": "JWT"}), alice},
		{"typ at+jwt", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), map[string]any{"typ": "application/at+jwt"}), alice},
		{"mixed HS256", mixed, sign(t, jwt.SigningMethodHS256, secret, base()), alice},
		{"mixed EdDSA", mixed, signKid(t, jwt.SigningMethodEdDSA, edPriv, "ed-1", base(), nil), alice},

		{"RS256 without kid, two keys", v, signKid(t, jwt.SigningMethodRS256, cur, "", base(), nil), nil},
		{"unknown kid", v, signKid(t, jwt.SigningMethodRS256, cur, "2025-01", base(), nil), nil},
		{"kid of the other key", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-10", base(), nil), nil},
		{"kid of a key of another algorithm", v, signKid(t, jwt.SigningMethodRS256, cur, "ed-1", base(), nil), nil},
		{"HS256 not allowed with keys", v, sign(t, jwt.SigningMethodHS256, secret, base()), nil},
		{"key confusion: HS256 keyed with the RSA public key", v, signKid(t, jwt.SigningMethodHS256, rsaPEM, "2026-11", base(), nil), nil},
		{"key confusion: HS256 keyed with the RSA public key, mixed", mixed, signKid(t, jwt.SigningMethodHS256, rsaPEM, "", base(), nil), nil},
		{"RS512", v, signKid(t, jwt.SigningMethodRS512, cur, "2026-11", base(), nil), nil},
		{"PS256", v, signKid(t, jwt.SigningMethodPS256, cur, "2026-11", base(), nil), nil},
		{"RS256 not allowed in mixed", mixed, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), nil), nil},
		{"typ id+jwt", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), map[string]any{"typ": "id+jwt"}), nil},
		{"typ not a string", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", base(), map[string]any{"typ": 1}), nil},
		{"RS256 expired", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", with("exp", time.Now().Add(-time.Minute).Unix()), nil), nil},
		{"RS256 wrong audience", v, signKid(t, jwt.SigningMethodRS256, cur, "2026-11", with("aud", "other"), nil), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := tc.v.Check(tc.token)
			if tc.want == nil {
				if err == nil || netra.ErrorCode(err) != netra.CodeUnauthorized {
					t.Fatalf("accepted: %+v, %v", g, err)
				}
				return
			}
			if err != nil || g.Identity != *tc.want || time.Until(g.Expires) < 50*time.Minute {
				t.Fatalf("Check = %+v, %v; want %+v expiring in an hour", g, err, *tc.want)
			}
		})
	}
}

func TestLoadKeysRefuses(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	k := jwksRSA("a", &priv.PublicKey)
	withD := map[string]any{}
	for n, v := range k {
		withD[n] = v
	}
	withD["d"] = "AAAA"
	dup, _ := json.Marshal(map[string]any{"keys": []any{k, k}})
	private, _ := json.Marshal(map[string]any{"keys": []any{withD}})
	ec, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}})
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	for name, data := range map[string][]byte{
		"small RSA":         pemOf(t, &small.PublicKey, ""),
		"private PEM":       pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
		"duplicate kid":     dup,
		"private JWK":       private,
		"unsupported kty":   ec,
		"empty":             []byte("  "),
		"malformed JWKS":    []byte("{"),
		"alg does not fit":  mustJSON(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "x", "alg": "EdDSA", "n": k["n"], "e": k["e"]}}}),
		"RS256 without key": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if data == nil {
				if _, err := auth.NewVerifier(auth.Config{Algorithms: []string{"RS256"}}); err == nil {
					t.Fatal("a verifier allowed RS256 without keys")
				}
				return
			}
			if keys, err := auth.LoadKeys(writeFile(t, "k", data)); err == nil {
				t.Fatalf("LoadKeys accepted %s: %+v", name, keys)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

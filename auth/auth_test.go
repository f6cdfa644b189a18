package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func base() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": "alice", "aud": "netra", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
}

func with(k string, v any) jwt.MapClaims {
	c := base()
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

func TestVerify(t *testing.T) {
	t.Parallel()
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	vi, _ := auth.NewVerifier(auth.Config{Secret: secret, Issuer: "https://idp"})
	now := time.Now()
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, base()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	cases := []struct {
		name  string
		v     *auth.Verifier
		token string
		want  *netra.Identity
	}{
		{"valid", v, sign(t, jwt.SigningMethodHS256, secret, base()), &netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser}},
		{"tier and role", v, sign(t, jwt.SigningMethodHS256, secret, with("tier", "enterprise")), &netra.Identity{UserID: "alice", Tier: netra.TierEnterprise, Role: netra.RoleUser}},
		{"aud array", v, sign(t, jwt.SigningMethodHS256, secret, with("aud", []string{"other", "netra"})), &netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser}},
		{"issuer ok", vi, sign(t, jwt.SigningMethodHS256, secret, with("iss", "https://idp")), &netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser}},
		{"empty", v, "", nil},
		{"garbage", v, "not.a.jwt", nil},
		{"wrong signature", v, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), base()), nil},
		{"expired", v, sign(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Hour).Unix())), nil},
		{"not yet valid", v, sign(t, jwt.SigningMethodHS256, secret, with("nbf", now.Add(time.Hour).Unix())), nil},
		{"issued in future", v, sign(t, jwt.SigningMethodHS256, secret, with("iat", now.Add(time.Hour).Unix())), nil},
		{"missing exp", v, sign(t, jwt.SigningMethodHS256, secret, with("exp", nil)), nil},
		{"missing aud", v, sign(t, jwt.SigningMethodHS256, secret, with("aud", nil)), nil},
		{"wrong aud", v, sign(t, jwt.SigningMethodHS256, secret, with("aud", "other")), nil},
		{"missing sub", v, sign(t, jwt.SigningMethodHS256, secret, with("sub", nil)), nil},
		{"bad sub", v, sign(t, jwt.SigningMethodHS256, secret, with("sub", "a b")), nil},
		{"long sub", v, sign(t, jwt.SigningMethodHS256, secret, with("sub", string(make([]byte, 129)))), nil},
		{"unknown tier", v, sign(t, jwt.SigningMethodHS256, secret, with("tier", "gold")), nil},
		{"unknown role", v, sign(t, jwt.SigningMethodHS256, secret, with("role", "root")), nil},
		{"alg none", v, noneTok, nil},
		{"HS384", v, sign(t, jwt.SigningMethodHS384, secret, base()), nil},
		{"HS512", v, sign(t, jwt.SigningMethodHS512, secret, base()), nil},
		{"issuer missing", vi, sign(t, jwt.SigningMethodHS256, secret, base()), nil},
		{"issuer wrong", vi, sign(t, jwt.SigningMethodHS256, secret, with("iss", "https://evil")), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := tc.v.Verify(tc.token)
			if tc.want == nil {
				if err == nil || netra.ErrorCode(err) != netra.CodeUnauthorized {
					t.Fatalf("accepted: %+v, %v", id, err)
				}
				return
			}
			if err != nil || id != *tc.want {
				t.Fatalf("Verify = %+v, %v; want %+v", id, err, *tc.want)
			}
		})
	}
}

func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	v, _ := auth.NewVerifier(auth.Config{Secret: secret, Issuer: "me"})
	tok, err := auth.Sign(secret, netra.Identity{UserID: "bob@x.org", Tier: netra.TierMid, Role: netra.RoleAdmin}, time.Minute, "me")
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(tok)
	if err != nil || id.UserID != "bob@x.org" || id.Tier != netra.TierMid || id.Role != netra.RoleAdmin {
		t.Fatalf("round trip = %+v, %v", id, err)
	}
	if _, err := auth.Sign(secret, netra.Identity{UserID: "bad user"}, time.Minute, ""); err == nil {
		t.Fatal("signed a bad user id")
	}
	if _, err := auth.NewVerifier(auth.Config{Secret: []byte("short")}); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestSecretFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s1, err := auth.LoadOrCreateSecret(dir)
	if err != nil || len(s1) < auth.MinSecretLen {
		t.Fatalf("secret %q, %v", s1, err)
	}
	s2, err := auth.LoadOrCreateSecret(dir)
	if err != nil || string(s1) != string(s2) {
		t.Fatal("secret not kept")
	}
	fi, _ := os.Stat(filepath.Join(dir, auth.SecretFile))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestTickets(t *testing.T) {
	t.Parallel()
	tk := auth.NewTickets()
	id := auth.Grant{Identity: netra.Identity{UserID: "carol", Tier: netra.TierFree, Role: netra.RoleUser}, Expires: time.Now().Add(time.Hour)}
	k, exp, err := tk.Issue(context.Background(), id)
	if err != nil || time.Until(exp) > auth.TicketTTL || time.Until(exp) < auth.TicketTTL-time.Second {
		t.Fatalf("Issue = %q %v %v", k, exp, err)
	}
	got, err := tk.Redeem(context.Background(), k)
	if err != nil || got != id {
		t.Fatalf("Redeem = %+v %v", got, err)
	}
	if _, err := tk.Redeem(context.Background(), k); netra.ErrorCode(err) != netra.CodeUnauthorized {
		t.Fatal("ticket used twice")
	}
	if _, err := tk.Redeem(context.Background(), "tkt_unknown"); netra.ErrorCode(err) != netra.CodeUnauthorized {
		t.Fatal("unknown ticket accepted")
	}
	// A ticket is no better than the token it came from.
	k, _, _ = tk.Issue(context.Background(), auth.Grant{Identity: id.Identity, Expires: time.Now().Add(-time.Second)})
	if _, err := tk.Redeem(context.Background(), k); netra.ErrorCode(err) != netra.CodeUnauthorized {
		t.Fatal("ticket of an expired token accepted")
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		got, ok := auth.BearerToken(in)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", in, got, ok)
		}
	}
}

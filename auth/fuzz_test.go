package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// FuzzVerify: whatever the bytes, Verify never panics and answers either unauthorized or an
// identity that keeps every rule of protocol-v1 §1.
func FuzzVerify(f *testing.F) {
	v, err := auth.NewVerifier(auth.Config{Secret: secret, Issuer: "https://idp"})
	if err != nil {
		f.Fatal(err)
	}
	good := sign(f, jwt.SigningMethodHS256, secret, with("iss", "https://idp"))
	f.Add(good)
	f.Add(good[:len(good)-3] + "abc")
	f.Add(sign(f, jwt.SigningMethodHS512, secret, base()))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, base()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	f.Add(none)
	f.Add("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.")
	f.Add("a.b.c")
	f.Add(strings.Repeat("A", 9000))
	f.Fuzz(func(t *testing.T, token string) {
		g, err := v.Check(token)
		if err != nil {
			if netra.ErrorCode(err) != netra.CodeUnauthorized || netra.ErrorMessage(err) == "" {
				t.Fatalf("refusal %v is not unauthorized with a message", err)
			}
			return
		}
		if !auth.ValidSubject(g.UserID) || !g.Tier.Valid() || !g.Role.Valid() || g.Expires.Before(time.Now().Add(-10*time.Second)) {
			t.Fatalf("accepted %q as %+v", token, g)
		}
		if parts := strings.Split(token, "."); len(parts) != 3 || parts[2] == "" {
			t.Fatalf("accepted a token without a signature: %q", token)
		}
	})
}

package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
)

// PublicKey is a verification key for asymmetric tokens, bound to one algorithm (RFC 8725
// §3.1: a key is used with one algorithm only, so a token cannot pick how its key is read).
type PublicKey struct {
	ID  string // kid; "" when the file gave none
	Alg string // "RS256" or "EdDSA"
	Key any    // *rsa.PublicKey or ed25519.PublicKey
}

// MinRSABits is the smallest RSA modulus accepted.
const MinRSABits = 2048

// LoadKeys reads public keys from a JWKS file ({"keys":[...]}, RSA and OKP/Ed25519 keys) or a
// PEM file of PUBLIC KEY blocks; a PEM block's "Kid" header names its key.
func LoadKeys(path string) ([]PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys []PublicKey
	if strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
		keys, err = parseJWKS(data)
	} else {
		keys, err = parsePEM(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no public keys", path)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if k.ID != "" && seen[k.ID] {
			return nil, fmt.Errorf("%s: kid %q appears twice", path, k.ID)
		}
		seen[k.ID] = true
	}
	return keys, nil
}

func keyOf(pub any, kid string) (PublicKey, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return PublicKey{}, fmt.Errorf("RSA key %q has %d bits, fewer than %d", kid, k.N.BitLen(), MinRSABits)
		}
		return PublicKey{ID: kid, Alg: "RS256", Key: k}, nil
	case ed25519.PublicKey:
		return PublicKey{ID: kid, Alg: "EdDSA", Key: k}, nil
	}
	return PublicKey{}, fmt.Errorf("key %q: only RSA and Ed25519 public keys are supported, not %T", kid, pub)
}

func parsePEM(data []byte) ([]PublicKey, error) {
	var keys []PublicKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY (never a private key here)", b.Type)
		}
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		k, err := keyOf(pub, b.Headers["Kid"])
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d"`
}

func parseJWKS(data []byte) ([]PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	var keys []PublicKey
	for i, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		if j.D != "" {
			return nil, fmt.Errorf("JWKS key %d holds a private part: publish public keys only", i)
		}
		var pub any
		switch j.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(j.N)
			e, err2 := base64.RawURLEncoding.DecodeString(j.E)
			if err := errors.Join(err1, err2); err != nil || len(e) == 0 || len(e) > 4 {
				return nil, fmt.Errorf("JWKS key %d: bad RSA n or e", i)
			}
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case "OKP":
			x, err := base64.RawURLEncoding.DecodeString(j.X)
			if j.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("JWKS key %d: only Ed25519 OKP keys are supported", i)
			}
			pub = ed25519.PublicKey(x)
		default:
			return nil, fmt.Errorf("JWKS key %d: key type %q is not supported (RSA, OKP)", i, j.Kty)
		}
		k, err := keyOf(pub, j.Kid)
		if err != nil {
			return nil, err
		}
		if j.Alg != "" && j.Alg != k.Alg {
			return nil, fmt.Errorf("JWKS key %q: alg %q does not fit a %s key", j.Kid, j.Alg, j.Kty)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

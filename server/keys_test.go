package server

import (
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	id, secret := randomText(10), randomText(32)
	if gotID, gotSecret, ok := parseKey(keyPrefix + id + "_" + secret); !ok || gotID != id || gotSecret != secret {
		t.Fatalf("a made key: %q %q %v", gotID, gotSecret, ok)
	}
	for _, bad := range []string{"", "nk_", "nk__", keyPrefix + id, keyPrefix + id + "_" + secret + "x", keyPrefix + strings.ToUpper(id) + "_" + secret,
		keyPrefix + id + "_" + secret[:51] + "1", "jwt." + id + "_" + secret} {
		if _, _, ok := parseKey(bad); ok {
			t.Errorf("%q parsed as a key", bad)
		}
	}
}

// FuzzParseKey: any string either is refused or splits into an id and a secret that put back
// together give the string again.
func FuzzParseKey(f *testing.F) {
	f.Add(keyPrefix + randomText(10) + "_" + randomText(32))
	f.Add("nk_x_y")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := parseKey(s)
		if ok && keyPrefix+id+"_"+secret != s {
			t.Fatalf("%q split into %q and %q", s, id, secret)
		}
	})
}

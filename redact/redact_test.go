package redact_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/netra-ai/netra/redact"
)

func TestString(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"plain", "hello world", "hello world"},
		{"jwt", "tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig_nature here", "tok [REDACTED] here"},
		{"bearer", "Authorization: Bearer abcdefghijkl123", "Authorization: [REDACTED]"},
		{"openai", "key=sk-abcdefghijklmnopqrstuvwxyz", "key=[REDACTED]"},
		{"anthropic", "sk-ant-api03-abcdefghijklmnopqrstuv", "[REDACTED]"},
		{"short sk", "sk-short", "sk-short"},
		{"aws", "AKIAABCDEFGHIJKLMNOP!", "[REDACTED]!"},
		{"github", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]"},
		{"github pat", "github_pat_11ABCDEFGHIJKLMNOPQRSTUV", "[REDACTED]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := redact.String(tc.in); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSensitiveKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"password": true, "db_password": true, "Secret": true, "token": true, "access_token": true,
		"refresh_token_hint": true, "api_key": true, "APIKEY": true, "Authorization": true,
		"credentials": true, "private_key": true, "input_tokens": false, "output_tokens": false,
		"max_tokens": false, "tokens": false, "tokens_total": false, "text": false, "model": false,
		"tokens_and_token": true,
	} {
		if got := redact.SensitiveKey(key); got != want {
			t.Errorf("SensitiveKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	in := `{"text":"use sk-abcdefghijklmnopqrstuvwxyz now","nested":{"password":"hunter2","n":[{"api_key":42}]},"input_tokens":1200,"ok":true}`
	out, err := redact.JSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got["text"] != "use [REDACTED] now" {
		t.Errorf("text = %v", got["text"])
	}
	nested := got["nested"].(map[string]any)
	if nested["password"] != redact.Mask || nested["n"].([]any)[0].(map[string]any)["api_key"] != redact.Mask {
		t.Errorf("nested = %v", nested)
	}
	if got["input_tokens"] != float64(1200) || got["ok"] != true {
		t.Errorf("non-sensitive values changed: %v", got)
	}
	plain := []byte(`{"text":"hello"}`)
	same, _ := redact.JSON(plain)
	if &same[0] != &plain[0] {
		t.Error("plain JSON was re-encoded")
	}
	if strings.Contains(string(out), "hunter2") {
		t.Error("secret leaked")
	}
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"a":"sk-abcdefghijklmnopqrstuvwxyz"}`))
	f.Add([]byte(`["Bearer xxxxxxxxxxxx", {"token": 1}]`))
	f.Add([]byte(`{"passw\u006frd":"x","input_tokens":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := redact.JSON(b)
		if err != nil || !json.Valid(b) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, b)
		}
		// The fast path must agree with redacting the decoded value.
		if !reflect.DeepEqual(decode(t, out), redact.Value(decode(t, b))) {
			t.Fatalf("JSON(%q) = %q, differs from Value", b, out)
		}
	})
}

func TestMixedCaseKeysAndBearer(t *testing.T) {
	t.Parallel()
	out, err := redact.JSON([]byte(`{"X-API_KEY":"v","msg":"BEARER abcdefghijkl1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"X-API_KEY":"[REDACTED]","msg":"[REDACTED]"}` {
		t.Fatalf("got %s", out)
	}
}

func BenchmarkJSONPlain16K(b *testing.B) {
	raw, _ := json.Marshal(map[string]string{"text": strings.Repeat("the quick brown fox ", 820)})
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := redact.JSON(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func decode(t *testing.T, b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

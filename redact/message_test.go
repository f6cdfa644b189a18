package redact_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/netra-ai/netra/redact"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"open /home/pat/netra-data/netra.db: permission denied": "open [path]: permission denied",
		`C:\Users\pat\netra\netra.db is locked`:                 "[path] is locked",
		"no such endpoint: GET /v1/nope":                        "no such endpoint: GET /v1/nope",
		"key sk-ant-" + strings.Repeat("x", 24) + " refused":    "key [REDACTED] refused",
		"stat /tmp/x.sock":                                      "stat [path]",
	} {
		if got := redact.Message(in); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
	long := redact.Message(strings.Repeat("é", 2000))
	if len(long) > redact.MaxMessage || !strings.HasSuffix(long, "…") {
		t.Errorf("long message: %d bytes", len(long))
	}
}

// TestLogHandler: logs never hold tokens, credentials, people's words or file paths, whichever
// way they are passed.
func TestLogHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(redact.Handler(slog.NewJSONHandler(&buf, nil)))
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	log = log.With("authorization", "Bearer "+jwt, "user_id", "pat")
	log.Info("request from /home/pat/app with "+jwt, "token", "abc", "input", "my secret plan", "err",
		errors.New("open /var/lib/netra/netra.db: Bearer abcdefghijklmnop"), slog.Group("req", "content", "hello", "path", "/v1/runs"))
	out := buf.String()
	for _, leak := range []string{jwt, "abc\"", "my secret plan", "/var/lib", "/home/pat", "abcdefghijklmnop", "hello"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line holds %q: %s", leak, out)
		}
	}
	for _, keep := range []string{`"user_id":"pat"`, `"path":"/v1/runs"`, `"input":"[omitted]"`, `"token":"[REDACTED]"`} {
		if !strings.Contains(out, keep) {
			t.Errorf("log line lacks %s: %s", keep, out)
		}
	}
}

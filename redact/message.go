package redact

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"
)

// filePath matches absolute paths under the usual roots of a Unix or Windows machine. API
// paths ("/v1/runs") are not under them and stay.
var filePath = regexp.MustCompile(`(^|[\s"'=(,:\[])(?:[A-Za-z]:\\(?:[^\s"'\\:*?<>|]+\\)*[^\s"'\\:*?<>|]*` +
	`|/(?:home|root|tmp|var|usr|etc|opt|srv|mnt|proc|dev|private|Users|work|app|data|run|snap|nix)(?:/[^\s"':]*|\b))`)

// PathMask replaces a file path.
const PathMask = "[path]"

// MaxMessage bounds an error message or a log value, in bytes.
const MaxMessage = 1024

// Message makes a text safe for an error message or a log line: credentials masked, file
// paths removed, at most MaxMessage bytes.
func Message(s string) string {
	s = String(s)
	if strings.ContainsAny(s, `/\`) {
		s = filePath.ReplaceAllString(s, "${1}"+PathMask)
	}
	return Truncate(s, MaxMessage)
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// omittedKeys hold people's words, which logs never keep.
func omittedKeys() [6]string {
	return [6]string{"input", "content", "body", "output", "message_body", "prompt"}
}

// Handler wraps a slog handler so that every log line is sanitized: values under sensitive
// keys are masked, values under keys that hold people's words (input, content, body, output,
// prompt) are omitted, and every other string is passed through Message.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Message(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(sanitizeAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = sanitizeAttr(a)
	}
	return handler{h.next.WithAttrs(clean)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

func sanitizeAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch {
	case v.Kind() == slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = sanitizeAttr(x)
		}
		return slog.Group(a.Key, clean...)
	case SensitiveKey(a.Key):
		return slog.String(a.Key, Mask)
	case omitted(a.Key):
		return slog.String(a.Key, "[omitted]")
	case v.Kind() == slog.KindString:
		return slog.String(a.Key, Message(v.String()))
	case v.Kind() == slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, Message(err.Error()))
		}
		return slog.String(a.Key, Message(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func omitted(key string) bool {
	k := strings.ToLower(key)
	for _, w := range omittedKeys() {
		if k == w {
			return true
		}
	}
	return false
}

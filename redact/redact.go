// Package redact removes credentials from anything that leaves a run: event data, run output,
// logs and error messages (protocol-v1 §5). Values under sensitive keys become "[REDACTED]",
// and so does any part of a string that looks like a credential.
package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Mask replaces whatever is redacted.
const Mask = "[REDACTED]"

// credential matches the credential shapes of the contract: JWTs, Bearer credentials, OpenAI
// and Anthropic keys, AWS access key ids and GitHub tokens.
var credential = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*` +
	`|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}` +
	`|sk-(?:ant-)?[A-Za-z0-9_-]{20,}` +
	`|AKIA[0-9A-Z]{16}` +
	`|(?:ghp|gho|ghs|ghu)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}`)

// sensitiveWords returns the key fragments whose values are masked (a fresh array each call,
// so that nothing can change the list).
func sensitiveWords() [8]string {
	return [8]string{"password", "secret", "token", "api_key", "apikey", "authorization", "credential", "private_key"}
}

// SensitiveKey reports whether values under key must be masked. A key that names a token
// count ("input_tokens", "max_tokens", "tokens") is not sensitive: it holds a number, and
// masking it would blank every usage statistic. The decision is written down in docs/protocol.md.
func SensitiveKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range sensitiveWords() {
		i := strings.Index(k, w)
		for i >= 0 {
			end := i + len(w)
			if !(w == "token" && end < len(k) && k[end] == 's' && (end+1 == len(k) || k[end+1] == '_')) {
				return true
			}
			next := strings.Index(k[end:], w)
			if next < 0 {
				break
			}
			i = end + next
		}
	}
	return false
}

// String masks every credential-looking part of s.
func String(s string) string {
	if !mayHoldCredential(s) {
		return s
	}
	return credential.ReplaceAllString(s, Mask)
}

// markers are fragments every credential shape contains; text without any of them skips the
// regexp, which costs about a millisecond per 16 KiB.
func markers() [9]string {
	return [9]string{"eyJ", "sk-", "AKIA", "ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "earer"}
}

func mayHoldCredential(s string) bool {
	for _, m := range markers() {
		if strings.Contains(s, m) {
			return true
		}
	}
	return strings.Contains(s, "EARER")
}

func bytesMayHoldCredential(b []byte) bool {
	for _, m := range markers() {
		if bytes.Contains(b, []byte(m)) {
			return true
		}
	}
	return bytes.Contains(b, []byte("EARER"))
}

// Value returns v with sensitive keys and credential-looking strings masked. v is a decoded
// JSON value (map[string]any, []any, string, float64, bool, nil); maps and slices are copied.
func Value(v any) any {
	switch x := v.(type) {
	case string:
		return String(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if SensitiveKey(k) && val != nil {
				out[k] = Mask
			} else {
				out[k] = Value(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = Value(val)
		}
		return out
	default:
		return v
	}
}

// JSON returns raw with everything sensitive masked. It returns raw itself, without decoding,
// when no key or string in it can be sensitive, which is the common case.
func JSON(raw []byte) ([]byte, error) {
	if !jsonMayBeSensitive(raw) {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(Value(v))
}

func jsonMayBeSensitive(raw []byte) bool {
	if bytesMayHoldCredential(raw) && credential.Match(raw) {
		return true
	}
	// Look at every object key: a string followed by a colon. A colon inside a string value
	// may pass for one; that only costs a decode, never a miss.
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], ':')
		if j < 0 {
			return false
		}
		colon := i + j
		i = colon + 1
		end := colon - 1
		for end >= 0 && (raw[end] == ' ' || raw[end] == '\t' || raw[end] == '\n' || raw[end] == '\r') {
			end--
		}
		if end <= 0 || raw[end] != '"' {
			continue
		}
		begin := bytes.LastIndexByte(raw[:end], '"')
		if begin < 0 {
			continue
		}
		// A key with escapes could spell a sensitive word the raw bytes do not show.
		if key := raw[begin+1 : end]; bytes.IndexByte(key, '\\') >= 0 || SensitiveKey(string(key)) {
			return true
		}
	}
}

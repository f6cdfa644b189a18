package schema_test

import (
	"strings"
	"testing"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/schema"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	s := schema.MustCompile("echo", `{"type":"object","properties":{"delay_ms":{"type":"integer","minimum":0,"maximum":60000}}}`)
	cases := []struct {
		name, in string
		ok       bool
		mention  string
	}{
		{"empty", ``, true, ""},
		{"valid", `{"delay_ms":10}`, true, ""},
		{"extra fields", `{"other":1}`, true, ""},
		{"too big", `{"delay_ms":60001}`, false, "/delay_ms"},
		{"negative", `{"delay_ms":-1}`, false, "/delay_ms"},
		{"wrong type", `{"delay_ms":"x"}`, false, "/delay_ms"},
		{"not object", `[1]`, false, "at /"},
		{"not json", `{`, false, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := s.Validate("params", []byte(tc.in))
			if tc.ok != (err == nil) {
				t.Fatalf("Validate(%s) = %v", tc.in, err)
			}
			if err != nil {
				if netra.ErrorCode(err) != netra.CodeInvalidRequest || !strings.Contains(err.Error(), tc.mention) || strings.Contains(err.Error(), "mem://") {
					t.Fatalf("error %q should be invalid_request mentioning %q", err, tc.mention)
				}
			}
		})
	}
}

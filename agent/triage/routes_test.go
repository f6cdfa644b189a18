package triage

import (
	"slices"
	"testing"
)

func TestLooseRoutes(t *testing.T) {
	t.Parallel()
	routes := []string{"support-chat", "support-triage", "code-chat", "code-complete", "rag-answer", "rag-rerank", "nightly-summarize"}
	for q, want := range map[string][]string{
		"how is support chat doing?":                      {"support-chat"},
		"what does my nightly job cost?":                  {"nightly-summarize"},
		"what is my p99 latency for claude on summarize?": {"nightly-summarize"},
		"errors for rerank":                               {"rag-rerank"},
		"give me a complete report":                       nil, // a word of a route, not after "on", "for" or "in"
		"what does it cost for chat?":                     nil, // support-chat and code-chat: either
	} {
		if got := looseRoutes(q, routes); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

package model_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/netra-ai/netra/model"
)

// The gate passes streamed text whose numbers the tools gave, however the pieces cut it, and
// stops before the first number none gave.
func TestGate(t *testing.T) {
	var k model.Known
	k.AddJSON([]byte(`{"cost_usd":1234.567,"days":30,"error_rate":0.042,"note":"p95 of 4158.37 ms"}`))
	k.AddText("what did I spend in the last 30 days?")
	for _, tc := range []struct {
		name    string
		pieces  []string
		want    string
		blocked []string
	}{
		{"known, cut anywhere", []string{"You spent $1,2", "34.57 on ", "gpt-4o in 3", "0 days; errors ", "4.2%", " and p95 4,158 ms."},
			"You spent $1,234.57 on gpt-4o in 30 days; errors 4.2% and p95 4,158 ms.", nil},
		{"names are not numbers", []string{"claude-3", "-5-sonnet and p", "99 and gpt-4", "o-mini cost $1,235."},
			"claude-3-5-sonnet and p99 and gpt-4o-mini cost $1,235.", nil},
		{"an unknown number stops it", []string{"You spent $1,234.57, ", "about 42", "% of ", "your budget of $3,000."},
			"You spent $1,234.57, about ", []string{"42%"}},
		{"an unknown number at the end", []string{"It took 30 days and 17"}, "It took 30 days and ", []string{"17"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			g := model.NewGate(&k, func(s string) { out.WriteString(s) })
			for _, p := range tc.pieces {
				g.Write(p)
			}
			g.Close()
			if out.String() != tc.want || !reflect.DeepEqual(g.Blocked(), tc.blocked) {
				t.Fatalf("out %q blocked %q; want %q %q", out.String(), g.Blocked(), tc.want, tc.blocked)
			}
		})
	}
}

// Text without digits goes out with the piece that brings it, not a piece later.
func TestGatePassesWordsAtOnce(t *testing.T) {
	var k model.Known
	var got []string
	g := model.NewGate(&k, func(s string) { got = append(got, s) })
	for _, p := range []string{"Your", " support", " route", " is", " slow"} {
		n := len(got)
		g.Write(p)
		if len(got) != n+1 || got[n] != p {
			t.Fatalf("after %q: %q", p, got)
		}
	}
}

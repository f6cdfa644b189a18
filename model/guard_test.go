package model_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/netra-ai/netra/model"
)

func TestUnsupportedNumbers(t *testing.T) {
	facts := json.RawMessage(`{"requests":35013,"cost_usd":1234.5678,"error_rate":0.0123,"window_label":"last 7 days","top_model_share":0.557}`)
	for text, want := range map[string][]string{
		"35,013 requests cost $1,234.57 in the last 7 days.":        nil,
		"Errors were 1.2% of requests; gpt-4o took 55.7% of spend.": nil,
		"35,013 requests cost $1,300 in the last 7 days.":           {"1,300"},
		"You could save 42% with caching.":                          {"42%"},
		"Requests: 35013, cost 1234.568.":                           nil,
		"Cost 1234.6 over 8 days.":                                  {"8"},
	} {
		if got := model.UnsupportedNumbers(text, facts); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

type fixed struct {
	name string
	res  model.Response
	err  error
}

func (f fixed) Name() string { return f.name }
func (f fixed) Complete(context.Context, model.Request) (model.Response, error) {
	return f.res, f.err
}

// The fallback answers when the primary fails, or when it writes a number the facts lack.
func TestWithFallback(t *testing.T) {
	offline := fixed{name: "offline", res: model.Response{Text: "from rules"}}
	var warned []error
	warn := func(err error) { warned = append(warned, err) }
	facts := json.RawMessage(`{"requests":12}`)
	for _, tc := range []struct {
		primary fixed
		want    string
	}{
		{fixed{name: "m", res: model.Response{Text: "12 requests."}}, "12 requests."},
		{fixed{name: "m", res: model.Response{Text: "13 requests."}}, "from rules"},
		{fixed{name: "m", err: errors.New("down")}, "from rules"},
	} {
		res, err := model.WithFallback(tc.primary, offline, warn).Complete(context.Background(), model.Request{Task: model.TaskWrite, Data: facts})
		if err != nil || res.Text != tc.want {
			t.Errorf("%+v: %q %v, want %q", tc.primary, res.Text, err, tc.want)
		}
	}
	if len(warned) != 2 {
		t.Fatalf("warnings %v", warned)
	}
}

package model_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/resilience"
)

type flaky struct{ fails, calls int }

func (f *flaky) Name() string { return "flaky" }

func (f *flaky) Complete(context.Context, model.Request) (model.Response, error) {
	f.calls++
	if f.calls <= f.fails {
		return model.Response{}, errors.New("overloaded")
	}
	return model.Response{Text: "fine"}, nil
}

func TestResilientRetriesAndBreaks(t *testing.T) {
	t.Parallel()
	f := &flaky{fails: 2}
	p := model.Resilient(f, resilience.Retry{Attempts: 3, Base: time.Millisecond}, nil)
	if res, err := p.Complete(context.Background(), model.Request{}); err != nil || res.Text != "fine" || f.calls != 3 {
		t.Fatalf("res %+v err %v calls %d", res, err, f.calls)
	}
	down := &flaky{fails: 1000}
	p = model.Resilient(down, resilience.Retry{Attempts: 1}, resilience.NewBreaker(2, time.Hour))
	for i := 0; i < 3; i++ {
		_, _ = p.Complete(context.Background(), model.Request{})
	}
	if down.calls != 2 {
		t.Fatalf("the open breaker let %d calls through, want 2", down.calls)
	}
}

// The structured-output schema names every field of Triage: a field it lacks is one a model
// can never fill (strict schemas allow no other property).
func TestTriageSchemaHasEveryField(t *testing.T) {
	props, _ := model.TriageSchema()["properties"].(map[string]any)
	typ := reflect.TypeOf(model.Triage{})
	fields := 0
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "-" { // set by triage, not by a provider
			continue
		}
		fields++
		if _, ok := props[name]; !ok {
			t.Errorf("the triage schema lacks %q", name)
		}
	}
	if len(props) != fields {
		t.Errorf("the schema has %d properties for %d fields", len(props), fields)
	}
}

// Package schema checks JSON values against JSON Schemas (tool arguments, agent params) and
// turns violations into invalid_request errors with a message a person can act on.
package schema

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/netra-ai/netra"
)

// Schema is a compiled JSON Schema. It is safe for concurrent use.
type Schema struct {
	s *jsonschema.Schema
	p *message.Printer
}

// Compile compiles src; name identifies it in errors.
func Compile(name, src string) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	url := "mem://netra/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return &Schema{s: s, p: message.NewPrinter(language.English)}, nil
}

// MustCompile is Compile for schemas written in the source: it panics on a bad one.
func MustCompile(name, src string) *Schema {
	s, err := Compile(name, src)
	if err != nil {
		panic(err)
	}
	return s
}

// Validate checks raw (a JSON document; empty means {}) and answers an invalid_request error
// naming the offending fields.
func (s *Schema) Validate(what string, raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte(`{}`)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return netra.Errorf(netra.CodeInvalidRequest, "%s: not valid JSON", what)
	}
	err = s.s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return netra.Errorf(netra.CodeInvalidRequest, "%s: invalid", what)
	}
	return netra.Errorf(netra.CodeInvalidRequest, "%s: %s", what, describe(ve, s.p))
}

// describe flattens a validation error into "at /path: reason; ..." without the schema URL.
func describe(ve *jsonschema.ValidationError, p *message.Printer) string {
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(p)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, "; ")
}

package workload

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxOTLP bounds an OTLP/JSON upload.
const MaxOTLP = 32 << 20

// The OTLP/JSON shapes we read (ExportTraceServiceRequest: resourceSpans[].scopeSpans[].spans[]).
// The document is read as a stream of tokens, a span at a time, and of each span's attributes
// only those a record uses are kept: memory stays bounded by one attribute, whatever the size
// of the document or the number of attributes.
type otlpSpan struct {
	SpanID            string
	Name              string
	StartTimeUnixNano string
	EndTimeUnixNano   string
	Status            struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	attrs attrs // those a record reads
	line  int
}

type otlpKV struct {
	Key   string `json:"key"`
	Value struct {
		StringValue *string         `json:"stringValue"`
		IntValue    json.RawMessage `json:"intValue"` // a string in OTLP/JSON (int64)
		DoubleValue *float64        `json:"doubleValue"`
		BoolValue   *bool           `json:"boolValue"`
	} `json:"value"`
}

type attrs map[string]otlpKV

func (a attrs) str(keys ...string) string {
	for _, k := range keys {
		if kv, ok := a[k]; ok {
			switch {
			case kv.Value.StringValue != nil:
				return *kv.Value.StringValue
			case len(kv.Value.IntValue) > 0:
				return strings.Trim(string(kv.Value.IntValue), `"`)
			}
		}
	}
	return ""
}

// num reads the first of keys that is present as a number. A present value that is not a
// finite number (an object, NaN, text) is an error naming the attribute, not a silent 0.
func (a attrs) num(keys ...string) (v float64, present bool, err error) {
	for _, k := range keys {
		kv, ok := a[k]
		if !ok {
			continue
		}
		var raw string
		switch {
		case len(kv.Value.IntValue) > 0:
			raw = strings.Trim(string(kv.Value.IntValue), `"`)
		case kv.Value.DoubleValue != nil:
			v = *kv.Value.DoubleValue
			raw = strconv.FormatFloat(v, 'g', -1, 64)
		case kv.Value.StringValue != nil:
			raw = *kv.Value.StringValue
		default:
			return 0, true, fmt.Errorf("%s must be a number", k)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, true, fmt.Errorf("%s must be a number, got %q", k, truncate(raw))
		}
		return v, true, nil
	}
	return 0, false, nil
}

// count reads a count (tokens, retries): absent is 0; present, a whole number from 0 to max.
func (a attrs) count(max int64, keys ...string) (int64, error) {
	v, ok, err := a.num(keys...)
	if err != nil || !ok {
		return 0, err
	}
	if v < 0 || v > float64(max) || v != math.Trunc(v) {
		return 0, fmt.Errorf("%s must be a whole number from 0 to %d, got %v", keys[0], max, v)
	}
	return int64(v), nil
}

func (a attrs) boolean(key string) (bool, bool) {
	kv, ok := a[key]
	if !ok {
		return false, false
	}
	if kv.Value.BoolValue != nil {
		return *kv.Value.BoolValue, true
	}
	if kv.Value.StringValue != nil {
		b, err := strconv.ParseBool(*kv.Value.StringValue)
		return b, err == nil
	}
	return false, false
}

// otlpDecoder yields one record per span that carries a GenAI model attribute; other spans
// are skipped. Line numbers count spans from 1 in document order.
type otlpDecoder struct {
	dec   *json.Decoder
	state otlpState
	n     int   // spans read
	res   attrs // the current resource's attributes
	// pending holds the spans of a resource read before its attributes (JSON keys have no
	// order): they are finished when the resource ends.
	pending []otlpSpan
	ready   []Parsed
	err     error
}

type otlpState uint8

const (
	otlpStart         otlpState = iota // before the document's '{'
	otlpTop                            // among the document's keys
	otlpResourceSpans                  // in resourceSpans[]
	otlpResource                       // among a resourceSpans element's keys
	otlpScopeSpans                     // in scopeSpans[]
	otlpScope                          // among a scopeSpans element's keys
	otlpSpans                          // in spans[]
	otlpDone
)

func newOTLPDecoder(r io.Reader) *otlpDecoder {
	return &otlpDecoder{dec: json.NewDecoder(&utf8Reader{r: io.LimitReader(r, MaxOTLP+1)})}
}

func (d *otlpDecoder) Next() (Parsed, error) {
	for len(d.ready) == 0 {
		if d.err != nil {
			return Parsed{}, d.err
		}
		if err := d.step(); err != nil {
			if err != io.EOF {
				err = fmt.Errorf("not an OTLP/JSON trace export (ExportTraceServiceRequest): %w", err)
			}
			d.err = err
		}
	}
	p := d.ready[0]
	d.ready = d.ready[1:]
	return p, nil
}

// step reads one token's worth of the document's structure, or one span.
func (d *otlpDecoder) step() error {
	switch d.state {
	case otlpStart:
		d.state = otlpTop
		return d.delim('{')
	case otlpTop:
		return d.keys(func(k string) error {
			if k != "resourceSpans" {
				return d.skip()
			}
			d.state = otlpResourceSpans
			return d.delim('[')
		}, func() error {
			d.state = otlpDone
			return nil
		})
	case otlpResourceSpans:
		return d.elems(func() error {
			d.state, d.res = otlpResource, nil
			return d.delim('{')
		}, otlpTop)
	case otlpResource:
		return d.keys(func(k string) error {
			switch k {
			case "resource":
				return d.resource()
			case "scopeSpans":
				d.state = otlpScopeSpans
				return d.delim('[')
			}
			return d.skip()
		}, func() error {
			if d.res == nil {
				d.res = attrs{}
			}
			for _, sp := range d.pending {
				d.emit(sp)
			}
			d.pending = d.pending[:0]
			d.state = otlpResourceSpans
			return nil
		})
	case otlpScopeSpans:
		return d.elems(func() error {
			d.state = otlpScope
			return d.delim('{')
		}, otlpResource)
	case otlpScope:
		return d.keys(func(k string) error {
			if k != "spans" {
				return d.skip()
			}
			d.state = otlpSpans
			return d.delim('[')
		}, func() error {
			d.state = otlpScopeSpans
			return nil
		})
	case otlpSpans:
		return d.elems(func() error {
			sp, err := d.span()
			if err != nil {
				return err
			}
			d.n++
			sp.line = d.n
			if d.res == nil {
				d.pending = append(d.pending, sp) // the resource's attributes come later
			} else {
				d.emit(sp)
			}
			return nil
		}, otlpScope)
	}
	// otlpDone: nothing may follow the document.
	if _, err := d.dec.Token(); err != io.EOF {
		return errors.New("data after the document")
	}
	return io.EOF
}

// The attributes that name a span's model, provider and counts: the OpenTelemetry GenAI
// semantic conventions (current, then older names), then OpenLLMetry/Traceloop (llm.*) and
// OpenInference (llm.model_name, llm.token_count.*), so that what instrumented apps already
// emit lands as records.
func modelKeys() []string {
	return []string{"gen_ai.response.model", "gen_ai.request.model", "llm.response.model", "llm.request.model", "llm.model_name"}
}

func providerKeys() []string {
	return []string{"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "llm.vendor"}
}

func inputKeys() []string {
	return []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens", "llm.token_count.prompt"}
}

func outputKeys() []string {
	return []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens", "llm.token_count.completion"}
}

func cachedKeys() []string {
	return []string{"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cached_tokens",
		"llm.usage.cache_read_input_tokens", "llm.token_count.prompt_details.cache_read"}
}

// isModelCall reports whether a span names a model.
func isModelCall(a attrs) bool { return a.str(modelKeys()...) != "" }

// emit turns a span that names a model into a record.
func (d *otlpDecoder) emit(sp otlpSpan) {
	if !isModelCall(sp.attrs) {
		return // not a model call
	}
	p := Parsed{Line: sp.line}
	p.Record, p.CostGiven, p.Err = spanRecord(sp, sp.attrs, d.res)
	d.ready = append(d.ready, p)
}

// keys reads the next key of an object and calls key with it, or reads the object's end and
// calls end.
func (d *otlpDecoder) keys(key func(string) error, end func() error) error {
	if !d.dec.More() {
		if err := d.delim('}'); err != nil {
			return err
		}
		return end()
	}
	t, err := d.dec.Token()
	if err != nil {
		return err
	}
	k, ok := t.(string)
	if !ok {
		return errors.New("an object key is not a string")
	}
	return key(k)
}

// elems calls elem for the next element of an array, or reads the array's end and moves to
// state after.
func (d *otlpDecoder) elems(elem func() error, after otlpState) error {
	if d.dec.More() {
		return elem()
	}
	d.state = after
	return d.delim(']')
}

func (d *otlpDecoder) delim(want json.Delim) error {
	t, err := d.dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if got, ok := t.(json.Delim); !ok || got != want {
		return fmt.Errorf("expected %q, got %v", want, t)
	}
	return nil
}

// skip reads past one value, a token at a time.
func (d *otlpDecoder) skip() error {
	depth := 0
	for {
		t, err := d.dec.Token()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// resource reads a resource object, keeping its attributes that records use.
func (d *otlpDecoder) resource() error {
	if err := d.delim('{'); err != nil {
		return err
	}
	d.res = attrs{}
	for d.dec.More() {
		t, err := d.dec.Token()
		if err != nil {
			return err
		}
		if t == "attributes" {
			err = d.attributes(d.res)
		} else {
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
	return d.delim('}')
}

// attributes reads an attribute array into a, keeping the keys records use.
func (d *otlpDecoder) attributes(a attrs) error {
	if err := d.delim('['); err != nil {
		return err
	}
	for d.dec.More() {
		var kv otlpKV
		if err := d.dec.Decode(&kv); err != nil {
			return err
		}
		if wanted(kv.Key) {
			a[kv.Key] = kv
		}
	}
	return d.delim(']')
}

// wanted reports whether a record reads an attribute.
func wanted(key string) bool {
	return strings.HasPrefix(key, "gen_ai.") || strings.HasPrefix(key, "netra.") || strings.HasPrefix(key, "llm.") ||
		key == "error.type" || key == "http.route" || key == "service.name"
}

// integer reads an int64 of OTLP/JSON: a string of digits by the spec, a number from some
// exporters; either way its text.
func (d *otlpDecoder) integer() (string, error) {
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return "", err
	}
	return strings.Trim(string(raw), `"`), nil
}

// span reads one span object.
func (d *otlpDecoder) span() (otlpSpan, error) {
	sp := otlpSpan{attrs: attrs{}}
	if err := d.delim('{'); err != nil {
		return sp, err
	}
	for d.dec.More() {
		t, err := d.dec.Token()
		if err != nil {
			return sp, err
		}
		switch t {
		case "spanId":
			err = d.dec.Decode(&sp.SpanID)
		case "name":
			err = d.dec.Decode(&sp.Name)
		case "startTimeUnixNano":
			sp.StartTimeUnixNano, err = d.integer()
		case "endTimeUnixNano":
			sp.EndTimeUnixNano, err = d.integer()
		case "status":
			err = d.dec.Decode(&sp.Status)
		case "attributes":
			err = d.attributes(sp.attrs)
		default:
			err = d.skip()
		}
		if err != nil {
			return sp, err
		}
	}
	return sp, d.delim('}')
}

func spanRecord(sp otlpSpan, a, res attrs) (Record, bool, error) {
	r := Record{ID: sp.SpanID, Interactive: true, OK: true}
	r.Model = a.str(modelKeys()...)
	r.Provider = a.str(providerKeys()...)
	start, err1 := strconv.ParseInt(sp.StartTimeUnixNano, 10, 64)
	end, err2 := strconv.ParseInt(sp.EndTimeUnixNano, 10, 64)
	if err1 != nil || err2 != nil || start <= 0 || end < start {
		return r, false, fmt.Errorf("span %q: startTimeUnixNano and endTimeUnixNano must be integers with end ≥ start", truncate(sp.Name))
	}
	r.TS = time.Unix(0, start).UTC()
	r.LatencyMS = float64(end-start) / 1e6
	var errs []error
	var err error
	r.InputTokens, err = a.count(MaxTokens, inputKeys()...)
	errs = append(errs, err)
	r.OutputTokens, err = a.count(MaxTokens, outputKeys()...)
	errs = append(errs, err)
	r.CachedInputTokens, err = a.count(MaxTokens, cachedKeys()...)
	errs = append(errs, err)
	if v, ok, err := a.num("gen_ai.response.time_to_first_chunk"); ok || err != nil { // seconds
		r.TTFTMS, errs = v*1000, append(errs, err)
	} else if v, ok, err := a.num("netra.ttft_ms"); ok || err != nil {
		r.TTFTMS, errs = v, append(errs, err)
	}
	if code := strings.Trim(string(sp.Status.Code), `"`); code == "2" || code == "STATUS_CODE_ERROR" {
		r.OK = false
	}
	if et := a.str("error.type"); et != "" {
		r.OK = false
		r.ErrorType = et
	}
	r.Route = a.str("netra.route", "http.route")
	if r.Route == "" {
		r.Route = res.str("service.name")
	}
	if r.Route == "" {
		r.Route = sp.Name
	}
	r.PrefixHash = a.str("netra.prefix_hash")
	if b, ok := a.boolean("netra.interactive"); ok {
		r.Interactive = b
	}
	r.Retries, err = a.count(MaxRetries, "netra.retries")
	errs = append(errs, err)
	cost, costGiven, err := a.num("netra.cost_usd", "gen_ai.usage.cost")
	r.CostUSD = cost
	if err := errors.Join(append(errs, err)...); err != nil {
		return r, costGiven, fmt.Errorf("span %q: %w", truncate(sp.Name), err)
	}
	return r, costGiven, nil
}

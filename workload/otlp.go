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

// MaxOTLP bounds an OTLP/JSON upload, which is one JSON document and so is decoded whole.
const MaxOTLP = 32 << 20

// The OTLP/JSON shapes we read (ExportTraceServiceRequest).
type otlpRequest struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []otlpKV `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []otlpSpan `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type otlpSpan struct {
	SpanID            string   `json:"spanId"`
	Name              string   `json:"name"`
	StartTimeUnixNano string   `json:"startTimeUnixNano"`
	EndTimeUnixNano   string   `json:"endTimeUnixNano"`
	Attributes        []otlpKV `json:"attributes"`
	Status            struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"status"`
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
	out  []Parsed
	err  error
	i    int
	read bool
	r    io.Reader
}

func newOTLPDecoder(r io.Reader) *otlpDecoder { return &otlpDecoder{r: r} }

func (d *otlpDecoder) Next() (Parsed, error) {
	if !d.read {
		d.read = true
		d.err = d.decode()
	}
	if d.err != nil {
		return Parsed{}, d.err
	}
	if d.i >= len(d.out) {
		return Parsed{}, io.EOF
	}
	d.i++
	return d.out[d.i-1], nil
}

func (d *otlpDecoder) decode() error {
	var req otlpRequest
	dec := json.NewDecoder(io.LimitReader(d.r, MaxOTLP+1))
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("not an OTLP/JSON trace export (ExportTraceServiceRequest): %w", err)
	}
	n := 0
	for _, rs := range req.ResourceSpans {
		res := attrs{}
		for _, kv := range rs.Resource.Attributes {
			res[kv.Key] = kv
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				n++
				a := attrs{}
				for _, kv := range sp.Attributes {
					a[kv.Key] = kv
				}
				if a.str("gen_ai.request.model", "gen_ai.response.model") == "" {
					continue // not a model call
				}
				p := Parsed{Line: n}
				p.Record, p.CostGiven, p.Err = spanRecord(sp, a, res)
				d.out = append(d.out, p)
			}
		}
	}
	return nil
}

func spanRecord(sp otlpSpan, a, res attrs) (Record, bool, error) {
	r := Record{ID: sp.SpanID, Interactive: true, OK: true}
	r.Model = a.str("gen_ai.response.model", "gen_ai.request.model")
	r.Provider = a.str("gen_ai.provider.name", "gen_ai.system")
	start, err1 := strconv.ParseInt(sp.StartTimeUnixNano, 10, 64)
	end, err2 := strconv.ParseInt(sp.EndTimeUnixNano, 10, 64)
	if err1 != nil || err2 != nil || start <= 0 || end < start {
		return r, false, fmt.Errorf("span %q: startTimeUnixNano and endTimeUnixNano must be integers with end ≥ start", truncate(sp.Name))
	}
	r.TS = time.Unix(0, start).UTC()
	r.LatencyMS = float64(end-start) / 1e6
	var errs []error
	var err error
	r.InputTokens, err = a.count(MaxTokens, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
	errs = append(errs, err)
	r.OutputTokens, err = a.count(MaxTokens, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
	errs = append(errs, err)
	r.CachedInputTokens, err = a.count(MaxTokens, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cached_tokens")
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

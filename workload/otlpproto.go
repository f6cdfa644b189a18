package workload

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// SpanDecoder yields a record for each span of an OTLP trace export (as the OTLP/HTTP
// receiver decodes it, from protobuf or JSON) that names a model, with the same mapping as an
// OTLP/JSON upload: spans are numbered from 1 as lines. RouteAttribute, when set, is the span
// attribute read first for the route.
func SpanDecoder(req *coltracepb.ExportTraceServiceRequest, routeAttribute string) Decoder {
	d := &spanDecoder{route: routeAttribute}
	n := 0
	for _, rs := range req.GetResourceSpans() {
		res := attrs{}
		protoAttrs(res, rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				n++
				d.spans = append(d.spans, protoSpan{sp: sp, res: res, line: n})
			}
		}
	}
	return d
}

type protoSpan struct {
	sp   *tracepb.Span
	res  attrs
	line int
}

type spanDecoder struct {
	spans []protoSpan
	route string
}

func (d *spanDecoder) Next() (Parsed, error) {
	for len(d.spans) > 0 {
		ps := d.spans[0]
		d.spans = d.spans[1:]
		sp := otlpSpan{SpanID: hex.EncodeToString(ps.sp.GetSpanId()), Name: ps.sp.GetName(), attrs: attrs{}, line: ps.line,
			StartTimeUnixNano: strconv.FormatUint(ps.sp.GetStartTimeUnixNano(), 10),
			EndTimeUnixNano:   strconv.FormatUint(ps.sp.GetEndTimeUnixNano(), 10)}
		if ps.sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			sp.Status.Code = json.RawMessage("2")
		}
		protoAttrs(sp.attrs, ps.sp.GetAttributes())
		if d.route != "" {
			if kv, ok := sp.attrs[d.route]; ok {
				kv.Key = "netra.route"
				sp.attrs["netra.route"] = kv
			}
		}
		if !isModelCall(sp.attrs) {
			continue
		}
		p := Parsed{Line: ps.line}
		p.Record, p.CostGiven, p.Err = spanRecord(sp, sp.attrs, ps.res)
		return p, nil
	}
	return Parsed{}, io.EOF
}

// protoAttrs adds the attributes a record uses to a, in the OTLP/JSON shape spanRecord reads.
// A value of a kind a record cannot use (an array, a map, bytes) is kept empty, so that a
// count given as one is refused, not read as 0.
func protoAttrs(a attrs, kvs []*commonpb.KeyValue) {
	for _, kv := range kvs {
		if !wanted(kv.GetKey()) {
			continue
		}
		var o otlpKV
		o.Key = kv.GetKey()
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			o.Value.StringValue = &v.StringValue
		case *commonpb.AnyValue_IntValue:
			o.Value.IntValue = json.RawMessage(strconv.FormatInt(v.IntValue, 10))
		case *commonpb.AnyValue_DoubleValue:
			o.Value.DoubleValue = &v.DoubleValue
		case *commonpb.AnyValue_BoolValue:
			o.Value.BoolValue = &v.BoolValue
		}
		a[o.Key] = o
	}
}
